/*
 * fdshare.c - the fd table and cwd a forked child shares with its parent
 * until one of them changes them.
 *
 * POSIX gives a child a copy of its parent's fd table (and cwd, root and
 * umask).  A µprocess's copy lives in the host kernel: each µprocess's host
 * threads share one files_struct and fs_struct, which a host thread copies
 * with unshare(CLONE_FILES|CLONE_FS).  A copy that nobody changes equals
 * the original, so a single-threaded parent and its child share one table
 * (struct fdshare counts the µprocesses on it), and the first of them to
 * change it takes its own copy first (fdshare_own): a call that opens,
 * closes or duplicates an fd, changes a close-on-exec flag, the cwd or the
 * umask, takes or queries a POSIX record lock (the kernel names their owner
 * by table), creates a thread, or execs.  What is not in the list of calls
 * that cannot (fdshare_writes) counts as a change.
 *
 * A child that never changes them costs no copy at fork and no close at its
 * exit, when the others still hold the table, and its host thread, which
 * still shares its parent's table, can be its parent's next spare
 * (spare.c): no host thread is created or ended for such a fork.
 *
 * Invariants:
 *  - p->fdshare is set only while p has one thread (fork shares only from a
 *    single-threaded parent; a µprocess takes its own copy before it makes
 *    a thread), and only p's thread sets or clears it;
 *  - a shared table holds no POSIX record lock (fork copies eagerly from a
 *    parent that holds one; lock calls take their own copy);
 *  - refs counts the µprocesses on the table (share_lock); the last one
 *    leaves owning it, and closes it at exit like an unshared µprocess;
 *  - a µprocess whose host thread takes a new table bumps its host_gen, so
 *    its spare, which shares the old one, is never used.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <linux/sched.h>

#include "ufork.h"

struct fdshare {
	int refs;		/* µprocesses on the table (share_lock) */
};

static pthread_mutex_t share_lock = PTHREAD_MUTEX_INITIALIZER;

/* At the fork of single-threaded p, which holds no record lock: child
 * shares p's table.  0, or -ENOMEM (the fork copies then). */
int fdshare_fork(struct uproc *p, struct uproc *child)
{
	if (!p->fdshare) {
		struct fdshare *x = calloc(1, sizeof *x);
		if (!x)
			return -ENOMEM;
		x->refs = 1;
		p->fdshare = x;
	}
	pthread_mutex_lock(&share_lock);
	p->fdshare->refs++;
	pthread_mutex_unlock(&share_lock);
	child->fdshare = p->fdshare;
	child->parents_table = 1;
	return 0;
}

/* On t's own host thread, before t's µprocess changes its fd table or cwd:
 * its own copy, unless nobody else is on the table any more.  0 or -errno. */
long fdshare_own(struct uthread *t)
{
	struct uproc *p = t->p;
	struct fdshare *x = p->fdshare;
	long r = 0;
	if (!x)
		return 0;
	p->parents_table = 0;
	pthread_mutex_lock(&share_lock);
	if (x->refs == 1) {
		free(x);	/* alone: the table is ours as it is */
		p->fdshare = NULL;
	} else if (unshare(CLONE_FILES | CLONE_FS) == 0) {
		x->refs--;
		p->fdshare = NULL;
		__atomic_add_fetch(&p->host_gen, 1, __ATOMIC_RELEASE);	/* spare: old table */
	} else {
		r = -errno;
	}
	pthread_mutex_unlock(&share_lock);
	return r;
}

/* p ends (or never ran): 1 if others are still on its table, which its
 * exit must then leave open. */
int fdshare_leave(struct uproc *p)
{
	struct fdshare *x = p->fdshare;
	int others = 0;
	if (!x)
		return 0;
	pthread_mutex_lock(&share_lock);
	others = --x->refs > 0;
	pthread_mutex_unlock(&share_lock);
	if (!others)
		free(x);
	p->fdshare = NULL;
	return others;
}

/* 1 if another µprocess is on p's table: a child that may give p its host
 * thread (spare.c). */
int fdshare_shared(struct uproc *p)
{
	struct fdshare *x = p->fdshare;
	return x && __atomic_load_n(&x->refs, __ATOMIC_RELAXED) > 1;
}

/*
 * Whether call nr (arguments a) may change the caller's fd table, cwd, root
 * or umask, or depends on which table it is: everything but the calls
 * below, which only use the fds they are given.
 */
int fdshare_writes(int nr, const long a[6])
{
	switch (nr) {
	case SYS_fcntl:
		switch (a[1]) {
		case F_GETFD: case F_GETFL: case F_SETFL: case F_GETOWN: case F_SETOWN:
		case F_GETOWN_EX: case F_SETOWN_EX: case F_GETSIG: case F_SETSIG:
		case F_GETLEASE: case F_SETLEASE: case F_OFD_GETLK: case F_OFD_SETLK:
		case F_OFD_SETLKW: case F_GETPIPE_SZ: case F_SETPIPE_SZ: case F_ADD_SEALS:
		case F_GET_SEALS:
			return 0;	/* the open file description's, not the table's */
		}
		return 1;	/* F_DUPFD*, F_SETFD, record locks, F_NOTIFY... */
	case SYS_ioctl:
		return a[1] == FIOCLEX || a[1] == FIONCLEX || a[1] == TIOCGPTPEER;
	case SYS_clone:
		return (a[0] & CLONE_THREAD) != 0;	/* a fork shares, vfork copies */
	/* files: data, metadata, names */
	case SYS_read: case SYS_write: case SYS_pread64: case SYS_pwrite64: case SYS_readv:
	case SYS_writev: case SYS_preadv: case SYS_pwritev: case SYS_preadv2:
	case SYS_pwritev2: case SYS_lseek: case SYS_stat: case SYS_fstat: case SYS_lstat:
	case SYS_newfstatat: case SYS_statx: case SYS_access: case SYS_faccessat:
	case SYS_faccessat2: case SYS_flock: case SYS_fsync: case SYS_fdatasync:
	case SYS_truncate: case SYS_ftruncate: case SYS_getdents: case SYS_getdents64:
	case SYS_getcwd: case SYS_rename: case SYS_renameat: case SYS_renameat2:
	case SYS_mkdir: case SYS_mkdirat: case SYS_rmdir: case SYS_link: case SYS_linkat:
	case SYS_unlink: case SYS_unlinkat: case SYS_symlink: case SYS_symlinkat:
	case SYS_readlink: case SYS_readlinkat: case SYS_chmod: case SYS_fchmod:
	case SYS_fchmodat: case SYS_chown: case SYS_fchown: case SYS_lchown:
	case SYS_fchownat: case SYS_utime: case SYS_utimes: case SYS_futimesat:
	case SYS_utimensat: case SYS_mknod: case SYS_mknodat: case SYS_statfs:
	case SYS_fstatfs: case SYS_sync: case SYS_syncfs: case SYS_splice: case SYS_tee:
	case SYS_sync_file_range: case SYS_vmsplice: case SYS_fallocate: case SYS_sendfile:
	case SYS_copy_file_range: case SYS_fadvise64: case SYS_readahead:
	case SYS_setxattr: case SYS_lsetxattr: case SYS_fsetxattr: case SYS_getxattr:
	case SYS_lgetxattr: case SYS_fgetxattr: case SYS_listxattr: case SYS_llistxattr:
	case SYS_flistxattr: case SYS_removexattr: case SYS_lremovexattr:
	case SYS_fremovexattr: case SYS_inotify_add_watch: case SYS_inotify_rm_watch:
	/* waiting and events */
	case SYS_poll: case SYS_ppoll: case SYS_select: case SYS_pselect6:
	case SYS_epoll_ctl: case SYS_epoll_wait: case SYS_epoll_pwait:
	case SYS_timerfd_settime: case SYS_timerfd_gettime:
	/* sockets, without passed fds */
	case SYS_connect: case SYS_sendto: case SYS_recvfrom: case SYS_sendmsg:
	case SYS_sendmmsg: case SYS_shutdown: case SYS_bind: case SYS_listen:
	case SYS_getsockname: case SYS_getpeername: case SYS_setsockopt:
	case SYS_getsockopt:
	/* memory */
	case SYS_brk: case SYS_mmap: case SYS_munmap: case SYS_mprotect: case SYS_mremap:
	case SYS_madvise: case SYS_msync: case SYS_mincore: case SYS_mlock:
	case SYS_munlock: case SYS_mlock2:
	/* processes, signals, time, identity */
	case SYS_fork: case SYS_vfork: case SYS_exit: case SYS_exit_group: case SYS_wait4:
	case SYS_waitid: case SYS_set_tid_address: case SYS_set_robust_list:
	case SYS_get_robust_list: case SYS_gettid: case SYS_arch_prctl: case SYS_rseq:
	case SYS_futex: case SYS_sched_yield: case SYS_getpid: case SYS_getppid:
	case SYS_getpgid: case SYS_setpgid: case SYS_getpgrp: case SYS_setsid:
	case SYS_getsid: case SYS_prctl: case SYS_rt_sigaction: case SYS_rt_sigprocmask:
	case SYS_rt_sigreturn: case SYS_sigaltstack: case SYS_rt_sigpending:
	case SYS_rt_sigsuspend: case SYS_rt_sigtimedwait: case SYS_rt_sigqueueinfo:
	case SYS_rt_tgsigqueueinfo: case SYS_kill: case SYS_tkill: case SYS_tgkill:
	case SYS_pause: case SYS_alarm: case SYS_setitimer: case SYS_getitimer:
	case SYS_timer_create: case SYS_timer_settime: case SYS_timer_gettime:
	case SYS_timer_getoverrun: case SYS_timer_delete: case SYS_clock_gettime:
	case SYS_clock_getres: case SYS_gettimeofday: case SYS_time: case SYS_nanosleep:
	case SYS_clock_nanosleep: case SYS_uname: case SYS_sysinfo: case SYS_getrandom:
	case SYS_getuid: case SYS_getgid: case SYS_geteuid: case SYS_getegid:
	case SYS_getresuid: case SYS_getresgid: case SYS_getgroups: case SYS_setuid:
	case SYS_setgid: case SYS_setreuid: case SYS_setregid: case SYS_setresuid:
	case SYS_setresgid: case SYS_setgroups: case SYS_setfsuid: case SYS_setfsgid:
	case SYS_getrlimit: case SYS_getrusage: case SYS_times: case SYS_getpriority:
	case SYS_setpriority: case SYS_getcpu: case SYS_sched_getaffinity:
	case SYS_sched_setaffinity: case SYS_sched_getparam: case SYS_sched_setparam:
	case SYS_sched_getscheduler: case SYS_sched_setscheduler:
	case SYS_sched_get_priority_max: case SYS_sched_get_priority_min:
	case SYS_sched_rr_get_interval: case SYS_capget:
		return 0;
	}
	return 1;
}
