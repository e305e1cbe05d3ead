/*
 * spare.c - spare host threads: the next fork's child, made ahead of time.
 *
 * A forked µprocess needs a host thread of its own with a copy of its
 * parent's fd table and cwd, and only a thread that shares the parent's can
 * take that copy (unshare).  Creating a host thread costs more than the rest
 * of a near-empty fork, so once a µprocess has forked, it keeps one spare:
 * a host thread created from one of its threads (so sharing its fd table,
 * cwd, credentials, name, nice value and affinity).  It is made while the
 * parent would otherwise sleep in wait (proc.c), so that a fork+exit+wait
 * cycle overlaps it with the child's run, or when it next enters an
 * event-loop wait (epoll_wait, poll, accept...; syscall.c), as a server that
 * forks (Redis's BGSAVE) does.  While it waits it makes the child's entry
 * block (alternate stack, syscall dispatch).
 *
 * A child that shared its parent's fd table to the end (fdshare.c) and
 * changed no host-thread state ends on a thread just like a spare: that
 * thread becomes the parent's spare instead of ending (spare_donor), so a
 * fork+exit+wait cycle creates and ends no host thread at all.
 *
 * A fork talks to it in two steps.  COPY, as the fork begins: the spare
 * notes its host time and, unless the child shares the parent's table,
 * takes its copy of the fd table and cwd (unshare) while the fork copies
 * memory - the forking thread is in fork and the others run no µprocess
 * code, so the table is the one at the fork, as Linux copies it.  GO, as
 * the fork ends: the spare runs the child's first thread (thread_run), or
 * ends.  It watches its state spinning first (spin_ns, thread.c), since a
 * store is all it takes to start a spare that is awake, and sleeps on a
 * bell after.
 *
 * Invariants:
 *  - p->spare is at most one thread, swapped atomically: set by spare_make
 *    or by a child giving its thread back (spare_donor), taken by fork,
 *    closed when p ends; a taken spare is told GO exactly once, with a
 *    thread or with NULL (it ends), and COPY at most once before that;
 *  - a spare is used only by the thread it was cloned from, and never after
 *    a change of the host-thread state it inherited (p->host_gen:
 *    credentials, name, priority, affinity, a new fd table);
 *  - the host time a spare spent before COPY is not its child's (ru_base);
 *  - a µprocess's spare ends when the µprocess ends (proc_release).
 */
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/futex.h>

#include "ufork.h"

enum { WAITING, COPY, COPIED, GO };

#define SPARE_CLOSED ((struct spare *)1)	/* p->spare once p ended */

struct spare {
	int state;		/* WAITING, COPY, COPIED or GO */
	int bell;		/* bells[] index of its µprocess */
	struct uthread *t;	/* the thread to run, or NULL: end */
	struct tblock *blk;	/* its entry block, made while it waited */
	int shared;		/* COPY: the child shares the parent's fd table */
	int copied;		/* COPY: it has its own copy of the fd table and cwd (or shares) */
	int async;		/* GO came before COPIED: the fork went on (spare_run) */
	int donor;		/* the thread of an ended child (spare_donor) */
	struct fork_job job;	/* COPY: the fork's memory copy, to help with */
	struct rusage ru;	/* its host time then */
	unsigned gen;		/* the µprocess's host_gen when made */
	int maker;		/* tid of the thread it was cloned from */
	int maker_cpu;		/* where that thread ran when it made us */
	int tid;		/* its host tid */
	int can_move;		/* 1: its affinity has more than one CPU, 0: not,
				   -1: not looked yet (it looks before it sleeps) */
	int pinned;		/* GO: moved to its maker's CPU (spare_run) */
	cpu_set_t mask;		/* that affinity */
};

/*
 * Bells.  An asleep spare sleeps on the bell of its µprocess, a static
 * futex word (a ring never touches freed memory) that µprocesses whose pids
 * collide share: a ring may wake a stranger, who looks and sleeps again.
 * Its maker rings it with each new state, and a child of its µprocess rings
 * it as the child ends.
 *
 * Why the child: where a spare waits decides what a fork costs here.  Born
 * on the other CPU, a spare queues behind the running child and spins once
 * the child is gone: the fork finds it awake (a store, no wake-up).  Born
 * on its maker's CPU (the kernel picks: about one time in ten, in some
 * runs every time), spinning there is in the parent's way, moving itself
 * off costs some 30 µs of scheduler work, and a wake-up from the forking
 * parent costs the parent an IPI (about 7 µs).  So it sleeps at once, and
 * the ring of the ending child, on the other CPU, moves it there and wakes
 * it (spare_ring).
 */
#define NBELLS 64
static struct bell {
	int seq;		/* futex word: bumped by every ring */
	int sleepers;
	int pin_tid;		/* an asleep spare that wants to move, -1 while a
				   ringer moves it, or 0 */
} bells[NBELLS];

static void bell_ring(int i)
{
	__atomic_add_fetch(&bells[i].seq, 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&bells[i].sleepers, __ATOMIC_SEQ_CST))
		syscall(SYS_futex, &bells[i].seq, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
}

/* A child of µprocess pid ends on this CPU: an asleep spare comes here.  A
 * woken thread goes back to the CPU it slept on when that one looks as
 * busy as the waker's (the kernel's wake-affine rule), so a spare that
 * asked to move (pin_tid) is first allowed only this CPU - it is asleep,
 * so nothing migrates - and it takes its own affinity back once awake. */
void spare_ring(int pid)
{
	struct bell *b = &bells[pid % NBELLS];
	int tid = __atomic_load_n(&b->pin_tid, __ATOMIC_SEQ_CST);
	int cpu = sched_getcpu();
	if (tid > 0 && cpu >= 0 &&
	    __atomic_compare_exchange_n(&b->pin_tid, &tid, -1, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
		cpu_set_t here;
		CPU_ZERO(&here);
		CPU_SET(cpu, &here);
		sched_setaffinity(tid, sizeof here, &here);
		__atomic_store_n(&b->pin_tid, 0, __ATOMIC_SEQ_CST);
	}
	bell_ring(pid % NBELLS);
}

/* The spare: while its state is v, spin for up to spin_ns (not on its
 * maker's CPU), then sleep on the bell; a ring makes it look again.  Asleep
 * on its maker's CPU, it asks the next ringer to move it (pin_tid); the
 * ringer holds its tid only while pin_tid is -1, and the spare does not go
 * on (so its thread cannot end, nor become a child's) until it is done. */
static int await_change(struct spare *s, int v)
{
	struct bell *b = &bells[s->bell];
	for (int moved = 0;;) {
		int beside = sched_getcpu() == s->maker_cpu;
		if (!beside && spin_while(&s->state, v, spin_ns))
			break;
		int seq = __atomic_load_n(&b->seq, __ATOMIC_SEQ_CST), none = 0, me = s->tid;
		if (s->can_move < 0)	/* before it sleeps: see spare_run */
			__atomic_store_n(&s->can_move,
					 sched_getaffinity(0, sizeof s->mask, &s->mask) == 0 &&
					 CPU_COUNT(&s->mask) > 1, __ATOMIC_RELEASE);
		if (beside && s->donor && s->can_move && !moved) {
			/* a child's thread beside its parent: the ring that would
			 * move it is its own next child's, so it moves itself,
			 * once - it then stays on the other CPU, child after child */
			cpu_set_t away = s->mask;
			CPU_CLR(s->maker_cpu, &away);
			sched_setaffinity(0, sizeof away, &away);
			sched_setaffinity(0, sizeof s->mask, &s->mask);
			moved = 1;
			continue;
		}
		int pin = beside && s->can_move &&
			  __atomic_compare_exchange_n(&b->pin_tid, &none, me, 0, __ATOMIC_SEQ_CST,
						      __ATOMIC_SEQ_CST);
		__atomic_add_fetch(&b->sleepers, 1, __ATOMIC_SEQ_CST);
		if (__atomic_load_n(&s->state, __ATOMIC_SEQ_CST) == v &&
		    __atomic_load_n(&b->seq, __ATOMIC_SEQ_CST) == seq)
			syscall(SYS_futex, &b->seq, FUTEX_WAIT_PRIVATE, seq, NULL, NULL, 0);
		__atomic_sub_fetch(&b->sleepers, 1, __ATOMIC_SEQ_CST);
		if (pin && !__atomic_compare_exchange_n(&b->pin_tid, &me, 0, 0, __ATOMIC_SEQ_CST,
							__ATOMIC_SEQ_CST)) {
			while (__atomic_load_n(&b->pin_tid, __ATOMIC_SEQ_CST) == -1)
				__builtin_ia32_pause();	/* the ringer is moving us */
			sched_setaffinity(0, sizeof s->mask, &s->mask);
		}
		if (__atomic_load_n(&s->state, __ATOMIC_SEQ_CST) != v)
			break;
	}
	return __atomic_load_n(&s->state, __ATOMIC_SEQ_CST);
}

/* Its maker: the new state v.  After GO, s may be freed at any moment. */
static void tell(struct spare *s, int v)
{
	int bell = s->bell;
	__atomic_store_n(&s->state, v, __ATOMIC_SEQ_CST);
	bell_ring(bell);
}

/* Ends spare s (not taken for a fork). */
static void spare_end(struct spare *s)
{
	s->t = NULL;
	tell(s, GO);
}

/* Spare s waits for its fork; returns the child's thread to run, with its
 * entry block in *blk, or NULL (s ends; *blk is to be torn down).  Frees s. */
static struct uthread *spare_wait(struct spare *s, struct tblock **blk)
{
	int st = __atomic_load_n(&s->state, __ATOMIC_SEQ_CST);
	if (st == WAITING) {
		if (!s->blk)
			s->blk = tblock_setup(NULL, 1);	/* idle time: the child's entry block */
		st = await_change(s, WAITING);	/* the next fork may be near */
	}
	int done = st == COPY;
	if (done) {
		/* the fork has begun: the child's fd table and cwd are the
		 * parent's now, taken while the fork copies its memory (or
		 * shared, when the parent is single-threaded: fdshare.c) */
		s->copied = s->shared || unshare(CLONE_FILES | CLONE_FS) == 0;
		int c = COPY;
		int told = __atomic_compare_exchange_n(&s->state, &c, COPIED, 0, __ATOMIC_SEQ_CST,
						       __ATOMIC_SEQ_CST);
		if (!s->blk)	/* started after the fork began: the copy first */
			s->blk = tblock_setup(NULL, 1);
		if (told && s->blk && sched_getcpu() != s->maker_cpu)
			fork_help(&s->job);	/* and helps with the memory copy */
		getrusage(RUSAGE_THREAD, &s->ru);	/* not the child's time */
		if (told)
			await_change(s, COPIED);
	}
	struct uthread *t = s->t;
	*blk = s->blk;
	if (t && s->async)	/* as a thread created at the fork: see spare_run */
		t->new_fdctx = !(done && s->copied);
	if (t && !done)
		getrusage(RUSAGE_THREAD, &s->ru);
	if (s->pinned)	/* its own affinity back: it runs here now */
		sched_setaffinity(0, sizeof s->mask, &s->mask);
	if (t) {
		t->ru_base[0] = s->ru.ru_utime;
		t->ru_base[1] = s->ru.ru_stime;
	}
	free(s);
	return t;
}

/* The life of a host thread as spare s and then as the children it runs:
 * one, or - when each gives its thread back to its parent (spare_donor) -
 * one after the other. */
void spare_serve(struct spare *s)
{
	while (s) {
		struct tblock *blk;
		struct uthread *t = spare_wait(s, &blk);
		if (!t) {
			if (blk)
				tblock_teardown(blk);
			return;
		}
		s = thread_run(t, blk);
	}
}

static void *spare_main(void *arg)
{
	pkey_runtime_thread();
	struct spare *s = arg;
	sigset_t none;
	sigemptyset(&none);
	pthread_sigmask(SIG_SETMASK, &none, NULL);
	block_outside_signals();
	s->tid = gettid();
	__atomic_store_n(&s->can_move, sched_getaffinity(0, sizeof s->mask, &s->mask) == 0 &&
			 CPU_COUNT(&s->mask) > 1, __ATOMIC_RELEASE);	/* see spare_run */
	spare_serve(s);
	return NULL;
}

/* Whether p, which forked, should make a spare when idle: not when it has
 * one (a child gave it its thread), nor while a child shares its fd table
 * (that child's thread may come back as one). */
int spare_wanted(struct uproc *p)
{
	if (!p->want_spare)
		return 0;
	if (__atomic_load_n(&p->spare, __ATOMIC_ACQUIRE)) {
		p->want_spare = 0;
		return 0;
	}
	return !fdshare_shared(p);
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
	s->bell = p->pid % NBELLS;
	s->gen = __atomic_load_n(&p->host_gen, __ATOMIC_ACQUIRE);
	s->can_move = -1;
	if (host_thread_create(spare_main, s) < 0) {
		free(s);
		return;
	}
	struct spare *none = NULL;	/* one came meanwhile, or p ended: ours ends */
	if (!__atomic_compare_exchange_n(&p->spare, &none, s, 0, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE))
		spare_end(s);
}

/*
 * The thread of t, the first thread of a fork child that ends without
 * having changed its fd table, cwd or host-thread state, so that its host
 * thread is like one its parent would make now if the parent has not
 * changed either: offered to the parent as its next spare (spare_offer),
 * instead of ending and having the parent create one.
 */
struct spare *spare_donor(const struct uthread *t, struct tblock *blk)
{
	struct spare *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->blk = tblock_reuse(blk);	/* the child's, as set up as a spare's */
	s->maker = t->from_tid;
	s->maker_cpu = t->from_cpu;
	s->gen = t->from_gen;
	s->tid = gettid();
	s->donor = 1;
	s->can_move = -1;
	return s;
}

/* Under the process table's lock (parent is not freed): 1 if parent takes
 * donor s as its spare - it has none, and its host-thread state and fd
 * table are still those s was made with. */
int spare_offer(struct uproc *parent, struct spare *s)
{
	struct spare *none = NULL;
	s->bell = parent->pid % NBELLS;
	return __atomic_load_n(&parent->host_gen, __ATOMIC_ACQUIRE) == s->gen &&
	       __atomic_compare_exchange_n(&parent->spare, &none, s, 0, __ATOMIC_ACQ_REL,
					   __ATOMIC_ACQUIRE);
}

/*
 * At the start of a fork by thread `forker`, which holds its µprocess's
 * lock and has stopped its other threads: the µprocess's spare, told to
 * copy the fd table and cwd now, in parallel with the memory copy (the
 * parent is in fork: its fd table does not change) - or, `shared`, only to
 * note its host time, the child sharing the parent's table - or NULL when
 * there is no spare like a thread the forker would create now (one cloned
 * from another thread has that thread's name, nice value and affinity).
 */
struct spare *spare_take(struct uthread *forker, int shared)
{
	struct uproc *p = forker->p;	/* its lock is held */
	struct spare *s = __atomic_exchange_n(&p->spare, NULL, __ATOMIC_ACQ_REL);
	if (s == SPARE_CLOSED)
		__atomic_store_n(&p->spare, s, __ATOMIC_RELEASE);
	if (!s || s == SPARE_CLOSED)
		return NULL;
	if (s->maker != forker->tid || s->gen != __atomic_load_n(&p->host_gen, __ATOMIC_ACQUIRE)) {
		tell(s, GO);
		return NULL;
	}
	s->shared = shared;
	memset(&s->job, 0, sizeof s->job);
	s->job.users = -2;
	tell(s, COPY);
	return s;
}

struct fork_job *spare_job(struct spare *s)
{
	return &s->job;
}

/*
 * The end of that fork: the spare runs t, the child's first thread, or -
 * t NULL, or its copy failed - ends.  Returns 0 when the spare runs t with
 * its copy taken (or shared), -1 when it does not run t; 1 when it runs t
 * but has not got its copy yet (it has not had a CPU: the other one may be
 * busy for milliseconds): the fork goes on, as with a thread created now,
 * and t posts t->ready once it has the copy (thread_run).  forker_waits:
 * the forking thread waits for that copy (it has other threads).
 */
int spare_run(struct spare *s, struct uthread *t, int forker_waits)
{
	if (t && !s->shared && __atomic_load_n(&s->state, __ATOMIC_SEQ_CST) == COPY) {
		s->t = t;
		s->async = 1;
		/* asleep, or queued behind others on its CPU (a Redis fork waited
		 * 3.4 ms): a forker with other threads now waits for its copy, so
		 * it runs on the forker's CPU - a queued thread moves cheaply */
		int cpu = sched_getcpu();
		if (forker_waits && cpu >= 0 && __atomic_load_n(&s->tid, __ATOMIC_RELAXED) > 0 &&
		    __atomic_load_n(&s->can_move, __ATOMIC_ACQUIRE) > 0) {
			cpu_set_t here;
			CPU_ZERO(&here);
			CPU_SET(cpu, &here);
			s->pinned = sched_setaffinity(s->tid, sizeof here, &here) == 0;
		}
		tell(s, GO);
		return 1;
	}
	int ok = t && (s->shared || s->copied);
	if (ok) {
		t->new_fdctx = 0;	/* its fd table is the copy already */
		t->ready = NULL;
	}
	s->t = ok ? t : NULL;
	tell(s, GO);
	return ok ? 0 : -1;
}

/* p is ending: so does its spare, and none is taken any more. */
void spare_drop(struct uproc *p)
{
	struct spare *s = __atomic_exchange_n(&p->spare, SPARE_CLOSED, __ATOMIC_ACQ_REL);
	if (s && s != SPARE_CLOSED)
		spare_end(s);
}
