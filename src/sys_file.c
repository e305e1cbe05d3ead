/*
 * sys_file.c - fd system calls.  The host kernel keeps each µprocess's fd
 * table, cwd and umask (its host threads share one CLONE_FILES|CLONE_FS
 * context), so most file calls are forwarded unchanged by the table in
 * systab.c.  Here: what must not reach the host as is - the runtime's own fds
 * (at fd_floor and above) are protected from close/dup2/dup3/fcntl, and the
 * calls that take a host signal mask run with the µprocess's virtual mask
 * instead of touching the host's.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ufork.h"

int fd_floor = 1000;

int is_runtime_fd(long fd)
{
	return fd >= fd_floor && fd < fd_floor + 24;
}

/* Moves a runtime fd into the protected range (closes the original). */
int runtime_fd(int fd)
{
	int n = fcntl(fd, F_DUPFD_CLOEXEC, fd_floor);
	if (n < 0 || !is_runtime_fd(n)) {
		if (n >= 0)
			close(n);
		return fd;
	}
	close(fd);
	return n;
}

long sys_close(struct sysctx *c, long a[6])
{
	if (is_runtime_fd(a[0]))
		return -EBADF;
	struct uproc *p = c->t->p;
	if (p->sigfds)
		signalfd_forget(p, a[0]);
	if (a[0] == p->oom_fd) {	/* what was written to /proc/self/oom_score_adj */
		char v[32] = "";
		if (pread(a[0], v, sizeof v - 1, 0) > 0)
			p->oom_score_adj = atoi(v);
		p->oom_fd = -1;
	}
	locks_close(p, a[0]);
	return sys_forward(c, a);
}

long sys_dup2(struct sysctx *c, long a[6])
{
	if (is_runtime_fd(a[0]) || is_runtime_fd(a[1]))
		return -EBADF;
	return sys_forward(c, a);
}

long sys_dup3(struct sysctx *c, long a[6])
{
	return sys_dup2(c, a);
}

long sys_close_range(struct sysctx *c, long a[6])
{
	unsigned long lo = a[0], hi = a[1];
	if (lo > hi)
		return -EINVAL;
	if (hi >= (unsigned long)fd_floor && lo < (unsigned long)fd_floor + 24) {
		long b[6] = { lo, fd_floor - 1, a[2] };
		long r = 0;
		if (lo < (unsigned long)fd_floor)
			r = host_syscall_cancellable(c->t, SYS_close_range, b);
		if (r == 0 && hi >= (unsigned long)fd_floor + 24) {
			b[0] = fd_floor + 24;
			b[1] = hi;
			r = host_syscall_cancellable(c->t, SYS_close_range, b);
		}
		return r;
	}
	return sys_forward(c, a);
}

long sys_fcntl(struct sysctx *c, long a[6])
{
	if (is_runtime_fd(a[0]))
		return -EBADF;
	if (a[1] == F_SETLK || a[1] == F_SETLKW || a[1] == F_GETLK)
		return locks_fcntl(c, a);
	long r = sys_forward(c, a);
	if (r >= 0 && is_runtime_fd(r) && (a[1] == F_DUPFD || a[1] == F_DUPFD_CLOEXEC)) {
		/* cannot happen while the range is full; never hand one out */
		close(r);
		return -EMFILE;
	}
	return r;
}

/* The signal-mask argument is dropped: the virtual mask stays in force and
 * delivery happens on return, as it would after the call. */
long sys_ppoll(struct sysctx *c, long a[6])
{
	if (forward_args_check(c->t->p, c->nr, a))
		return -EFAULT;
	long b[6] = { a[0], a[1], a[2], 0, 0, 0 };
	return host_syscall_cancellable(c->t, SYS_ppoll, b);
}

long sys_pselect6(struct sysctx *c, long a[6])
{
	if (forward_args_check(c->t->p, c->nr, a))
		return -EFAULT;
	long b[6] = { a[0], a[1], a[2], a[3], a[4], 0 };
	return host_syscall_cancellable(c->t, SYS_pselect6, b);
}

long sys_epoll_pwait(struct sysctx *c, long a[6])
{
	if (forward_args_check(c->t->p, c->nr, a))
		return -EFAULT;
	long b[6] = { a[0], a[1], a[2], a[3], 0, 0 };
	return host_syscall_cancellable(c->t, SYS_epoll_pwait, b);
}
