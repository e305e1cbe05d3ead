/*
 * syscall.c - the syscall path: the SIGSYS handler and the dispatch table.
 *
 * One syscall of µprocess code:
 *   `syscall` (selector BLOCK) -> kernel SUD -> SIGSYS on the alternate stack
 *   -> ufork_sigsys_entry (entry.S: selector ALLOW, runtime FS)
 *   -> ufork_sigsys: registers from the host ucontext, syscall_table[nr]
 *   -> result into RAX of the ucontext, pending signals delivered
 *   -> entry.S: µprocess FS, selector BLOCK -> ufork_restorer's rt_sigreturn
 *   -> µprocess code at the instruction after `syscall`.
 * With --fast-syscalls, a rewritten site (`call *%rax`) enters through the
 * trampoline at address 0 and ufork_fast_entry, which builds the same frame
 * and joins ufork_sigsys_entry (fastcall.c).
 *
 * Table entries either emulate (process model, memory, signals, threads) or
 * forward to the host kernel (files, sockets, time).  An entry a lowered
 * resource limit can affect goes through rlimit_call when the µprocess's
 * lim_watch says so; otherwise the path is unchanged.  Anything not in the
 * table answers -ENOSYS.  Forwarded calls go through the cancellable path so
 * that exit and signals can interrupt a blocked thread without a race.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ufork.h"

int trace_syscalls;

/* Pending signal or exit interrupts a blocked forwarded call: the call
 * answers -ERESTARTSYS (512) and signal_deliver decides restart or EINTR. */
static long cancellable(struct uthread *t, long nr, const long a[6], uint32_t pkru)
{
	struct tblock *b = t->blk;
	fd_sync(t);
	for (;;) {
		__atomic_store_n(&b->cancel, 0, __ATOMIC_SEQ_CST);
		if (b->kill || signal_pending_for(t))
			return -512;
		long r = ufork_cancellable_syscall(&b->cancel, nr, a, pkru);
		if (r != -EINTR)
			return r;
		if (b->kill || signal_pending_for(t))
			return -512;
		/* interrupted for a signal another thread took: restart */
	}
}

long host_syscall_cancellable(struct uthread *t, long nr, const long a[6])
{
	return cancellable(t, nr, a, 0);
}

/* The same for a call whose pointers are the µprocess's own: under
 * isolation it runs with the µprocess's PKRU, so the host kernel itself
 * refuses (EFAULT) every buffer in memory the caller's code may not touch,
 * in-buffers and paths included (argcheck.c checks only out-buffers, and
 * only where it knows the layout). */
long host_syscall_user(struct uthread *t, long nr, const long a[6])
{
	return cancellable(t, nr, a, ufork_pkru_on ? t->blk->upkru : 0);
}

/* Writes to a broken pipe or socket: the host ignores SIGPIPE for the
 * runtime, so the µprocess gets its SIGPIPE here, as Linux would send it. */
static int raises_sigpipe(int nr, const long a[6])
{
	switch (nr) {
	case SYS_write: case SYS_writev: case SYS_pwrite64: case SYS_pwritev:
	case SYS_pwritev2: case SYS_splice: case SYS_sendfile: case SYS_vmsplice:
		return 1;
	case SYS_sendto: case SYS_sendmmsg:
		return !(a[3] & MSG_NOSIGNAL);
	case SYS_sendmsg:
		return !(a[2] & MSG_NOSIGNAL);
	}
	return 0;
}

long sys_forward(struct sysctx *c, long a[6])
{
	if (runtime_fd_arg(c->nr, a))
		return -EBADF;
	long r = forward_args_check(c->t->p, c->nr, a);
	if (r)
		return r;
	r = host_syscall_user(c->t, c->nr, a);
	if (r == -EPIPE && raises_sigpipe(c->nr, a)) {
		siginfo_t si;
		memset(&si, 0, sizeof si);
		si.si_signo = SIGPIPE;
		si.si_code = SI_USER;
		si.si_pid = c->t->p->pid;
		si.si_uid = getuid();
		signal_raise(c->t->p, c->t->tid, SIGPIPE, &si);
	}
	return r;
}

/* The calls an event loop waits in (wait4 and waitid make the spare
 * themselves, only when they would sleep). */
static int is_idle_wait(int nr)
{
	switch (nr) {
	case SYS_epoll_wait: case SYS_epoll_pwait: case SYS_poll: case SYS_ppoll:
	case SYS_select: case SYS_pselect6: case SYS_nanosleep: case SYS_clock_nanosleep:
	case SYS_accept: case SYS_accept4: case SYS_pause: case SYS_rt_sigsuspend:
		return 1;
	}
	return 0;
}

void ufork_sigsys(int sig, siginfo_t *si, void *ucv)
{
	(void)sig;
	(void)si;
	ucontext_t *uc = ucv;
	greg_t *g = uc->uc_mcontext.gregs;
	struct tblock *b = current_block();
	struct uthread *t = b->ut;

	pkey_handler_mask(uc, 0);
	if (b->starting) {	/* first entry of this thread into µprocess code */
		b->starting = 0;
		fastcall_arm(b, uc);	/* (in every mode: ufork_enter_direct) */
		for (int i = 0; i < NGREG; i++)
			if (i != REG_CSGSFS)
				g[i] = t->start.gregs[i];
		if (t->start.fpstate)
			memcpy(frame_fpregs(uc), t->start.fpstate, t->start.fpsize);
		b->u_fs = t->start.fs;
		user_return(t, uc, -1);
		return;
	}
	syscall_run(t, uc);
}

/* A SIGSYS whose frame the host wrote where µprocess code had pointed rsp,
 * inside its own alternate stack below where frames belong (entry.S): the
 * frame cannot be trusted, and that µprocess dies of SIGSEGV, as of any
 * other touch of the runtime's memory. */
void ufork_sigsys_bad(void)
{
	struct tblock *b = current_block();
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &b->sigmask, NULL, 8);
	proc_exit(b->ut, SIGSEGV);
}

/* One syscall of thread t, whose registers are in uc (a SIGSYS frame, or a
 * fault frame of a rewritten site: fastcall.c), then back towards µprocess
 * code. */
void syscall_run(struct uthread *t, ucontext_t *uc)
{
	greg_t *g = uc->uc_mcontext.gregs;
	__atomic_store_n(&t->blk->in_user, 0, __ATOMIC_SEQ_CST);

	struct sysctx c = { .t = t, .uc = uc, .nr = (int)g[REG_RAX] };
	long a[6] = { g[REG_RDI], g[REG_RSI], g[REG_RDX], g[REG_R10], g[REG_R8], g[REG_R9] };
	if (trace_syscalls)
		trace_enter(&c, a);
	long ret = -ENOSYS;
	if (__builtin_expect(t->p->want_spare, 0) && is_idle_wait(c.nr) && spare_wanted(t->p))
		spare_make(t);	/* about to wait for events: make the next child's thread */
	/* a call that changes a fd table shared since a fork: our own copy first */
	long own = 0;
	if (__builtin_expect(t->p->fdshare != NULL, 0) && fdshare_writes(c.nr, a))
		own = fdshare_own(t);
	if (own)
		ret = own;
	else if (c.nr >= 0 && c.nr < syscall_table_size && syscall_table[c.nr].fn) {
		const struct syscall_desc *d = &syscall_table[c.nr];
		/* a limit the µprocess lowered below the host's may apply */
		if (__builtin_expect(d->limit & t->p->lim_watch, 0))
			ret = rlimit_call(&c, a, d->fn);
		else
			ret = d->fn(&c, a);
		if ((d->limit & LIM_NOFILE) || c.nr == SYS_ioctl)
			fd_note(&c, a, ret);
	}
	if (!c.keep_regs)
		g[REG_RAX] = ret;
	if (trace_syscalls)
		trace_exit(&c, ret);
	user_return(t, uc, ret == -512 ? c.nr : -1);
}

/* The way out of a syscall was interrupted by a kick (entry.S): look at
 * signals, kills and stops again before leaving. */
void ufork_sigsys_again(void *ucv)
{
	struct tblock *b = current_block();
	__atomic_store_n(&b->recheck, 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&b->in_user, 0, __ATOMIC_SEQ_CST);
	user_return(b->ut, ucv, -1);
}
