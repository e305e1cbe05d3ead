#define _GNU_SOURCE
/* posix_rlimit_nofile: a lowered RLIMIT_NOFILE is enforced for this process:
 * every fd-creating call fails with EMFILE once the lowest free fd reaches
 * the limit (open, pipe, socketpair, dup, F_DUPFD, socket, eventfd, epoll,
 * memfd, timerfd, inotify, signalfd, accept), dup2/dup3 beyond it give
 * EBADF, F_DUPFD from beyond it EINVAL, an O_CREAT open creates nothing,
 * SCM_RIGHTS fds past it are dropped with MSG_CTRUNC; fork and exec keep
 * the limit; raising it again (up to the hard limit) works. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <unistd.h>

static const char *en(int r)
{
	if (r >= 0)
		return "ok";
	switch (errno) {
	case EMFILE: return "EMFILE";
	case EBADF: return "EBADF";
	case EINVAL: return "EINVAL";
	case EAGAIN: return "EAGAIN";
	case ENOENT: return "ENOENT";
	default: return strerror(errno);
	}
}

static int fill(void)	/* opens until failure; returns the first fd refused */
{
	int last = -1, fd;
	while ((fd = open("/dev/null", O_RDONLY)) >= 0)
		last = fd;
	printf("  open until failure: %s after fd %d\n", en(-1), last);
	return last + 1;
}

static void exec_child(void)
{
	struct rlimit r;
	getrlimit(RLIMIT_NOFILE, &r);
	printf("exec: soft %ld\n", (long)r.rlim_cur);
	fill();
}

int main(int argc, char **argv)
{
	if (argc > 1) {
		exec_child();
		return 0;
	}
	for (int fd = 3; fd < 1024; fd++)
		close(fd);
	setvbuf(stdout, NULL, _IOLBF, 0);
	struct rlimit orig, r;
	getrlimit(RLIMIT_NOFILE, &orig);

	/* made before the table is full: fds 3, 4, 5 */
	int lsock = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	bind(lsock, (struct sockaddr *)&sin, sizeof sin);
	listen(lsock, 4);
	int sv[2];
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	printf("setup fds: %d %d %d\n", lsock, sv[0], sv[1]);

	r = orig;
	r.rlim_cur = 20;
	printf("set soft 20: %d\n", setrlimit(RLIMIT_NOFILE, &r));
	int first = fill();
	printf("first refused fd: %d\n", first);

	int p[2] = { -7, -7 };
	printf("pipe: %s (untouched: %d)\n", en(pipe(p)), p[0] == -7 && p[1] == -7);
	printf("pipe2: %s\n", en(pipe2(p, O_CLOEXEC)));
	printf("socketpair: %s\n", en(socketpair(AF_UNIX, SOCK_STREAM, 0, p)));
	printf("dup: %s\n", en(dup(0)));
	printf("F_DUPFD 5: %s\n", en(fcntl(0, F_DUPFD, 5)));
	printf("F_DUPFD_CLOEXEC 25: %s\n", en(fcntl(0, F_DUPFD_CLOEXEC, 25)));
	printf("F_DUPFD bad fd 25: %s\n", en(fcntl(999, F_DUPFD, 25)));
	printf("socket: %s\n", en(socket(AF_INET, SOCK_DGRAM, 0)));
	printf("eventfd: %s\n", en(eventfd(0, 0)));
	printf("epoll_create1: %s\n", en(epoll_create1(0)));
	printf("memfd_create: %s\n", en(memfd_create("x", 0)));
	printf("timerfd_create: %s\n", en(timerfd_create(CLOCK_MONOTONIC, 0)));
	printf("inotify_init1: %s\n", en(inotify_init1(0)));
	sigset_t ss;
	sigemptyset(&ss);
	sigaddset(&ss, SIGUSR1);
	printf("signalfd: %s\n", en(signalfd(-1, &ss, 0)));
	printf("accept (nonblocking, no client): %s\n", en(accept(lsock, NULL, NULL)));
	char tmp[64];
	snprintf(tmp, sizeof tmp, "/tmp/rlimit_nofile_%d", getpid());
	printf("open O_CREAT: %s\n", en(open(tmp, O_CREAT | O_WRONLY, 0600)));
	printf("  file created: %s\n", en(access(tmp, F_OK)));
	unlink(tmp);

	printf("dup2 to 25: %s\n", en(dup2(0, 25)));
	printf("dup3 to 25: %s\n", en(dup3(0, 25, 0)));
	printf("dup2 to 19 (in range): %s\n", en(dup2(0, 19) == 19 ? 0 : -1));
	printf("dup2 same fd: %d\n", dup2(1, 1));

	/* SCM_RIGHTS: three fds sent, one slot free */
	close(19);
	int three[3] = { 0, 1, 2 };
	char cbuf[CMSG_SPACE(sizeof three)];
	memset(cbuf, 0, sizeof cbuf);
	char byte = 'x';
	struct iovec iov = { &byte, 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			    .msg_controllen = sizeof cbuf };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof three);
	memcpy(CMSG_DATA(cm), three, sizeof three);
	for (int round = 0; round < 2; round++) {
		sendmsg(sv[0], &m, 0);
		char rbuf[CMSG_SPACE(sizeof three)];
		memset(rbuf, 0, sizeof rbuf);
		struct msghdr rm = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = rbuf,
				     .msg_controllen = sizeof rbuf };
		long n = recvmsg(sv[1], &rm, 0);
		struct cmsghdr *rc = rm.msg_controllen ? CMSG_FIRSTHDR(&rm) : NULL;
		printf("recvmsg %d free: %ld bytes, ctrunc %d, controllen %zu, cmsg_len %zu",
		       1 - round, n, !!(rm.msg_flags & MSG_CTRUNC), (size_t)rm.msg_controllen,
		       rc ? (size_t)rc->cmsg_len : 0);
		if (rc)
			printf(", fd %d", *(int *)CMSG_DATA(rc));
		printf("\n");
	}
	/* the same through recvmmsg, one slot free again */
	close(19);
	sendmsg(sv[0], &m, 0);
	{
		char rbuf[CMSG_SPACE(sizeof three)];
		memset(rbuf, 0, sizeof rbuf);
		struct mmsghdr mm = { .msg_hdr = { .msg_iov = &iov, .msg_iovlen = 1,
						   .msg_control = rbuf, .msg_controllen = sizeof rbuf } };
		int n = recvmmsg(sv[1], &mm, 1, 0, NULL);
		struct msghdr *rm = &mm.msg_hdr;
		struct cmsghdr *rc = rm->msg_controllen ? CMSG_FIRSTHDR(rm) : NULL;
		printf("recvmmsg 1 free: %d messages, %u bytes, ctrunc %d, controllen %zu, cmsg_len %zu",
		       n, mm.msg_len, !!(rm->msg_flags & MSG_CTRUNC), (size_t)rm->msg_controllen,
		       rc ? (size_t)rc->cmsg_len : 0);
		if (rc)
			printf(", fd %d", *(int *)CMSG_DATA(rc));
		printf("\n");
	}

	pid_t c = fork();
	if (c == 0) {
		close(19);
		close(18);
		printf("child: ");
		printf("first refused %d\n", fill());
		_exit(0);
	}
	waitpid(c, NULL, 0);

	close(19);
	close(18);
	c = fork();
	if (c == 0) {
		char *av[] = { argv[0], "exec", NULL };
		execv(argv[0], av);
		_exit(127);
	}
	waitpid(c, NULL, 0);

	printf("raise to the original soft: %d\n", setrlimit(RLIMIT_NOFILE, &orig));
	int fd = open("/dev/null", O_RDONLY);
	printf("open after raise: %s, fd >= 20: %d\n", en(fd), fd >= 20);
	r.rlim_cur = r.rlim_max = orig.rlim_max;
	printf("raise soft to hard: %d\n", setrlimit(RLIMIT_NOFILE, &r));
	printf("dup2 to 25: %s\n", en(dup2(0, 25)));
	printf("F_DUPFD 25: %d\n", fcntl(0, F_DUPFD, 25));
	return 0;
}
