/*
 * context1.c - Unixbench-style "pipe-based context switching": two processes
 * (fork) pass an incrementing counter back and forth through two pipes until
 * it reaches COUNT.
 *
 *   context1 [COUNT]       default 100000
 *
 * Prints `context1_count`, `context1_total_ms` and `context1_roundtrip_us`
 * (one round trip = two switches).  A short read, a wrong value or a child
 * that does not exit 0 is an error (stderr, exit 3).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

static void xfer(int rfd, int wfd, unsigned long *v)
{
	if (read(rfd, v, sizeof *v) != sizeof *v)
		fail("short read");
	++*v;
	if (write(wfd, v, sizeof *v) != sizeof *v)
		fail("short write");
}

int main(int argc, char **argv)
{
	long count = argc > 1 ? parse_count(argv[1], 2) : 100000;
	int p2c[2], c2p[2];
	if (pipe(p2c) || pipe(c2p))
		fail_errno("pipe", errno);
	pid_t pid = fork();
	if (pid < 0)
		fail_errno("fork", errno);
	if (pid == 0) {
		unsigned long v = 0;
		while (v < (unsigned long)count - 1)
			xfer(p2c[0], c2p[1], &v);
		_exit(0);
	}
	unsigned long v = 0;
	double t0 = now_ns();
	if (write(p2c[1], &v, sizeof v) != sizeof v)
		fail("short write");
	while (v < (unsigned long)count - 2)
		xfer(c2p[0], p2c[1], &v);
	if (read(c2p[0], &v, sizeof v) != sizeof v || v != (unsigned long)count - 1)
		fail("wrong final value");
	double t1 = now_ns();
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			fail_errno("waitpid", errno);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail("child failed");
	printf("context1_count %ld\n", count);
	printf("context1_total_ms %.1f\n", (t1 - t0) / 1e6);
	printf("context1_roundtrip_us %.2f\n", (t1 - t0) / 1e3 / (count / 2.0));
	return 0;
}
