/*
 * sys_thread.c - threads of a µprocess: clone (threads only; a clone without
 * CLONE_VM is fork), exit, the per-thread kernel registrations that are
 * emulated rather than forwarded (host threads outlive µprocess threads, so
 * a forwarded clear-tid address would be written into a recycled slot), the
 * FS base, and futex.
 */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <asm/prctl.h>

#include "ufork.h"

#define THREAD_FLAGS (CLONE_VM | CLONE_THREAD | CLONE_SIGHAND)

long sys_clone(struct sysctx *c, long a[6])
{
	struct uthread *t = c->t;
	unsigned long flags = a[0];
	uintptr_t stack = a[1], ptid = a[2], ctid = a[3], tls = a[4];
	if (!(flags & CLONE_VM))
		return sys_fork(c, a);
	if ((flags & CLONE_VFORK) && !(flags & (CLONE_THREAD | CLONE_SIGHAND | CLONE_SETTLS)))
		return sys_vfork(c, a);
	if ((flags & THREAD_FLAGS) != THREAD_FLAGS)
		return -EINVAL;
	if (flags & (CLONE_NEWNS | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET |
		     CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP | CLONE_PIDFD))
		return -EINVAL;

	fd_sync(t);	/* the new thread shares our fd table from its birth */
	greg_t *g = c->uc->uc_mcontext.gregs;
	size_t fpsize = xstate_size(frame_fpregs(c->uc));
	void *fp = malloc(fpsize);
	if (!fp)
		return -ENOMEM;
	memcpy(fp, frame_fpregs(c->uc), fpsize);

	int tid = pid_alloc();
	struct uthread *nt = thread_new(t->p, tid);
	if (!nt) {
		free(fp);
		return -EAGAIN;
	}
	memcpy(nt->start.gregs, g, sizeof nt->start.gregs);
	nt->start.gregs[REG_RAX] = 0;
	if (stack)
		nt->start.gregs[REG_RSP] = stack;
	nt->start.fs = (flags & CLONE_SETTLS) ? tls : t->blk->u_fs;
	nt->start.fpstate = fp;
	nt->start.fpsize = fpsize;
	nt->mask = t->mask;
	if (flags & CLONE_CHILD_CLEARTID)
		nt->clear_child_tid = ctid;
	if ((flags & CLONE_PARENT_SETTID) && copy_to_user(t->p, ptid, &tid, sizeof tid))
		goto fault;
	if ((flags & CLONE_CHILD_SETTID) && copy_to_user(t->p, ctid, &tid, sizeof tid))
		goto fault;
	int r = thread_spawn(nt);	/* frees nt on failure */
	return r < 0 ? -EAGAIN : tid;
fault:
	thread_spawn_cancel(nt);
	return -EFAULT;
}

long sys_clone3(struct sysctx *c, long a[6])
{
	return -ENOSYS;	/* libcs fall back to clone */
}

long sys_exit(struct sysctx *c, long a[6])
{
	c->t->exit_code = a[0];
	thread_exit(c->t);
}

long sys_exit_group(struct sysctx *c, long a[6])
{
	proc_exit(c->t, (a[0] & 0xff) << 8);
}

long sys_set_tid_address(struct sysctx *c, long a[6])
{
	c->t->clear_child_tid = a[0];
	return c->t->tid;
}

long sys_set_robust_list(struct sysctx *c, long a[6])
{
	if (a[1] != 24)	/* sizeof(struct robust_list_head) */
		return -EINVAL;
	c->t->robust_list = a[0];
	c->t->robust_len = a[1];
	return 0;
}

long sys_get_robust_list(struct sysctx *c, long a[6])
{
	struct uthread *t = c->t;
	if (a[0] != 0 && a[0] != t->tid)
		return -ESRCH;
	if (copy_to_user(t->p, a[1], &t->robust_list, sizeof t->robust_list) ||
	    copy_to_user(t->p, a[2], &t->robust_len, sizeof t->robust_len))
		return -EFAULT;
	return 0;
}

long sys_gettid(struct sysctx *c, long a[6])
{
	return c->t->tid;
}

long sys_arch_prctl(struct sysctx *c, long a[6])
{
	struct tblock *b = c->t->blk;
	switch (a[0]) {
	case ARCH_SET_FS:
		if ((uintptr_t)a[1] >= (1UL << 47))
			return -EPERM;
		b->u_fs = a[1];
		return 0;
	case ARCH_GET_FS:
		return copy_to_user(c->t->p, a[1], &b->u_fs, sizeof b->u_fs);
	case ARCH_SET_GS:
		if (fast_syscalls || ufork_pkru_on)
			return -EPERM;	/* GS is the fast entry's (fastcall.c) and,
					   under isolation, the stubs' (entry.S) */
		return sys_forward(c, a);	/* the runtime does not use GS */
	case ARCH_GET_GS:
		if (fast_syscalls || ufork_pkru_on) {
			uintptr_t zero = 0;
			return copy_to_user(c->t->p, a[1], &zero, sizeof zero);
		}
		return sys_forward(c, a);
	default:
		return -EINVAL;
	}
}

long sys_rseq(struct sysctx *c, long a[6])
{
	return -ENOSYS;
}

long sys_futex(struct sysctx *c, long a[6])
{
	if (!user_range_ok(c->t->p, a[0], 4))
		return -EFAULT;
	return sys_forward(c, a);
}
