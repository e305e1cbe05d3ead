#define _GNU_SOURCE
/* posix_rlimit_fsize: RLIMIT_FSIZE on regular files.  With SIGXFSZ ignored:
 * a write across the limit is short, one at or past it fails with EFBIG
 * (write, pwrite, writev, O_APPEND, sendfile, copy_file_range), growing
 * ftruncate/truncate past it fail, shrinking works, pipes are not limited.
 * With a handler: EFBIG and the handler ran.  With the default action: the
 * process dies of SIGXFSZ.  Results are printed after the limit is raised
 * again (stdout may be a file itself). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

static char out[4096];
static size_t used;
static char path[64], path2[64];
static char data[4096];

static void say(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	used += vsnprintf(out + used, sizeof out - used, fmt, ap);
	va_end(ap);
}

static const char *en(long r)
{
	static char b[32];
	if (r >= 0) {
		snprintf(b, sizeof b, "%ld", r);
		return b;
	}
	return errno == EFBIG ? "EFBIG" : strerror(errno);
}

static void set_fsize(rlim_t v)
{
	struct rlimit r;
	getrlimit(RLIMIT_FSIZE, &r);
	r.rlim_cur = v == RLIM_INFINITY ? r.rlim_max : v;
	setrlimit(RLIMIT_FSIZE, &r);
}

static void flush_out(void)
{
	set_fsize(RLIM_INFINITY);
	fputs(out, stdout);
	fflush(stdout);
	used = 0;
}

static volatile int handled;
static void on_xfsz(int sig)
{
	handled++;
}

static void ignored(void)
{
	signal(SIGXFSZ, SIG_IGN);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	int src = open(path2, O_RDWR | O_CREAT | O_TRUNC, 0600);
	write(src, data, 2000);
	int falloc = fallocate(fd, 0, 0, 1) == 0;
	ftruncate(fd, 0);
	set_fsize(1000);
	say("write 600: %s\n", en(write(fd, data, 600)));
	say("write 600 across: %s\n", en(write(fd, data, 600)));
	say("write 1 at the limit: %s\n", en(write(fd, data, 1)));
	say("write 0 at the limit: %s\n", en(write(fd, data, 0)));
	struct stat st;
	fstat(fd, &st);
	say("size %ld, position %ld\n", (long)st.st_size, (long)lseek(fd, 0, SEEK_CUR));
	say("pwrite 10 at 995: %s\n", en(pwrite(fd, data, 10, 995)));
	say("pwrite 10 at 2000: %s\n", en(pwrite(fd, data, 10, 2000)));
	lseek(fd, 500, SEEK_SET);
	struct iovec iov[3] = { { data, 300 }, { data, 300 }, { data, 300 } };
	say("writev 900 at 500: %s\n", en(writev(fd, iov, 3)));
	say("pwritev 600 at 700: %s\n", en(pwritev(fd, iov, 2, 700)));
	say("ftruncate 5000: %s\n", en(ftruncate(fd, 5000)));
	say("ftruncate 1000: %s\n", en(ftruncate(fd, 1000)));
	say("ftruncate 400: %s\n", en(ftruncate(fd, 400)));
	say("truncate 1001: %s\n", en(truncate(path, 1001)));
	say("truncate 300: %s\n", en(truncate(path, 300)));
	if (falloc)
		say("fallocate to 4096: %s\n", en(fallocate(fd, 0, 0, 4096)));
	else
		say("fallocate to 4096: EFBIG\n");	/* not supported here */
	int app = open(path, O_WRONLY | O_APPEND);
	ftruncate(fd, 990);
	say("O_APPEND write 20 at 990: %s\n", en(write(app, data, 20)));
	say("O_APPEND write 20 at 1000: %s\n", en(write(app, data, 20)));
	lseek(fd, 900, SEEK_SET);
	off_t in = 0;
	say("sendfile 600 at 900: %s\n", en(sendfile(fd, src, &in, 600)));
	say("sendfile 600 at 1000: %s\n", en(sendfile(fd, src, &in, 600)));
	loff_t ip = 0, op = 950;
	say("copy_file_range 100 at 950: %s\n", en(copy_file_range(src, &ip, fd, &op, 100, 0)));
	op = 1000;
	say("copy_file_range 100 at 1000: %s\n", en(copy_file_range(src, &ip, fd, &op, 100, 0)));
	int p[2];
	pipe(p);
	say("pipe write 2000: %s\n", en(write(p[1], data, 2000)));
	fstat(fd, &st);
	say("final size %ld\n", (long)st.st_size);
	flush_out();
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	memset(data, 'a', sizeof data);
	snprintf(path, sizeof path, "/tmp/rlimit_fsize_%d", getpid());
	snprintf(path2, sizeof path2, "/tmp/rlimit_fsize_src_%d", getpid());
	struct rlimit core = { 0, 0 };
	setrlimit(RLIMIT_CORE, &core);	/* no core file from the SIGXFSZ death */

	pid_t c = fork();
	if (c == 0) {
		ignored();
		_exit(0);
	}
	int st;
	waitpid(c, &st, 0);
	printf("ignored: exit %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);

	c = fork();
	if (c == 0) {
		signal(SIGXFSZ, on_xfsz);
		int fd = open(path, O_WRONLY | O_TRUNC);
		set_fsize(100);
		long r = write(fd, data, 200);
		long r2 = write(fd, data, 10);
		say("handled: write 200: %s, ", en(r));
		say("then %s, handler ran %d time(s)\n", en(r2), handled);
		flush_out();
		_exit(0);
	}
	waitpid(c, &st, 0);

	c = fork();
	if (c == 0) {
		int fd = open(path, O_WRONLY | O_TRUNC);
		set_fsize(100);
		write(fd, data, 100);
		write(fd, data, 1);	/* dies here */
		_exit(0);
	}
	waitpid(c, &st, 0);
	printf("default: signaled %d, signal %d (SIGXFSZ %d), core %d\n", WIFSIGNALED(st),
	       WTERMSIG(st), SIGXFSZ, WCOREDUMP(st) != 0);
	unlink(path);
	unlink(path2);
	return 0;
}
