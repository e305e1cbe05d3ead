/*
 * fork.c - fork latency with R bytes of touched heap in the parent.
 *
 *   fork [R [N]]      R: 0, 4096, 1M, 16M, 128M, ... (default 0)
 *                     N: iterations (default 200, or 20 when R >= 128M)
 *
 * The parent mallocs R bytes and writes every page.  Before every timed
 * iteration (untimed) it writes one byte per page again, so each fork sees
 * R bytes of freshly dirtied private memory (natively this also undoes the
 * write-protection the previous fork left on the parent's PTEs).
 *
 *   (a) fork_wait:   t0; fork(); child _exit(0)s at once; parent
 *                    waitpid()s it; t1.  Full create + exit + reap cost.
 *   (b) fork_return: t0; fork(); t1 as soon as fork returns in the parent
 *                    (the child is then reaped outside the timed region).
 *
 * Two untimed warm-up forks first; (a) and (b) are separate loops of N.
 * Prints `fork_bytes`, `fork_iterations`, and the median (`fork_wait_us`,
 * `fork_return_us`) and fastest (`..._min`) iteration in µs.  Timestamps are
 * CLOCK_MONOTONIC; under ufork each clock_gettime is itself a trapped call,
 * adding about one `clock_gettime_ns` of bench/syscall to every sample.
 * A child that does not exit 0, or a failing fork (e.g. ENOSYS), is an error
 * (stderr, exit 3).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

#define PAGE 4096

char *mem;		/* global: the stores must not be optimised away */
size_t mem_size;

static void touch(void)
{
	for (size_t i = 0; i < mem_size; i += PAGE)
		mem[i]++;
}

static void reap(pid_t pid)
{
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			fail_errno("waitpid", errno);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "child: unexpected wait status %#x\n", st);
		exit(3);
	}
}

static pid_t xfork(void)
{
	pid_t pid = fork();
	if (pid < 0)
		fail_errno("fork", errno);
	if (pid == 0)
		_exit(0);
	return pid;
}

int main(int argc, char **argv)
{
	mem_size = argc > 1 ? parse_size(argv[1]) : 0;
	long n = argc > 2 ? parse_count(argv[2], 1)
			  : mem_size >= (128UL << 20) ? 20 : 200;
	if (mem_size) {
		mem = malloc(mem_size);
		if (!mem)
			fail_errno("malloc", ENOMEM);
		memset(mem, 1, mem_size);
	}
	double *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b);
	if (!a || !b)
		fail_errno("malloc", ENOMEM);

	for (int i = 0; i < 2; i++)
		reap(xfork());

	for (long i = 0; i < n; i++) {
		touch();
		double t0 = now_ns();
		pid_t pid = xfork();
		reap(pid);
		a[i] = (now_ns() - t0) / 1e3;
	}
	for (long i = 0; i < n; i++) {
		touch();
		double t0 = now_ns();
		pid_t pid = xfork();
		b[i] = (now_ns() - t0) / 1e3;
		reap(pid);
	}
	double ma = median(a, n), mb = median(b, n);
	printf("fork_bytes %zu\nfork_iterations %ld\n", mem_size, n);
	printf("fork_wait_us %.1f\nfork_wait_us_min %.1f\n", ma, a[0]);
	printf("fork_return_us %.1f\nfork_return_us_min %.1f\n", mb, b[0]);
	return 0;
}
