/*
 * thread.c - the host thread behind each µprocess thread: its birth, its
 * entry into µprocess code, and its death.
 *
 * A µprocess thread is born as a detached host pthread.  It sets up its entry
 * block (alternate stack + SUD), gives itself the µprocess's fd table and
 * cwd if it is the first thread of a new µprocess (unshare CLONE_FILES|
 * CLONE_FS; later threads are created from a thread of the same µprocess and
 * share them through pthread's own CLONE_FILES|CLONE_FS), records a
 * sigsetjmp point, and enters µprocess code through a trapped syscall whose
 * frame the SIGSYS handler rewrites with t->start (see ufork_enter_trap).
 * It leaves for good by siglongjmp back to that point (thread_exit), from
 * any depth of runtime handler: µprocess frames have no unwind information.
 */
#include <errno.h>
#include <sched.h>
#include <semaphore.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <linux/futex.h>

#include "ufork.h"

void proc_release(struct uproc *p, struct spare **donor);

struct uthread *thread_new(struct uproc *p, int tid)
{
	struct uthread *t = calloc(1, sizeof *t);
	if (!t)
		return NULL;
	t->p = p;
	t->tid = tid;
	t->altstack.ss_flags = SS_DISABLE;
	sem_init(&t->fdsem, 0, 0);
	sem_init(&t->vfork_done, 0, 0);
	pthread_mutex_lock(&p->lock);
	t->next = p->threads;
	p->threads = t;
	p->nthreads++;
	pthread_mutex_unlock(&p->lock);
	return t;
}

/* own_host_thread: called on t's own host thread, whose fd table is the
 * µprocess's: the last thread then closes it before the exit is announced,
 * so a parent that waited sees the child's fcntl locks and pipe ends gone -
 * unless other µprocesses are still on that table (fdshare.c).  Returns the
 * spare this host thread is now (spare_donor), or NULL. */
static struct spare *thread_unlink(struct uthread *t, int own_host_thread, struct tblock *blk)
{
	struct uproc *p = t->p;
	struct spare *donor = NULL;
	if (own_host_thread)
		usage_thread_exit(t);
	fd_sync(t);	/* children still copying our fd table */
	sem_destroy(&t->fdsem);
	sem_destroy(&t->vfork_done);
	int last;
	pthread_mutex_lock(&p->lock);
	for (struct uthread **pp = &p->threads; *pp; pp = &(*pp)->next)
		if (*pp == t) {
			*pp = t->next;
			break;
		}
	last = --p->nthreads == 0;
	if (last && !p->exiting) {	/* the last thread called exit(): its code */
		p->exiting = 1;
		p->status = (t->exit_code & 0xff) << 8;
	}
	pthread_mutex_unlock(&p->lock);
	/* a fork child that changed neither its fd table (still its parent's)
	 * nor its host thread: that thread may be its parent's next spare */
	int give = last && own_host_thread && p->parents_table &&
		   !__atomic_load_n(&p->host_gen, __ATOMIC_ACQUIRE);
	int others = last && fdshare_leave(p);	/* then the table stays open */
	if (give && others)
		donor = spare_donor(t, blk);
	free(t->start.fpstate);
	sigpend_clear(&t->pend, 0);
	free(t);
	if (last && own_host_thread && !others) {	/* the runtime's own fds stay usable */
		syscall(SYS_close_range, 0, __atomic_load_n(&p->fd_top, __ATOMIC_RELAXED), 0);
		syscall(SYS_close_range, fd_floor + RUNTIME_FDS, ~0U, 0);
	}
	if (last)
		proc_release(p, &donor);
	if (blk && !donor)	/* after the exit is announced: off the parent's path */
		tblock_teardown(blk);
	return donor;
}

/* The life of a µprocess thread on its host thread, which has all host
 * signals but the outside ones unblocked.  blk: its entry block, made
 * ahead (a spare's), or NULL.  Returns the spare its host thread is now
 * (spare_serve), or NULL: the host thread ends. */
struct spare *thread_run(struct uthread *t, struct tblock *blk)
{
	__atomic_store_n(&t->host_tid, gettid(), __ATOMIC_RELEASE);
	/* a new µprocess: its own copy of the creator's fd table and cwd, made
	 * before the creator may go on (fork waits on t->ready) */
	int bad = t->new_fdctx && unshare(CLONE_FILES | CLONE_FS) < 0;
	if (t->ready) {
		sem_post(t->ready);
		/* the creator waiting for the copy may share our CPU (a woken spare
		 * is often pulled next to its waker): let it go on now rather than
		 * at the next tick (Redis's fork: 1.5 ms -> 0.1 ms) */
		sched_yield();
	}
	if (bad) {
		if (blk)
			tblock_teardown(blk);
		return thread_unlink(t, 0, NULL);
	}
	t->blk = blk ? blk : tblock_setup(t, 1);
	if (!t->blk)
		return thread_unlink(t, 1, NULL);
	t->blk->ut = t;
	if (sigsetjmp(t->exit_jmp, 1) == 0) {
		pthread_mutex_lock(&t->p->lock);
		int dying = t->p->exiting;
		pthread_mutex_unlock(&t->p->lock);
		if (!dying)
			enter_user(t->blk);
	}
	/* back from thread_exit: runtime FS, selector ALLOW, handler frames
	 * gone; a late kick finds no thread in the block */
	blk = t->blk;
	__atomic_store_n(&blk->ut, NULL, __ATOMIC_SEQ_CST);
	t->blk = NULL;
	return thread_unlink(t, 1, blk);
}

static void *thread_main(void *arg)
{
	pkey_runtime_thread();
	sigset_t none;
	sigemptyset(&none);
	pthread_sigmask(SIG_SETMASK, &none, NULL);	/* creator may be in a handler */
	block_outside_signals();	/* they are the main thread's to take */
	spare_serve(thread_run(arg, NULL));
	return NULL;
}

/* A detached host thread with the runtime's stack size; -errno on failure. */
int host_thread_create(void *(*fn)(void *), void *arg)
{
	pthread_attr_t at;
	pthread_t th;
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&at, 256 * 1024);
	int r = pthread_create(&th, &at, fn, arg);
	pthread_attr_destroy(&at);
	return -r;
}

int thread_spawn(struct uthread *t)
{
	int r = host_thread_create(thread_main, t);
	if (r) {
		thread_unlink(t, 0, NULL);
		return r;
	}
	return 0;
}

void enter_user(struct tblock *b)
{
	b->starting = 1;
	if (b->self == b && b->ut->start.fpstate)	/* armed by an earlier start */
		ufork_enter_direct(b);
	ufork_enter_trap(b);
}

/* The owner of a robust futex died: mark it and wake one waiter, as the
 * kernel's handle_futex_death does. */
static void futex_owner_died(struct uproc *p, uintptr_t uaddr, int tid)
{
	uint32_t v;
	if ((uaddr & 3) || copy_from_user(p, &v, uaddr, sizeof v))
		return;
	while ((v & FUTEX_TID_MASK) == (uint32_t)tid) {
		uint32_t nv = (v & FUTEX_WAITERS) | FUTEX_OWNER_DIED;
		if (__atomic_compare_exchange_n((uint32_t *)uaddr, &v, nv, 0, __ATOMIC_SEQ_CST,
						__ATOMIC_SEQ_CST)) {
			if (v & FUTEX_WAITERS)
				syscall(SYS_futex, uaddr, FUTEX_WAKE, 1, NULL, NULL, 0);
			return;
		}
	}
}

/* Walks the thread's robust list (set_robust_list) at its death. */
static void robust_cleanup(struct uthread *t)
{
	struct {
		uintptr_t next;
		long offset;
		uintptr_t pending;
	} head;
	if (!t->robust_list || copy_from_user(t->p, &head, t->robust_list, sizeof head))
		return;
	uintptr_t e = head.next & ~1UL, pending = head.pending & ~1UL;
	for (int n = 0; e && e != t->robust_list && n < 2048; n++) {
		uintptr_t next;
		if (copy_from_user(t->p, &next, e, sizeof next))
			break;
		if (e != pending)
			futex_owner_died(t->p, e + head.offset, t->tid);
		e = next & ~1UL;
	}
	if (pending)
		futex_owner_died(t->p, pending + head.offset, t->tid);
}

/* Leaves µprocess code for good.  Called on the thread's own host thread,
 * from any runtime handler; does the robust-futex and CLONE_CHILD_CLEARTID
 * duties first. */
void thread_exit(struct uthread *t)
{
	robust_cleanup(t);
	if (t->clear_child_tid && !t->p->exiting) {
		int zero = 0;
		/* the kernel wakes a shared futex; waiters may have used either kind */
		if (copy_to_user(t->p, t->clear_child_tid, &zero, sizeof zero) == 0) {
			syscall(SYS_futex, t->clear_child_tid, FUTEX_WAKE, 1, NULL, NULL, 0);
			syscall(SYS_futex, t->clear_child_tid, FUTEX_WAKE_PRIVATE, 1, NULL,
				NULL, 0);
		}
	}
	if (t->blk)
		t->blk->selector = SUD_ALLOW;
	siglongjmp(t->exit_jmp, 1);
}

/* Drops a thread made by thread_new that never ran. */
void thread_spawn_cancel(struct uthread *t)
{
	thread_unlink(t, 0, NULL);
}

/*
 * A forked child copies its parent's fd table and cwd on its own host thread
 * (unshare), so that the table itself - which owns the fcntl locks - stays
 * the parent's.  The parent does not wait for the copy at fork time: it waits
 * here, before anything that could change the table (every forwarded call,
 * clone, exit).
 */
void fd_sync(struct uthread *t)
{
	while (t->fd_pending > 0) {
		if (sem_wait(&t->fdsem) == 0)
			t->fd_pending--;
	}
}

/*
 * Waking a thread that sleeps in the host kernel from another CPU costs
 * here about 7 µs to the waker and 9 µs more before the sleeper runs (the
 * IPI exits to the hypervisor).  Where the wait is likely short - a parent
 * waiting for a child it just forked, a spare waiting for the next fork -
 * the waiter first watches its word for up to spin_ns (--spin-us), yielding
 * the CPU between looks (what it waits for may be queued on the same CPU),
 * and the other side skips the wake-up when the waiter is not asleep.
 * spin_while returns 1 as soon as *word != value, 0 after ns.
 */
long spin_ns = 50000;

int spin_while(const volatile int *word, int value, long ns)
{
	struct timespec a, b;
	if (__atomic_load_n(word, __ATOMIC_ACQUIRE) != value)
		return 1;
	if (ns <= 0)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (;;) {
		sched_yield();
		if (__atomic_load_n(word, __ATOMIC_ACQUIRE) != value)
			return 1;
		clock_gettime(CLOCK_MONOTONIC, &b);
		if ((b.tv_sec - a.tv_sec) * 1000000000L + b.tv_nsec - a.tv_nsec >= ns)
			return 0;
	}
}

/*
 * The runtime's own waits (wait4, pause, sigsuspend, sigtimedwait) sleep on
 * the thread's cancel word rather than in a host syscall that a signal must
 * interrupt: a kick (thread_kick) sets the word and wakes the futex, with no
 * host signal.  The futex compares the word atomically, so a kick between
 * the caller's last check and the sleep is not lost.  deadline: absolute
 * CLOCK_MONOTONIC, or NULL.  Returns 0 when the deadline passed, -EINTR
 * otherwise (kicked, or woken for nothing: callers re-check).
 */
long thread_sleep(struct uthread *t, const struct timespec *deadline)
{
	struct tblock *b = t->blk;
	__atomic_store_n(&b->sleeping, 1, __ATOMIC_SEQ_CST);
	long r = syscall(SYS_futex, &b->cancel, FUTEX_WAIT_BITSET_PRIVATE, 0, deadline, NULL,
			 FUTEX_BITSET_MATCH_ANY);
	int e = errno;
	__atomic_store_n(&b->sleeping, 0, __ATOMIC_SEQ_CST);
	return r < 0 && e == ETIMEDOUT ? 0 : -EINTR;
}
