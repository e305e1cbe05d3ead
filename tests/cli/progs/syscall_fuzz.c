/* syscall_fuzz: bad syscall arguments must never crash or hang the runtime.
 * Children (one after another, each with an alarm) make thousands of calls
 * from a list of syscalls the runtime emulates or checks, with random
 * arguments: small numbers, flags, pointers into their own memory, into
 * nowhere, and into the runtime's likely places.  A child may die of what it
 * does to itself; the parent (and ufork) must go on.  Run under ufork only
 * (tests/cli/syscall_fuzz.sh): no call that reaches outside the process
 * (sockets, kill, file names) is in the list. */
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static const long calls[] = {
	SYS_mmap, SYS_munmap, SYS_mprotect, SYS_mremap, SYS_madvise, SYS_brk, SYS_msync,
	SYS_mincore, SYS_rt_sigaction, SYS_rt_sigprocmask, SYS_sigaltstack, SYS_rt_sigpending,
	SYS_rt_sigreturn, SYS_rt_sigtimedwait, SYS_getpid, SYS_getppid, SYS_gettid,
	SYS_clock_gettime, SYS_clock_getres, SYS_gettimeofday, SYS_time, SYS_futex, SYS_prctl,
	SYS_arch_prctl, SYS_set_tid_address, SYS_set_robust_list, SYS_get_robust_list,
	SYS_prlimit64, SYS_getrlimit, SYS_setrlimit, SYS_sched_getaffinity, SYS_sched_getparam,
	SYS_getpriority, SYS_timer_create, SYS_timer_settime, SYS_timer_gettime,
	SYS_timer_delete, SYS_setitimer, SYS_getitimer, SYS_alarm, SYS_getrusage, SYS_times,
	SYS_wait4, SYS_waitid, SYS_uname, SYS_sysinfo, SYS_read, SYS_write, SYS_fcntl, SYS_dup2,
	SYS_dup3, SYS_close_range, SYS_ioctl, SYS_pipe2, SYS_signalfd4, SYS_eventfd2,
	SYS_epoll_create1, SYS_epoll_ctl, SYS_close, SYS_getpgid, SYS_getsid, SYS_setpgid,
	SYS_capget, SYS_rseq, SYS_clone3, SYS_execve, SYS_execveat,
};

static uint64_t x = 88172645463325252ULL;
static uint64_t rnd(void)
{
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return x;
}

static char buf[8192];

static long arg(void)
{
	switch (rnd() % 10) {
	case 0: return 0;
	case 1: return rnd() % 8;
	case 2: return -(long)(rnd() % 8);
	case 3: return (long)(buf + rnd() % sizeof buf);	/* our memory */
	case 4: return (long)(rnd() & 0x0000fffffffff000);	/* anywhere */
	case 5: return 0x400000 + (rnd() % 0x100000);		/* the runtime's text */
	case 6: return 0x7f0000000000 + (rnd() & 0xffffffff000);	/* runtime stacks */
	case 7: return (long)(rnd() % 4096) * 4096;
	case 8: return 1L << (rnd() % 64);
	default: return rnd();
	}
}

/* gentle children leave alone what kills them at once, to get further */
static int harsh(long nr)
{
	return nr == SYS_rt_sigreturn || nr == SYS_arch_prctl || nr == SYS_munmap ||
	       nr == SYS_mprotect || nr == SYS_mremap || nr == SYS_madvise || nr == SYS_brk ||
	       nr == SYS_mmap || nr == SYS_rt_sigaction || nr == SYS_sigaltstack ||
	       nr == SYS_set_tid_address || nr == SYS_execve || nr == SYS_execveat ||
	       nr == SYS_dup2 || nr == SYS_dup3 || nr == SYS_close || nr == SYS_close_range ||
	       nr == SYS_rt_sigprocmask || nr == SYS_futex || nr == SYS_setrlimit ||
	       nr == SYS_prlimit64;
}

static void fuzz(int n, int gentle)
{
	for (int i = 0; i < n; i++) {
		long nr = calls[rnd() % (sizeof calls / sizeof calls[0])];
		if (gentle && harsh(nr))
			continue;
		long a0 = arg(), a1 = arg(), a2 = arg();
		if (nr == SYS_read || nr == SYS_write)
			a0 = rnd() % 3;	/* /dev/null */
		syscall(nr, a0, a1, a2, arg(), arg(), arg());
	}
}

int main(int argc, char **argv)
{
	int children = argc > 1 ? atoi(argv[1]) : 40;
	if (argc > 2)
		x ^= strtoull(argv[2], NULL, 0);	/* another seed */
	int exited = 0, killed = 0;
	for (int c = 0; c < children; c++) {
		x += 0x9e3779b97f4a7c15ULL * (c + 1);
		pid_t pid = fork();
		if (pid == 0) {
			int null = open("/dev/null", O_RDWR);
			dup2(null, 0);
			dup2(null, 1);
			dup2(null, 2);
			alarm(2);
			fuzz(3000, c % 2);
			_exit(0);
		}
		/* a child may block SIGALRM and then block for good: SIGKILL it */
		int st, r = 0;
		for (int i = 0; i < 300 && (r = waitpid(pid, &st, WNOHANG)) == 0; i++)
			usleep(10000);
		if (r == 0) {
			kill(pid, SIGKILL);
			r = waitpid(pid, &st, 0);
		}
		if (r != pid) {
			printf("waitpid failed\n");
			return 1;
		}
		exited += WIFEXITED(st);
		killed += WIFSIGNALED(st);
	}
	printf("children: %d exited, %d killed, %d in all\n", exited, killed, children);
	return exited + killed == children ? 0 : 1;
}
