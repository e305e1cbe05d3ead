/* Unit tests of fdshare.c: which calls take a copy of a shared fd table,
 * and the count of µprocesses on one. */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <linux/sched.h>

#include "../../src/ufork.h"
#include "unit.h"

static int writes(int nr, long a1)
{
	long a[6] = { 0, a1 };
	return fdshare_writes(nr, a);
}

static void fdshare_calls_that_change_the_table(void)
{
	static const int creates[] = { SYS_open, SYS_openat, SYS_openat2, SYS_creat, SYS_close,
		SYS_close_range, SYS_dup, SYS_dup2, SYS_dup3, SYS_pipe, SYS_pipe2, SYS_socket,
		SYS_socketpair, SYS_accept, SYS_accept4, SYS_recvmsg, SYS_recvmmsg,
		SYS_epoll_create1, SYS_eventfd2, SYS_timerfd_create, SYS_signalfd4,
		SYS_inotify_init1, SYS_memfd_create, SYS_chdir, SYS_fchdir, SYS_umask,
		SYS_execve, SYS_execveat, SYS_clone3, SYS_pidfd_open };
	for (size_t i = 0; i < sizeof creates / sizeof *creates; i++)
		CHECK(writes(creates[i], 0));
	CHECK(writes(SYS_fcntl, F_DUPFD) && writes(SYS_fcntl, F_DUPFD_CLOEXEC));
	CHECK(writes(SYS_fcntl, F_SETFD) && writes(SYS_fcntl, F_SETLK) && writes(SYS_fcntl, F_GETLK));
	CHECK(writes(SYS_fcntl, F_NOTIFY) && writes(SYS_fcntl, 12345));
	CHECK(writes(SYS_ioctl, FIOCLEX) && writes(SYS_ioctl, FIONCLEX));
	long thread[6] = { CLONE_VM | CLONE_THREAD | CLONE_FILES };
	CHECK(fdshare_writes(SYS_clone, thread));
	CHECK(writes(99999, 0));	/* unknown: a change */
}

static void fdshare_calls_that_only_use_fds(void)
{
	static const int uses[] = { SYS_read, SYS_write, SYS_pread64, SYS_lseek, SYS_fstat,
		SYS_poll, SYS_epoll_wait, SYS_epoll_ctl, SYS_sendto, SYS_recvfrom, SYS_mmap,
		SYS_brk, SYS_fork, SYS_vfork, SYS_wait4, SYS_exit_group, SYS_rt_sigprocmask,
		SYS_gettid, SYS_getpid, SYS_futex, SYS_getcwd, SYS_clock_nanosleep };
	for (size_t i = 0; i < sizeof uses / sizeof *uses; i++)
		CHECK(!writes(uses[i], 0));
	CHECK(!writes(SYS_fcntl, F_GETFD) && !writes(SYS_fcntl, F_SETFL));
	CHECK(!writes(SYS_fcntl, F_OFD_SETLK));
	CHECK(!writes(SYS_ioctl, TCGETS) && !writes(SYS_ioctl, FIONREAD));
	long fork_like[6] = { 17 /* SIGCHLD */ };
	CHECK(!fdshare_writes(SYS_clone, fork_like));
}

static void fdshare_counts_its_processes(void)
{
	struct uproc *p = calloc(1, sizeof *p), *c1 = calloc(1, sizeof *c1),
		     *c2 = calloc(1, sizeof *c2);
	struct uthread t1 = { .p = c1 }, tp = { .p = p };
	CHECK(fdshare_fork(p, c1) == 0 && fdshare_fork(p, c2) == 0);
	CHECK(p->fdshare && c1->fdshare == p->fdshare && c2->fdshare == p->fdshare);
	CHECK(c1->parents_table && c2->parents_table && !p->parents_table);
	CHECK(fdshare_shared(p));
	/* a child that changes its table takes a copy: a new host table */
	CHECK(fdshare_own(&t1) == 0);
	CHECK(!c1->fdshare && !c1->parents_table && c1->host_gen == 1);
	CHECK(fdshare_own(&t1) == 0 && c1->host_gen == 1);	/* once */
	/* the other child ends: others are still on the table */
	CHECK(fdshare_leave(c2) == 1 && !c2->fdshare);
	CHECK(!fdshare_shared(p));
	/* alone, the parent keeps the table as it is: no copy, its spare stays */
	CHECK(fdshare_own(&tp) == 0 && !p->fdshare && p->host_gen == 0);
	CHECK(fdshare_leave(p) == 0 && fdshare_leave(c1) == 0);
	/* the last one to leave a shared table closes it */
	CHECK(fdshare_fork(p, c2) == 0);
	CHECK(fdshare_leave(p) == 1 && fdshare_leave(c2) == 0);
	free(p);
	free(c1);
	free(c2);
}

int main(void)
{
	int any_failed = 0;
	RUN(fdshare_calls_that_change_the_table);
	RUN(fdshare_calls_that_only_use_fds);
	RUN(fdshare_counts_its_processes);
	return any_failed;
}
