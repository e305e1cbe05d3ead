/*
 * sys_signal.c - the signal system calls, all emulated: none of them reaches
 * the host (a forwarded mask that blocks SIGSYS would kill the runtime).
 */
#include <errno.h>
#include <string.h>
#include <time.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ufork.h"

#define BIT(sig) (1UL << ((sig) - 1))
#define UNBLOCKABLE (BIT(SIGKILL) | BIT(SIGSTOP))

long sys_rt_sigaction(struct sysctx *c, long a[6])
{
	struct uproc *p = c->t->p;
	int sig = a[0];
	struct ksigaction ka, old;
	if (a[3] != 8 || sig < 1 || sig > 64)
		return -EINVAL;
	if (a[1] && (sig == SIGKILL || sig == SIGSTOP))
		return -EINVAL;
	if (a[1] && copy_from_user(p, &ka, a[1], sizeof ka))
		return -EFAULT;
	pthread_mutex_lock(&p->lock);
	old = p->act[sig];
	if (a[1]) {
		ka.mask &= ~UNBLOCKABLE;
		p->act[sig] = ka;
		int core;
		if (ka.handler == (uintptr_t)SIG_IGN ||
		    (ka.handler == (uintptr_t)SIG_DFL && !sig_default_kills(sig, &core))) {
			/* setting a pending signal to ignored discards it */
			sigpend_clear(&p->pend, sig);
			for (struct uthread *o = p->threads; o; o = o->next)
				sigpend_clear(&o->pend, sig);
		}
	}
	pthread_mutex_unlock(&p->lock);
	if (a[2] && copy_to_user(p, a[2], &old, sizeof old))
		return -EFAULT;
	return 0;
}

long sys_rt_sigprocmask(struct sysctx *c, long a[6])
{
	struct uthread *t = c->t;
	uint64_t set, old = t->mask;
	if (a[3] != 8)
		return -EINVAL;
	if (a[1]) {
		if (copy_from_user(t->p, &set, a[1], sizeof set))
			return -EFAULT;
		switch (a[0]) {
		case SIG_BLOCK: t->mask |= set; break;
		case SIG_UNBLOCK: t->mask &= ~set; break;
		case SIG_SETMASK: t->mask = set; break;
		default: return -EINVAL;
		}
		t->mask &= ~UNBLOCKABLE;
	}
	if (a[2] && copy_to_user(t->p, a[2], &old, sizeof old))
		return -EFAULT;
	return 0;
}

long sys_rt_sigpending(struct sysctx *c, long a[6])
{
	struct uthread *t = c->t;
	if (a[1] != 8)
		return -EINVAL;
	pthread_mutex_lock(&t->p->lock);
	uint64_t set = (t->pend.set | t->p->pend.set) & t->mask;
	pthread_mutex_unlock(&t->p->lock);
	return copy_to_user(t->p, a[0], &set, sizeof set);
}

long sys_sigaltstack(struct sysctx *c, long a[6])
{
	struct uthread *t = c->t;
	uintptr_t sp = c->uc->uc_mcontext.gregs[REG_RSP];
	int onstack = !(t->altstack.ss_flags & SS_DISABLE) && sp > t->altstack.ss_sp &&
		      sp <= t->altstack.ss_sp + t->altstack.ss_size;
	struct kstack old = t->altstack, ns;
	old.ss_flags = onstack ? SS_ONSTACK : t->altstack.ss_flags;
	if (a[0]) {
		if (copy_from_user(t->p, &ns, a[0], sizeof ns))
			return -EFAULT;
		if (onstack)
			return -EPERM;
		int mode = ns.ss_flags & ~SS_AUTODISARM;
		if (mode != 0 && mode != SS_DISABLE && mode != SS_ONSTACK)
			return -EINVAL;
		if (mode == SS_DISABLE) {
			ns.ss_sp = 0;
			ns.ss_size = 0;
			ns.ss_flags = SS_DISABLE;
		} else {
			if (ns.ss_size < 2048)
				return -ENOMEM;
			ns.ss_flags &= SS_AUTODISARM;
		}
		t->altstack = ns;
	}
	if (a[1] && copy_to_user(t->p, a[1], &old, sizeof old))
		return -EFAULT;
	return 0;
}

/* Undoes a handler frame built by signal.c: rsp points at its ucontext. */
long sys_rt_sigreturn(struct sysctx *c, long a[6])
{
	struct uthread *t = c->t;
	greg_t *g = c->uc->uc_mcontext.gregs;
	struct kucontext k;
	if (copy_from_user(t->p, &k, g[REG_RSP], sizeof k))
		proc_exit(t, SIGSEGV);
	const long fix = 0x40dd5;	/* AC OF DF TF SF ZF AF PF CF RF */
	for (int i = 0; i < NGREG; i++) {
		if (i == REG_CSGSFS || i == REG_ERR || i == REG_TRAPNO || i == REG_OLDMASK ||
		    i == REG_CR2 || i == REG_EFL)
			continue;
		g[i] = k.uc_mcontext.gregs[i];
	}
	g[REG_EFL] = (g[REG_EFL] & ~fix) | (k.uc_mcontext.gregs[REG_EFL] & fix);
	if (k.uc_mcontext.fpregs) {
		unsigned char *host = (unsigned char *)frame_fpregs(c->uc);
		size_t size = xstate_size(host);
		unsigned char keep[48], buf[512];
		memcpy(keep, host + 464, sizeof keep);
		uint32_t mxcsr_mask = *(uint32_t *)(host + 28);
		uint64_t xfeat = size > 512 ? *(uint64_t *)(host + 512) : 0;
		/* copy in pieces through the user-access primitive */
		for (size_t off = 0; off < size; off += sizeof buf) {
			size_t n = size - off < sizeof buf ? size - off : sizeof buf;
			if (copy_from_user(t->p, buf, (uintptr_t)k.uc_mcontext.fpregs + off, n))
				proc_exit(t, SIGSEGV);
			memcpy(host + off, buf, n);
		}
		memcpy(host + 464, keep, sizeof keep);
		*(uint32_t *)(host + 24) &= mxcsr_mask ? mxcsr_mask : 0xffbf;
		if (size > 512) {	/* a header xrstor accepts: standard form */
			*(uint64_t *)(host + 512) &= xfeat;
			memset(host + 520, 0, 56);
		}
	}
	t->mask = k.uc_sigmask & ~UNBLOCKABLE;
	/* like restore_altstack(): a bad saved altstack is ignored */
	int mode = k.uc_stack.ss_flags & ~SS_AUTODISARM;
	if (mode == SS_DISABLE)
		t->altstack = (struct kstack){ 0, SS_DISABLE, 0 };
	else if ((mode == 0 || mode == SS_ONSTACK) && k.uc_stack.ss_size >= 2048)
		t->altstack = (struct kstack){ k.uc_stack.ss_sp,
					       k.uc_stack.ss_flags & SS_AUTODISARM,
					       k.uc_stack.ss_size };
	c->keep_regs = 1;
	return 0;
}

/* Waits until a signal is deliverable (or the process exits); the caller
 * returns -EINTR and signal_deliver runs the handler. */
static long wait_for_signal(struct uthread *t)
{
	for (;;) {
		__atomic_store_n(&t->blk->cancel, 0, __ATOMIC_SEQ_CST);
		if (signal_pending_for(t))
			return -EINTR;
		thread_sleep(t, NULL);
	}
}

long sys_rt_sigsuspend(struct sysctx *c, long a[6])
{
	struct uthread *t = c->t;
	uint64_t set;
	if (a[1] != 8)
		return -EINVAL;
	if (copy_from_user(t->p, &set, a[0], sizeof set))
		return -EFAULT;
	t->saved_mask = t->mask;
	t->restore_mask = 1;
	t->mask = set & ~UNBLOCKABLE;
	return wait_for_signal(t);
}

long sys_pause(struct sysctx *c, long a[6])
{
	return wait_for_signal(c->t);
}

static siginfo_t user_info(struct uthread *t, int sig, int code)
{
	siginfo_t si;
	memset(&si, 0, sizeof si);
	si.si_signo = sig;
	si.si_code = code;
	si.si_pid = t->p->pid;
	si.si_uid = getuid();
	return si;
}

long sys_kill(struct sysctx *c, long a[6])
{
	struct uthread *t = c->t;
	int pid = a[0], sig = a[1];
	if (sig < 0 || sig > 64)
		return -EINVAL;
	if (pid == 0)
		pid = -t->p->pgid;
	return proc_signal_other(t, pid, sig, NULL);
}

static long thread_signal(struct uthread *t, int tgid, int tid, int sig)
{
	if (sig < 0 || sig > 64 || tid <= 0)
		return -EINVAL;
	if (tgid > 0 && tgid != t->p->pid)
		return proc_signal_other(t, tgid, sig, NULL) == -ESRCH ? -ESRCH : -ENOSYS;
	siginfo_t si = user_info(t, sig, SI_TKILL);
	return signal_raise(t->p, tid, sig, &si);
}

long sys_tkill(struct sysctx *c, long a[6])
{
	return thread_signal(c->t, -1, a[0], a[1]);
}

long sys_tgkill(struct sysctx *c, long a[6])
{
	if (a[0] <= 0)
		return -EINVAL;
	return thread_signal(c->t, a[0], a[1], a[2]);
}

/* sigqueue: like kill, with the caller's siginfo (only negative si_code
 * values may be forged for another process, as Linux checks). */
long sys_rt_sigqueueinfo(struct sysctx *c, long a[6])
{
	struct uthread *t = c->t;
	siginfo_t si;
	if (a[1] < 1 || a[1] > 64)
		return -EINVAL;
	if (copy_from_user(t->p, &si, a[2], sizeof si))
		return -EFAULT;
	if ((si.si_code >= 0 || si.si_code == SI_TKILL) && a[0] != t->p->pid)
		return -EPERM;
	si.si_signo = a[1];
	return proc_signal_other(t, a[0] > 0 ? a[0] : -1000000, a[1], &si);
}

long sys_rt_tgsigqueueinfo(struct sysctx *c, long a[6])
{
	struct uthread *t = c->t;
	siginfo_t si;
	if (a[2] < 1 || a[2] > 64)
		return -EINVAL;
	if (a[0] != t->p->pid)
		return -ESRCH;
	if (copy_from_user(t->p, &si, a[3], sizeof si))
		return -EFAULT;
	si.si_signo = a[2];
	return signal_raise(t->p, a[1], a[2], &si);
}

/*
 * sigwaitinfo/sigtimedwait: the waited set is unblocked for the wait (as
 * Linux does) so that generation picks and kicks this thread; a signal of the
 * set is dequeued here and never reaches a handler.
 */
long sys_rt_sigtimedwait(struct sysctx *c, long a[6])
{
	struct uthread *t = c->t;
	struct uproc *p = t->p;
	struct tblock *b = t->blk;
	uint64_t set;
	struct timespec ts;
	long deadline = 0, r;
	if (a[3] != 8)
		return -EINVAL;
	if (copy_from_user(p, &set, a[0], sizeof set))
		return -EFAULT;
	set &= ~UNBLOCKABLE;
	if (a[2]) {
		if (copy_from_user(p, &ts, a[2], sizeof ts))
			return -EFAULT;
		if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000L)
			return -EINVAL;
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		deadline = (now.tv_sec + ts.tv_sec) * 1000000000L + now.tv_nsec + ts.tv_nsec;
	}
	uint64_t real_mask = t->mask;
	t->mask &= ~set;
	for (;;) {
		__atomic_store_n(&b->cancel, 0, __ATOMIC_SEQ_CST);
		pthread_mutex_lock(&p->lock);
		uint64_t hit = (t->pend.set | p->pend.set) & set;
		siginfo_t si;
		if (hit) {
			int sig = __builtin_ctzl(hit) + 1;
			sigpend_take((t->pend.set & BIT(sig)) ? &t->pend : &p->pend, sig, &si);
			if (p->sigfds)
				signalfd_update(p, t);
			pthread_mutex_unlock(&p->lock);
			r = sig;
			if (a[1] && copy_to_user(p, a[1], &si, sizeof si))
				r = -EFAULT;
			break;
		}
		pthread_mutex_unlock(&p->lock);
		if (b->kill || signal_pending_for(t)) {
			r = -512;	/* a handled signal: EINTR */
			break;
		}
		struct timespec dl = { deadline / 1000000000L, deadline % 1000000000L };
		if (thread_sleep(t, a[2] ? &dl : NULL) == 0) {
			r = -EAGAIN;
			break;
		}
	}
	t->mask = real_mask;
	return r;
}
