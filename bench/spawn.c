/*
 * spawn.c - Unixbench-style "process creation": COUNT times fork, the child
 * _exit(0)s at once, the parent waitpid()s it.
 *
 *   spawn [COUNT]          default 1000
 *
 * Ten untimed warm-up iterations, then the COUNT iterations are timed as one
 * block.  Prints `spawn_count`, `spawn_total_ms` and `spawn_per_iter_us`.
 * A failing fork (e.g. ENOSYS) or a child that does not exit 0 is an error
 * (stderr, exit 3).
 */
#include <errno.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

static void once(void)
{
	pid_t pid = fork();
	if (pid < 0)
		fail_errno("fork", errno);
	if (pid == 0)
		_exit(0);
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			fail_errno("waitpid", errno);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "child: unexpected wait status %#x\n", st);
		exit(3);
	}
}

int main(int argc, char **argv)
{
	long count = argc > 1 ? parse_count(argv[1], 1) : 1000;
	for (int i = 0; i < 10; i++)
		once();
	double t0 = now_ns();
	for (long i = 0; i < count; i++)
		once();
	double t = now_ns() - t0;
	printf("spawn_count %ld\nspawn_total_ms %.2f\nspawn_per_iter_us %.2f\n",
	       count, t / 1e6, t / 1e3 / count);
	return 0;
}
