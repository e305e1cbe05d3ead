/* posix_sched_pid: calls that take a pid (affinity, scheduler, priority)
 * name µprocesses: the caller by pid 0 or its own pid, a child by its pid,
 * and an unknown pid gives ESRCH. */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
int main(void)
{
	cpu_set_t s;
	CPU_ZERO(&s);
	printf("getaffinity(0): %d, has a cpu: %d\n", sched_getaffinity(0, sizeof s, &s), CPU_COUNT(&s) > 0);
	printf("getaffinity(self): %d\n", sched_getaffinity(getpid(), sizeof s, &s));
	int p[2];
	pipe(p);
	pid_t c = fork();
	if (!c) {
		char b;
		read(p[0], &b, 1);
		_exit(0);
	}
	printf("getscheduler(child) is OTHER: %d\n", sched_getscheduler(c) == SCHED_OTHER);
	errno = 0;
	int before = getpriority(PRIO_PROCESS, c);
	printf("setpriority(child, +5): %d\n", setpriority(PRIO_PROCESS, c, before + 5));
	printf("child priority went up by 5: %d\n", getpriority(PRIO_PROCESS, c) == before + 5);
	printf("my priority unchanged: %d\n", getpriority(PRIO_PROCESS, 0) == before);
	write(p[1], "x", 1);
	waitpid(c, 0, 0);
	int r = sched_getaffinity(999999, sizeof s, &s);
	printf("unknown pid: %d %s\n", r, r < 0 && errno == ESRCH ? "ESRCH" : "?");
	return 0;
}
