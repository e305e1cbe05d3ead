/*
 * sys_misc.c - time, prctl, calls naming a process by pid, capget.
 * µprocesses have no vDSO, so clock calls trap; they are answered from the
 * runtime's own vDSO clock instead of a second kernel entry.  (Resource
 * limits: rlimit.c.)
 */
#include <errno.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "ufork.h"

long sys_clock_gettime(struct sysctx *c, long a[6])
{
	struct timespec ts;
	if (clock_gettime(a[0], &ts) < 0)
		return -errno;
	return copy_to_user(c->t->p, a[1], &ts, sizeof ts);
}

long sys_clock_getres(struct sysctx *c, long a[6])
{
	struct timespec ts;
	if (clock_getres(a[0], &ts) < 0)
		return -errno;
	return a[1] ? copy_to_user(c->t->p, a[1], &ts, sizeof ts) : 0;
}

long sys_gettimeofday(struct sysctx *c, long a[6])
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	if (a[0] && copy_to_user(c->t->p, a[0], &tv, sizeof tv))
		return -EFAULT;
	if (a[1]) {
		struct timezone tz = { 0, 0 };
		if (copy_to_user(c->t->p, a[1], &tz, sizeof tz))
			return -EFAULT;
	}
	return 0;
}

long sys_time(struct sysctx *c, long a[6])
{
	time_t now = time(NULL);
	if (a[0] && copy_to_user(c->t->p, a[0], &now, sizeof now))
		return -EFAULT;
	return now;
}

long sys_prctl(struct sysctx *c, long a[6])
{
	switch (a[0]) {
	case PR_SET_NAME:
		if (c->t->tid == c->t->p->pid) {	/* the main thread's is /proc/<pid>/comm */
			char name[16];
			long n = strncpy_from_user(c->t->p, name, a[1], sizeof name);
			if (n == -ENAMETOOLONG)
				name[15] = 0;
			else if (n < 0)
				return n;
			memcpy(c->t->p->comm, name, sizeof name);
		}
		__atomic_add_fetch(&c->t->p->host_gen, 1, __ATOMIC_RELEASE);
		return sys_forward(c, a);	/* per host thread, harmless */
	case PR_GET_NAME:
		return sys_forward(c, a);
	case PR_SET_PDEATHSIG:
	case PR_SET_DUMPABLE:
		return 0;
	case PR_GET_DUMPABLE:
		return 1;
	default:
		return -EINVAL;
	}
}

/*
 * Calls that name a process by pid (scheduling, affinity, priority): a
 * µprocess pid means nothing to the host, so it becomes the host thread
 * behind that µprocess's main thread; 0 is the calling thread as on Linux.
 * getpriority/setpriority take (which, who): only PRIO_PROCESS is supported.
 */
long sys_pid_arg(struct sysctx *c, long a[6])
{
	int prio = c->nr == SYS_getpriority || c->nr == SYS_setpriority;
	int idx = prio ? 1 : 0;
	if (prio && a[0] != PRIO_PROCESS)
		return -EINVAL;
	if (forward_args_check(c->t->p, c->nr, a))
		return -EFAULT;
	if (c->nr == SYS_setpriority || c->nr == SYS_sched_setaffinity ||
	    c->nr == SYS_sched_setparam || c->nr == SYS_sched_setscheduler)
		proc_host_changed(a[idx] ? (int)a[idx] : c->t->p->pid);
	if (a[idx] != 0) {
		int tid = a[idx] == c->t->p->pid ? c->t->host_tid : proc_host_tid(a[idx], 0);
		if (!tid)
			return -ESRCH;
		long b[6] = { a[0], a[1], a[2], a[3], a[4], a[5] };
		b[idx] = tid;
		return host_syscall_user(c->t, c->nr, b);
	}
	return sys_forward(c, a);
}

/* Credential changes apply to the calling host thread (musl makes every
 * thread of the µprocess call them); a spare made before is stale. */
long sys_setcred(struct sysctx *c, long a[6])
{
	__atomic_add_fetch(&c->t->p->host_gen, 1, __ATOMIC_RELEASE);
	return sys_forward(c, a);
}

/* capget: for the caller only (the pid is in the header). */
long sys_capget(struct sysctx *c, long a[6])
{
	struct {
		uint32_t version;
		int pid;
	} hdr;
	if (copy_from_user(c->t->p, &hdr, a[0], sizeof hdr))
		return -EFAULT;
	if (hdr.pid != 0 && hdr.pid != c->t->p->pid)
		return -ESRCH;
	hdr.pid = 0;
	long b[6] = { (long)&hdr, a[1] };
	long r = host_syscall_cancellable(c->t, SYS_capget, b);
	hdr.pid = 0;
	copy_to_user(c->t->p, a[0], &hdr.version, sizeof hdr.version);	/* version probe */
	return r;
}
