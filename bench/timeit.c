/*
 * timeit.c - start-to-exit wall time of a command, measured from outside.
 * Always run natively (it is the driver's timer, not a benchmark subject).
 *
 *   timeit K PROGRAM [ARGS...]
 *
 * Runs PROGRAM (a path; no PATH search) K times one after the other, each
 * with posix_spawn (musl: clone(CLONE_VM|CLONE_VFORK)) and waitpid, stdout
 * sent to /dev/null, stderr inherited; two untimed warm-up runs come first.
 * Each run is timed from just before posix_spawn to just after waitpid with
 * CLOCK_MONOTONIC.  Prints `start_ms` (median), `start_ms_min`,
 * `start_ms_max` and `start_runs`.  Any run that does not exit with status 0
 * stops it: a `timeit: PROGRAM: exit status N` line on stderr (after
 * whatever PROGRAM printed there), exit 3.
 */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

extern char **environ;

static double run_once(char **argv, posix_spawn_file_actions_t *fa)
{
	pid_t pid;
	int st;
	double t0 = now_ns();
	int e = posix_spawn(&pid, argv[0], fa, NULL, argv, environ);
	if (e)
		fail_errno("posix_spawn", e);
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			fail_errno("waitpid", errno);
	double t = now_ns() - t0;
	if (WIFSIGNALED(st)) {
		fprintf(stderr, "timeit: %s: killed by signal %d\n", argv[0], WTERMSIG(st));
		exit(3);
	}
	if (WEXITSTATUS(st)) {
		fprintf(stderr, "timeit: %s: exit status %d\n", argv[0], WEXITSTATUS(st));
		exit(3);
	}
	return t;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: timeit K PROGRAM [ARGS...]\n");
		return 2;
	}
	int k = parse_count(argv[1], 1);
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);

	double *v = malloc(k * sizeof *v);
	if (!v)
		fail_errno("malloc", ENOMEM);
	for (int i = 0; i < 2; i++)
		run_once(argv + 2, &fa);
	for (int i = 0; i < k; i++)
		v[i] = run_once(argv + 2, &fa) / 1e6;
	double med = median(v, k);
	printf("start_runs %d\nstart_ms %.3f\nstart_ms_min %.3f\nstart_ms_max %.3f\n",
	       k, med, v[0], v[k - 1]);
	return 0;
}
