/*
 * systab.c - the syscall table: for each Linux x86-64 syscall number, its
 * name (for --trace) and who answers it.
 *   F(name)      forwarded to the host kernel unchanged (files, sockets,
 *                time, per-thread credentials): safe because the host keeps
 *                the state per µprocess or the call has no process state;
 *   E(name)      emulated by sys_<name> in a sys_*.c file;
 *   R(name)      forwarded once its address range is the caller's own;
 *   P(name)      forwarded with its µprocess pid argument turned into the
 *                host thread behind that µprocess (sys_misc.c);
 *   C(name)      forwarded credential change of the calling host thread
 *                (the µprocess's spare thread goes stale, spare.c);
 *   N(name)      known but refused with -ENOSYS (bypasses the runtime or not
 *                supported yet).
 * A number not listed answers -ENOSYS too.  A trailing letter marks what a
 * µprocess's lowered resource limit can change (rlimit.c): FD/ED create fds
 * (RLIMIT_NOFILE), FZ writes or sizes a file (RLIMIT_FSIZE), EP creates a
 * task (RLIMIT_NPROC), FC may change the real uid.
 */
#include <sys/syscall.h>

#include "ufork.h"

#define F(n) [SYS_##n] = { #n, sys_forward }
#define E(n) [SYS_##n] = { #n, sys_##n }
#define N(n) [SYS_##n] = { #n, 0 }
#define R(n) [SYS_##n] = { #n, sys_mem_range }
#define P(n) [SYS_##n] = { #n, sys_pid_arg }
#define FD(n) [SYS_##n] = { #n, sys_forward, LIM_NOFILE }
#define ED(n) [SYS_##n] = { #n, sys_##n, LIM_NOFILE }
#define FZ(n) [SYS_##n] = { #n, sys_forward, LIM_FSIZE }
#define EP(n) [SYS_##n] = { #n, sys_##n, LIM_NPROC }
#define C(n) [SYS_##n] = { #n, sys_setcred }
#define FC(n) [SYS_##n] = { #n, sys_setcred, LIM_CRED }

const struct syscall_desc syscall_table[] = {
	/* files and directories */
	E(read), FZ(write), ED(open), E(close), E(stat), F(fstat), E(lstat), F(poll),
	F(lseek), E(ioctl), F(pread64), FZ(pwrite64), F(readv), FZ(writev), E(access),
	FD(pipe), F(select), FD(dup), ED(dup2), ED(dup3), ED(fcntl), F(flock), F(fsync),
	F(fdatasync), FZ(truncate), FZ(ftruncate), F(getdents), F(getdents64),
	F(getcwd), F(chdir), F(fchdir), F(rename), F(mkdir), F(rmdir), ED(creat),
	F(link), F(unlink), F(symlink), E(readlink), F(chmod), F(fchmod), F(chown),
	F(fchown), F(lchown), F(umask), F(utime), F(utimes), F(mknod), F(statfs),
	F(fstatfs), F(sync), F(syncfs), ED(openat), F(mkdirat), F(mknodat),
	F(fchownat), F(futimesat), E(newfstatat), F(unlinkat), F(renameat),
	F(renameat2), F(linkat), F(symlinkat), E(readlinkat), F(fchmodat),
	E(faccessat), E(faccessat2), F(utimensat), FZ(splice), F(tee),
	F(sync_file_range), F(vmsplice), FZ(fallocate), FD(pipe2), F(preadv),
	FZ(pwritev), F(preadv2), FZ(pwritev2), FZ(sendfile), FZ(copy_file_range),
	E(statx), F(fadvise64), F(readahead), ED(openat2), E(close_range),
	F(setxattr), F(lsetxattr), F(fsetxattr), F(getxattr), F(lgetxattr),
	F(fgetxattr), F(listxattr), F(llistxattr), F(flistxattr), F(removexattr),
	F(lremovexattr), F(fremovexattr), FD(inotify_init), FD(inotify_init1),
	F(inotify_add_watch), F(inotify_rm_watch), FD(memfd_create),
	/* polling and events */
	E(ppoll), E(pselect6), FD(epoll_create), FD(epoll_create1), F(epoll_ctl),
	F(epoll_wait), E(epoll_pwait), FD(eventfd), FD(eventfd2), FD(timerfd_create),
	F(timerfd_settime), F(timerfd_gettime),
	/* sockets */
	FD(socket), F(connect), FD(accept), FD(accept4), F(sendto), F(recvfrom),
	F(sendmsg), FD(recvmsg), F(sendmmsg), FD(recvmmsg), F(shutdown), F(bind),
	F(listen), F(getsockname), F(getpeername), FD(socketpair), F(setsockopt),
	F(getsockopt),
	/* memory */
	E(brk), E(mmap), E(munmap), E(mprotect), E(mremap), E(madvise),
	R(msync), R(mincore), R(mlock), R(munlock), R(mlock2), N(mlockall), N(munlockall),
	N(mbind), N(pkey_mprotect), N(pkey_alloc), N(pkey_free),
	/* threads and processes */
	EP(clone), E(clone3), EP(fork), EP(vfork), E(execve), E(execveat), E(exit),
	E(exit_group), E(wait4), E(waitid), E(set_tid_address), E(set_robust_list),
	E(get_robust_list), E(gettid), E(arch_prctl), E(rseq), E(futex),
	F(sched_yield), E(getpid), E(getppid), E(getpgid), E(setpgid), E(getpgrp),
	E(setsid), E(getsid), E(prctl), N(ptrace), N(seccomp), N(userfaultfd),
	N(process_vm_readv), N(process_vm_writev), N(io_uring_setup),
	N(io_uring_enter), N(io_uring_register), N(unshare), N(setns),
	N(personality), N(kcmp), N(pidfd_open), N(pidfd_send_signal),
	/* signals */
	E(rt_sigaction), E(rt_sigprocmask), E(rt_sigreturn), E(sigaltstack),
	E(rt_sigpending), E(rt_sigsuspend), E(rt_sigtimedwait), E(rt_sigqueueinfo),
	E(rt_tgsigqueueinfo), E(kill), E(tkill), E(tgkill), E(pause),
	ED(signalfd), ED(signalfd4), E(alarm), E(setitimer), E(getitimer),
	E(timer_create), E(timer_settime), E(timer_gettime), E(timer_getoverrun),
	E(timer_delete),
	/* time */
	E(clock_gettime), E(clock_getres), E(gettimeofday), E(time),
	F(nanosleep), F(clock_nanosleep), N(settimeofday), N(clock_settime),
	N(adjtimex), N(clock_adjtime),
	/* identity, credentials, limits, system */
	F(uname), F(sysinfo), F(getrandom), F(getuid), F(getgid), F(geteuid),
	F(getegid), F(getresuid), F(getresgid), F(getgroups), FC(setuid), C(setgid),
	FC(setreuid), C(setregid), FC(setresuid), C(setresgid), C(setgroups),
	C(setfsuid), C(setfsgid), E(getrlimit), E(setrlimit), E(prlimit64),
	E(getrusage), E(times), P(getpriority), P(setpriority), F(getcpu),
	P(sched_getaffinity), P(sched_setaffinity), P(sched_getparam), P(sched_setparam),
	P(sched_getscheduler), P(sched_setscheduler), F(sched_get_priority_max),
	F(sched_get_priority_min), P(sched_rr_get_interval), E(capget), N(capset), N(reboot), N(mount), N(umount2), N(chroot),
	N(pivot_root), N(swapon), N(swapoff), N(sethostname), N(setdomainname),
	N(init_module), N(delete_module), N(kexec_load), N(bpf), N(perf_event_open),
	N(syslog), N(acct), N(quotactl), N(iopl), N(ioperm), N(modify_ldt),
};

const int syscall_table_size = sizeof syscall_table / sizeof syscall_table[0];

const char *syscall_name(int nr)
{
	if (nr >= 0 && nr < syscall_table_size && syscall_table[nr].name)
		return syscall_table[nr].name;
	return NULL;
}
