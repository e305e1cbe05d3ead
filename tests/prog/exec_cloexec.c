/*
 * exec_cloexec: execve closes exactly the close-on-exec fds, however the
 * flag was set, and whichever way the exec comes.
 *
 * Set: O_CLOEXEC on open/openat, SOCK_CLOEXEC on socket/socketpair/accept4,
 * O_CLOEXEC on pipe2, EPOLL_CLOEXEC, MFD_CLOEXEC, EFD_CLOEXEC,
 * SFD_CLOEXEC, TFD_CLOEXEC, IN_CLOEXEC, MSG_CMSG_CLOEXEC on a received fd,
 * dup3 O_CLOEXEC, F_DUPFD_CLOEXEC, F_SETFD FD_CLOEXEC, FIOCLEX, dup2 of a
 * close-on-exec fd onto itself.  Not set (these stay open): plain open,
 * accept4 and recvmsg without the flag, the flag cleared with F_SETFD 0 or
 * FIONCLEX, dup, dup2, dup3 without O_CLOEXEC and F_DUPFD of a
 * close-on-exec fd.  Each new fd lands at the lowest free number above a
 * block of fillers, so a runtime that bounds a µprocess's fd numbers must
 * have noted each call.
 *
 * Exec paths: fork then execv (after the child set flags of its own, as in
 * issue #17: dup3(fd, 90, O_CLOEXEC) of an O_CLOEXEC fd; and from a
 * child that changed nothing, whose parent must keep all its fds); a
 * failing execv (ENOENT, ENOEXEC) closes nothing; execv from a second
 * thread while the main thread is blocked in read; vfork then execv;
 * posix_spawn with file actions (addopen, adddup2 of a close-on-exec fd
 * onto a new number and onto itself - both clear the flag -, addclose);
 * 1500 close-on-exec fds (more than a fixed-size list holds); a full fd
 * table but for one slot (the runtime cannot list /proc/thread-self/fd
 * then: it must try each fd).  The exec'd program ("check") prints each
 * named fd's F_GETFD result or errno, and every open fd below 1024.
 * tests/cli/exec_cloexec_noproc.sh runs this without /proc.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define MAXFD 64
static struct { char name[32]; int fd; } fds[MAXFD];
static int nfds;
static char self[4096];
static char *extra[4];	/* more arguments for check */
static int n_extra;

static void die(const char *what)
{
	printf("setup failed: %s: %s\n", what, strerror(errno));
	exit(90);
}

static int add(const char *name, int fd)
{
	if (fd < 0)
		die(name);
	if (nfds == MAXFD)
		exit(91);
	snprintf(fds[nfds].name, sizeof fds[nfds].name, "%s", name);
	fds[nfds++].fd = fd;
	return fd;
}

static const char *state(int fd, char *buf, size_t len)
{
	int r = fcntl(fd, F_GETFD);
	if (r < 0)
		snprintf(buf, len, "closed (%s)", errno == EBADF ? "EBADF" : strerror(errno));
	else
		snprintf(buf, len, "open, F_GETFD=%d", r);
	return buf;
}

/* Every open fd below 1024, as ranges. */
static void open_fds(const char *label)
{
	char line[4096];
	size_t n = 0;
	for (int fd = 0; fd < 1024; fd++) {
		if (fcntl(fd, F_GETFD) < 0)
			continue;
		int hi = fd;
		while (hi + 1 < 1024 && fcntl(hi + 1, F_GETFD) >= 0)
			hi++;
		n += snprintf(line + n, sizeof line - n, hi > fd ? " %d-%d" : " %d", fd, hi);
		if (n >= sizeof line)
			break;
		fd = hi;
	}
	printf("  %s open fds:%s\n", label, line);
}

/* The exec'd side: argv = self check LABEL ARG..., each ARG name=fd (that
 * fd's state), range=NAME:LO-HI (how many fds in [LO, HI] are open) or
 * -all (no list of every open fd). */
static int check(int argc, char **argv)
{
	int all = 1;
	printf("%s: after exec\n", argv[2]);
	for (int i = 3; i < argc; i++) {
		char *eq = strchr(argv[i], '='), buf[64];
		char name[32];
		int lo, hi, n = 0;
		if (!strcmp(argv[i], "-all")) {
			all = 0;
		} else if (sscanf(argv[i], "range=%31[^:]:%d-%d", name, &lo, &hi) == 3) {
			for (int fd = lo; fd <= hi; fd++)
				n += fcntl(fd, F_GETFD) >= 0;
			printf("  %-16s %d open\n", name, n);
		} else if (eq) {
			*eq = 0;
			printf("  %-16s %s\n", argv[i], state(atoi(eq + 1), buf, sizeof buf));
		} else {
			return 3;
		}
	}
	if (all)
		open_fds("all");
	fflush(stdout);
	return 0;
}

static void show(const char *label)
{
	char buf[64];
	printf("%s\n", label);
	for (int i = 0; i < nfds; i++)
		printf("  %-16s %s\n", fds[i].name, state(fds[i].fd, buf, sizeof buf));
	open_fds("all");
	fflush(stdout);
}

/* argv for "check LABEL" with every named fd. */
static char **check_argv(const char *label)
{
	char **av = calloc(nfds + n_extra + 4, sizeof *av);
	if (!av)
		exit(92);
	av[0] = self;
	av[1] = "check";
	av[2] = (char *)label;
	for (int i = 0; i < nfds; i++) {
		av[3 + i] = malloc(64);
		snprintf(av[3 + i], 64, "%.31s=%d", fds[i].name, fds[i].fd);
	}
	for (int i = 0; i < n_extra; i++)
		av[3 + nfds + i] = extra[i];
	return av;
}

static int reap(pid_t pid, const char *label)
{
	int st;
	if (waitpid(pid, &st, 0) != pid)
		return -1;
	printf("%s: child %s %d\n", label, WIFEXITED(st) ? "exited" : "killed by",
	       WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
	fflush(stdout);
	return st;
}

static int unix_connect(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	if (s < 0 || connect(s, (struct sockaddr *)&a, sizeof a) < 0)
		die("connect");
	return s;
}

/* Sends fd over socket s; receives it on r with recvmsg flags. */
static int pass_fd(int s, int r, int fd, int flags)
{
	char c = 'x', cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec io = { &c, 1 };
	struct msghdr m = { .msg_iov = &io, .msg_iovlen = 1, .msg_control = cbuf,
			    .msg_controllen = sizeof cbuf };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof fd);
	if (sendmsg(s, &m, 0) != 1)
		die("sendmsg");
	memset(cbuf, 0, sizeof cbuf);
	m.msg_controllen = sizeof cbuf;
	if (recvmsg(r, &m, flags) != 1 || !(cm = CMSG_FIRSTHDR(&m)))
		die("recvmsg");
	int got;
	memcpy(&got, CMSG_DATA(cm), sizeof got);
	return got;
}

static void setup(void)
{
	/* nothing inherited; fillers 3..15; the fds below land at 16, 17, ...
	 * in this order */
	syscall(SYS_close_range, 3, ~0U, 0);
	int null = open("/dev/null", O_RDONLY);
	if (null != 3)
		die("fd 3 is not the lowest free");
	for (int fd = 4; fd <= 15; fd++)
		if (dup2(null, fd) != fd)
			die("dup2 filler");

	int nc_plain = add("nc_open", open("/dev/null", O_RDONLY));
	int cx_open = add("cx_open", open("/dev/null", O_RDONLY | O_CLOEXEC));
	add("cx_openat", openat(AT_FDCWD, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
	add("cx_socket", socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
	int sp[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0)
		die("socketpair");
	add("cx_socketpair0", sp[0]);
	add("cx_socketpair1", sp[1]);
	int pp[2];
	if (pipe2(pp, O_CLOEXEC) < 0)
		die("pipe2");
	add("cx_pipe2_r", pp[0]);
	add("cx_pipe2_w", pp[1]);

	int l = add("nc_listen", socket(AF_UNIX, SOCK_STREAM, 0));
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	strcpy(a.sun_path, "sock");
	unlink("sock");
	if (bind(l, (struct sockaddr *)&a, sizeof a) < 0 || listen(l, 4) < 0)
		die("bind/listen");
	add("nc_client1", unix_connect("sock"));
	add("cx_accept4", accept4(l, NULL, NULL, SOCK_CLOEXEC));
	add("nc_client2", unix_connect("sock"));
	add("nc_accept4", accept4(l, NULL, NULL, 0));
	unlink("sock");

	add("cx_epoll", epoll_create1(EPOLL_CLOEXEC));
	add("cx_memfd", memfd_create("exec_cloexec", MFD_CLOEXEC));
	add("cx_eventfd", eventfd(0, EFD_CLOEXEC));
	sigset_t m;
	sigemptyset(&m);
	sigaddset(&m, SIGUSR1);
	add("cx_signalfd", signalfd(-1, &m, SFD_CLOEXEC));
	add("cx_timerfd", timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC));
	add("cx_inotify", inotify_init1(IN_CLOEXEC));
	add("cx_recvmsg", pass_fd(sp[0], sp[1], nc_plain, MSG_CMSG_CLOEXEC));
	add("nc_recvmsg", pass_fd(sp[0], sp[1], cx_open, 0));

	int fd = add("cx_setfd", open("/dev/null", O_RDONLY));
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
		die("F_SETFD");
	fd = add("cx_fioclex", open("/dev/null", O_RDONLY));
	if (ioctl(fd, FIOCLEX) < 0)
		die("FIOCLEX");
	fd = add("nc_setfd0", open("/dev/null", O_RDONLY | O_CLOEXEC));
	if (fcntl(fd, F_SETFD, 0) < 0)
		die("F_SETFD 0");
	fd = add("nc_fionclex", open("/dev/null", O_RDONLY | O_CLOEXEC));
	if (ioctl(fd, FIONCLEX) < 0)
		die("FIONCLEX");
	add("nc_dup", dup(cx_open));
	fd = add("cx_dup2self", open("/dev/null", O_RDONLY | O_CLOEXEC));
	if (dup2(fd, fd) != fd)
		die("dup2 self");

	/* at chosen numbers, above everything so far */
	add("cx_dup3", dup3(nc_plain, 60, O_CLOEXEC));
	add("nc_dup3", dup3(cx_open, 61, 0));
	add("nc_dup2", dup2(cx_open, 62));
	add("cx_dupfd_cloexec", fcntl(nc_plain, F_DUPFD_CLOEXEC, 70));
	add("nc_dupfd", fcntl(cx_open, F_DUPFD, 75));
	add("cx_dup3_high", dup3(nc_plain, 500, O_CLOEXEC));
	add("nc_dup2_high", dup2(cx_open, 501));
}

/* (a) fork, flags set in the child (issue #17), execv */
static void fork_exec(void)
{
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (fd < 0 || dup3(fd, 90, O_CLOEXEC) != 90 || dup2(fd, 91) != 91)
			_exit(80);
		add("child_cx_open", fd);
		add("child_cx_dup3", 90);
		add("child_nc_dup2", 91);
		execv(self, check_argv("fork+exec"));
		_exit(81);
	}
	reap(c, "fork+exec");
}

/* (a') a child that changed nothing execs: the parent keeps every fd */
static void fork_exec_unchanged(void)
{
	char **av = check_argv("fork+exec, child changed nothing");
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		execv(self, av);
		_exit(81);
	}
	reap(c, "fork+exec, child changed nothing");
	show("parent after its child's exec");
}

/* (a'') failing execs close nothing */
static void failed_exec(void)
{
	int fd = open("notelf", O_WRONLY | O_CREAT | O_TRUNC, 0755);
	if (fd < 0 || write(fd, "garbage\n", 8) != 8)
		die("notelf");
	close(fd);
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		char *av[] = { self, NULL };
		execv("/nonexistent/prog", av);
		printf("execv /nonexistent/prog: %s\n", strerror(errno));
		execv("./notelf", av);
		printf("execv ./notelf: %s\n", strerror(errno));
		show("after two failed execs");
		execv(self, check_argv("exec after failed execs"));
		_exit(81);
	}
	reap(c, "failed execs");
	unlink("notelf");
}

/* (b) exec from a second thread while the main thread is blocked */
static int block_pipe[2];

static void *exec_thread(void *arg)
{
	(void)arg;
	add("thread_cx_open", open("/dev/null", O_RDONLY | O_CLOEXEC));
	add("thread_nc_open", open("/dev/null", O_RDONLY));
	int fd = add("thread_cx_setfd", dup(block_pipe[1]));
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	usleep(20000);	/* let the main thread block in read */
	execv(self, check_argv("exec from a thread"));
	_exit(82);
}

static void thread_exec(void)
{
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		if (pipe2(block_pipe, O_CLOEXEC) < 0)
			_exit(83);
		add("thread_pipe_r", block_pipe[0]);
		add("thread_pipe_w", block_pipe[1]);
		pthread_t th;
		if (pthread_create(&th, NULL, exec_thread, NULL))
			_exit(84);
		char b;
		(void)!read(block_pipe[0], &b, 1);	/* never returns: the exec ends it */
		_exit(85);
	}
	reap(c, "exec from a thread");
}

/* (c) vfork then execv */
static void vfork_exec(void)
{
	char **av = check_argv("vfork+exec");
	fflush(stdout);
	pid_t c = vfork();
	if (c == 0) {
		execv(self, av);
		_exit(81);
	}
	reap(c, "vfork+exec");
}

static int find(const char *name)
{
	for (int i = 0; i < nfds; i++)
		if (!strcmp(fds[i].name, name))
			return fds[i].fd;
	exit(93);
}

/* (d) posix_spawn with file actions */
static void spawn(void)
{
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 95, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, find("cx_open"), 96);
	posix_spawn_file_actions_adddup2(&fa, find("cx_memfd"), find("cx_memfd"));
	posix_spawn_file_actions_addclose(&fa, find("nc_open"));
	posix_spawn_file_actions_addclose(&fa, find("cx_eventfd"));
	posix_spawn_file_actions_addopen(&fa, 97, "/dev/null", O_RDONLY | O_CLOEXEC, 0);
	int n = nfds;
	add("spawn_addopen", 95);
	add("spawn_dup2_cx", 96);
	add("spawn_addopen_cx", 97);
	char **av = check_argv("posix_spawn with file actions");
	nfds = n;
	fflush(stdout);
	pid_t c;
	int r = posix_spawn(&c, self, &fa, NULL, av, environ);
	if (r) {
		printf("posix_spawn: %s\n", strerror(r));
		return;
	}
	reap(c, "posix_spawn with file actions");
	posix_spawn_file_actions_destroy(&fa);

	av = check_argv("posix_spawn, no file actions");
	fflush(stdout);
	r = posix_spawn(&c, self, NULL, NULL, av, environ);
	if (r) {
		printf("posix_spawn: %s\n", strerror(r));
		return;
	}
	reap(c, "posix_spawn, no file actions");
}

/* (e) more close-on-exec fds than a runtime might care to list at once */
static void many_fds_exec(void)
{
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		struct rlimit rl;
		if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
			_exit(86);
		if (rl.rlim_cur < 2100) {
			rl.rlim_cur = rl.rlim_max < 2100 ? rl.rlim_max : 2100;
			setrlimit(RLIMIT_NOFILE, &rl);
		}
		if (rl.rlim_cur < 2100) {
			printf("1500 fds: RLIMIT_NOFILE too low, not run\n");
			_exit(0);
		}
		int top = 0;
		for (int i = 0; i < 1500; i++)
			if ((top = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0)
				_exit(87);
		/* the fds above 1023 it opened (one past them may be exec's) */
		static char r[48];
		snprintf(r, sizeof r, "range=fds_1024_up:1024-%d", top);
		n_extra = 0;
		extra[n_extra++] = r;
		execv(self, check_argv("1500 close-on-exec fds"));
		_exit(81);
	}
	reap(c, "1500 close-on-exec fds");
}

/* (f) exec with a full fd table but for one free slot: on Linux execve
 * needs no fd.  (Under ufork exec itself takes that slot for the new
 * image - fd 100 below, not checked - so listing the table cannot.) */
static void full_table_exec(void)
{
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		struct rlimit rl;
		if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
			_exit(86);
		if (rl.rlim_cur > 65536) {	/* filling it would take too long */
			rl.rlim_cur = 65536;
			setrlimit(RLIMIT_NOFILE, &rl);
		}
		while (open("/dev/null", O_RDONLY | O_CLOEXEC) >= 0)
			;
		if (errno != EMFILE)
			_exit(88);
		close(100);			/* the one free slot */
		if (dup2(3, 99) != 99)		/* a filler: not close-on-exec */
			_exit(89);
		nfds = 0;
		add("nc_dup2", 99);
		static char r1[32] = "range=fds_101_999:101-999", r2[48];
		snprintf(r2, sizeof r2, "range=fds_1024_up:1024-%ld", (long)rl.rlim_cur - 1);
		n_extra = 0;
		extra[n_extra++] = r1;
		if (rl.rlim_cur > 1024)
			extra[n_extra++] = r2;
		extra[n_extra++] = "-all";
		execv(self, check_argv("full fd table"));
		_exit(81);
	}
	reap(c, "full fd table");
}

int main(int argc, char **argv)
{
	if (argc > 2 && !strcmp(argv[1], "check"))
		return check(argc, argv);
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n > 0)
		self[n] = 0;
	else	/* no /proc (tests/cli/exec_cloexec_noproc.sh): an absolute argv[0] */
		snprintf(self, sizeof self, "%s", argv[0]);
	setup();
	show("before exec");
	fork_exec();
	fork_exec_unchanged();
	failed_exec();
	thread_exec();
	vfork_exec();
	spawn();
	full_table_exec();	/* first: many_fds_exec may raise the host's limit */
	many_fds_exec();
	show("parent at the end");
	return 0;
}
