/*
 * fork_fd_share: after fork, parent and child each have their own fd table,
 * cwd and umask, whichever of them changes them first, and while neither
 * has changed anything (no fd is opened, closed, duplicated or flagged in
 * between).  The pipes that order the steps are made before each fork, so
 * the steps themselves only read and write.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static int to_child[2], to_parent[2];

static void pipes(void)
{
	if (pipe(to_child) < 0 || pipe(to_parent) < 0)
		exit(99);
}

static void unpipe(void)
{
	close(to_child[0]);
	close(to_child[1]);
	close(to_parent[0]);
	close(to_parent[1]);
}

static void say(int fd, int v)
{
	if (write(fd, &v, sizeof v) != sizeof v)
		exit(98);
}

static int hear(int fd)
{
	int v;
	if (read(fd, &v, sizeof v) != sizeof v)
		exit(97);
	return v;
}

static int is_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0 ? 1 : errno == EBADF ? 0 : -1;
}

static int reap(pid_t pid)
{
	int st;
	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* The parent opens a file after the fork: the child must not have it. */
static void parent_opens(void)
{
	pipes();
	pid_t pid = fork();
	if (pid == 0) {
		int fd = hear(to_child[0]);
		say(to_parent[1], is_open(fd));
		_exit(0);
	}
	int fd = open("/dev/null", O_RDONLY);
	say(to_child[1], fd);
	printf("parent opens %s: child has it %d, parent %d\n", fd > 0 ? "a file" : "nothing",
	       hear(to_parent[0]), is_open(fd));
	printf("  child status %d\n", reap(pid));
	close(fd);
	unpipe();
}

/* The child opens a file: the parent must not have it. */
static void child_opens(void)
{
	pipes();
	pid_t pid = fork();
	if (pid == 0) {
		int fd = open("/dev/null", O_RDONLY);
		say(to_parent[1], fd);
		hear(to_child[0]);
		_exit(is_open(fd));
	}
	int fd = hear(to_parent[0]);
	printf("child opens: parent has it %d\n", is_open(fd));
	say(to_child[1], 0);
	printf("  child status %d (has it)\n", reap(pid));
	unpipe();
}

/* One side closes an fd both had: the other keeps it, and can use it. */
static void one_closes(int child_closes)
{
	int fd = open("/dev/zero", O_RDONLY);
	pipes();
	pid_t pid = fork();
	if (pid == 0) {
		if (child_closes)
			close(fd);
		say(to_parent[1], 1);
		hear(to_child[0]);
		char c = 1;
		_exit(is_open(fd) * 10 + (read(fd, &c, 1) == 1 && c == 0));
	}
	hear(to_parent[0]);
	if (!child_closes)
		close(fd);
	char c = 1;
	int mine = is_open(fd) * 10 + (read(fd, &c, 1) == 1 && c == 0);
	say(to_child[1], 0);
	printf("%s closes: parent %d, child %d\n", child_closes ? "child" : "parent", mine,
	       reap(pid));
	if (child_closes)
		close(fd);
	unpipe();
}

/* dup2 over an inherited fd, and a close-on-exec flag, in one process only. */
static void dup2_and_flags(void)
{
	int a = open("/dev/null", O_RDONLY), b = open("/dev/zero", O_RDONLY);
	struct stat sa;
	fstat(a, &sa);
	pipes();
	pid_t pid = fork();
	if (pid == 0) {
		dup2(b, a);	/* the child's a is /dev/zero now */
		say(to_parent[1], 1);
		hear(to_child[0]);
		struct stat s;
		fstat(a, &s);
		/* the parent set close-on-exec on b after the fork: not here */
		_exit((s.st_rdev != sa.st_rdev) * 10 + (fcntl(b, F_GETFD) & FD_CLOEXEC));
	}
	hear(to_parent[0]);
	fcntl(b, F_SETFD, FD_CLOEXEC);
	struct stat s;
	fstat(a, &s);
	say(to_child[1], 0);
	printf("dup2 in child: parent's fd unchanged %d; child's changed*10+cloexec %d\n",
	       s.st_rdev == sa.st_rdev, reap(pid));
	close(a);
	close(b);
	unpipe();
}

/* cwd and umask: changed by one side only. */
static void cwd_umask(int child_changes)
{
	char before[256], after[256];
	if (!getcwd(before, sizeof before))
		exit(96);
	mode_t m0 = umask(022);
	umask(022);
	pipes();
	pid_t pid = fork();
	if (pid == 0) {
		if (child_changes) {
			if (chdir("/") < 0)
				_exit(95);
			umask(077);
		}
		say(to_parent[1], 1);
		hear(to_child[0]);
		char here[256];
		if (!getcwd(here, sizeof here))
			_exit(94);
		mode_t m = umask(0);
		_exit((strcmp(here, before) == 0) * 10 + (m == 022));
	}
	hear(to_parent[0]);
	if (!child_changes) {
		if (chdir("/") < 0)
			exit(95);
		umask(077);
	}
	say(to_child[1], 0);
	int child = reap(pid);
	if (!getcwd(after, sizeof after))
		exit(94);
	mode_t m = umask(022);
	printf("%s changes cwd and umask: parent same cwd %d, umask 022 %d; child %d\n",
	       child_changes ? "child" : "parent", strcmp(after, before) == 0, m == 022, child);
	if (chdir(before) < 0)
		exit(93);
	umask(m0);
	unpipe();
}

/* A pipe's write end, closed by the parent after the fork: the reader sees
 * end-of-file once the child, which never closes it, has exited. */
static void pipe_eof(void)
{
	int p[2];
	if (pipe(p) < 0)
		exit(92);
	pid_t pid = fork();
	if (pid == 0) {
		if (write(p[1], "x", 1) != 1)
			_exit(1);
		_exit(0);
	}
	close(p[1]);
	char buf[4];
	ssize_t n1 = read(p[0], buf, sizeof buf), n2 = read(p[0], buf, sizeof buf);
	printf("pipe: read %zd then %zd (end of file), child status %d\n", n1, n2, reap(pid));
	close(p[0]);
}

/* Three generations: what the grandchild opens, and what the child closes,
 * is theirs only. */
static void generations(void)
{
	int keep = open("/dev/null", O_RDONLY);
	pipes();
	pid_t pid = fork();
	if (pid == 0) {
		pid_t g = fork();
		if (g == 0) {
			int fd = open("/dev/null", O_RDONLY);
			say(to_parent[1], fd);
			hear(to_child[0]);
			_exit(is_open(keep) * 10 + is_open(fd));
		}
		close(keep);
		int gs = reap(g);
		_exit(gs * 10 + is_open(keep));
	}
	int fd = hear(to_parent[0]);
	int mine = is_open(fd);
	say(to_child[1], 0);
	printf("generations: parent has grandchild's fd %d, its own %d; child/grandchild %d\n",
	       mine, is_open(keep), reap(pid));
	close(keep);
	unpipe();
}

static void *opener(void *arg)
{
	*(int *)arg = open("/dev/null", O_RDONLY);
	return NULL;
}

/* A child's thread opens a file: the parent must not have it. */
static void child_thread_opens(void)
{
	pipes();
	pid_t pid = fork();
	if (pid == 0) {
		int fd = -1;
		pthread_t th;
		if (pthread_create(&th, NULL, opener, &fd) != 0)
			_exit(90);
		pthread_join(th, NULL);
		say(to_parent[1], fd);
		hear(to_child[0]);
		_exit(is_open(fd));
	}
	int fd = hear(to_parent[0]);
	printf("child's thread opens: parent has it %d\n", is_open(fd));
	say(to_child[1], 0);
	printf("  child status %d (has it)\n", reap(pid));
	unpipe();
}

/* Many children in a row, every other one opening and closing files: the
 * parent's table stays as it was. */
static void many(void)
{
	int before = 0, after = 0;
	for (int fd = 0; fd < 64; fd++)
		before += is_open(fd) == 1;
	int bad = 0;
	for (int i = 0; i < 200; i++) {
		pid_t pid = fork();
		if (pid == 0) {
			if (i % 2) {
				int fd = open("/dev/null", O_RDONLY);
				dup2(fd, 20);
				close(fd);
			}
			_exit(i % 2 ? is_open(20) : 0);
		}
		bad += reap(pid) != i % 2;
		bad += is_open(20) != 0;
	}
	for (int fd = 0; fd < 64; fd++)
		after += is_open(fd) == 1;
	printf("200 children: parent's open fds %s, children as expected %s\n",
	       before == after ? "unchanged" : "CHANGED", bad ? "NO" : "yes");
}

/* The parent takes a record lock after the fork: the child, on the same
 * file, sees it as the parent's and cannot take it. */
static void lock_after_fork(void)
{
	char path[] = "/tmp/fork_fd_share.XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0 || write(fd, "0123456789", 10) != 10)
		exit(91);
	unlink(path);
	pipes();
	pid_t pid = fork();
	if (pid == 0) {
		hear(to_child[0]);
		struct flock q = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_len = 5 };
		int got = fcntl(fd, F_GETLK, &q) == 0 && q.l_type == F_WRLCK && q.l_pid == getppid();
		struct flock w = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_len = 5 };
		int refused = fcntl(fd, F_SETLK, &w) < 0 && (errno == EAGAIN || errno == EACCES);
		_exit(got * 10 + refused);
	}
	struct flock l = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_len = 5 };
	int locked = fcntl(fd, F_SETLK, &l) == 0;
	say(to_child[1], 0);
	printf("lock after fork: parent locked %d, child sees the parent's lock*10+is refused %d\n",
	       locked, reap(pid));
	close(fd);
	unpipe();
}

/* A child forked while its parent held a record lock (so with a copy of
 * the table made at once) opens a file, forks a grandchild that lives on,
 * and exits.  The parent's next child has the parent's fds, not the
 * exited child's. */
static void after_orphan(void)
{
	char path[] = "/tmp/fork_fd_share.XXXXXX";
	int lk = mkstemp(path);
	if (lk < 0)
		exit(89);
	unlink(path);
	struct flock l = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_len = 1 };
	if (fcntl(lk, F_SETLK, &l) < 0)
		exit(88);
	pipes();
	pid_t pid = fork();
	if (pid == 0) {
		int fd = open("/dev/null", O_RDONLY);
		if (fork() == 0) {	/* lives on until told */
			hear(to_child[0]);
			_exit(0);
		}
		say(to_parent[1], fd);
		_exit(0);
	}
	int fd = hear(to_parent[0]);
	int st = reap(pid);
	l.l_type = F_UNLCK;
	fcntl(lk, F_SETLK, &l);
	int seen = -1;
	for (int i = 0; i < 3; i++) {
		pid_t c = fork();
		if (c == 0)
			_exit(is_open(fd));
		int r = reap(c);
		seen = seen < 0 ? r : seen * 10 + r;
	}
	say(to_child[1], 0);
	printf("after an orphan: child status %d, parent has its fd %d, next children %d\n", st,
	       is_open(fd), seen);
	close(lk);
	unpipe();
}

/* The child execs (closing its close-on-exec fds): the parent keeps its
 * own, and the new program has the others. */
static void child_execs(void)
{
	int ce = open("/dev/null", O_RDONLY | O_CLOEXEC), keep = open("/dev/null", O_RDONLY);
	char a[16], b[16];
	snprintf(a, sizeof a, "%d", ce);
	snprintf(b, sizeof b, "%d", keep);
	pid_t pid = fork();
	if (pid == 0) {
		execl("/proc/self/exe", "fork_fd_share", "probe", a, b, (char *)0);
		_exit(99);
	}
	int st = reap(pid);
	printf("child execs: new program has close-on-exec fd*10+other fd %d; parent has both %d\n",
	       st, is_open(ce) && is_open(keep));
	close(ce);
	close(keep);
}

static void *opener_wait(void *arg)
{
	*(int *)arg = open("/dev/null", O_RDONLY);
	return NULL;
}

/* The parent makes a thread after the fork, which opens a file: the child
 * must not have it. */
static void parent_thread_opens(void)
{
	pipes();
	pid_t pid = fork();
	if (pid == 0) {
		int fd = hear(to_child[0]);
		_exit(is_open(fd));
	}
	int fd = -1;
	pthread_t th;
	if (pthread_create(&th, NULL, opener_wait, &fd) != 0)
		exit(87);
	pthread_join(th, NULL);
	say(to_child[1], fd);
	printf("parent's thread opens: child has it %d, parent %d\n", reap(pid), is_open(fd));
	close(fd);
	unpipe();
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "probe"))	/* the exec'd child */
		return is_open(atoi(argv[2])) * 10 + is_open(atoi(argv[3]));
	parent_opens();
	child_opens();
	one_closes(1);
	one_closes(0);
	dup2_and_flags();
	cwd_umask(1);
	cwd_umask(0);
	pipe_eof();
	generations();
	child_thread_opens();
	lock_after_fork();
	child_execs();
	parent_thread_opens();
	after_orphan();
	many();
	return 0;
}
