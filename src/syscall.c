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
 *
 * Table entries either emulate (process model, memory, signals, threads) or
 * forward to the host kernel (files, sockets, time).  Anything not in the
 * table answers -ENOSYS.  Forwarded calls go through the cancellable path so
 * that exit and signals can interrupt a blocked thread without a race.
 */
#include <errno.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ufork.h"

int trace_syscalls;

/* Pending signal or exit interrupts a blocked forwarded call: the call
 * answers -ERESTARTSYS (512) and signal_deliver decides restart or EINTR. */
long host_syscall_cancellable(struct uthread *t, long nr, const long a[6])
{
	struct tblock *b = t->blk;
	for (;;) {
		__atomic_store_n(&b->cancel, 0, __ATOMIC_SEQ_CST);
		if (b->kill || signal_pending_for(t))
			return -512;
		long r = ufork_cancellable_syscall(&b->cancel, nr, a);
		if (r != -EINTR)
			return r;
		if (b->kill || signal_pending_for(t))
			return -512;
		/* interrupted for a signal another thread took: restart */
	}
}

long sys_forward(struct sysctx *c, long a[6])
{
	return host_syscall_cancellable(c->t, c->nr, a);
}

void ufork_sigsys(int sig, siginfo_t *si, void *ucv)
{
	(void)sig;
	(void)si;
	ucontext_t *uc = ucv;
	greg_t *g = uc->uc_mcontext.gregs;
	struct tblock *b = current_block();
	struct uthread *t = b->ut;

	if (b->starting) {	/* first entry of this thread into µprocess code */
		b->starting = 0;
		for (int i = 0; i < NGREG; i++)
			if (i != REG_CSGSFS)
				g[i] = t->start.gregs[i];
		if (t->start.fpstate)
			memcpy(uc->uc_mcontext.fpregs, t->start.fpstate, t->start.fpsize);
		b->u_fs = t->start.fs;
		user_return(t, uc, -1);
		return;
	}
	__atomic_store_n(&b->in_user, 0, __ATOMIC_SEQ_CST);

	struct sysctx c = { .t = t, .uc = uc, .nr = (int)g[REG_RAX] };
	long a[6] = { g[REG_RDI], g[REG_RSI], g[REG_RDX], g[REG_R10], g[REG_R8], g[REG_R9] };
	if (trace_syscalls)
		trace_enter(&c, a);
	long ret = -ENOSYS;
	if (c.nr >= 0 && c.nr < syscall_table_size && syscall_table[c.nr].fn)
		ret = syscall_table[c.nr].fn(&c, a);
	if (!c.keep_regs)
		g[REG_RAX] = ret;
	if (trace_syscalls)
		trace_exit(&c, ret);
	user_return(t, uc, ret == -512 ? c.nr : -1);
}
