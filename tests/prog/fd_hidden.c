/* fd_hidden: fd numbers the program never opened are closed, whatever
 * else shares its fd table.  For every fd from 3 to 1199 (the range holds
 * ufork's own fds, at 1000 by default) it counts the calls that do not fail
 * with EBADF: fstat, lseek, read, write, ioctl(FIONREAD), dup, fcntl(F_GETFD),
 * getsockopt, epoll_ctl(ADD) and sendfile.  Natively every count is the
 * number of fds it inherited (normally 0); a count that differs says some
 * call reached an fd it does not have. */
#include <errno.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <fcntl.h>

#define LO 3
#define HI 1200

static int open_fd(long r)
{
	return r >= 0 || errno != EBADF;
}

int main(void)
{
	int ep = epoll_create1(EPOLL_CLOEXEC);
	int nul = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (ep < 0 || nul < 0) {
		perror("fd_hidden: setup");
		return 1;
	}
	int n[10] = { 0 };
	for (int fd = LO; fd < HI; fd++) {
		if (fd == ep || fd == nul)
			continue;
		struct stat st;
		char c;
		int v;
		socklen_t vl = sizeof v;
		n[0] += open_fd(fstat(fd, &st));
		n[1] += open_fd(lseek(fd, 0, SEEK_CUR));
		n[2] += open_fd(read(fd, &c, 0));
		n[3] += open_fd(write(fd, &c, 0));
		n[4] += open_fd(ioctl(fd, FIONREAD, &v));
		int d = dup(fd);
		n[5] += open_fd(d);
		if (d >= 0)
			close(d);
		n[6] += open_fd(fcntl(fd, F_GETFD));
		n[7] += open_fd(getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &vl));
		struct epoll_event ev = { .events = EPOLLIN };
		int r = epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
		n[8] += open_fd(r);
		if (r == 0)
			epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
		n[9] += open_fd(sendfile(nul, fd, NULL, 0));
	}
	static const char *name[10] = { "fstat", "lseek", "read", "write", "ioctl", "dup",
					"fcntl", "getsockopt", "epoll_ctl", "sendfile" };
	for (int i = 0; i < 10; i++)
		printf("fd_hidden: %s: %d fds of %d-%d not EBADF\n", name[i], n[i], LO, HI - 1);
	return 0;
}
