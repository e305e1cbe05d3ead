/*
 * sud.c - host-side entry plumbing: kernel feature checks, the runtime's host
 * signal handlers, and the per-host-thread entry block.
 *
 * Invariants:
 *  - every host thread that may run µprocess code (or receive a signal handled
 *    by entry.S) has an ALTSTACK_SIZE-aligned alternate stack whose first page
 *    is its struct tblock; sigaltstack starts one page above it;
 *  - Syscall User Dispatch is armed on each such thread with its selector at
 *    tblock.selector and only [ufork_restorer, ufork_restorer_end) allowed;
 *  - runtime handlers are installed with the raw syscall and ufork_restorer,
 *    never glibc's restorer (its syscall would be trapped);
 *  - with --fast-syscalls, the GS base of each thread that runs µprocess code
 *    is its tblock (fastcall.c), set before that code runs;
 *  - ufork_fsgsbase is set once, before any thread has a block, and never
 *    changes: every stub of every thread takes the same way.
 */
#include <cpuid.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <asm/prctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ufork.h"

#ifndef PR_SET_SYSCALL_USER_DISPATCH
#define PR_SET_SYSCALL_USER_DISPATCH 59
#define PR_SYS_DISPATCH_ON 1
#define PR_SYS_DISPATCH_OFF 0
#endif
#define HWCAP2_FSGSBASE_BIT (1UL << 1)

extern const int outside_signals[9];

static int install(int sig, void (*fn)(int, siginfo_t *, void *), int extra)
{
	struct ksigaction ka = {
		.handler = (uintptr_t)fn,
		.flags = SA_SIGINFO | SA_ONSTACK | SA_RESTORER | extra,
		.restorer = (uintptr_t)ufork_restorer,
		.mask = 0,
	};
	/* SIG_INTERRUPT must reach a thread blocked inside the SIGSYS handler
	 * (that is how a blocked forwarded call is interrupted); it does not
	 * nest in itself.  Faults nest freely (SA_NODEFER). */
	if (sig == SIG_INTERRUPT)
		ka.mask = 1UL << (sig - 1);
	/* Under isolation every signal is blocked while a handler starts: a
	 * second signal delivered before the stub's WRPKRU would have its frame
	 * written under the kernel's init PKRU, which denies the alternate
	 * stack's key (6.1), and kill the runtime.  The handler puts the mask
	 * it should have back (pkey_handler_mask) once PKRU is the runtime's. */
	if (ufork_pkru_on)
		ka.mask = ~0UL;
	return syscall(SYS_rt_sigaction, sig, &ka, NULL, 8);
}

int host_signals_init(void)
{
	static const int faults[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP };
	/* SIGSYS cannot nest (the selector is ALLOW while the runtime runs), and
	 * its handler returns without rt_sigreturn: no mask to change or restore */
	if (install(SIGSYS, ufork_sigsys_entry, SA_NODEFER) < 0)
		return -1;
	for (unsigned i = 0; i < sizeof faults / sizeof faults[0]; i++)
		if (install(faults[i], ufork_signal_entry, SA_NODEFER) < 0)
			return -1;
	if (install(SIG_INTERRUPT, ufork_signal_entry, 0) < 0)
		return -1;
	for (unsigned i = 0; i < sizeof outside_signals / sizeof outside_signals[0]; i++)
		if (install(outside_signals[i], ufork_signal_entry, SA_RESTART) < 0)
			return -1;
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

/* Signals sent to ufork from outside are taken by the main thread only (the
 * others block them), which passes them on to the µprocesses (proc.c). */
const int outside_signals[9] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2,
				 SIGWINCH, SIGTSTP, SIGCONT };

void block_outside_signals(void)
{
	sigset_t s;
	sigemptyset(&s);
	for (unsigned i = 0; i < sizeof outside_signals / sizeof outside_signals[0]; i++)
		sigaddset(&s, outside_signals[i]);
	pthread_sigmask(SIG_BLOCK, &s, NULL);
}

unsigned char ufork_fsgsbase;

/* The calling thread's FS base. */
uintptr_t host_fs_base(void)
{
	uintptr_t fs;
	if (ufork_fsgsbase)
		__asm__ volatile("rdfsbase %0" : "=r"(fs));
	else
		syscall(SYS_arch_prctl, ARCH_GET_FS, &fs);
	return fs;
}

/* Is everything the runtime needs there?  SUD is probed by arming it on this
 * thread with the selector at ALLOW (no call is trapped) and disarming it.
 * The FS base is switched with FSGSBASE where the kernel allows it (Linux >=
 * 5.9 on a CPU with fsgsbase) and allow_fsgsbase, else with arch_prctl. */
int sud_check(int allow_fsgsbase, char *err, size_t errlen)
{
	ufork_fsgsbase = allow_fsgsbase && (getauxval(AT_HWCAP2) & HWCAP2_FSGSBASE_BIT);
	unsigned a, b, c, d;
	if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_OSXSAVE)) {
		snprintf(err, errlen, "the CPU or kernel does not enable XSAVE, which the "
			 "runtime's syscall return path needs");
		return -1;
	}
	static volatile char sel = SUD_ALLOW;
	if (prctl(PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_ON,
		  (unsigned long)ufork_restorer, 1, &sel) < 0) {
		snprintf(err, errlen, "Syscall User Dispatch is unavailable (%s): "
			 "Linux >= 5.11 built with CONFIG_GENERIC_ENTRY is needed", strerror(errno));
		return -1;
	}
	prctl(PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_OFF, 0, 0, 0);
	return 0;
}

/* Freed blocks are kept for the next thread: mapping and unmapping them on
 * every fork costs syscalls and TLB shootdowns. */
#define POOL_MAX 64
static void *pool[POOL_MAX];
static int npool;
static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;

static void *altstack_alloc(void)
{
	void *a = NULL;
	pthread_mutex_lock(&pool_lock);
	if (npool)
		a = pool[--npool];
	pthread_mutex_unlock(&pool_lock);
	if (a)
		return a;
	/* map twice the size and trim to get ALTSTACK_SIZE alignment */
	size_t len = ALTSTACK_SIZE * 2;
	char *m = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (m == MAP_FAILED)
		return NULL;
	uintptr_t al = ((uintptr_t)m + ALTSTACK_SIZE - 1) & ~(ALTSTACK_SIZE - 1);
	if (al > (uintptr_t)m)
		munmap(m, al - (uintptr_t)m);
	if ((uintptr_t)m + len > al + ALTSTACK_SIZE)
		munmap((void *)(al + ALTSTACK_SIZE), (uintptr_t)m + len - al - ALTSTACK_SIZE);
	return (void *)al;
}

static void altstack_free(void *a)
{
	pthread_mutex_lock(&pool_lock);
	if (npool < POOL_MAX) {
		pool[npool++] = a;
		a = NULL;
	}
	pthread_mutex_unlock(&pool_lock);
	if (a)
		munmap(a, ALTSTACK_SIZE);
}

struct tblock *tblock_setup(struct uthread *t, int arm)
{
	void *m = altstack_alloc();
	if (!m)
		return NULL;
	uintptr_t a = (uintptr_t)m;
	struct tblock *b = (struct tblock *)a;
	memset(b, 0, sizeof *b);
	b->selector = SUD_ALLOW;
	b->ut = t;
	b->block = b;
	b->rt_fs = host_fs_base();
	pkey_apply(a, PAGE_SIZE, PROT_READ | PROT_WRITE);	/* the block: read-only key */
	stack_t ss = { .ss_sp = (char *)a + PAGE_SIZE, .ss_size = ALTSTACK_SIZE - PAGE_SIZE };
	if (sigaltstack(&ss, NULL) < 0)
		goto fail;
	if (arm && prctl(PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_ON,
		       (unsigned long)ufork_restorer,
		       (unsigned long)(ufork_restorer_end - (char *)ufork_restorer),
		       &b->selector) < 0)
		goto fail;
	if ((arm && fast_syscalls) || ufork_pkru_on)
		fastcall_thread(b);	/* isolation: the stubs trust only %gs */
	return b;
fail:
	altstack_free(b);
	return NULL;
}

/* The block of a thread that left µprocess code (selector ALLOW), made
 * ready for the next thread of the same host thread: its alternate stack
 * and syscall dispatch stay armed.  NULL in, NULL out. */
struct tblock *tblock_reuse(struct tblock *b)
{
	if (!b)
		return NULL;
	struct tblock keep = *b;	/* where its SIGSYS frames go: the same */
	memset(b, 0, sizeof *b);
	b->selector = SUD_ALLOW;
	b->block = b;
	b->rt_fs = keep.rt_fs;
	b->self = keep.self;
	b->fast_sp = keep.fast_sp;
	b->fast_fp = keep.fast_fp;
	b->xmask = keep.xmask;
	b->xsize = keep.xsize;
	b->sigmask = keep.sigmask;
	b->ukey = keep.ukey;		/* the pages keep their key */
	memcpy(b->swbytes, keep.swbytes, sizeof b->swbytes);
	if (fast_syscalls || ufork_pkru_on)
		fastcall_thread(b);
	return b;
}

void tblock_teardown(struct tblock *b)
{
	stack_t ss = { .ss_flags = SS_DISABLE };
	prctl(PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_OFF, 0, 0, 0);
	sigaltstack(&ss, NULL);
	pkey_runtime_gs();	/* not the freed block */
	altstack_free(b);
}
