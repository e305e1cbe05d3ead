/*
 * timer.c - interval timers (setitimer/getitimer ITIMER_REAL, alarm): one
 * runtime thread sleeps until the earliest deadline of all µprocesses and
 * raises SIGALRM in the µprocess whose timer expired.  Host timers would
 * signal the runtime itself, so none is used.
 *
 * Invariants: a µprocess is on the armed list only while its timer is
 * armed; proc_release cancels before the µprocess is freed.  Lock order:
 * timer_lock, then a µprocess's lock.  Timers are not inherited by fork.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "ufork.h"

struct itimer {
	struct uproc *p;
	long deadline;		/* CLOCK_MONOTONIC ns */
	long interval;		/* ns, 0 for one-shot */
	struct itimer *next;
};

static pthread_mutex_t timer_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t timer_cond;
static struct itimer *armed;
static int thread_running;

static long mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000L + ts.tv_nsec;
}

static void *timer_main(void *arg)
{
	(void)arg;
	sigset_t all;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, NULL);	/* no entry block here */
	pthread_mutex_lock(&timer_lock);
	for (;;) {
		long now = mono_ns(), next = 0;
		for (struct itimer *it = armed; it; it = it->next) {
			if (it->deadline <= now) {
				siginfo_t si;
				memset(&si, 0, sizeof si);
				si.si_signo = SIGALRM;
				si.si_code = SI_KERNEL;
				signal_raise(it->p, 0, SIGALRM, &si);
				if (it->interval)
					while (it->deadline <= now)
						it->deadline += it->interval;
				else
					it->deadline = 0;	/* removed below */
			}
			if (it->deadline && (!next || it->deadline < next))
				next = it->deadline;
		}
		for (struct itimer **pp = &armed; *pp;) {
			if (!(*pp)->deadline) {
				struct itimer *dead = *pp;
				*pp = dead->next;
				free(dead);
			} else {
				pp = &(*pp)->next;
			}
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

static struct itimer **find(struct uproc *p)
{
	struct itimer **pp = &armed;
	while (*pp && (*pp)->p != p)
		pp = &(*pp)->next;
	return pp;
}

static void get_locked(struct uproc *p, struct itimerval *v)
{
	struct itimer *it = *find(p);
	memset(v, 0, sizeof *v);
	if (!it)
		return;
	long left = it->deadline - mono_ns();
	if (left < 1000)
		left = 1000;	/* armed timers never read as zero */
	v->it_value.tv_sec = left / 1000000000L;
	v->it_value.tv_usec = (left % 1000000000L) / 1000;
	v->it_interval.tv_sec = it->interval / 1000000000L;
	v->it_interval.tv_usec = (it->interval % 1000000000L) / 1000;
}

/* Arms (or with a zero value disarms) p's real-time timer; old may be NULL. */
int itimer_set(struct uproc *p, const struct itimerval *nv, struct itimerval *old)
{
	static pthread_t th;
	pthread_mutex_lock(&timer_lock);
	if (!thread_running) {
		pthread_condattr_t ca;
		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&timer_cond, &ca);
		if (pthread_create(&th, NULL, timer_main, NULL) != 0) {
			pthread_mutex_unlock(&timer_lock);
			return -EAGAIN;
		}
		pthread_detach(th);
		thread_running = 1;
	}
	if (old)
		get_locked(p, old);
	struct itimer **pp = find(p);
	long value = nv->it_value.tv_sec * 1000000000L + nv->it_value.tv_usec * 1000L;
	if (!value) {
		if (*pp) {
			struct itimer *dead = *pp;
			*pp = dead->next;
			free(dead);
		}
	} else {
		if (!*pp) {
			*pp = calloc(1, sizeof **pp);
			if (!*pp) {
				pthread_mutex_unlock(&timer_lock);
				return -ENOMEM;
			}
			(*pp)->p = p;
		}
		(*pp)->deadline = mono_ns() + value;
		(*pp)->interval = nv->it_interval.tv_sec * 1000000000L +
				  nv->it_interval.tv_usec * 1000L;
	}
	pthread_cond_signal(&timer_cond);
	pthread_mutex_unlock(&timer_lock);
	return 0;
}

void itimer_get(struct uproc *p, struct itimerval *v)
{
	pthread_mutex_lock(&timer_lock);
	get_locked(p, v);
	pthread_mutex_unlock(&timer_lock);
}

void itimer_cancel(struct uproc *p)
{
	pthread_mutex_lock(&timer_lock);
	struct itimer **pp = find(p);
	if (*pp) {
		struct itimer *dead = *pp;
		*pp = dead->next;
		free(dead);
	}
	pthread_mutex_unlock(&timer_lock);
}

static int valid(const struct timeval *tv)
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
	if (!valid(&nv.it_value) || !valid(&nv.it_interval))
		return -EINVAL;
	long r = itimer_set(c->t->p, &nv, &old);
	if (r == 0 && a[2] && copy_to_user(c->t->p, a[2], &old, sizeof old))
		return -EFAULT;
	return r;
}

long sys_getitimer(struct sysctx *c, long a[6])
{
	struct itimerval v;
	if (a[0] != ITIMER_REAL)
		return -EINVAL;
	itimer_get(c->t->p, &v);
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
