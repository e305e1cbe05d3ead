/*
 * sys_proc.c - process-model system calls: pids, wait, process groups and
 * sessions.  All emulated: pids are ufork's own (pid 1 is the invisible
 * init), and the host never sees these calls.
 */
#include <errno.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "ufork.h"

int proc_getppid(struct uproc *p);
long proc_setpgid(struct uproc *self, int pid, int pgid);
long proc_setsid(struct uproc *p);
long proc_getids(struct uproc *self, int pid, int want_sid);

long sys_getpid(struct sysctx *c, long a[6])
{
	return c->t->p->pid;
}

long sys_getppid(struct sysctx *c, long a[6])
{
	return proc_getppid(c->t->p);
}

long sys_wait4(struct sysctx *c, long a[6])
{
	int pid = a[0], options = a[2], status = 0;
	if (options & ~(WNOHANG | WUNTRACED | WCONTINUED | __WALL | __WCLONE | __WNOTHREAD))
		return -EINVAL;
	int idtype = pid > 0 ? P_PID : pid == -1 ? P_ALL : P_PGID;
	int id = pid < -1 ? -pid : pid == 0 ? c->t->p->pgid : pid;
	long r = proc_wait(c->t, idtype, id,
			   WEXITED | (options & (WNOHANG | WUNTRACED | WCONTINUED)), &status, NULL);
	if (r > 0 && a[1] && copy_to_user(c->t->p, a[1], &status, sizeof status))
		return -EFAULT;
	if (r > 0 && a[3]) {
		struct rusage ru;
		memset(&ru, 0, sizeof ru);
		if (copy_to_user(c->t->p, a[3], &ru, sizeof ru))
			return -EFAULT;
	}
	return r;
}

long sys_waitid(struct sysctx *c, long a[6])
{
	int idtype = a[0], id = a[1], options = a[3], status;
	if (options & ~(WNOHANG | WEXITED | WSTOPPED | WCONTINUED | WNOWAIT | __WALL |
			__WCLONE | __WNOTHREAD))
		return -EINVAL;
	if (!(options & (WEXITED | WSTOPPED | WCONTINUED)))
		return -EINVAL;
	if (idtype != P_ALL && idtype != P_PID && idtype != P_PGID)
		return -EINVAL;
	if (idtype == P_PGID && id == 0)
		id = c->t->p->pgid;
	siginfo_t si;
	memset(&si, 0, sizeof si);
	long r = proc_wait(c->t, idtype, id,
			   options & (WNOHANG | WNOWAIT | WEXITED | WSTOPPED | WCONTINUED), &status,
			   &si);
	if (r >= 0 && a[2] && copy_to_user(c->t->p, a[2], &si, sizeof si))
		return -EFAULT;
	return r > 0 ? 0 : r;
}

/* Process groups and sessions (proc.c keeps them under the table lock). */
long sys_getpgid(struct sysctx *c, long a[6])
{
	return proc_getids(c->t->p, a[0], 0);
}

long sys_getpgrp(struct sysctx *c, long a[6])
{
	return proc_getids(c->t->p, 0, 0);
}

long sys_getsid(struct sysctx *c, long a[6])
{
	return proc_getids(c->t->p, a[0], 1);
}

long sys_setpgid(struct sysctx *c, long a[6])
{
	return proc_setpgid(c->t->p, a[0], a[1]);
}

long sys_setsid(struct sysctx *c, long a[6])
{
	return proc_setsid(c->t->p);
}
