/*
 * forkmem.c - host memory used per forked, idle process.
 *
 *   forkmem [C [R [SETTLE_MS [ROUNDS]]]]
 *       C          children (default 200)
 *       R          bytes of written heap in the parent (default 0; 1M, 16M..)
 *       SETTLE_MS  pause before each MemAvailable reading (default 1000)
 *       ROUNDS     measurement cycles, median reported (default 3)
 *
 * One cycle: read MemAvailable (A); fork C children and wait until each has
 * reported in on a `ready` pipe (each child then blocks in read() on a
 * `release` pipe); read MemAvailable (B); close the write end of `release`
 * (every child sees EOF and _exit(0)s) and reap them all; read MemAvailable
 * again (A').  The pause before each reading lets freed and allocated pages
 * reach the global counters.
 *
 * MemAvailable is system-wide, and on a shared machine it drifts by MB/s.
 * The drift is cancelled by interpolating between A and A' to the time of B:
 * drop = A + (A' - A) * (tB - tA) / (tA' - tA) - B.  (Memory the process
 * keeps after reaping, e.g. a cache of thread stacks, is partly counted as
 * drift by this; `forkmem_drop_raw_kb` = A - B is printed too.)
 *
 * Prints `forkmem_children`, `forkmem_parent_bytes`, `forkmem_rounds`,
 * `forkmem_drop_kb`, `forkmem_drop_raw_kb`, `forkmem_kb_per_child`
 * (drop / C) and `forkmem_kb_per_child_raw`.  FORKMEM_VERBOSE=1 in the
 * environment shows each cycle's readings on stderr.  A failing fork (e.g.
 * ENOSYS, EAGAIN) is an error after the children already forked have been
 * released and reaped (stderr, exit 3).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

char *mem;		/* global: the stores must not be optimised away */

static long mem_available_kb(void)
{
	char buf[8192];
	int fd = open("/proc/meminfo", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		fail_errno("open /proc/meminfo", errno);
	ssize_t len = 0, r;
	while (len < (ssize_t)sizeof buf - 1 &&
	       (r = read(fd, buf + len, sizeof buf - 1 - len)) > 0)
		len += r;
	close(fd);
	buf[len > 0 ? len : 0] = 0;
	char *p = strstr(buf, "MemAvailable:");
	if (!p)
		fail("/proc/meminfo: no MemAvailable line");
	return strtol(p + strlen("MemAvailable:"), NULL, 10);
}

static void settle(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Close `release`, reap every child; returns the number that did not exit 0. */
static int release_and_reap(int release_w, pid_t *pids, long n)
{
	int bad = 0;
	close(release_w);
	for (long i = 0; i < n; i++) {
		int st;
		while (waitpid(pids[i], &st, 0) < 0) {
			if (errno != EINTR)
				fail_errno("waitpid", errno);
		}
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			bad++;
	}
	return bad;
}

/* One cycle: returns the drift-corrected drop in kB, *raw_kb the plain
 * before - with-children difference. */
static double cycle(long c, long settle_ms, pid_t *pids, double *raw_kb, int verbose)
{
	int release[2], ready[2];
	if (pipe(release) < 0 || pipe(ready) < 0)
		fail_errno("pipe", errno);

	settle(settle_ms);
	long a = mem_available_kb();
	double ta = now_ns();

	long n;
	for (n = 0; n < c; n++) {
		pid_t pid = fork();
		if (pid < 0) {
			int e = errno;
			release_and_reap(release[1], pids, n);
			fail_errno("fork", e);
		}
		if (pid == 0) {
			char ch = 'r';
			close(release[1]);
			close(ready[0]);
			if (write(ready[1], &ch, 1) != 1)
				_exit(1);
			close(ready[1]);
			while (read(release[0], &ch, 1) < 0 && errno == EINTR)
				;
			_exit(0);
		}
		pids[n] = pid;
	}
	close(ready[1]);
	for (long got = 0; got < c;) {
		char buf[256];
		ssize_t k = read(ready[0], buf, sizeof buf);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			release_and_reap(release[1], pids, n);
			fail("ready pipe: EOF before every child reported in");
		}
		got += k;
	}
	close(ready[0]);

	settle(settle_ms);
	long b = mem_available_kb();
	double tb = now_ns();

	int bad = release_and_reap(release[1], pids, n);
	close(release[0]);
	if (bad) {
		fprintf(stderr, "%d children did not exit 0\n", bad);
		exit(3);
	}
	settle(settle_ms);
	long after = mem_available_kb();
	double tc = now_ns();

	/* MemAvailable as it would have been at tb without the children:
	 * interpolated between the readings before forking and after reaping. */
	double base = a + (double)(after - a) * (tb - ta) / (tc - ta);
	*raw_kb = a - b;
	if (verbose)
		fprintf(stderr, "forkmem: before %ld, with children %ld, after reaping %ld kB\n",
			a, b, after);
	return base - b;
}

int main(int argc, char **argv)
{
	long c = argc > 1 ? parse_count(argv[1], 1) : 200;
	size_t r = argc > 2 ? parse_size(argv[2]) : 0;
	long settle_ms = argc > 3 ? parse_count(argv[3], 0) : 1000;
	int rounds = argc > 4 ? parse_count(argv[4], 1) : 3;

	if (r) {
		mem = malloc(r);
		if (!mem)
			fail_errno("malloc", ENOMEM);
		memset(mem, 1, r);
	}
	pid_t *pids = malloc(c * sizeof *pids);
	double *drop = malloc(rounds * sizeof *drop), *raw = malloc(rounds * sizeof *raw);
	if (!pids || !drop || !raw)
		fail_errno("malloc", ENOMEM);

	for (int i = 0; i < rounds; i++)
		drop[i] = cycle(c, settle_ms, pids, &raw[i], getenv("FORKMEM_VERBOSE") != NULL);

	double d = median(drop, rounds), dr = median(raw, rounds);
	printf("forkmem_children %ld\nforkmem_parent_bytes %zu\nforkmem_rounds %d\n",
	       c, r, rounds);
	printf("forkmem_drop_kb %.0f\nforkmem_drop_raw_kb %.0f\n", d, dr);
	printf("forkmem_kb_per_child %.1f\nforkmem_kb_per_child_raw %.1f\n", d / c, dr / c);
	return 0;
}
