/*
 * bench.h - helpers shared by the ufork benchmarks (header-only; every
 * benchmark is one .c file built with tools/ufork-cc).
 *
 * Output convention: one `key value` pair per line on stdout, for
 * bench/run.sh to grep.  Errors go to stderr as one line `what: ENAME (text)`
 * and the program exits with status 3; bench/run.sh shows that line as the
 * reason in its "n/a (...)" cell.
 */
#ifndef UFORK_BENCH_H
#define UFORK_BENCH_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static inline double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* Sorts v in place; returns the median (mean of the two middle values for
 * an even count). */
static inline double median(double *v, int n)
{
	qsort(v, n, sizeof *v, cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static inline const char *errno_name(int e)
{
	switch (e) {
	case ENOSYS: return "ENOSYS";
	case EAGAIN: return "EAGAIN";
	case ENOMEM: return "ENOMEM";
	case ECHILD: return "ECHILD";
	case EINVAL: return "EINVAL";
	case EPERM: return "EPERM";
	case EFAULT: return "EFAULT";
	case EINTR: return "EINTR";
	case EBADF: return "EBADF";
	case ENOENT: return "ENOENT";
	case EMFILE: return "EMFILE";
	default: return "errno";
	}
}

/* `what: ENOSYS (Function not implemented)` on stderr, exit 3. */
static inline void fail_errno(const char *what, int e) __attribute__((noreturn));
static inline void fail_errno(const char *what, int e)
{
	fprintf(stderr, "%s: %s (%s)\n", what, errno_name(e), strerror(e));
	exit(3);
}

static inline void fail(const char *msg) __attribute__((noreturn));
static inline void fail(const char *msg)
{
	fprintf(stderr, "%s\n", msg);
	exit(3);
}

/* "0", "4096", "64K", "1M", "128M", "1G" -> bytes; exits on garbage. */
static inline size_t parse_size(const char *s)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s)
		goto bad;
	switch (*end) {
	case 'k': case 'K': v <<= 10; end++; break;
	case 'm': case 'M': v <<= 20; end++; break;
	case 'g': case 'G': v <<= 30; end++; break;
	}
	if (*end == 'B' || *end == 'b')
		end++;
	if (*end)
		goto bad;
	return v;
bad:
	fprintf(stderr, "bad size '%s' (want e.g. 0, 4096, 1M, 128M)\n", s);
	exit(2);
}

static inline long parse_count(const char *s, long min)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (*end || end == s || v < min) {
		fprintf(stderr, "bad count '%s' (want an integer >= %ld)\n", s, min);
		exit(2);
	}
	return v;
}

#endif
