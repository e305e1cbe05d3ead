/*
 * timer.c - timers that signal µprocesses: the real-time interval timer
 * (setitimer/getitimer ITIMER_REAL, alarm) and POSIX timers (timer_create
 * and friends, CLOCK_REALTIME/CLOCK_MONOTONIC/CLOCK_BOOTTIME, SIGEV_SIGNAL,
 * SIGEV_THREAD_ID - which musl's SIGEV_THREAD timers use - and SIGEV_NONE).
 *
 * One runtime thread sleeps until the earliest deadline of all armed timers
 * and raises the timer's signal in its µprocess (or thread).  Host timers
 * would signal the runtime itself, so none is used.  Deadlines are kept on
 * CLOCK_MONOTONIC; an absolute CLOCK_REALTIME time is converted when set.
 *
 * Invariants: every timer of a µprocess is on the list until deleted or the
 * µprocess ends (timer_exit, before it is freed); the interval timer has id
 * ITIMER_ID.  Lock order: timer_lock, then a µprocess's lock.  Timers are
 * not inherited by fork.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "ufork.h"

#define ITIMER_ID (-1)
#define MAX_TIMERS 256		/* POSIX timers per µprocess */

struct utimer {
	struct uproc *p;
	int id;
	int signo, tid;		/* tid 0: process-directed */
	int notify;		/* SIGEV_* */
	union sigval value;
	clockid_t clock;
	long deadline;		/* CLOCK_MONOTONIC ns; 0: disarmed */
	long interval;		/* ns, 0 for one-shot */
	int overrun, pending_overrun;
	struct utimer *next;
};

static pthread_mutex_t timer_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t timer_cond;
static struct utimer *timers;
static int thread_running;

static long clock_ns(clockid_t clk)
{
	struct timespec ts;
	clock_gettime(clk, &ts);
	return ts.tv_sec * 1000000000L + ts.tv_nsec;
}

static void fire(struct utimer *it, long now)
{
	int missed = 0;
	if (it->interval) {
		while (it->deadline <= now) {
			it->deadline += it->interval;
			missed++;
		}
		missed--;
	} else {
		it->deadline = 0;
	}
	if (it->notify == SIGEV_NONE)
		return;
	siginfo_t si;
	memset(&si, 0, sizeof si);
	si.si_signo = it->signo;
	if (it->id == ITIMER_ID) {
		si.si_code = SI_KERNEL;
	} else {
		si.si_code = SI_TIMER;
		si.si_timerid = it->id;
		si.si_overrun = it->pending_overrun + missed;
		si.si_value = it->value;
	}
	it->overrun = it->pending_overrun + missed;
	it->pending_overrun = 0;
	if (signal_raise(it->p, it->tid, it->signo, &si) == -ESRCH && it->tid)
		it->deadline = 0;	/* its thread is gone */
}

static void *timer_main(void *arg)
{
	pkey_runtime_thread();
	(void)arg;
	sigset_t all;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, NULL);	/* no entry block here */
	pthread_mutex_lock(&timer_lock);
	for (;;) {
		long now = clock_ns(CLOCK_MONOTONIC), next = 0;
		for (struct utimer *it = timers; it; it = it->next) {
			if (it->deadline && it->deadline <= now)
				fire(it, now);
			if (it->deadline && (!next || it->deadline < next))
				next = it->deadline;
		}
		if (!next) {
			pthread_cond_wait(&timer_cond, &timer_lock);
		} else {
			struct timespec ts = { next / 1000000000L, next % 1000000000L };
			pthread_cond_timedwait(&timer_cond, &timer_lock, &ts);
		}
	}
	return NULL;
}

/* With timer_lock held: the timer thread runs. */
static int start_locked(void)
{
	if (thread_running)
		return 0;
	pthread_condattr_t ca;
	pthread_t th;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&timer_cond, &ca);
	if (pthread_create(&th, NULL, timer_main, NULL) != 0)
		return -EAGAIN;
	pthread_detach(th);
	thread_running = 1;
	return 0;
}

static struct utimer *find_locked(struct uproc *p, int id)
{
	for (struct utimer *it = timers; it; it = it->next)
		if (it->p == p && it->id == id)
			return it;
	return NULL;
}

static void unlink_locked(struct utimer *dead)
{
	for (struct utimer **pp = &timers; *pp; pp = &(*pp)->next)
		if (*pp == dead) {
			*pp = dead->next;
			free(dead);
			return;
		}
}

static long remaining(const struct utimer *it)
{
	if (!it || !it->deadline)
		return 0;
	long left = it->deadline - clock_ns(CLOCK_MONOTONIC);
	return left < 1 ? 1 : left;	/* armed timers never read as zero */
}

static void ns_tv(long ns, struct timeval *tv)
{
	tv->tv_sec = ns / 1000000000L;
	tv->tv_usec = (ns % 1000000000L) / 1000;
	if (ns && !tv->tv_sec && !tv->tv_usec)
		tv->tv_usec = 1;
}

static void ns_ts(long ns, struct timespec *ts)
{
	ts->tv_sec = ns / 1000000000L;
	ts->tv_nsec = ns % 1000000000L;
}

/* ---- setitimer, getitimer, alarm --------------------------------------- */

int itimer_set(struct uproc *p, const struct itimerval *nv, struct itimerval *old)
{
	long value = nv->it_value.tv_sec * 1000000000L + nv->it_value.tv_usec * 1000L;
	long interval = nv->it_interval.tv_sec * 1000000000L + nv->it_interval.tv_usec * 1000L;
	pthread_mutex_lock(&timer_lock);
	int r = start_locked();
	struct utimer *it = find_locked(p, ITIMER_ID);
	if (old) {
		memset(old, 0, sizeof *old);
		ns_tv(remaining(it), &old->it_value);
		if (it && it->deadline)
			ns_tv(it->interval, &old->it_interval);
	}
	if (!r && !it && value) {
		it = calloc(1, sizeof *it);
		if (it) {
			*it = (struct utimer){ .p = p, .id = ITIMER_ID, .signo = SIGALRM,
					       .notify = SIGEV_SIGNAL, .next = timers };
			timers = it;
		} else {
			r = -ENOMEM;
		}
	}
	if (!r && it) {
		it->deadline = value ? clock_ns(CLOCK_MONOTONIC) + value : 0;
		it->interval = interval;
	}
	pthread_cond_signal(&timer_cond);
	pthread_mutex_unlock(&timer_lock);
	return r;
}

/* The µprocess ends: its timers go. */
void itimer_cancel(struct uproc *p)
{
	pthread_mutex_lock(&timer_lock);
	for (struct utimer **pp = &timers; *pp;) {
		if ((*pp)->p == p) {
			struct utimer *dead = *pp;
			*pp = dead->next;
			free(dead);
		} else {
			pp = &(*pp)->next;
		}
	}
	pthread_mutex_unlock(&timer_lock);
}

static int valid_tv(const struct timeval *tv)
{
	return tv->tv_sec >= 0 && tv->tv_usec >= 0 && tv->tv_usec < 1000000;
}

long sys_setitimer(struct sysctx *c, long a[6])
{
	struct itimerval nv, old;
	if (a[0] != ITIMER_REAL)
		return -EINVAL;	/* ITIMER_VIRTUAL and ITIMER_PROF: not supported */
	memset(&nv, 0, sizeof nv);
	if (a[1] && copy_from_user(c->t->p, &nv, a[1], sizeof nv))
		return -EFAULT;
	if (!valid_tv(&nv.it_value) || !valid_tv(&nv.it_interval))
		return -EINVAL;
	long r = itimer_set(c->t->p, &nv, &old);
	if (r == 0 && a[2] && copy_to_user(c->t->p, a[2], &old, sizeof old))
		return -EFAULT;
	return r;
}

long sys_getitimer(struct sysctx *c, long a[6])
{
	struct itimerval v;
	memset(&v, 0, sizeof v);
	if (a[0] != ITIMER_REAL)
		return -EINVAL;
	pthread_mutex_lock(&timer_lock);
	struct utimer *it = find_locked(c->t->p, ITIMER_ID);
	ns_tv(remaining(it), &v.it_value);
	if (it && it->deadline)
		ns_tv(it->interval, &v.it_interval);
	pthread_mutex_unlock(&timer_lock);
	return copy_to_user(c->t->p, a[1], &v, sizeof v);
}

long sys_alarm(struct sysctx *c, long a[6])
{
	struct itimerval nv, old;
	memset(&nv, 0, sizeof nv);
	nv.it_value.tv_sec = (unsigned int)a[0];
	itimer_set(c->t->p, &nv, &old);
	long left = old.it_value.tv_sec;
	if (old.it_value.tv_usec >= 500000 || (!left && old.it_value.tv_usec))
		left++;
	return left;
}

/* ---- POSIX timers ------------------------------------------------------ */

struct ksigevent {		/* the kernel's struct sigevent */
	union sigval value;
	int signo;
	int notify;
	int tid;
	int pad[11];
};

long sys_timer_create(struct sysctx *c, long a[6])
{
	struct uproc *p = c->t->p;
	clockid_t clk = a[0];
	struct ksigevent ev = { .signo = SIGALRM, .notify = SIGEV_SIGNAL };
	if (clk != CLOCK_REALTIME && clk != CLOCK_MONOTONIC && clk != CLOCK_BOOTTIME)
		return -EINVAL;	/* CPU-time clocks: not supported */
	if (a[1] && copy_from_user(p, &ev, a[1], sizeof ev))
		return -EFAULT;
	if (!a[1])
		ev.value.sival_int = 0;
	int tid = 0;
	switch (ev.notify) {
	case SIGEV_NONE:
		break;
	case SIGEV_SIGNAL:
		if (ev.signo < 1 || ev.signo > 64)
			return -EINVAL;
		break;
	case SIGEV_THREAD_ID:
		if (ev.signo < 1 || ev.signo > 64)
			return -EINVAL;
		tid = ev.tid;
		if (signal_raise(p, tid, 0, NULL) < 0)	/* a thread of ours? */
			return -EINVAL;
		break;
	default:
		return -EINVAL;
	}
	pthread_mutex_lock(&timer_lock);
	int id, n = 0, r = start_locked();
	for (id = 0; !r && find_locked(p, id); id++)
		n++;
	if (!r && n >= MAX_TIMERS)
		r = -EAGAIN;
	struct utimer *it = r ? NULL : calloc(1, sizeof *it);
	if (it) {
		*it = (struct utimer){ .p = p, .id = id, .signo = ev.signo, .tid = tid,
				       .notify = ev.notify, .clock = clk, .next = timers };
		it->value = a[1] ? ev.value : (union sigval){ .sival_int = id };
		timers = it;
	} else if (!r) {
		r = -ENOMEM;
	}
	pthread_mutex_unlock(&timer_lock);
	if (r)
		return r;
	if (copy_to_user(p, a[2], &id, sizeof id)) {
		pthread_mutex_lock(&timer_lock);
		unlink_locked(find_locked(p, id));
		pthread_mutex_unlock(&timer_lock);
		return -EFAULT;
	}
	return 0;
}

static void get_locked(struct utimer *it, struct itimerspec *v)
{
	memset(v, 0, sizeof *v);
	ns_ts(remaining(it), &v->it_value);
	if (it->deadline)
		ns_ts(it->interval, &v->it_interval);
}

long sys_timer_settime(struct sysctx *c, long a[6])
{
	struct uproc *p = c->t->p;
	struct itimerspec nv, old;
	if (copy_from_user(p, &nv, a[2], sizeof nv))
		return -EFAULT;
	if (nv.it_value.tv_sec < 0 || nv.it_value.tv_nsec < 0 || nv.it_value.tv_nsec >= 1000000000L ||
	    nv.it_interval.tv_sec < 0 || nv.it_interval.tv_nsec < 0 ||
	    nv.it_interval.tv_nsec >= 1000000000L || (a[1] & ~TIMER_ABSTIME))
		return -EINVAL;
	long value = nv.it_value.tv_sec * 1000000000L + nv.it_value.tv_nsec;
	pthread_mutex_lock(&timer_lock);
	struct utimer *it = find_locked(p, a[0]);
	if (!it) {
		pthread_mutex_unlock(&timer_lock);
		return -EINVAL;
	}
	get_locked(it, &old);
	long now = clock_ns(CLOCK_MONOTONIC);
	if (value && (a[1] & TIMER_ABSTIME))	/* to a delay on the timer's clock */
		value = value - clock_ns(it->clock) > 0 ? value - clock_ns(it->clock) : 1;
	it->deadline = value ? now + value : 0;
	it->interval = nv.it_interval.tv_sec * 1000000000L + nv.it_interval.tv_nsec;
	it->overrun = it->pending_overrun = 0;
	pthread_cond_signal(&timer_cond);
	pthread_mutex_unlock(&timer_lock);
	if (a[3] && copy_to_user(p, a[3], &old, sizeof old))
		return -EFAULT;
	return 0;
}

long sys_timer_gettime(struct sysctx *c, long a[6])
{
	struct itimerspec v;
	pthread_mutex_lock(&timer_lock);
	struct utimer *it = find_locked(c->t->p, a[0]);
	if (it)
		get_locked(it, &v);
	pthread_mutex_unlock(&timer_lock);
	if (!it)
		return -EINVAL;
	return copy_to_user(c->t->p, a[1], &v, sizeof v);
}

long sys_timer_getoverrun(struct sysctx *c, long a[6])
{
	pthread_mutex_lock(&timer_lock);
	struct utimer *it = find_locked(c->t->p, a[0]);
	long r = it ? it->overrun : -EINVAL;
	pthread_mutex_unlock(&timer_lock);
	return r;
}

long sys_timer_delete(struct sysctx *c, long a[6])
{
	pthread_mutex_lock(&timer_lock);
	struct utimer *it = a[0] >= 0 ? find_locked(c->t->p, a[0]) : NULL;
	if (it)
		unlink_locked(it);
	pthread_mutex_unlock(&timer_lock);
	return it ? 0 : -EINVAL;
}
