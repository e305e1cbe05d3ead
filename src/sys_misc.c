/*
 * sys_misc.c - time, limits and prctl.  µprocesses have no vDSO, so clock
 * calls trap; they are answered from the runtime's own vDSO clock instead of
 * a second kernel entry.
 */
#include <errno.h>
#include <string.h>
#include <sys/prctl.h>
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

/* Limits are still the host process's; only "self" is accepted. */
long sys_prlimit64(struct sysctx *c, long a[6])
{
	if (a[0] != 0 && a[0] != c->t->p->pid)
		return -ESRCH;
	long b[6] = { 0, a[1], a[2], a[3], 0, 0 };
	return host_syscall_cancellable(c->t, SYS_prlimit64, b);
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
