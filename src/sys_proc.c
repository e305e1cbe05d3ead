/*
 * sys_proc.c - process-model system calls: pids, wait, process groups and
 * sessions.  All emulated: pids are ufork's own (pid 1 is the invisible
 * init), and the host never sees these calls.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/times.h>
#include <unistd.h>
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
	struct timeval ct[2] = { { 0, 0 }, { 0, 0 } };
	long r = proc_wait(c->t, idtype, id,
			   WEXITED | (options & (WNOHANG | WUNTRACED | WCONTINUED)), &status, NULL, ct);
	if (r > 0 && a[1] && copy_to_user(c->t->p, a[1], &status, sizeof status))
		return -EFAULT;
	if (r > 0 && a[3]) {
		struct rusage ru;
		memset(&ru, 0, sizeof ru);
		ru.ru_utime = ct[0];
		ru.ru_stime = ct[1];
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
			   &si, NULL);
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

/*
 * CPU time per µprocess.  The host accounts per thread: a µprocess's time is
 * that of its live host threads (the caller's from RUSAGE_THREAD, the others'
 * from /proc/self/task/<tid>/stat) plus what its exited threads left in
 * uproc.ut/st; its children's is what wait collected in uproc.cut/cst.
 */
static void tick_tv(unsigned long ticks, struct timeval *tv)
{
	long hz = sysconf(_SC_CLK_TCK);
	tv->tv_sec = ticks / hz;
	tv->tv_usec = (ticks % hz) * (1000000 / hz);
}

/* Adds a thread's host time [a, b] to (*u, *s), less what its host thread
 * spent before it was this thread (t->ru_base, a spare's wait). */
static void add_time(const struct uthread *t, struct timeval a, struct timeval b,
		     struct timeval *u, struct timeval *s)
{
	struct timeval z = { 0, 0 };
	timersub(&a, &t->ru_base[0], &a);
	timersub(&b, &t->ru_base[1], &b);
	if (a.tv_sec < 0)
		a = z;
	if (b.tv_sec < 0)
		b = z;
	timeradd(u, &a, u);
	timeradd(s, &b, s);
}

static void other_thread_time(const struct uthread *o, struct timeval *u, struct timeval *s)
{
	char path[64], buf[512];
	snprintf(path, sizeof path, "/proc/self/task/%d/stat", o->host_tid);
	const char *f = host_stat_fields(path, buf, sizeof buf);	/* 14 utime, 15 stime */
	unsigned long ut = 0, st = 0;
	if (f && sscanf(f, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) == 2) {
		struct timeval a, b;
		tick_tv(ut, &a);
		tick_tv(st, &b);
		add_time(o, a, b, u, s);
	}
}

static void self_time(struct uthread *t, struct timeval *u, struct timeval *s, struct rusage *mine)
{
	struct uproc *p = t->p;
	getrusage(RUSAGE_THREAD, mine);
	pthread_mutex_lock(&p->lock);
	*u = p->ut;
	*s = p->st;
	for (struct uthread *o = p->threads; o; o = o->next) {
		if (o == t)
			add_time(t, mine->ru_utime, mine->ru_stime, u, s);
		else if (o->host_tid)
			other_thread_time(o, u, s);
	}
	pthread_mutex_unlock(&p->lock);
}

/* On a thread's own host thread, as it leaves: its time goes to the process. */
void usage_thread_exit(struct uthread *t)
{
	struct rusage ru;
	if (getrusage(RUSAGE_THREAD, &ru) < 0)
		return;
	pthread_mutex_lock(&t->p->lock);
	add_time(t, ru.ru_utime, ru.ru_stime, &t->p->ut, &t->p->st);
	pthread_mutex_unlock(&t->p->lock);
}

long sys_getrusage(struct sysctx *c, long a[6])
{
	struct uthread *t = c->t;
	struct rusage ru, mine;
	if (a[0] == RUSAGE_THREAD)
		return sys_forward(c, a);
	if (a[0] != RUSAGE_SELF && a[0] != RUSAGE_CHILDREN)
		return -EINVAL;
	memset(&ru, 0, sizeof ru);
	if (a[0] == RUSAGE_SELF) {
		self_time(t, &ru.ru_utime, &ru.ru_stime, &mine);
		ru.ru_maxrss = mine.ru_maxrss;	/* the host's peak, an upper bound */
		ru.ru_minflt = mine.ru_minflt;
		ru.ru_majflt = mine.ru_majflt;
		ru.ru_nvcsw = mine.ru_nvcsw;
		ru.ru_nivcsw = mine.ru_nivcsw;
	} else {
		struct uproc *p = proc_get_locked(t->p->pid);
		if (p) {
			ru.ru_utime = p->cut;
			ru.ru_stime = p->cst;
		}
		proc_put_locked();
	}
	return copy_to_user(t->p, a[1], &ru, sizeof ru);
}

long sys_times(struct sysctx *c, long a[6])
{
	struct uthread *t = c->t;
	struct timeval u, s, cu = { 0, 0 }, cs = { 0, 0 };
	struct rusage mine;
	struct tms host, tm;
	clock_t now = times(&host);
	if (!a[0])
		return now;
	self_time(t, &u, &s, &mine);
	struct uproc *p = proc_get_locked(t->p->pid);
	if (p) {
		cu = p->cut;
		cs = p->cst;
	}
	proc_put_locked();
	long hz = sysconf(_SC_CLK_TCK);
#define TICKS(tv) ((clock_t)((tv).tv_sec * hz + (tv).tv_usec / (1000000 / hz)))
	tm.tms_utime = TICKS(u);
	tm.tms_stime = TICKS(s);
	tm.tms_cutime = TICKS(cu);
	tm.tms_cstime = TICKS(cs);
#undef TICKS
	if (copy_to_user(t->p, a[0], &tm, sizeof tm))
		return -EFAULT;
	return now;
}
