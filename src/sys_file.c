/*
 * sys_file.c - fd system calls.  The host kernel keeps each µprocess's fd
 * table, cwd and umask (its host threads share one CLONE_FILES|CLONE_FS
 * context), so most file calls are forwarded unchanged by the table in
 * systab.c.  Here: what must not reach the host as is - the runtime's own fds
 * (at fd_floor and above) are protected from close/dup2/dup3/fcntl and from
 * the forwarded calls that take an fd (runtime_fd_arg), and the
 * calls that take a host signal mask run with the µprocess's virtual mask
 * instead of touching the host's.  And fd_top, the bound on a µprocess's fd
 * numbers that lets its exit close its table without scanning all of it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ufork.h"

int fd_floor = 1000;

int is_runtime_fd(long fd)
{
	return fd >= fd_floor && fd < fd_floor + RUNTIME_FDS;
}

/* Which arguments of forwarded call nr are fds (bit i: a[i]).  The *at
 * calls' dirfds are not here: an absolute path ignores them. */
static unsigned fd_args(long nr)
{
	switch (nr) {
	case SYS_splice: case SYS_copy_file_range: case SYS_epoll_ctl:
		return 1 | 4;
	case SYS_tee: case SYS_sendfile:
		return 1 | 2;
	case SYS_read: case SYS_write: case SYS_fstat: case SYS_lseek: case SYS_ioctl:
	case SYS_pread64: case SYS_pwrite64: case SYS_readv: case SYS_writev:
	case SYS_preadv: case SYS_pwritev: case SYS_preadv2: case SYS_pwritev2:
	case SYS_dup: case SYS_flock: case SYS_fsync: case SYS_fdatasync:
	case SYS_ftruncate: case SYS_getdents: case SYS_getdents64: case SYS_fchdir:
	case SYS_fchmod: case SYS_fchown: case SYS_fstatfs: case SYS_syncfs:
	case SYS_sync_file_range: case SYS_vmsplice: case SYS_fallocate:
	case SYS_fadvise64: case SYS_readahead: case SYS_fsetxattr: case SYS_fgetxattr:
	case SYS_flistxattr: case SYS_fremovexattr: case SYS_inotify_add_watch:
	case SYS_inotify_rm_watch: case SYS_epoll_wait: case SYS_timerfd_settime:
	case SYS_timerfd_gettime: case SYS_connect: case SYS_accept: case SYS_accept4:
	case SYS_sendto: case SYS_recvfrom: case SYS_sendmsg: case SYS_recvmsg:
	case SYS_sendmmsg: case SYS_recvmmsg: case SYS_shutdown: case SYS_bind:
	case SYS_listen: case SYS_getsockname: case SYS_getpeername:
	case SYS_setsockopt: case SYS_getsockopt:
		return 1;
	}
	return 0;
}

/* Does forwarded call nr name one of the runtime's fds?  The µprocess has
 * no such fd (Linux: EBADF), and the runtime's userfaultfd, pagemap, log
 * and front socket are not its to read, write, ioctl or dup. */
int runtime_fd_arg(long nr, const long a[6])
{
	unsigned m = fd_args(nr);
	for (int i = 0; m; i++, m >>= 1)
		if ((m & 1) && is_runtime_fd(a[i]))
			return 1;
	return 0;
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

/*
 * p->fd_top: every fd of p below fd_floor is at most fd_top.  A table that
 * holds the runtime's fds (at fd_floor) has over a thousand slots, and
 * close_range walks them one by one (about 10 us), so the exit of a
 * µprocess closes [0, fd_top] instead.  Raised after every call that can
 * create an fd (the LIM_NOFILE entries of systab.c, and ioctl); a fork
 * child starts from its parent's, or from the whole range when the parent
 * has other threads (one of them may be creating an fd right now).
 */
void fd_note(struct sysctx *c, const long a[6], long ret)
{
	struct uproc *p = c->t->p;
	long top = ret;
	if (ret < 0)
		return;
	switch (c->nr) {
	case SYS_pipe:
	case SYS_pipe2:
	case SYS_socketpair: {
		int fds[2];
		if (copy_from_user(p, fds, c->nr == SYS_socketpair ? a[3] : a[0], sizeof fds))
			top = fd_floor - 1;
		else
			top = fds[0] > fds[1] ? fds[0] : fds[1];
		break;
	}
	case SYS_fcntl:
		if (a[1] != F_DUPFD && a[1] != F_DUPFD_CLOEXEC)
			return;
		break;
	case SYS_recvmsg:
	case SYS_recvmmsg:	/* SCM_RIGHTS: fds anywhere in the free slots */
		top = fd_floor - 1;
		break;
	}
	if (top >= fd_floor)
		top = fd_floor - 1;	/* above the runtime's: closed separately */
	int cur = __atomic_load_n(&p->fd_top, __ATOMIC_RELAXED);
	while (top > cur && !__atomic_compare_exchange_n(&p->fd_top, &cur, top, 0,
							 __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

/* The highest fd below fd_floor open in the calling thread's table (the
 * runtime's, whose copy the first µprocess gets), from /proc. */
int fd_top_scan(void)
{
	int top = 2;
	DIR *d = opendir("/proc/thread-self/fd");
	if (!d)
		return fd_floor - 1;
	for (struct dirent *e; (e = readdir(d));) {
		int fd = atoi(e->d_name);
		if (fd != dirfd(d) && fd > top && fd < fd_floor)
			top = fd;
	}
	closedir(d);
	return top;
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
	if (hi >= (unsigned long)fd_floor && lo < (unsigned long)fd_floor + RUNTIME_FDS) {
		long b[6] = { lo, fd_floor - 1, a[2] };
		long r = 0;
		if (lo < (unsigned long)fd_floor)
			r = host_syscall_cancellable(c->t, SYS_close_range, b);
		if (r == 0 && hi >= (unsigned long)fd_floor + RUNTIME_FDS) {
			b[0] = fd_floor + RUNTIME_FDS;
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
