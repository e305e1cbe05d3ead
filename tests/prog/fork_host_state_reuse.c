/*
 * fork_host_state_reuse: fork after fork with no fd opened or closed in
 * between (one pipe, made first), while the parent, or a child before it
 * exits, changes thread name, nice value or CPU affinity: every child has
 * its parent's state of the moment of its fork, never an earlier child's.
 */
#define _GNU_SOURCE
#include <errno.h>
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
};

static int fds[2];

static void get_state(struct state *s)
{
	memset(s, 0, sizeof *s);
	prctl(PR_GET_NAME, s->name);
	errno = 0;
	s->nice = getpriority(PRIO_PROCESS, 0);
	cpu_set_t set;
	s->ncpu = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : -1;
}

/* A child reports its state, then (change) changes it before exiting. */
static void check(const char *what, int change)
{
	struct state before, in_child;
	get_state(&before);
	pid_t pid = fork();
	if (pid == 0) {
		get_state(&in_child);
		if (write(fds[1], &in_child, sizeof in_child) != sizeof in_child)
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
	int ok = read(fds[0], &in_child, sizeof in_child) == sizeof in_child;
	printf("%s: name %s, nice %s, affinity %s, status %d\n", what,
	       ok && !strcmp(before.name, in_child.name) ? "same" : "DIFFERENT",
	       ok && before.nice == in_child.nice ? "same" : "DIFFERENT",
	       ok && before.ncpu == in_child.ncpu ? "same" : "DIFFERENT", WEXITSTATUS(st));
}

int main(void)
{
	if (pipe(fds) < 0)
		return 1;
	for (int i = 0; i < 3; i++)
		check("plain", 0);
	check("child renames itself", 1);
	check("after a child renamed itself", 0);
	check("child lowers its priority", 2);
	check("after a child lowered its priority", 0);
	check("child narrows its affinity", 3);
	check("after a child narrowed its affinity", 0);
	check("plain", 0);
	prctl(PR_SET_NAME, "renamed");
	check("after PR_SET_NAME", 0);
	check("plain", 0);
	setpriority(PRIO_PROCESS, 0, getpriority(PRIO_PROCESS, 0) + 1);
	check("after setpriority", 0);
	check("plain", 0);
	cpu_set_t one;
	CPU_ZERO(&one);
	CPU_SET(sched_getcpu(), &one);
	sched_setaffinity(0, sizeof one, &one);
	check("after sched_setaffinity", 0);
	check("plain", 0);
	return 0;
}
