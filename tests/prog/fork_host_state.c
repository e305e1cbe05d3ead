/*
 * fork_host_state: what a child inherits from the forking thread's host
 * state - credentials, thread name, nice value, CPU affinity - is the
 * forking thread's at the moment of the fork, also when earlier forks
 * came first and when the forking thread is not the main thread.  First,
 * fork after fork with no fd opened or closed in between (one pipe, made
 * first) while the parent, or a child before it exits, changes its thread
 * name, nice value or affinity: every child has its parent's state of the
 * moment of its fork, never an earlier child's.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

struct state {
	char name[16];
	int nice;
	int ncpu;
	uid_t uid;
	gid_t gid;
};

static void get_state(struct state *s)
{
	memset(s, 0, sizeof *s);
	prctl(PR_GET_NAME, s->name);
	errno = 0;
	s->nice = getpriority(PRIO_PROCESS, 0);
	cpu_set_t set;
	s->ncpu = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : -1;
	s->uid = geteuid();
	s->gid = getegid();
}

/* Forks a child that compares its state with the parent's at fork time. */
static void check(const char *what)
{
	struct state before, in_child;
	get_state(&before);
	int fds[2];
	if (pipe(fds) < 0)
		return;
	pid_t pid = fork();
	if (pid == 0) {
		get_state(&in_child);
		if (write(fds[1], &in_child, sizeof in_child) < 0)
			_exit(2);
		_exit(0);
	}
	close(fds[1]);
	int st;
	waitpid(pid, &st, 0);	/* first: the state fits in the pipe */
	int ok = read(fds[0], &in_child, sizeof in_child) == sizeof in_child;
	close(fds[0]);
	printf("%s: name %s, nice %s, affinity %s, credentials %s, status %d\n", what,
	       ok && !strcmp(before.name, in_child.name) ? "same" : "DIFFERENT",
	       ok && before.nice == in_child.nice ? "same" : "DIFFERENT",
	       ok && before.ncpu == in_child.ncpu ? "same" : "DIFFERENT",
	       ok && before.uid == in_child.uid && before.gid == in_child.gid ? "same" : "DIFFERENT",
	       WEXITSTATUS(st));
}

static int shared_pipe[2];

/* A child reports its state through the pipe made once, then (change)
 * changes it before it exits. */
static void check_in_turn(const char *what, int change)
{
	struct state before, in_child;
	get_state(&before);
	pid_t pid = fork();
	if (pid == 0) {
		get_state(&in_child);
		if (write(shared_pipe[1], &in_child, sizeof in_child) != sizeof in_child)
			_exit(2);
		if (change == 1)
			prctl(PR_SET_NAME, "child-renamed");
		if (change == 2)
			setpriority(PRIO_PROCESS, 0, getpriority(PRIO_PROCESS, 0) + 2);
		if (change == 3) {
			cpu_set_t one;
			CPU_ZERO(&one);
			CPU_SET(sched_getcpu(), &one);
			sched_setaffinity(0, sizeof one, &one);
		}
		_exit(0);
	}
	int st;
	waitpid(pid, &st, 0);
	int ok = read(shared_pipe[0], &in_child, sizeof in_child) == sizeof in_child;
	printf("in turn, %s: name %s, nice %s, affinity %s, status %d\n", what,
	       ok && !strcmp(before.name, in_child.name) ? "same" : "DIFFERENT",
	       ok && before.nice == in_child.nice ? "same" : "DIFFERENT",
	       ok && before.ncpu == in_child.ncpu ? "same" : "DIFFERENT", WEXITSTATUS(st));
}

static void in_turn(void)
{
	if (pipe(shared_pipe) < 0)
		return;
	for (int i = 0; i < 3; i++)
		check_in_turn("plain", 0);
	check_in_turn("child renames itself", 1);
	check_in_turn("after a child renamed itself", 0);
	check_in_turn("child lowers its priority", 2);
	check_in_turn("after a child lowered its priority", 0);
	check_in_turn("child narrows its affinity", 3);
	check_in_turn("after a child narrowed its affinity", 0);
	prctl(PR_SET_NAME, "renamed-first");
	check_in_turn("after PR_SET_NAME", 0);
	check_in_turn("plain", 0);
	setpriority(PRIO_PROCESS, 0, getpriority(PRIO_PROCESS, 0) + 1);
	check_in_turn("after setpriority", 0);
	check_in_turn("plain", 0);
	cpu_set_t one;
	CPU_ZERO(&one);
	CPU_SET(sched_getcpu(), &one);
	sched_setaffinity(0, sizeof one, &one);
	check_in_turn("after sched_setaffinity", 0);
	check_in_turn("plain", 0);
	close(shared_pipe[0]);
	close(shared_pipe[1]);
}

static void *thread_main(void *arg)
{
	prctl(PR_SET_NAME, "forker-thread");
	check((const char *)arg);
	return NULL;
}

int main(void)
{
	in_turn();
	check("first fork");
	check("second fork");
	prctl(PR_SET_NAME, "renamed");
	check("after PR_SET_NAME");
	setpriority(PRIO_PROCESS, 0, getpriority(PRIO_PROCESS, 0) + 1);
	check("after setpriority");
	cpu_set_t one;
	CPU_ZERO(&one);
	CPU_SET(sched_getcpu(), &one);
	sched_setaffinity(0, sizeof one, &one);
	check("after sched_setaffinity");
	pthread_t th;
	pthread_create(&th, NULL, thread_main, "from a second thread");
	pthread_join(th, NULL);
	if (getuid() == 0) {	/* as root: drop to nobody, then fork */
		if (setgid(65534) == 0 && setuid(65534) == 0)
			check("after setuid");
	} else {
		check("after setuid");	/* same line either way */
	}
	check("again");
	return 0;
}
