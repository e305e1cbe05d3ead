/*
 * pkey_probe: what this kernel does with protection keys around signals and
 * syscalls, the facts the isolation design of ufork rests on.  Run natively
 * (it uses WRPKRU itself); prints one "name: value" line per fact.
 *
 *  handler_pkru     PKRU when a signal handler starts (the kernel's init value)
 *  sigreturn_pkru   whether rt_sigreturn loads PKRU from the XSAVE area of the
 *                   frame (a handler changes it there: "restored from frame")
 *  denied_altstack  what happens to a signal delivered while PKRU denies the
 *                   key of the alternate signal stack, to a handler that
 *                   leaves at once without touching the stack (child's
 *                   fate: "delivered" where the kernel writes the frame
 *                   with every key open, 6.12 and later)
 *  syscall_denied   write(2) from a buffer whose key PKRU denies
 *  fault_code       si_code and si_pkey of a read of a denied page
 *  sud_selector     a syscall under Syscall User Dispatch whose selector byte
 *                   is on a key PKRU denies (access, or only writes)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

static inline unsigned rdpkru(void)
{
	unsigned eax, edx, ecx = 0;
	__asm__ volatile(".byte 0x0f,0x01,0xee" : "=a"(eax), "=d"(edx) : "c"(ecx));
	return eax;
}

static inline void wrpkru(unsigned v)
{
	__asm__ volatile(".byte 0x0f,0x01,0xef" : : "a"(v), "c"(0), "d"(0) : "memory");
}

static volatile unsigned seen_pkru;
static volatile int patch_frame;
static volatile unsigned patch_value;
static volatile int fault_code = -1, fault_pkey = -1;


/* offset of the PKRU component in the standard XSAVE layout: CPUID 0xd.9 */
static unsigned pkru_offset(void)
{
	unsigned a, b, c, d;
	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0xd), "c"(9));
	return b;
}

static void on_usr1(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	seen_pkru = rdpkru();
	if (patch_frame) {
		char *xs = (char *)uc->uc_mcontext.fpregs;
		/* xstate_bv bit 9: the PKRU component is present in the frame */
		*(uint64_t *)(xs + 512) |= 1UL << 9;
		memcpy(xs + pkru_offset(), (const void *)&patch_value, 4);
	}
}

static void on_segv(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	fault_code = si->si_code;
#ifdef SEGV_PKUERR
	if (si->si_code == SEGV_PKUERR)
		fault_pkey = si->si_pkey;
#endif
	/* skip the faulting load: movzbl (%rax),%eax, 3 bytes (read_byte) */
	uc->uc_mcontext.gregs[REG_RIP] += 3;
	char *xs = (char *)uc->uc_mcontext.fpregs;
	*(uint64_t *)(xs + 512) |= 1UL << 9;
	unsigned zero = 0;
	memcpy(xs + pkru_offset(), &zero, 4);	/* back to all access */
}

/* a handler that touches no memory: exit_group(0) */
void exit_at_once(int sig);
__asm__(".text\n.type exit_at_once, @function\nexit_at_once:\n"
	"\tmov $231, %eax\n\txor %edi, %edi\n\tsyscall\n\tud2\n");

static int read_byte(const char *p)
{
	int v;
	__asm__ volatile("movzbl (%%rax), %%eax" : "=a"(v) : "a"(p) : "memory");
	return v;
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	long k = syscall(SYS_pkey_alloc, 0UL, 0UL);
	if (k < 0) {
		printf("pkey_alloc: %s\n", strerror(errno));
		return 1;
	}
	unsigned deny_k = 3u << (2 * k);
	struct sigaction sa = { 0 };
	sa.sa_sigaction = on_usr1;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGUSR1, &sa, NULL);

	/* 1 */
	wrpkru(deny_k);
	raise(SIGUSR1);
	printf("handler_pkru: %#x (before the signal: %#x)\n", seen_pkru, deny_k);

	/* 2 */
	patch_value = 0x5555555c;	/* deny every key but 0; key 1 write-only-deny */
	patch_frame = 1;
	raise(SIGUSR1);
	patch_frame = 0;
	unsigned after = rdpkru();
	wrpkru(0);
	printf("sigreturn_pkru: %s (%#x after a handler wrote %#x into the frame)\n",
	       after == patch_value ? "restored from frame" :
	       after == deny_k ? "kept, frame ignored" : "other", after, patch_value);

	/* 3: an alternate stack under key k, PKRU denying k when the signal comes */
	size_t ss = 1 << 16;
	char *alt = mmap(NULL, ss, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (syscall(SYS_pkey_mprotect, alt, ss, PROT_READ | PROT_WRITE, k) < 0) {
		printf("pkey_mprotect: %s\n", strerror(errno));
		return 1;
	}
	pid_t c = fork();
	if (c == 0) {
		stack_t st = { .ss_sp = alt, .ss_size = ss };
		sigaltstack(&st, NULL);
		struct sigaction sx = { 0 };
		sx.sa_handler = exit_at_once;
		sx.sa_flags = SA_ONSTACK;
		sigaction(SIGUSR1, &sx, NULL);
		wrpkru(deny_k);
		syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), SIGUSR1);
		wrpkru(0);
		_exit(3);
	}
	int status;
	waitpid(c, &status, 0);
	if (WIFSIGNALED(status))
		printf("denied_altstack: delivery fails, the thread dies of signal %d\n",
		       WTERMSIG(status));
	else
		printf("denied_altstack: delivered (exit %d)\n", WEXITSTATUS(status));

	/* 4 */
	char *buf = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memcpy(buf, "x\n", 2);
	syscall(SYS_pkey_mprotect, buf, 4096, PROT_READ | PROT_WRITE, k);
	int fd[2];
	pipe(fd);
	wrpkru(deny_k);
	long r = syscall(SYS_write, fd[1], buf, 2);
	int e = errno;
	wrpkru(0);
	printf("syscall_denied: %s\n", r < 0 ? strerror(e) : "allowed");

	/* 5 */
	struct sigaction sv = { 0 };
	sv.sa_sigaction = on_segv;
	sv.sa_flags = SA_SIGINFO;
	sigaction(SIGSEGV, &sv, NULL);
	wrpkru(deny_k);
	(void)read_byte(buf);
	wrpkru(0);
	printf("fault_code: si_code %d (SEGV_PKUERR is 4), si_pkey %d (key %ld)\n",
	       fault_code, fault_pkey, k);

	/* 6: the kernel reads the SUD selector under the PKRU in force */
	char *sel = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	syscall(SYS_pkey_mprotect, sel, 4096, PROT_READ | PROT_WRITE, k);
	for (int wd = 0; wd < 2; wd++) {
		c = fork();
		if (c == 0) {
			*sel = 0;	/* SYSCALL_DISPATCH_FILTER_ALLOW */
			if (prctl(59 /* PR_SET_SYSCALL_USER_DISPATCH */, 1, 0, 0, sel))
				_exit(3);
			wrpkru(wd ? 2u << (2 * k) : deny_k);
			syscall(SYS_getpid);
			_exit(0);
		}
		waitpid(c, &status, 0);
		printf("sud_selector: PKRU %s the selector's key: %s\n",
		       wd ? "write-denies" : "denies", WIFSIGNALED(status) ?
		       (WTERMSIG(status) == SIGSEGV ? "the syscall kills the thread (SIGSEGV)" :
			"the thread dies of another signal") :
		       WEXITSTATUS(status) == 0 ? "the syscall runs" : "prctl failed");
	}
	return 0;
}
