/*
 * spare.c - spare host threads: the next fork's child, made ahead of time.
 *
 * A forked µprocess needs a host thread of its own with a copy of its
 * parent's fd table and cwd, and only a thread that shares the parent's can
 * take that copy (unshare).  Creating a host thread costs more than the rest
 * of a near-empty fork, so once a µprocess has forked, it keeps one spare:
 * a host thread created from one of its threads (so sharing its fd table,
 * cwd, credentials, name, nice value and affinity), waiting on a futex
 * word: it spins on it first (spin_ns, thread.c), since a fork that finds
 * it awake starts it with a store, without a cross-CPU wake-up.  It
 * is made while the parent would otherwise sleep in wait (proc.c), so that
 * a fork+exit+wait cycle overlaps it with the child's run, or when it next
 * enters an event-loop wait (epoll_wait, poll, accept...; syscall.c), as a
 * server that forks (Redis's BGSAVE) does.  The
 * next fork hands the spare the child's first thread and wakes it; the spare
 * then runs thread_run like a newly created thread, and its unshare takes the
 * copy at that moment, exactly as a thread created then would.
 *
 * Invariants:
 *  - p->spare is at most one thread, owned under p->lock; a taken spare is
 *    started exactly once, with a thread or with NULL (it ends);
 *  - a spare is used only by the thread it was cloned from, and never after
 *    a change of the host-thread state it inherited (p->host_gen:
 *    credentials, name, priority, affinity);
 *  - a µprocess's spare ends when the µprocess ends (proc_release).
 */
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/futex.h>

#include "ufork.h"

enum { WAITING, GO, ASLEEP };

struct spare {
	int go;			/* futex word: WAITING (spinning), GO, ASLEEP */
	struct uthread *t;	/* the thread to run, or NULL: end */
	unsigned gen;		/* the µprocess's host_gen when made */
	int maker;		/* tid of the thread it was cloned from */
	int maker_cpu;		/* where that thread ran when it made us */
};

/*
 * A spare spinning on its maker's CPU would start the child only when the
 * parent yields that CPU, and be in the parent's way meanwhile (cycles of
 * 48-70 µs instead of about 35 here).  Born there, it moves to another CPU
 * of its affinity and takes its inherited affinity back at once: a running
 * thread stays where it is.  Idle time: the parent is waiting.
 */
static void leave_maker_cpu(const struct spare *s)
{
	cpu_set_t mine, others;
	if (sched_getcpu() != s->maker_cpu || sched_getaffinity(0, sizeof mine, &mine))
		return;
	others = mine;
	CPU_CLR(s->maker_cpu, &others);
	if (CPU_COUNT(&others) && sched_setaffinity(0, sizeof others, &others) == 0)
		sched_setaffinity(0, sizeof mine, &mine);
}

static void *spare_main(void *arg)
{
	struct spare *s = arg;
	sigset_t none;
	sigemptyset(&none);
	pthread_sigmask(SIG_SETMASK, &none, NULL);
	block_outside_signals();
	if (spin_ns > 0)
		leave_maker_cpu(s);
	int w = WAITING;	/* the next fork may be near: spin first */
	if (!spin_while(&s->go, WAITING, spin_ns) &&
	    __atomic_compare_exchange_n(&s->go, &w, ASLEEP, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
		while (__atomic_load_n(&s->go, __ATOMIC_SEQ_CST) == ASLEEP)
			syscall(SYS_futex, &s->go, FUTEX_WAIT_PRIVATE, ASLEEP, NULL, NULL, 0);
	struct uthread *t = s->t;
	free(s);
	if (t)
		thread_run(t);
	return NULL;
}

static void spare_start(struct spare *s, struct uthread *t)
{
	s->t = t;
	/* the spare may free s once it sees GO: no access to s after this */
	if (__atomic_exchange_n(&s->go, GO, __ATOMIC_SEQ_CST) == ASLEEP)
		syscall(SYS_futex, &s->go, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

/* Called on thread t, idle after a fork: makes its µprocess's next spare. */
void spare_make(struct uthread *t)
{
	struct uproc *p = t->p;
	p->want_spare = 0;
	struct spare *s = calloc(1, sizeof *s);
	if (!s)
		return;
	s->maker = t->tid;
	s->maker_cpu = sched_getcpu();
	s->gen = __atomic_load_n(&p->host_gen, __ATOMIC_ACQUIRE);
	if (host_thread_create(spare_main, s) < 0) {
		free(s);
		return;
	}
	pthread_mutex_lock(&p->lock);
	struct spare *old = p->spare;
	int keep = !p->exiting;
	p->spare = keep ? s : NULL;
	pthread_mutex_unlock(&p->lock);
	if (old)
		spare_start(old, NULL);
	if (!keep)
		spare_start(s, NULL);
}

/* Starts t, the first thread of a child forked by thread `forker`, on the
 * forker's µprocess's spare.  Returns 0, or -1 when there is no spare that
 * is like a thread the forker would create now (one cloned from another
 * thread has that thread's name, nice value and affinity). */
int spare_run(struct uthread *forker, struct uthread *t)
{
	struct uproc *p = forker->p;
	pthread_mutex_lock(&p->lock);
	struct spare *s = p->spare;
	p->spare = NULL;
	pthread_mutex_unlock(&p->lock);
	if (!s)
		return -1;
	if (s->maker != forker->tid || s->gen != __atomic_load_n(&p->host_gen, __ATOMIC_ACQUIRE)) {
		spare_start(s, NULL);
		return -1;
	}
	spare_start(s, t);
	return 0;
}

/* p is ending: so does its spare. */
void spare_drop(struct uproc *p)
{
	pthread_mutex_lock(&p->lock);
	struct spare *s = p->spare;
	p->spare = NULL;
	pthread_mutex_unlock(&p->lock);
	if (s)
		spare_start(s, NULL);
}
