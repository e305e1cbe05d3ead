/*
 * open_variants: the ways of opening a file give Linux's fds and errors -
 * creat, openat2 (strict flags, RESOLVE_BENEATH, struct sizes), O_EXCL,
 * O_NOFOLLOW, O_TMPFILE, O_DIRECTORY, O_TRUNC, a dangling symlink with
 * O_CREAT (creates its target), a FIFO, reopening a pipe through
 * /proc/self/fd/N, /proc/self/task/<tid>/comm; each new fd the lowest free.
 * Runs in its own temp dir (tests/run.sh).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

struct how {
	unsigned long long flags, mode, resolve;
};

static void show(const char *what, long r)
{
	if (r < 0)
		printf("%s: %s\n", what, strerror(errno));
	else
		printf("%s: fd %ld\n", what, r);
}

static long openat2_(int dirfd, const char *path, unsigned long long flags, unsigned long long mode,
		     unsigned long long resolve, size_t size)
{
	unsigned char buf[64] = { 0 };
	struct how h = { flags, mode, resolve };
	memcpy(buf, &h, sizeof h);
	return syscall(SYS_openat2, dirfd, path, buf, size);
}

static long done(long fd)
{
	if (fd >= 0)
		close(fd);
	return fd;
}

int main(void)
{
	int fd = creat("f", 0640);
	show("creat", fd);
	if (write(fd, "hello\n", 6) != 6)
		return 1;
	close(fd);
	struct stat st;
	stat("f", &st);
	printf("creat mode %o size %ld\n", st.st_mode & 0777, (long)st.st_size);

	show("O_CREAT|O_EXCL existing", done(open("f", O_RDWR | O_CREAT | O_EXCL, 0600)));
	fd = open("f", O_RDWR | O_TRUNC);
	show("O_TRUNC", fd);
	fstat(fd, &st);
	printf("after O_TRUNC size %ld\n", (long)st.st_size);
	close(fd);
	show("O_DIRECTORY on a file", done(open("f", O_RDONLY | O_DIRECTORY)));
	show("O_CREAT new", done(open("g", O_WRONLY | O_CREAT, 0600)));

	symlink("f", "link");
	show("O_NOFOLLOW on a symlink", done(open("link", O_RDONLY | O_NOFOLLOW)));
	show("through a symlink", done(open("link", O_RDONLY)));
	show("O_PATH|O_NOFOLLOW on a symlink", done(open("link", O_PATH | O_NOFOLLOW)));
	symlink("target", "dangling");
	show("O_CREAT through a dangling symlink", done(open("dangling", O_WRONLY | O_CREAT, 0600)));
	printf("target exists: %s\n", access("target", F_OK) == 0 ? "yes" : "no");
	show("O_CREAT|O_EXCL new", done(open("new2", O_WRONLY | O_CREAT | O_EXCL, 0600)));
	symlink("nothing", "dangling3");
	show("O_CREAT|O_EXCL on a dangling symlink", done(open("dangling3", O_WRONLY | O_CREAT | O_EXCL, 0600)));

	mkdir("d", 0755);
	fd = open("d", O_RDWR | O_TMPFILE, 0600);
	show("O_TMPFILE", fd);
	if (fd >= 0) {
		printf("O_TMPFILE write: %zd\n", write(fd, "x", 1));
		close(fd);
	}
	int d = open("d", O_RDONLY | O_DIRECTORY);
	show("openat2 plain", done(openat2_(AT_FDCWD, "f", O_RDONLY, 0, 0, 24)));
	show("openat2 O_CREAT", done(openat2_(d, "new", O_RDWR | O_CREAT, 0600, 0, 24)));
	show("openat2 mode without O_CREAT", done(openat2_(AT_FDCWD, "f", O_RDONLY, 0600, 0, 24)));
	show("openat2 unknown flag", done(openat2_(AT_FDCWD, "f", O_RDONLY | (1ULL << 40), 0, 0, 24)));
	show("openat2 size 16", done(openat2_(AT_FDCWD, "f", O_RDONLY, 0, 0, 16)));
	show("openat2 size 32, zero tail", done(openat2_(AT_FDCWD, "f", O_RDONLY, 0, 0, 32)));
	unsigned char big[32] = { 0 };
	struct how h = { O_RDONLY, 0, 0 };
	memcpy(big, &h, sizeof h);
	big[30] = 1;
	show("openat2 size 32, tail not zero", done(syscall(SYS_openat2, AT_FDCWD, "f", big, 32)));
	show("openat2 RESOLVE_BENEATH ../f", done(openat2_(d, "../f", O_RDONLY, 0, 0x08, 24)));
	show("openat2 RESOLVE_BENEATH new", done(openat2_(d, "new", O_RDONLY, 0, 0x08, 24)));
	close(d);

	mkfifo("fifo", 0600);
	show("FIFO O_RDONLY|O_NONBLOCK", done(open("fifo", O_RDONLY | O_NONBLOCK)));
	show("FIFO O_WRONLY|O_NONBLOCK, no reader", done(open("fifo", O_WRONLY | O_NONBLOCK)));

	int p[2];
	if (pipe(p) < 0)
		return 1;
	char path[64];
	snprintf(path, sizeof path, "/proc/self/fd/%d", p[1]);
	fd = open(path, O_WRONLY);
	show("a pipe again through /proc/self/fd", fd);
	printf("write to it: %zd\n", write(fd, "abc", 3));
	char buf[8] = { 0 };
	printf("read from the pipe: %zd %s\n", read(p[0], buf, sizeof buf - 1), buf);
	close(fd);

	snprintf(path, sizeof path, "/proc/self/task/%d/comm", (int)gettid());
	fd = open(path, O_RDONLY);
	memset(buf, 0, sizeof buf);
	printf("task comm readable: %s\n", fd >= 0 && read(fd, buf, sizeof buf) > 0 ? "yes" : "no");
	if (fd >= 0)
		close(fd);
	snprintf(path, sizeof path, "/proc/self/task/%d/comm", 999999);
	show("task comm of no such thread", done(open(path, O_RDONLY)));

	close(p[0]);
	close(p[1]);
	show("lowest free fd", done(open("f", O_RDONLY | O_CLOEXEC)));
	fd = open("f", O_RDONLY | O_CLOEXEC);
	printf("O_CLOEXEC kept: %s\n", fcntl(fd, F_GETFD) & FD_CLOEXEC ? "yes" : "no");
	close(fd);
	fd = open("f", O_RDONLY);
	printf("no O_CLOEXEC: %s\n", fcntl(fd, F_GETFD) & FD_CLOEXEC ? "set" : "clear");
	close(fd);
	fd = open("f", O_WRONLY | O_APPEND);
	printf("flags: %s\n", (fcntl(fd, F_GETFL) & O_APPEND) ? "O_APPEND" : "none");
	close(fd);
	return 0;
}
