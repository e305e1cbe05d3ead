/*
 * proc.c - µprocesses: creation, the initial stack, exit, zombies, wait, and
 * the process table that the runtime's invisible init (pid 1, the host main
 * thread) watches.
 *
 * Slot layout of a µprocess (offsets from the slot base):
 *   0                  program image (text mapped from the sealed memfd)
 *   image end          brk heap, growing up to brk_max = slot_size / 4
 *   ...                mmap area, filled top-down
 *   size - STACK_SIZE  main thread stack, up to the end of the slot
 *
 * Life of a µprocess: proc_new (slot, pid) -> proc_add (visible in the table)
 * -> threads run -> the last thread leaves (proc_release: memory and slot
 * go back at once, the struct stays as a zombie) -> reaped by its parent's
 * wait, or at once when the parent is init or ignores SIGCHLD.  Children of
 * an exiting µprocess are reparented to init, which reaps them.
 *
 * Lock order: proc_lock, then a µprocess's lock.  ppid/pgid/sid/zombie and
 * the table links are guarded by proc_lock.
 */
#include <elf.h>
#include <sched.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ufork.h"

int max_procs = 256;
size_t slot_size = 4UL << 30;

static pthread_mutex_t proc_lock = PTHREAD_MUTEX_INITIALIZER;
static sem_t init_wake;		/* posted on µprocess exit and outside signals */
static struct uproc *all_procs;
static int live_procs;		/* not yet zombies */
static int next_pid = 2;	/* pid 1 is the runtime's invisible init */
static int first_status = -1;
static int first_pid;

static void child_info(int pid, int status, siginfo_t *info);

int pid_alloc(void)
{
	return __atomic_fetch_add(&next_pid, 1, __ATOMIC_RELAXED);
}

/* A new µprocess with a slot and a pid, not yet in the table. */
struct uproc *proc_new(struct image *img, struct uproc *parent)
{
	struct uproc *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	if (slot_alloc(&p->slot, parent ? img : NULL, &p->recycled) < 0) {
		free(p);
		return NULL;
	}
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->fork_cv, NULL);
	__atomic_add_fetch(&img->refs, 1, __ATOMIC_ACQ_REL);
	p->img = img;
	p->pid = pid_alloc();
	p->ppid = parent ? parent->pid : 1;
	/* the first program: leader of its own group in init's session, as a
	 * shell would start it */
	p->pgid = parent ? parent->pgid : p->pid;
	p->sid = parent ? parent->sid : 1;
	p->ctty = parent ? __atomic_load_n(&parent->ctty, __ATOMIC_RELAXED) : NULL;
	p->oom_fd = -1;
	if (!parent)
		rlimits_init(p);
	if (parent) {
		pthread_mutex_lock(&parent->lock);
		p->fd_top = parent->nthreads > 1 ? fd_floor - 1 : parent->fd_top;
		rlimits_copy(p, parent);
		pthread_mutex_unlock(&parent->lock);
		memcpy(p->comm, parent->comm, sizeof p->comm);
		p->oom_score_adj = parent->oom_score_adj;
		p->cmdline = malloc(parent->cmdline_len + 1);
		if (p->cmdline && parent->cmdline) {
			memcpy(p->cmdline, parent->cmdline, parent->cmdline_len);
			p->cmdline_len = parent->cmdline_len;
		}
	}
	proc_layout(p);
	return p;
}

/* A vfork child: its own pid, no memory of its own (it runs in the
 * parent's slot until it execs or exits). */
struct uproc *proc_new_borrowed(struct uproc *parent)
{
	struct uproc *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->fork_cv, NULL);
	__atomic_add_fetch(&parent->img->refs, 1, __ATOMIC_ACQ_REL);
	p->img = parent->img;
	p->slot = parent->slot;
	p->borrowed = 1;
	p->pid = pid_alloc();
	p->ppid = parent->pid;
	p->pgid = parent->pgid;
	p->sid = parent->sid;
	p->ctty = __atomic_load_n(&parent->ctty, __ATOMIC_RELAXED);
	p->oom_fd = -1;
	memcpy(p->comm, parent->comm, sizeof p->comm);
	pthread_mutex_lock(&parent->lock);
	p->fd_top = parent->nthreads > 1 ? fd_floor - 1 : parent->fd_top;
	rlimits_copy(p, parent);
	pthread_mutex_unlock(&parent->lock);
	proc_layout(p);
	return p;
}

/* Undoes proc_new for a µprocess that never ran. */
void proc_discard(struct uproc *p)
{
	fdshare_leave(p);
	signalfd_free(p);
	proc_drop_shared(p);
	lazy_exit(p);
	if (!p->borrowed)
		slot_free(&p->slot, NULL, NULL, 0);	/* contents unknown: clear */
	vma_free(&p->vmas);
	vma_free(&p->recycled);
	image_put(p->img);
	free(p->cmdline);
	free(p);
}

int proc_count_ok(void)
{
	pthread_mutex_lock(&proc_lock);
	int ok = live_procs < max_procs;
	pthread_mutex_unlock(&proc_lock);
	return ok;
}

/* RLIMIT_NPROC: the tasks of µprocesses with real uid uid, counted as Linux
 * counts them (every thread; a zombie is one task until it is reaped). */
int proc_tasks_of_uid(uid_t uid)
{
	int n = 0;
	pthread_mutex_lock(&proc_lock);
	for (struct uproc *q = all_procs; q; q = q->next_all) {
		if (q->ruid != uid)
			continue;
		int k = __atomic_load_n(&q->nthreads, __ATOMIC_RELAXED);
		n += q->zombie || k < 1 ? 1 : k;
	}
	pthread_mutex_unlock(&proc_lock);
	return n;
}

/* Calls fn on every µprocess in the table (proc_lock held: fn must not take
 * it or a µprocess lock). */
void proc_for_each(void (*fn)(struct uproc *))
{
	pthread_mutex_lock(&proc_lock);
	for (struct uproc *q = all_procs; q; q = q->next_all)
		fn(q);
	pthread_mutex_unlock(&proc_lock);
}

void proc_add(struct uproc *p)
{
	pthread_mutex_lock(&proc_lock);
	p->next_all = all_procs;
	all_procs = p;
	live_procs++;
	if (!first_pid)
		first_pid = p->pid;
	pthread_mutex_unlock(&proc_lock);
}

/* Lays out argv, envp and auxv at the top of the main stack like Linux. */
static uintptr_t build_stack(struct uproc *p, char **argv, char **envp)
{
	uintptr_t top = p->slot.base + p->slot.size;
	char *sp = (char *)top;
	int argc = 0, envc = 0;
	while (argv[argc])
		argc++;
	while (envp[envc])
		envc++;
	uintptr_t *ustr = calloc(argc + envc + 1, sizeof *ustr);
	if (!ustr)
		return 0;
	sp -= strlen(p->img->path) + 1;
	strcpy(sp, p->img->path);
	char *execfn = sp;
	for (int i = envc - 1; i >= 0; i--) {
		sp -= strlen(envp[i]) + 1;
		strcpy(sp, envp[i]);
		ustr[argc + i] = (uintptr_t)sp;
	}
	for (int i = argc - 1; i >= 0; i--) {
		sp -= strlen(argv[i]) + 1;
		strcpy(sp, argv[i]);
		ustr[i] = (uintptr_t)sp;
	}
	sp -= sizeof "x86_64";
	strcpy(sp, "x86_64");
	char *platform = sp;
	sp = (char *)((uintptr_t)sp & ~15UL) - 16;
	char *random = sp;
	if (getrandom(random, 16, 0) != 16)
		memset(random, 0x5a, 16);

	uintptr_t b = p->slot.base;
	uint64_t aux[][2] = {
		{ AT_PHDR, b + p->img->phdr },
		{ AT_PHENT, sizeof(Elf64_Phdr) },
		{ AT_PHNUM, p->img->phnum },
		{ AT_PAGESZ, PAGE_SIZE },
		{ AT_BASE, 0 },
		{ AT_FLAGS, 0 },
		{ AT_ENTRY, b + p->img->entry },
		{ AT_UID, getuid() },
		{ AT_EUID, geteuid() },
		{ AT_GID, getgid() },
		{ AT_EGID, getegid() },
		{ AT_SECURE, 0 },
		{ AT_HWCAP, getauxval(AT_HWCAP) },
		{ AT_HWCAP2, getauxval(AT_HWCAP2) },
		{ AT_CLKTCK, sysconf(_SC_CLK_TCK) },
		{ AT_RANDOM, (uintptr_t)random },
		{ AT_PLATFORM, (uintptr_t)platform },
		{ AT_EXECFN, (uintptr_t)execfn },
		{ AT_MINSIGSTKSZ, getauxval(AT_MINSIGSTKSZ) },
		{ vdso_base ? AT_SYSINFO_EHDR : AT_IGNORE, vdso_base },
		{ AT_NULL, 0 },
	};
	size_t words = 1 + argc + 1 + envc + 1 + 2 * (sizeof aux / sizeof aux[0]);
	uintptr_t *w = (uintptr_t *)(((uintptr_t)sp - words * 8) & ~15UL);
	uintptr_t *q = w;
	*q++ = argc;
	for (int i = 0; i < argc; i++)
		*q++ = ustr[i];
	*q++ = 0;
	for (int i = 0; i < envc; i++)
		*q++ = ustr[argc + i];
	*q++ = 0;
	memcpy(q, aux, sizeof aux);
	free(ustr);
	return (uintptr_t)w;
}

/* Where brk and unhinted mmaps go, from the slot and the image. */
void proc_layout(struct uproc *p)
{
	uintptr_t b = p->slot.base;
	p->brk_start = p->brk_cur = b + p->img->span;
	p->brk_max = b + p->slot.size / 4;
	p->mmap_lo = p->brk_max;
	p->mmap_hi = b + p->slot.size - STACK_SIZE - PAGE_SIZE;
}

/* Maps p's image and main stack into its (empty) slot and lays out argv,
 * envp and auxv; returns the initial stack pointer or -errno. */
long proc_load(struct uproc *p, char **argv, char **envp)
{
	uintptr_t b = p->slot.base;
	proc_layout(p);
	int r = image_map(p->img, b, &p->vmas, IMAGE_ALL);
	if (r < 0)
		return r;
	uintptr_t stack_lo = b + p->slot.size - STACK_SIZE;
	if (mmap((void *)stack_lo, STACK_SIZE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0) == MAP_FAILED)
		return -errno;
	pkey_apply(stack_lo, STACK_SIZE, PROT_READ | PROT_WRITE);
	vma_insert(&p->vmas, stack_lo, b + p->slot.size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, VMA_STACK);
	uintptr_t sp = build_stack(p, argv, envp);
	proc_set_cmdline(p, argv);
	return sp ? (long)sp : -E2BIG;
}

/* /proc/<pid>/cmdline and comm from a new image's argv. */
void proc_set_cmdline(struct uproc *p, char **argv)
{
	size_t len = 0;
	for (int i = 0; argv[i]; i++)
		len += strlen(argv[i]) + 1;
	char *s = malloc(len + 1), *q = s;
	for (int i = 0; s && argv[i]; i++)
		q = stpcpy(q, argv[i]) + 1;
	pthread_mutex_lock(&p->lock);
	free(p->cmdline);
	p->cmdline = s;
	p->cmdline_len = s ? len : 0;
	const char *base = strrchr(p->img->path, '/');
	snprintf(p->comm, sizeof p->comm, "%s", base ? base + 1 : p->img->path);
	pthread_mutex_unlock(&p->lock);
}

int proc_start(struct uproc *p, char **argv, char **envp)
{
	long sp = proc_load(p, argv, envp);
	if (sp < 0)
		return sp;
	struct uthread *t = thread_new(p, p->pid);
	if (!t)
		return -ENOMEM;
	t->new_fdctx = 1;
	p->fd_top = fd_top_scan();	/* the table it copies is ours */
	t->start.gregs[REG_RIP] = p->slot.base + p->img->entry;
	t->start.gregs[REG_RSP] = sp;
	t->start.gregs[REG_EFL] = 0x202;
	sem_t ready;	/* until it has its own copy of our fds */
	sem_init(&ready, 0, 0);
	t->ready = &ready;
	proc_add(p);
	int r = thread_spawn(t);	/* on failure the thread's exit releases p */
	if (r == 0)
		while (sem_wait(&ready) < 0 && errno == EINTR)
			;
	sem_destroy(&ready);
	return r;
}

/* Marks p as dying with wait status `status` and kicks all its threads out
 * at their next exit point. */
void proc_kill(struct uproc *p, int status)
{
	pthread_mutex_lock(&p->lock);
	if (!p->exiting) {
		p->exiting = 1;
		p->status = status;
		for (struct uthread *o = p->threads; o; o = o->next)
			thread_kick(o, 1);
		pthread_cond_broadcast(&p->fork_cv);	/* stopped threads too */
	}
	pthread_mutex_unlock(&p->lock);
}

void proc_exit(struct uthread *t, int status)
{
	proc_kill(t->p, status);
	thread_exit(t);
}

static struct uproc *find_locked(int pid)
{
	for (struct uproc *q = all_procs; q; q = q->next_all)
		if (q->pid == pid)
			return q;
	return NULL;
}

static void unlink_free_locked(struct uproc *p)
{
	for (struct uproc **pp = &all_procs; *pp; pp = &(*pp)->next_all)
		if (*pp == p) {
			*pp = p->next_all;
			break;
		}
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->fork_cv);
	sigpend_clear(&p->pend, 0);
	signalfd_free(p);
	free(p->cmdline);
	free(p);
}

/* Does the parent reap its children itself (SIG_IGN or SA_NOCLDWAIT)? */
static int auto_reaps(struct uproc *parent)
{
	struct ksigaction *ka = &parent->act[SIGCHLD];
	return ka->handler == (uintptr_t)SIG_IGN || (ka->flags & SA_NOCLDWAIT);
}

static void wake_waiters(struct uproc *p)
{
	pthread_mutex_lock(&p->lock);
	for (struct uthread *o = p->threads; o; o = o->next)
		if (o->waiting)
			thread_wake(o);
	pthread_mutex_unlock(&p->lock);
}

/* What a freed slot may still hold resident, at most: what fork copied into
 * it, or all of its private mappings but the text and the main stack (whose
 * untouched part the fork copy covers), whichever is more. */
static size_t keep_estimate(struct uproc *p)
{
	size_t mapped = 0;
	for (int i = 0; i < p->vmas.n; i++) {
		const struct vma *v = &p->vmas.v[i];
		if (v->kind == VMA_SHARED || v->kind == VMA_STACK ||
		    (v->kind == VMA_IMAGE && !(v->prot & PROT_WRITE) && !(v->flags & MAP_ANONYMOUS)))
			continue;
		mapped += v->end - v->start;
	}
	return mapped > p->resident_hint ? mapped : p->resident_hint;
}

/* May p's slot be kept populated?  Not with a region that --copy=coa
 * would stage at the next fork: the kept pages there would be discarded on
 * that fork's path (milliseconds for a large heap) rather than here. */
static int keepable(const struct uproc *p)
{
	if (!p->resident_hint)
		return 0;
	for (int i = 0; i < p->vmas.n; i++)
		if (lazy_ok(&p->vmas.v[i]))
			return 0;
	return 1;
}

/* Called by the last thread of a µprocess on its way out.  *donor: its
 * host thread offered to the parent as a spare (spare_donor), or NULL;
 * left set only when the parent took it. */
void proc_release(struct uproc *p, struct spare **donor)
{
	spare_drop(p);
	itimer_cancel(p);
	locks_exit(p);
	proc_drop_shared(p);
	lazy_exit(p);
	if (p->borrowed)
		exec_vfork_exit(p);	/* the parent's memory is not ours */
	else
		slot_free(&p->slot, p->img, keepable(p) ? &p->vmas : NULL,
			  keep_estimate(p));
	vma_free(&p->vmas);
	image_put(p->img);
	p->img = NULL;

	pthread_mutex_lock(&proc_lock);
	if (p->sid == p->pid)
		tty_leader_exit_locked(p);	/* the session loses its terminal */
	p->zombie = 1;
	live_procs--;
	if (p->pid == first_pid) {
		first_status = p->status;
		first_exited(p->status, 0);
	}
	for (struct uproc *q = all_procs, *next; q; q = next) {
		next = q->next_all;
		if (q->ppid != p->pid)
			continue;
		q->ppid = 1;	/* orphans go to init, which reaps them */
		if (q->zombie)
			unlink_free_locked(q);
	}
	struct uproc *parent = p->ppid != 1 ? find_locked(p->ppid) : NULL;
	if (parent && parent->zombie)
		parent = NULL;
	if (parent && parent->act[SIGCHLD].handler != (uintptr_t)SIG_IGN) {
		siginfo_t si;
		child_info(p->pid, p->status, &si);
		signal_raise(parent, 0, SIGCHLD, &si);	/* SA_NOCLDWAIT still signals */
	}
	if (!parent || auto_reaps(parent))
		unlink_free_locked(p);
	if (*donor && !(parent && spare_offer(parent, *donor))) {
		free(*donor);
		*donor = NULL;
	}
	if (parent)
		wake_waiters(parent);	/* a zombie to reap, or ECHILD to answer */
	int none_left = live_procs == 0, ring = parent ? parent->pid : 0;
	pthread_mutex_unlock(&proc_lock);
	if (none_left)	/* init reaps orphans above: it waits only for the end */
		sem_post(&init_wake);
	if (ring)
		spare_ring(ring);	/* the parent's spare may wait here, on this CPU */
}

static int matches(struct uproc *parent, struct uproc *q, int idtype, int id)
{
	if (q->ppid != parent->pid)
		return 0;
	switch (idtype) {
	case P_PID: return q->pid == id;
	case P_PGID: return q->pgid == id;
	default: return 1;
	}
}

/* The siginfo of a wait report: exit, death, stop or continue. */
static void child_info(int pid, int status, siginfo_t *info)
{
	memset(info, 0, sizeof *info);
	info->si_signo = SIGCHLD;
	info->si_pid = pid;
	info->si_uid = getuid();
	if (WIFEXITED(status)) {
		info->si_code = CLD_EXITED;
		info->si_status = WEXITSTATUS(status);
	} else if (WIFSTOPPED(status)) {
		info->si_code = CLD_STOPPED;
		info->si_status = WSTOPSIG(status);
	} else if (WIFCONTINUED(status)) {
		info->si_code = CLD_CONTINUED;
		info->si_status = SIGCONT;
	} else {
		info->si_code = WCOREDUMP(status) ? CLD_DUMPED : CLD_KILLED;
		info->si_status = WTERMSIG(status);
	}
}

/*
 * The core of wait4 and waitid: finds a child matching (idtype, id) with
 * something to report - an exit (WEXITED; the zombie is reaped unless
 * WNOWAIT), a stop (WUNTRACED/WSTOPPED) or a continue (WCONTINUED) - and
 * fills status and info.  Returns its pid, 0 for WNOHANG with nothing to
 * report, -ECHILD, or -512 when a signal interrupts the wait (restarted or
 * -EINTR by signal_deliver).
 */
int proc_wait(struct uthread *t, int idtype, int id, int options, int *status,
	      siginfo_t *info, struct timeval child_time[2])
{
	struct uproc *p = t->p;
	struct tblock *b = t->blk;
	int r;
	t->waiting = 1;
	for (;;) {
		__atomic_store_n(&b->cancel, 0, __ATOMIC_SEQ_CST);
		int any = 0;
		struct uproc *z = NULL;
		pthread_mutex_lock(&proc_lock);
		for (struct uproc *q = all_procs; q && !z; q = q->next_all) {
			if (!matches(p, q, idtype, id))
				continue;
			any = 1;
			if (q->zombie ? (options & WEXITED)
				      : (WIFSTOPPED(q->wait_report) && (options & WUNTRACED)) ||
					(WIFCONTINUED(q->wait_report) && (options & WCONTINUED)))
				z = q;
		}
		if (z) {
			r = z->pid;
			*status = z->zombie ? z->status : z->wait_report;
			if (info)
				child_info(z->pid, *status, info);
			if (z->zombie && child_time) {	/* its own and its children's */
				timeradd(&z->ut, &z->cut, &child_time[0]);
				timeradd(&z->st, &z->cst, &child_time[1]);
			}
			if (!(options & WNOWAIT)) {
				if (z->zombie) {
					timeradd(&p->cut, &z->ut, &p->cut);	/* RUSAGE_CHILDREN */
					timeradd(&p->cut, &z->cut, &p->cut);
					timeradd(&p->cst, &z->st, &p->cst);
					timeradd(&p->cst, &z->cst, &p->cst);
					unlink_free_locked(z);
				} else {
					z->wait_report = 0;
				}
			}
			pthread_mutex_unlock(&proc_lock);
			break;
		}
		pthread_mutex_unlock(&proc_lock);
		if (!any) {
			r = -ECHILD;
			break;
		}
		if (options & WNOHANG) {
			r = 0;
			break;
		}
		if (b->kill || signal_pending_for(t)) {
			r = -512;
			break;
		}
		if (spare_wanted(p)) {	/* idle time: the next fork's thread */
			spare_make(t);
			continue;
		}
		if (!spin_while(&b->cancel, 0, spin_ns))	/* a child may end soon */
			thread_sleep(t, NULL);
	}
	if (r > 0 && !(options & WNOHANG) && spare_wanted(p))
		spare_make(t);	/* the child was quicker: the next fork wants one all the same */
	t->waiting = 0;
	/* a reaped child's SIGCHLD stays pending, as on Linux */
	return r;
}

/* A child stopped or continued (status as wait reports it): tell the
 * parent with SIGCHLD (unless SA_NOCLDSTOP) and wake its waits. */
static void stop_notify_locked(struct uproc *p, int status);
#define NO_REPORT 0x10000000	/* stop_notify_locked: signal only, the report is set */

void proc_stop_notify(struct uproc *p, int status)
{
	pthread_mutex_lock(&proc_lock);
	stop_notify_locked(p, status);
	pthread_mutex_unlock(&proc_lock);
}

/* SIGCONT is generated where the table lock may be held: the continue is
 * reported by init (proc_wait_all), which signal_raise wakes. */
void proc_cont_later(struct uproc *p)
{
	p->cont_pending = 1;
	sem_post(&init_wake);
}

static void flush_continues(void)
{
	pthread_mutex_lock(&proc_lock);
	for (struct uproc *q = all_procs; q; q = q->next_all)
		if (__atomic_exchange_n(&q->cont_pending, 0, __ATOMIC_SEQ_CST) && !q->zombie)
			stop_notify_locked(q, 0xffff | NO_REPORT);	/* set at SIGCONT */
	pthread_mutex_unlock(&proc_lock);
}

static void stop_notify_locked(struct uproc *p, int status)
{
	if (!(status & NO_REPORT))
		p->wait_report = status;
	status &= ~NO_REPORT;
	if (p->pid == first_pid)
		first_stopped(status);	/* the front process mirrors it */
	struct uproc *parent = p->ppid != 1 ? find_locked(p->ppid) : NULL;
	if (parent && !parent->zombie) {
		struct ksigaction *ka = &parent->act[SIGCHLD];
		if (ka->handler != (uintptr_t)SIG_IGN && !(ka->flags & SA_NOCLDSTOP)) {
			siginfo_t si;
			child_info(p->pid, status, &si);
			signal_raise(parent, 0, SIGCHLD, &si);
		}
		wake_waiters(parent);
	}
}

/* kill(2) semantics for pid (> 0, -1, < -1); si NULL means SI_USER from t. */
long proc_signal_other(struct uthread *t, int pid, int sig, const siginfo_t *info)
{
	siginfo_t si;
	memset(&si, 0, sizeof si);
	si.si_signo = sig;
	si.si_code = SI_USER;
	si.si_pid = t->p->pid;
	si.si_uid = getuid();
	if (info)
		si = *info;
	int found = 0;
	pthread_mutex_lock(&proc_lock);
	for (struct uproc *q = all_procs; q; q = q->next_all) {
		if (q->zombie)
			continue;
		int hit = pid > 0 ? q->pid == pid : pid == -1 ? q != t->p : q->pgid == -pid;
		if (!hit)
			continue;
		found = 1;
		if (sig)
			signal_raise(q, 0, sig, &si);
	}
	pthread_mutex_unlock(&proc_lock);
	if (pid > 0 && !found) {
		pthread_mutex_lock(&proc_lock);
		struct uproc *z = find_locked(pid);
		found = z != NULL;	/* a zombie can still be signalled (no effect) */
		pthread_mutex_unlock(&proc_lock);
	}
	return found ? 0 : -ESRCH;
}

/*
 * The invisible init: waits until no µprocess is left, passing on signals
 * sent to ufork from outside.  What the terminal sends (Ctrl-C, Ctrl-Z, window
 * size: si_code SI_KERNEL) goes to the terminal's foreground group (tty.c:
 * the first program's until a tcsetpgrp changes it), as the terminal would
 * send it; what a process sends with kill
 * goes to the first program, or to its group once it is gone.
 */
static volatile uint64_t outside_pending[2];	/* [1]: from the terminal */

void outside_signal(int sig, int from_terminal)
{
	__atomic_or_fetch(&outside_pending[!!from_terminal], 1UL << (sig - 1), __ATOMIC_SEQ_CST);
	sem_post(&init_wake);
}

static void pass_on(int sig, int terminal)
{
	siginfo_t si;
	memset(&si, 0, sizeof si);
	si.si_signo = sig;
	si.si_code = terminal ? SI_KERNEL : SI_USER;
	pthread_mutex_lock(&proc_lock);
	struct uproc *first = find_locked(first_pid);
	int alive = first && !first->zombie;
	int fg = terminal ? tty_host_fg_locked() : 0;
	int pgid = fg ? fg : first ? first->pgid : first_pid;
	for (struct uproc *q = all_procs; q; q = q->next_all) {
		if (q->zombie)
			continue;
		/* SIGCONT (a shell's fg or bg) continues the whole job */
		if ((terminal || !alive || sig == SIGCONT) ? q->pgid == pgid : q == first)
			signal_raise(q, 0, sig, &si);
	}
	pthread_mutex_unlock(&proc_lock);
}

int proc_wait_all(void)
{
	for (;;) {
		pthread_mutex_lock(&proc_lock);
		int live = live_procs, s = first_status;
		pthread_mutex_unlock(&proc_lock);
		if (!live)
			return s;
		while (sem_wait(&init_wake) < 0 && errno == EINTR)
			;
		flush_continues();
		for (int tty = 0; tty < 2; tty++) {
			uint64_t sigs = __atomic_exchange_n(&outside_pending[tty], 0, __ATOMIC_SEQ_CST);
			for (int sig = 1; sig <= 64; sig++)
				if (sigs & (1UL << (sig - 1)))
					pass_on(sig, tty);
		}
	}
}

void init_setup(void)
{
	sem_init(&init_wake, 0, 0);
}

int proc_getppid(struct uproc *p)
{
	pthread_mutex_lock(&proc_lock);
	int r = p->ppid;
	pthread_mutex_unlock(&proc_lock);
	return r;
}

/* setpgid(2): pid 0 or the caller or one of its children in its session;
 * pgid 0 means pid; the group must exist in the session unless it is pid. */
long proc_setpgid(struct uproc *self, int pid, int pgid)
{
	long r = 0;
	if (pgid < 0)
		return -EINVAL;
	pthread_mutex_lock(&proc_lock);
	struct uproc *q = pid == 0 || pid == self->pid ? self : find_locked(pid);
	if (!q || (q != self && q->ppid != self->pid)) {
		r = -ESRCH;
		goto out;
	}
	if (q->sid != self->sid || q->sid == q->pid) {	/* other session, or a leader */
		r = -EPERM;
		goto out;
	}
	if (!pgid)
		pgid = q->pid;
	if (pgid != q->pid) {
		int found = 0;
		for (struct uproc *o = all_procs; o && !found; o = o->next_all)
			found = !o->zombie && o->pgid == pgid && o->sid == self->sid;
		if (!found) {
			r = -EPERM;
			goto out;
		}
	}
	q->pgid = pgid;
out:
	pthread_mutex_unlock(&proc_lock);
	return r;
}

long proc_setsid(struct uproc *p)
{
	long r;
	pthread_mutex_lock(&proc_lock);
	int leader = 0;
	for (struct uproc *o = all_procs; o && !leader; o = o->next_all)
		leader = !o->zombie && o->pgid == p->pid;
	if (leader) {
		r = -EPERM;
	} else {
		p->sid = p->pgid = p->pid;
		p->ctty = NULL;	/* a new session has no terminal */
		r = p->pid;
	}
	pthread_mutex_unlock(&proc_lock);
	return r;
}

/* getpgid/getsid of pid (0: the caller). */
long proc_getids(struct uproc *self, int pid, int want_sid)
{
	long r;
	pthread_mutex_lock(&proc_lock);
	struct uproc *q = pid == 0 ? self : find_locked(pid);
	r = !q ? -ESRCH : want_sid ? q->sid : q->pgid;
	pthread_mutex_unlock(&proc_lock);
	return r;
}

/* The host-thread state of µprocess pid changed (priority, affinity): a
 * spare host thread made before is stale. */
void proc_host_changed(int pid)
{
	pthread_mutex_lock(&proc_lock);
	struct uproc *q = find_locked(pid);
	if (q)
		__atomic_add_fetch(&q->host_gen, 1, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&proc_lock);
}

/* The host thread behind thread tid of µprocess pid, or behind any of its
 * threads if tid is 0 (0 if none).  A thread just created may not know its
 * host tid yet: wait for it, briefly. */
int proc_host_tid(int pid, int tid_of)
{
	for (int tries = 0; tries < 10000; tries++) {
		int tid = 0, any = 0;
		pthread_mutex_lock(&proc_lock);
		struct uproc *q = find_locked(pid);
		if (q && !q->zombie) {
			pthread_mutex_lock(&q->lock);
			for (struct uthread *o = q->threads; o && !tid; o = o->next) {
				if (tid_of && o->tid != tid_of)
					continue;
				any = 1;
				tid = __atomic_load_n(&o->host_tid, __ATOMIC_ACQUIRE);
			}
			pthread_mutex_unlock(&q->lock);
		}
		pthread_mutex_unlock(&proc_lock);
		if (tid || !any)
			return tid;
		sched_yield();
	}
	return 0;
}

struct uproc *proc_get_locked(int pid)
{
	pthread_mutex_lock(&proc_lock);
	return find_locked(pid);
}

void proc_put_locked(void)
{
	pthread_mutex_unlock(&proc_lock);
}

void proc_table_lock(void)
{
	pthread_mutex_lock(&proc_lock);
}

void proc_table_unlock(void)
{
	pthread_mutex_unlock(&proc_lock);
}

struct uproc *proc_table_first(void)
{
	return all_procs;
}
