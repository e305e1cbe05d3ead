/*
 * syscall.c - cost of one trivial system call.
 *
 *   syscall [N [ROUNDS]]        defaults: N = 200000 calls, ROUNDS = 5
 *
 * For each call below, times ROUNDS rounds of N back-to-back calls (after one
 * untimed warm-up round) with clock_gettime(CLOCK_MONOTONIC) and prints the
 * median round as ns/call (`NAME_ns`) and the fastest round (`NAME_ns_min`):
 *
 *   getppid        syscall(SYS_getppid): emulated by ufork (answered in the
 *                  runtime's SIGSYS handler, no host syscall)
 *   getuid         syscall(SYS_getuid): forwarded by ufork to the host kernel
 *   read_ebadf     syscall(SYS_read, -1, NULL, 0) -> EBADF: forwarded too
 *   open_close     open("/dev/null", O_RDONLY) then close: a path the
 *                  runtime reads and classifies (procfs.c), one pair
 *   clock_gettime  clock_gettime(CLOCK_MONOTONIC): natively the vDSO (no
 *                  kernel entry); under ufork a trapped call (µprocesses have
 *                  no vDSO) answered from the runtime's own vDSO
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

static __attribute__((noinline)) void loop_getppid(long n)
{
	for (long i = 0; i < n; i++)
		syscall(SYS_getppid);
}

static __attribute__((noinline)) void loop_getuid(long n)
{
	for (long i = 0; i < n; i++)
		syscall(SYS_getuid);
}

static __attribute__((noinline)) void loop_read_ebadf(long n)
{
	for (long i = 0; i < n; i++)
		syscall(SYS_read, -1, NULL, 0);
}

static __attribute__((noinline)) void loop_open_close(long n)
{
	for (long i = 0; i < n; i++)
		close(open("/dev/null", O_RDONLY));
}

static __attribute__((noinline)) void loop_clock_gettime(long n)
{
	struct timespec ts;
	for (long i = 0; i < n; i++)
		clock_gettime(CLOCK_MONOTONIC, &ts);
}

static void bench(const char *name, void (*loop)(long), long n, int rounds)
{
	double v[rounds];
	loop(n / 10 + 1);	/* warm-up */
	for (int r = 0; r < rounds; r++) {
		double t0 = now_ns();
		loop(n);
		v[r] = (now_ns() - t0) / n;
	}
	double med = median(v, rounds);
	printf("%s_ns %.1f\n%s_ns_min %.1f\n", name, med, name, v[0]);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? parse_count(argv[1], 1) : 200000;
	int rounds = argc > 2 ? parse_count(argv[2], 1) : 5;

	/* Sanity: the calls do what we think they do. */
	if (syscall(SYS_getppid) < 0)
		fail_errno("getppid", errno);
	if (syscall(SYS_getuid) < 0)
		fail_errno("getuid", errno);
	if (syscall(SYS_read, -1, NULL, 0) != -1 || errno != EBADF)
		fail("read(-1, NULL, 0): expected EBADF");
	int fd = open("/dev/null", O_RDONLY);
	if (fd < 0)
		fail_errno("open /dev/null", errno);
	close(fd);
	struct timespec ts;
	if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0)
		fail_errno("clock_gettime", errno);

	printf("syscall_iterations %ld\nsyscall_rounds %d\n", n, rounds);
	bench("getppid", loop_getppid, n, rounds);
	bench("getuid", loop_getuid, n, rounds);
	bench("read_ebadf", loop_read_ebadf, n, rounds);
	bench("open_close", loop_open_close, n, rounds);
	bench("clock_gettime", loop_clock_gettime, n, rounds);
	return 0;
}
