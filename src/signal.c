/*
 * signal.c - the µprocesses' virtual signals: generation, delivery on the way
 * back to µprocess code, handler frames, faults, and the host-signal handler
 * for faults and interrupts (ufork_signal, entered from entry.S).
 *
 * Nothing of a µprocess's signal state is ever given to the host: actions are
 * per µprocess (uproc.act), masks and thread-directed pending sets per thread,
 * process-directed pending signals per µprocess.  A signal is delivered when
 * its target returns to µprocess code: at the end of a syscall, of a fault,
 * or of SIG_INTERRUPT, the host signal that kicks a thread out of µprocess
 * code or out of a blocked forwarded syscall.  Handler frames have the
 * kernel's layout (struct rt_sigframe with the XSAVE image above it), so
 * SA_SIGINFO handlers see real siginfo and ucontext, and rt_sigreturn
 * (sys_signal.c) undoes them.
 *
 * Locking: uproc.lock guards act[], pending sets and pinfo/info; a thread's
 * mask is written only by the thread itself.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <linux/futex.h>
#include <unistd.h>

#include "ufork.h"

#define BIT(sig) (1UL << ((sig) - 1))
#define UNBLOCKABLE (BIT(SIGKILL) | BIT(SIGSTOP))

struct rt_sigframe {
	uintptr_t pretcode;
	struct kucontext uc;
	siginfo_t info;
};

int sig_default_kills(int sig, int *core)
{
	*core = 0;
	switch (sig) {
	case SIGCHLD: case SIGURG: case SIGWINCH: case SIGCONT:
		return 0;
	case SIGSTOP: case SIGTSTP: case SIGTTIN: case SIGTTOU:
		return 0;	/* they stop: see is_stop */
	case SIGQUIT: case SIGILL: case SIGTRAP: case SIGABRT: case SIGBUS:
	case SIGFPE: case SIGSEGV: case SIGXCPU: case SIGXFSZ: case SIGSYS:
		*core = 1;
		return 1;
	default:
		return 1;
	}
}

/* The wait status of death by sig, with the core flag when Linux would dump. */
static int death_status(struct uproc *p, int sig)
{
	int core;
	sig_default_kills(sig, &core);
	if (core && p->rlim[RLIMIT_CORE].rlim_cur == 0)
		core = 0;	/* no core where Linux would write none */
	return sig | (core ? 0x80 : 0);
}

static int is_stop(int sig)
{
	return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

#define STOP_SIGS (BIT(SIGSTOP) | BIT(SIGTSTP) | BIT(SIGTTIN) | BIT(SIGTTOU))

/* Default action of a stop signal: every thread parks at its next exit point
 * until SIGCONT; the parent hears of it.  Called without locks. */
static void proc_stop(struct uproc *p, int sig)
{
	pthread_mutex_lock(&p->lock);
	int was = p->stopped;
	if (!was && !p->exiting) {
		p->stopped = sig;
		for (struct uthread *o = p->threads; o; o = o->next)
			thread_kick(o, 0);
	}
	pthread_mutex_unlock(&p->lock);
	if (!was)
		proc_stop_notify(p, (sig << 8) | 0x7f);
}

static int ignored(struct uproc *p, int sig)
{
	int core;
	uintptr_t h = p->act[sig].handler;
	if (sig == SIGSTOP || (is_stop(sig) && h == (uintptr_t)SIG_DFL))
		return 0;	/* their default action is to stop */
	return h == (uintptr_t)SIG_IGN || (h == (uintptr_t)SIG_DFL && !sig_default_kills(sig, &core));
}

struct sigq {
	siginfo_t si;
	struct sigq *next;
};

/* Standard signals coalesce; real-time ones (>= 32) queue every instance. */
void sigpend_add(struct sigpending *sp, int sig, const siginfo_t *si)
{
	if (!(sp->set & BIT(sig))) {
		sp->info[sig] = *si;
		sp->set |= BIT(sig);
		return;
	}
	if (sig < 32)
		return;
	struct sigq *q = malloc(sizeof *q), **pp = &sp->more[sig];
	if (!q)
		return;	/* like the kernel past RLIMIT_SIGPENDING: dropped */
	q->si = *si;
	q->next = NULL;
	while (*pp)
		pp = &(*pp)->next;
	*pp = q;
}

void sigpend_take(struct sigpending *sp, int sig, siginfo_t *out)
{
	*out = sp->info[sig];
	struct sigq *q = sp->more[sig];
	if (q) {
		sp->info[sig] = q->si;
		sp->more[sig] = q->next;
		free(q);
	} else {
		sp->set &= ~BIT(sig);
	}
}

void sigpend_clear(struct sigpending *sp, int sig)
{
	for (int s = sig ? sig : 1; s <= (sig ? sig : 64); s++) {
		while (sp->more[s]) {
			struct sigq *q = sp->more[s];
			sp->more[s] = q->next;
			free(q);
		}
		sp->set &= ~BIT(s);
	}
}

/* Wakes a thread that is in the runtime's own wait loop (o->waiting: it
 * runs no host call but thread_sleep, whose futex sees `cancel`), without
 * the host signal thread_kick needs for a thread in a host call.  Caller
 * holds o's µprocess lock. */
void thread_wake(struct uthread *o)
{
	if (!o->blk)
		return;
	__atomic_store_n(&o->blk->cancel, 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&o->blk->sleeping, __ATOMIC_SEQ_CST))
		syscall(SYS_futex, &o->blk->cancel, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

void thread_kick(struct uthread *o, int kill)
{
	if (!o->blk)
		return;	/* not started yet: it checks on entry */
	if (kill)
		o->blk->kill = 1;
	__atomic_store_n(&o->blk->cancel, 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&o->blk->sleeping, __ATOMIC_SEQ_CST))
		syscall(SYS_futex, &o->blk->cancel, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
	else if (o->host_tid != gettid())
		tgkill(getpid(), o->host_tid, SIG_INTERRUPT);
}

/* Makes sig pending for thread tid of p (tid 0: for the process) and kicks a
 * thread that can take it.  sig 0 only checks that the target exists.  The
 * caller holds no lock. */
int signal_raise(struct uproc *p, int tid, int sig, const siginfo_t *si)
{
	struct uthread *t = NULL;
	pthread_mutex_lock(&p->lock);
	if (tid) {
		for (struct uthread *o = p->threads; o && !t; o = o->next)
			if (o->tid == tid)
				t = o;
		if (!t) {
			pthread_mutex_unlock(&p->lock);
			return -ESRCH;
		}
	}
	if (!sig || p->exiting)
		goto out;
	if (sig == SIGKILL) {
		pthread_mutex_unlock(&p->lock);
		proc_kill(p, SIGKILL);
		return 0;
	}
	if (sig == SIGCONT) {	/* continues at generation, even if blocked */
		for (struct uthread *o = p->threads; o; o = o->next)
			o->pend.set &= ~STOP_SIGS;
		p->pend.set &= ~STOP_SIGS;
		if (p->stopped) {
			p->stopped = 0;
			pthread_cond_broadcast(&p->fork_cv);
			p->wait_report = 0xffff;	/* a wait right after kill sees it */
			proc_cont_later(p);	/* SIGCHLD: callers may hold the table lock */
		}
	} else if (is_stop(sig)) {
		sigpend_clear(&p->pend, SIGCONT);
		for (struct uthread *o = p->threads; o; o = o->next)
			sigpend_clear(&o->pend, SIGCONT);
	}
	uint64_t blocked = t ? t->mask : ~0UL;
	if (!t)
		for (struct uthread *o = p->threads; o; o = o->next)
			blocked &= o->mask;
	if (ignored(p, sig) && !(blocked & BIT(sig)))
		goto out;	/* discarded at generation, as Linux does */
	if (t) {
		sigpend_add(&t->pend, sig, si);
		if (p->sigfds)
			signalfd_update(p, t);
		if (!(t->mask & BIT(sig)))
			thread_kick(t, 0);
	} else {
		sigpend_add(&p->pend, sig, si);
		if (p->sigfds)
			signalfd_update(p, NULL);
		struct uthread *self = NULL, *any = NULL;
		for (struct uthread *o = p->threads; o; o = o->next) {
			if (o->mask & BIT(sig))
				continue;
			if (o->host_tid == gettid())
				self = o;
			else if (!any)
				any = o;
		}
		if (!self && any)
			thread_kick(any, 0);
	}
out:
	pthread_mutex_unlock(&p->lock);
	return 0;
}

int signal_pending_for(struct uthread *t)
{
	uint64_t m = t->mask & ~UNBLOCKABLE;
	return ((t->pend.set | t->p->pend.set) & ~m) != 0 || t->p->exiting;
}

size_t xstate_extended_size(const void *fp)
{
	const uint32_t *sw = (const uint32_t *)((const char *)fp + 464);
	return sw[0] == 0x46505853U ? sw[1] : 512;	/* FP_XSTATE_MAGIC1 */
}

size_t xstate_size(const void *fp)
{
	const uint32_t *sw = (const uint32_t *)((const char *)fp + 464);
	return sw[0] == 0x46505853U ? sw[4] : 512;
}

static int on_altstack(struct uthread *t, uintptr_t sp)
{
	return !(t->altstack.ss_flags & SS_DISABLE) && sp > t->altstack.ss_sp &&
	       sp <= t->altstack.ss_sp + t->altstack.ss_size;
}

/* Builds the kernel's rt_sigframe for sig on the µprocess stack and points
 * the registers at the handler.  Returns -EFAULT if the stack is unusable. */
static int setup_frame(struct uthread *t, int sig, const siginfo_t *si, ucontext_t *uc,
		       const struct ksigaction *ka, uint64_t saved_mask)
{
	greg_t *g = uc->uc_mcontext.gregs;
	uintptr_t sp = g[REG_RSP];
	int onstack = on_altstack(t, sp);
	if ((ka->flags & SA_ONSTACK) && !(t->altstack.ss_flags & SS_DISABLE) && !onstack)
		sp = t->altstack.ss_sp + t->altstack.ss_size;
	else
		sp -= 128;	/* red zone */
	size_t fpsize = xstate_extended_size(frame_fpregs(uc));
	sp = (sp - fpsize) & ~63UL;
	uintptr_t fpaddr = sp;
	sp = ((sp - sizeof(struct rt_sigframe)) & ~15UL) - 8;
	if (!(ka->flags & SA_RESTORER))
		return -EFAULT;

	struct rt_sigframe f;
	memset(&f, 0, sizeof f);
	f.pretcode = ka->restorer;
	f.uc.uc_flags = 0x7;	/* UC_FP_XSTATE | UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS */
	f.uc.uc_stack = t->altstack;
	f.uc.uc_stack.ss_flags = (t->altstack.ss_flags & SS_DISABLE) ? SS_DISABLE
				 : on_altstack(t, g[REG_RSP]) ? SS_ONSTACK : t->altstack.ss_flags;
	memcpy(f.uc.uc_mcontext.gregs, g, sizeof f.uc.uc_mcontext.gregs);
	f.uc.uc_mcontext.fpregs = (void *)fpaddr;
	f.uc.uc_sigmask = saved_mask;
	f.info = *si;
	if (copy_to_user(t->p, fpaddr, frame_fpregs(uc), fpsize) ||
	    copy_to_user(t->p, sp, &f, sizeof f))
		return -EFAULT;

	g[REG_RDI] = sig;
	g[REG_RSI] = sp + offsetof(struct rt_sigframe, info);
	g[REG_RDX] = sp + offsetof(struct rt_sigframe, uc);
	g[REG_RAX] = 0;
	g[REG_RSP] = sp;
	g[REG_RIP] = ka->handler;
	g[REG_EFL] &= ~(0x400L | 0x100L | 0x10000L);	/* DF, TF, RF */
	return 0;
}

/* With p->lock held, for a signal about to run its handler: SA_RESETHAND. */
static void reset_if_oneshot(struct uproc *p, int sig, const struct ksigaction *ka)
{
	if (ka->flags & SA_RESETHAND) {
		p->act[sig].handler = (uintptr_t)SIG_DFL;
		p->act[sig].flags &= ~SA_SIGINFO;
	}
}

/* Builds the handler's frame and blocks what the handler blocks; a frame
 * that cannot be written kills with SIGSEGV, as Linux does. */
static void run_handler(struct uthread *t, int sig, const siginfo_t *si, ucontext_t *uc,
			const struct ksigaction *ka, uint64_t saved_mask)
{
	if (setup_frame(t, sig, si, uc, ka, saved_mask) < 0)
		proc_exit(t, death_status(t->p, SIGSEGV));
	t->mask |= ka->mask | ((ka->flags & SA_NODEFER) ? 0 : BIT(sig));
	t->mask &= ~UNBLOCKABLE;
}

/* Syscalls Linux never restarts once a handler ran (ERESTARTNOHAND). */
static int restart_with_handler(long nr, const struct ksigaction *ka)
{
	switch (nr) {
	case SYS_poll: case SYS_ppoll: case SYS_select: case SYS_pselect6:
	case SYS_epoll_wait: case SYS_epoll_pwait: case SYS_nanosleep:
	case SYS_clock_nanosleep: case SYS_pause: case SYS_rt_sigsuspend:
	case SYS_rt_sigtimedwait:
		return 0;
	}
	return (ka->flags & SA_RESTART) != 0;
}

/* restart_nr >= 0: the syscall nr was interrupted (-ERESTARTSYS) and its
 * registers still hold its arguments. */
void signal_deliver(struct uthread *t, ucontext_t *uc, long restart_nr)
{
	struct uproc *p = t->p;
	greg_t *g = uc->uc_mcontext.gregs;
	for (;;) {
		pthread_mutex_lock(&p->lock);
		if (p->exiting) {
			pthread_mutex_unlock(&p->lock);
			thread_exit(t);
		}
		uint64_t deliverable = (t->pend.set | p->pend.set) & ~(t->mask & ~UNBLOCKABLE);
		if (!deliverable) {
			pthread_mutex_unlock(&p->lock);
			break;
		}
		int sig = __builtin_ctzl(deliverable) + 1;
		siginfo_t si;
		sigpend_take((t->pend.set & BIT(sig)) ? &t->pend : &p->pend, sig, &si);
		if (p->sigfds)
			signalfd_update(p, t);
		struct ksigaction ka = p->act[sig];
		int core;
		if (ka.handler == (uintptr_t)SIG_DFL && is_stop(sig)) {
			pthread_mutex_unlock(&p->lock);
			proc_stop(p, sig);	/* parks in user_return */
			continue;
		}
		if (ka.handler == (uintptr_t)SIG_IGN ||
		    (ka.handler == (uintptr_t)SIG_DFL && !sig_default_kills(sig, &core))) {
			pthread_mutex_unlock(&p->lock);
			continue;
		}
		if (ka.handler == (uintptr_t)SIG_DFL) {
			pthread_mutex_unlock(&p->lock);
			proc_exit(t, death_status(t->p, sig));
		}
		reset_if_oneshot(p, sig, &ka);
		pthread_mutex_unlock(&p->lock);

		if (restart_nr >= 0) {
			if (restart_with_handler(restart_nr, &ka)) {
				g[REG_RIP] -= 2;
				g[REG_RAX] = restart_nr;
			} else {
				g[REG_RAX] = -EINTR;
			}
			restart_nr = -1;
		}
		uint64_t saved = t->restore_mask ? t->saved_mask : t->mask;
		t->restore_mask = 0;
		run_handler(t, sig, &si, uc, &ka, saved);
	}
	if (restart_nr >= 0) {	/* no handler ran: restart transparently */
		g[REG_RIP] -= 2;
		g[REG_RAX] = restart_nr;
	}
	if (t->restore_mask) {	/* sigsuspend woken without a handler */
		t->mask = t->saved_mask;
		t->restore_mask = 0;
	}
}

/* A synchronous fault of µprocess code: delivered at once, or fatal when
 * blocked or ignored (Linux's force_sig_fault). */
void signal_fault(struct uthread *t, int sig, siginfo_t *si, ucontext_t *uc)
{
	struct uproc *p = t->p;
	pthread_mutex_lock(&p->lock);
	/* unmapped parts of a slot are PROT_NONE reservations to the host */
	if (sig == SIGSEGV && si->si_code == SEGV_ACCERR &&
	    !vma_find(&p->vmas, (uintptr_t)si->si_addr))
		si->si_code = SEGV_MAPERR;
	/* under --isolation, a protection-key fault is a touch of memory that
	 * is not the µprocess's (another slot, the runtime): on Linux it would
	 * not be mapped in the process at all */
	if (sig == SIGSEGV && si->si_code == SEGV_PKUERR) {
		si->si_code = SEGV_MAPERR;
		si->si_pkey = 0;
	}
	struct ksigaction ka = p->act[sig];
	if ((t->mask & BIT(sig)) || ka.handler == (uintptr_t)SIG_IGN)
		ka.handler = (uintptr_t)SIG_DFL;
	if (ka.handler == (uintptr_t)SIG_DFL) {
		pthread_mutex_unlock(&p->lock);
		proc_exit(t, death_status(t->p, sig));
	}
	reset_if_oneshot(p, sig, &ka);
	pthread_mutex_unlock(&p->lock);
	run_handler(t, sig, si, uc, &ka, t->mask);
}

/*
 * Was µprocess code interrupted?  Only while the selector says BLOCK does
 * µprocess code run - wherever it jumped to, the arena or not - except in the
 * few instructions of the runtime's own stubs that run after they set BLOCK
 * (those are in the runtime's text).
 */
extern char __executable_start[], etext[];
static int user_context(uintptr_t ip, uintptr_t selector)
{
	if (selector != SUD_BLOCK)
		return 0;
	if (!(ip >= (uintptr_t)__executable_start && ip < (uintptr_t)etext))
		return 1;
	/* Under isolation (no fast entry), the only runtime text that runs
	 * with BLOCK is the way out of a syscall; anywhere else it is
	 * µprocess code that jumped into the runtime's text (a fault there,
	 * on key-0 data or a stub's check, is that µprocess's own) */
	return ufork_pkru_on &&
	       !(ip >= (uintptr_t)ufork_sigsys_return && ip < (uintptr_t)ufork_sigsys_return_end);
}

static void runtime_fault(int sig, siginfo_t *si, ucontext_t *uc)
{
	char msg[160];
	int n = snprintf(msg, sizeof msg,
			 "ufork: internal error: signal %d at ip %#llx (address %p)\n", sig,
			 (unsigned long long)uc->uc_mcontext.gregs[REG_RIP], si->si_addr);
	if (write(log_fd, msg, n) < 0) {
	}
	signal(sig, SIG_DFL);	/* the fault repeats and ends the runtime */
}

/*
 * Where the host writes frames with every key open (ufork_frames_open), the
 * exit pad is the one page of an alternate stack on the µprocess's key
 * (pkey.c).  A frame that reaches into it - only µprocess code that aimed
 * rsp there gets one: the way out's own signals land below the pad - could
 * be rewritten by a sibling thread before its rt_sigreturn.  The frame
 * starts 8 bytes below the ucontext; one that starts within 1 KiB below the
 * pad reaches into it (its registers could be the pad's), any other nested
 * one ends 128 bytes (the red zone) below the rsp it interrupted.
 */
static int frame_on_pad(struct tblock *b, const ucontext_t *uc)
{
	uintptr_t pad = (uintptr_t)b + ALTSTACK_EXIT_PAD, lo = (uintptr_t)uc - 8;
	if (lo >= pad + PAGE_SIZE)
		return 0;
	if (lo + 1024 > pad)
		return 1;
	uintptr_t sp = uc->uc_mcontext.gregs[REG_RSP];
	return sp > lo && sp - 128 > pad;
}

/* Faults and SIG_INTERRUPT.  saved[0] is the interrupted FS base, saved[1]
 * the interrupted selector (entry.S restores both on return). */
void ufork_signal(int sig, siginfo_t *si, void *ucv, uintptr_t *saved)
{
	ucontext_t *uc = ucv;
	struct tblock *b = current_block();
	struct uthread *t = b->ut;
	if (ufork_frames_open && t && frame_on_pad(b, uc))
		proc_exit(t, SIGSEGV);
	/* faults nest (SA_NODEFER); SIG_INTERRUPT and outside signals do not */
	pkey_handler_mask(uc, sig == SIG_INTERRUPT || !(sig == SIGSEGV || sig == SIGBUS ||
		sig == SIGFPE || sig == SIGILL || sig == SIGTRAP) ? 1UL << (sig - 1) : 0);
	uintptr_t ip = uc->uc_mcontext.gregs[REG_RIP];
	int user = t && user_context(ip, saved[1]);

	if (!t && sig != SIG_INTERRUPT && sig != SIGSEGV && sig != SIGBUS && sig != SIGFPE &&
	    sig != SIGILL && sig != SIGTRAP) {
		outside_signal(sig, si->si_code == SI_KERNEL);	/* for the µprocesses */
		return;
	}
	if (sig == SIG_INTERRUPT) {
		if (!t)
			return;
		if (ip >= (uintptr_t)ufork_cancel_begin && ip < (uintptr_t)ufork_cancel_end &&
		    b->cancel) {
			uc->uc_mcontext.gregs[REG_RIP] = (uintptr_t)ufork_cancel_out;
			return;
		}
		if (user) {	/* in µprocess code: a safe point */
			__atomic_store_n(&b->in_user, 0, __ATOMIC_SEQ_CST);
			user_return(t, uc, -1);
		} else if (ip >= (uintptr_t)ufork_sigsys_return &&
			   ip < (uintptr_t)ufork_sigsys_return_end) {
			/* on the way out of a syscall: go back in and look again */
			uc->uc_mcontext.gregs[REG_RIP] = (uintptr_t)ufork_sigsys_reenter;
		} else if (__atomic_load_n(&b->in_user, __ATOMIC_SEQ_CST)) {
			/* past its last look but not yet on the way out */
			__atomic_store_n(&b->recheck, 1, __ATOMIC_SEQ_CST);
		}
		return;		/* elsewhere in the runtime: it checks at its exit point */
	}
	if (!user) {
		if (ip >= (uintptr_t)ufork_uaccess_begin && ip < (uintptr_t)ufork_uaccess_end) {
			uc->uc_mcontext.gregs[REG_RIP] = (uintptr_t)ufork_uaccess_fault;
			return;
		}
		if (t && fastcall_broken(ip)) {
			/* the µprocess moved GS or unmapped the stack of a call */
			ulog("ufork: pid %d: fast syscall entry refused (GS base or stack "
			     "changed by the program)\n", t->p->pid);
			proc_exit(t, SIGSEGV);
		}
		if (t && ip >= (uintptr_t)ufork_sigsys_return && ip < (uintptr_t)ufork_sigsys_return_end) {
			/* the way out refused the µprocess's state (xrstor of an FPU
			 * image it gave rt_sigreturn): Linux kills it with SIGSEGV */
			proc_exit(t, SIGSEGV);
		}
		runtime_fault(sig, si, uc);
		return;
	}
	__atomic_store_n(&b->in_user, 0, __ATOMIC_SEQ_CST);
	if (fastcall_fault(t, sig, uc))
		return;		/* a rewritten site's call that could not be made */
	signal_fault(t, sig, si, uc);
	user_return(t, uc, -1);
}
