/*
 * fork_threaded_affinity: a parent with a second thread forks 100 times,
 * idling between forks (so the child's thread may be asleep when the fork
 * begins, and is made to run on the forking thread's CPU), and every child
 * has the parent's CPU affinity and file descriptors.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

static int hold[2];

static void *sleeper(void *arg)
{
	char c;
	(void)arg;
	return read(hold[0], &c, 1) < 0 ? NULL : arg;	/* until the end */
}

int main(void)
{
	cpu_set_t set;
	if (pipe(hold) < 0 || sched_getaffinity(0, sizeof set, &set) < 0)
		return 1;
	int want = CPU_COUNT(&set), bad = 0;
	pthread_t th;
	if (pthread_create(&th, NULL, sleeper, NULL) != 0)
		return 1;
	for (int i = 0; i < 100; i++) {
		usleep(300);	/* longer than a spare spins: it sleeps */
		pid_t pid = fork();
		if (pid == 0) {
			cpu_set_t mine;
			int n = sched_getaffinity(0, sizeof mine, &mine) == 0 ? CPU_COUNT(&mine) : -1;
			_exit(n == want && fcntl(hold[0], F_GETFD) >= 0 ? 0 : 1);
		}
		int st;
		bad += waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0;
	}
	close(hold[1]);
	pthread_join(th, NULL);
	printf("100 children of a two-threaded parent: %d with another affinity or fds\n", bad);
	return 0;
}
