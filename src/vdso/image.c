/*
 * vdso/image.c - the vDSO µprocesses get: built as a tiny shared object
 * (build/vdso.so), embedded in the runtime (vdso_image.S) and mapped once
 * for all µprocesses by src/vdso.c, which gives its address as
 * AT_SYSINFO_EHDR.  musl finds __vdso_clock_gettime and __vdso_getcpu in it
 * by name (DT_HASH, no versions needed).
 *
 * Each function jumps to the host's vDSO code through `ufork_vdso_table`,
 * which the runtime fills in before it seals the page.  The host's code
 * reads the kernel's clock page and needs no TLS or runtime state, so it
 * runs on the µprocess's thread as is; what it cannot answer there (CPU-time
 * clocks, bad clock ids) it asks with a `syscall`, which Syscall User
 * Dispatch traps into the runtime like any µprocess syscall.  A function the
 * host lacks makes the syscall itself.
 *
 * Invariants: one PT_LOAD (read+exec), no writable data and no relocations,
 * so the file's bytes are the image; the table is only written before the
 * page is sealed.
 */
#include <stddef.h>

struct timespec;
struct timeval;

enum { CLOCK_GETTIME, GETTIMEOFDAY, TIME, GETCPU, NFUNCS };

/* Read-only data: two names for one table, a hidden one this code reaches
 * RIP-relative (no GOT, no relocation) and an exported one the runtime
 * looks up to fill it. */
__asm__(".section .rodata\n"
	".balign 8\n"
	".globl ufork_vdso_table\n"
	".hidden ufork_vdso_table\n"
	".globl ufork_vdso_table_export\n"
	".type ufork_vdso_table_export, @object\n"
	".size ufork_vdso_table_export, 32\n"
	"ufork_vdso_table:\n"
	"ufork_vdso_table_export:\n"
	".zero 32\n"
	".previous\n");
extern void *const volatile ufork_vdso_table[NFUNCS] __attribute__((visibility("hidden")));

static long sys3(long nr, long a, long b, long c)
{
	long r;
	__asm__ volatile("syscall" : "=a"(r) : "a"(nr), "D"(a), "S"(b), "d"(c)
			 : "rcx", "r11", "memory");
	return r;
}

#define EXPORT __attribute__((visibility("default")))

EXPORT int __vdso_clock_gettime(int clock, struct timespec *ts)
{
	int (*f)(int, struct timespec *) = ufork_vdso_table[CLOCK_GETTIME];
	return f ? f(clock, ts) : (int)sys3(228, clock, (long)ts, 0);
}

EXPORT int __vdso_gettimeofday(struct timeval *tv, void *tz)
{
	int (*f)(struct timeval *, void *) = ufork_vdso_table[GETTIMEOFDAY];
	return f ? f(tv, tz) : (int)sys3(96, (long)tv, (long)tz, 0);
}

EXPORT long __vdso_time(long *t)
{
	long (*f)(long *) = ufork_vdso_table[TIME];
	return f ? f(t) : sys3(201, (long)t, 0, 0);
}

EXPORT int __vdso_getcpu(unsigned *cpu, unsigned *node, void *cache)
{
	int (*f)(unsigned *, unsigned *, void *) = ufork_vdso_table[GETCPU];
	return f ? f(cpu, node, cache) : (int)sys3(309, (long)cpu, (long)node, (long)cache);
}

/* The names Linux's vDSO also exports without the prefix. */
EXPORT int clock_gettime(int, struct timespec *) __attribute__((alias("__vdso_clock_gettime")));
EXPORT int gettimeofday(struct timeval *, void *) __attribute__((alias("__vdso_gettimeofday")));
EXPORT long time(long *) __attribute__((alias("__vdso_time")));
EXPORT int getcpu(unsigned *, unsigned *, void *) __attribute__((alias("__vdso_getcpu")));
