/*
 * fast_sites.c - the syscall sites --fast-syscalls treats specially, run
 * natively and under `ufork run --fast-syscalls` with the same expected output
 * (tests/cli/fast_syscalls.sh):
 *  - a leaf function keeping data below %rsp across a syscall (the red zone):
 *    its site must stay a `syscall`, or the call's return address would
 *    overwrite that data;
 *  - syscall numbers that are no address of the trampoline: past the sled,
 *    above 4096, in the kernel half, not canonical: ENOSYS, as on Linux;
 *  - a syscall made with no stack below %rsp (as musl's __unmapself makes
 *    its exit): the call cannot push its return address, the syscall still
 *    happens.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

/* ts lives in the red zone: gcc keeps a leaf function's locals below %rsp */
static __attribute__((noinline)) long redzone_clock(void)
{
	volatile long ts[2] = { 0x1111, 0x2222 };
	volatile long guard = 0x5a5a5a5a;
	long r;
	__asm__ volatile("syscall"
			 : "=a"(r)
			 : "a"((long)SYS_clock_gettime), "D"(1L), "S"(ts)
			 : "rcx", "r11", "memory");
	return r == 0 && ts[0] > 0 && guard == 0x5a5a5a5a;
}

static __attribute__((noinline)) long raw(long nr)
{
	long r;
	__asm__ volatile("syscall" : "=a"(r) : "a"(nr) : "rcx", "r11", "memory");
	return r;
}

/* getpid with %rsp at the bottom of a mapping whose page below is gone */
static __attribute__((noinline)) long on_edge(long nr, void *sp)
{
	long r;
	__asm__ volatile("mov %%rsp, %%r12\n\t"
			 "mov %2, %%rsp\n\t"
			 "syscall\n\t"
			 "mov %%r12, %%rsp"
			 : "=a"(r)
			 : "a"(nr), "r"(sp)
			 : "rcx", "r11", "r12", "memory");
	return r;
}

int main(void)
{
	printf("red zone kept across a syscall: %ld\n", redzone_clock());
	static const long bad[] = { 497, 498, 499, 500, 501, 520, 4095, 5000, 70000, -1, -4096, 1L << 47,
				    0x7fffffffffffL, 0x12345678912L };
	for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++)
		printf("syscall %#lx: %s\n", bad[i], raw(bad[i]) == -ENOSYS ? "ENOSYS" : "other");
	char *m = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED || munmap(m, 4096) < 0)
		return 1;
	long r = on_edge(SYS_getpid, m + 4096);
	printf("getpid with no stack below rsp: %s\n", r == getpid() ? "ok" : "wrong");
	r = on_edge(SYS_getppid, m + 4096);
	printf("getppid with no stack below rsp: %s\n", r == getppid() ? "ok" : "wrong");
	return 0;
}
