/*
 * fork.c - µFork: fork() by copying a µprocess's slot to another slot of the
 * same address space and relocating every pointer in the copy.
 *
 * The fork path (full-copy strategy), on the forking thread:
 *  1. take a slot and a pid for the child (EAGAIN at --max-procs);
 *  2. stop the parent's other threads at a safe point (fork_stop + kick; a
 *     thread parks at its next exit point, see user_return) and hold the
 *     parent's lock, so the snapshot is consistent;
 *  3. map the child's text from the image memfd, then for every private
 *     region copy the resident pages (PAGEMAP_SCAN, or mincore) word by word, relocating as it
 *     goes (copy_reloc); shared regions are not copied - they are at the same
 *     address for both.  The spare that will run the child, when awake on
 *     the other CPU, copies too: heap regions first, then the others from
 *     the top down, and chunks of large heap regions (fork_help);
 *  4. relocate what the memory scan cannot see: the forking thread's
 *     registers, its XSAVE image, its FS base, signal handlers, altstack,
 *     brk and map bookkeeping;
 *  5. start the child's host thread - the parent's spare (spare.c), or a
 *     thread created now - and enter µprocess code at the instruction after
 *     `syscall` with rax = 0.  A single-threaded parent without record
 *     locks and its child share the fd table and cwd until one of them
 *     changes them (fdshare.c); otherwise the child's thread takes a copy
 *     (unshare CLONE_FILES|CLONE_FS): the spare during steps 3-4, a thread
 *     created now before the parent next touches them (fd_sync).  The
 *     parent's next spare is made when it next waits (for a child, or for
 *     events: idle time), unless the child gives its thread back when it
 *     ends (spare_donor).
 * With --copy=coa, large private regions are staged instead (step 3, at
 * stage_region; fork_lazy.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <linux/mman.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>

#include "reloc.h"
#include "ufork.h"

int show_stats;

struct fork_stat {
	int parent, child, recycled, spare;
	size_t bytes, words, staged;
	long ns_stop, ns_copy, ns_start;
};

#define MAX_STATS 4096
static struct fork_stat stats[MAX_STATS];
static int nstats;

static long now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000L + ts.tv_nsec;
}

void fork_stats_print(void)
{
	if (!show_stats)
		return;
	int n = __atomic_load_n(&nstats, __ATOMIC_ACQUIRE);
	size_t bytes = 0, words = 0, staged = 0;
	ulog("ufork: %d fork%s\n", n, n == 1 ? "" : "s");
	for (int i = 0; i < n && i < MAX_STATS; i++) {
		struct fork_stat *s = &stats[i];
		bytes += s->bytes;
		words += s->words;
		staged += s->staged;
		if (i < 10)
			ulog("ufork: fork %d->%d: copied %zu bytes, relocated %zu words, staged %zu "
			     "bytes%s; stop %ld us, copy+relocate %ld us, child start %ld us%s\n",
			     s->parent, s->child, s->bytes, s->words, s->staged,
			     s->recycled ? " (recycled slot)" : "", s->ns_stop / 1000,
			     s->ns_copy / 1000, s->ns_start / 1000,
			     s->spare ? " (spare thread)" : "");
	}
	if (n > 10)
		ulog("ufork: (%d more forks)\n", n - 10);
	ulog("ufork: total copied %zu bytes, relocated %zu words, staged %zu bytes\n", bytes,
	     words, staged);
}

/* Parks a thread while its µprocess is being copied by a fork, or is
 * stopped (SIGSTOP and friends) until SIGCONT or death. */
void fork_park(struct uthread *t)
{
	struct uproc *p = t->p;
	pthread_mutex_lock(&p->lock);
	while ((p->fork_stop || p->stopped) && !p->exiting)
		pthread_cond_wait(&p->fork_cv, &p->lock);
	pthread_mutex_unlock(&p->lock);
}

/*
 * Every return to µprocess code passes here: leave if killed, deliver
 * signals, and publish "in user code" before looking at fork_stop (the forker
 * sets fork_stop before looking at in_user: one of the two sees the other).
 */
void user_return(struct uthread *t, ucontext_t *uc, long restart_nr)
{
	struct tblock *b = t->blk;
	for (;;) {
		if (b->kill)
			thread_exit(t);
		signal_deliver(t, uc, restart_nr);
		restart_nr = -1;
		pkey_thread(b, t->p->slot.index);	/* (exec may have moved it) */
		__atomic_store_n(&b->in_user, 1, __ATOMIC_SEQ_CST);
		if (!__atomic_load_n(&t->p->fork_stop, __ATOMIC_SEQ_CST) &&
		    !__atomic_load_n(&t->p->stopped, __ATOMIC_SEQ_CST))
			return;
		__atomic_store_n(&b->in_user, 0, __ATOMIC_SEQ_CST);
		fork_park(t);
	}
}

/* With p->lock held: stop every other thread of p outside µprocess code. */
static void stop_others(struct uthread *t)
{
	struct uproc *p = t->p;
	__atomic_store_n(&p->fork_stop, 1, __ATOMIC_SEQ_CST);
	for (struct uthread *o = p->threads; o; o = o->next) {
		if (o == t || !o->blk)
			continue;
		if (__atomic_load_n(&o->blk->in_user, __ATOMIC_SEQ_CST))
			thread_kick(o, 0);
	}
	for (struct uthread *o = p->threads; o; o = o->next) {
		if (o == t || !o->blk)
			continue;
		while (__atomic_load_n(&o->blk->in_user, __ATOMIC_SEQ_CST))
			sched_yield();
	}
}

static void resume_others(struct uproc *p)
{
	__atomic_store_n(&p->fork_stop, 0, __ATOMIC_SEQ_CST);
	pthread_cond_broadcast(&p->fork_cv);
}

/*
 * Which pages of [start, start+len) are resident: one byte per page, bit 0
 * set when it is (mincore's format).  PAGEMAP_SCAN (Linux 6.7) walks only
 * the populated page tables and is about 6x cheaper than mincore on a
 * mostly empty 8 MiB stack; mincore is the fallback.
 */
struct page_region {
	uint64_t start, end, categories;
};
struct pm_scan_arg {
	uint64_t size, flags, start, end, walk_end, vec, vec_len, max_pages;
	uint64_t category_inverted, category_mask, category_anyof_mask, return_mask;
};
#define PAGEMAP_SCAN 0xC0606610UL	/* _IOWR('f', 16, struct pm_scan_arg) */
#define PAGE_IS_PRESENT (1 << 3)
#define PAGE_IS_SWAPPED (1 << 4)

static int pagemap_fd = -1;

/* At start-up, before the first µprocess copies the runtime's fd table: a
 * runtime fd, so every µprocess's table has it at the same number. */
void fork_init(void)
{
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	pagemap_fd = fd < 0 ? -1 : runtime_fd(fd);
}

/* The child's map: the forking thread and a helping spare (fork_help) add
 * to it at the same time. */
static pthread_mutex_t child_map_lock = PTHREAD_MUTEX_INITIALIZER;

static int child_map_add(struct uproc *child, uintptr_t start, uintptr_t end, int prot,
			 int flags, int kind)
{
	pthread_mutex_lock(&child_map_lock);
	int r = vma_insert(&child->vmas, start, end, prot, flags, kind);
	pthread_mutex_unlock(&child_map_lock);
	return r;
}

/* A region this small is copied whole: two page-table walks (about 1 µs
 * each here) cost more than copying it, resident or not. */
#define SMALL_REGION (16UL << 10)

/* vec[i] = 1 where page i of [start, start + len) holds data: present or
 * swapped out.  mincore, the fallback before Linux 6.7, does not see
 * swapped-out pages. */
static int resident_vec(uintptr_t start, size_t len, unsigned char *vec)
{
	size_t pages = len / PAGE_SIZE;
	if (pagemap_fd >= 0) {
		struct page_region r[64];
		memset(vec, 0, pages);
		uintptr_t at = start, end = start + len;
		while (at < end) {
			struct pm_scan_arg a = { .size = sizeof a, .start = at, .end = end,
						 .vec = (uintptr_t)r, .vec_len = 64,
						 /* a page swapped out holds data too */
						 .category_anyof_mask = PAGE_IS_PRESENT | PAGE_IS_SWAPPED,
						 .return_mask = PAGE_IS_PRESENT | PAGE_IS_SWAPPED };
			long n = ioctl(pagemap_fd, PAGEMAP_SCAN, &a);
			if (n < 0)
				goto fallback;
			for (long i = 0; i < n; i++)
				memset(vec + (r[i].start - start) / PAGE_SIZE, 1,
				       (r[i].end - r[i].start) / PAGE_SIZE);
			if (a.walk_end <= at)
				break;
			at = a.walk_end;
		}
		return 0;
	}
fallback:
	if (mincore((void *)start, len, vec) < 0)
		return -1;
	for (size_t i = 0; i < pages; i++)
		vec[i] &= 1;	/* the other bits are reserved */
	return 0;
}

/* The end of the run of equal entries (0 or 1) of vec[0, n) that starts
 * at i: memchr looks at many entries a cycle, an 8 MiB stack has 2048. */
static size_t run_end(const unsigned char *vec, size_t i, size_t n)
{
	const unsigned char *q = memchr(vec + i, !vec[i], n - i);
	return q ? (size_t)(q - vec) : n;
}

/*
 * A private file mapping may reach past the end of its file, where a read
 * raises SIGBUS.  The file's end splits the mapping into readable pages and
 * pages that fault: find the split with fault-safe probes (binary search),
 * and copy only the readable part (the child's pages past it read as zero).
 */
static size_t file_readable_pages(struct uproc *p, uintptr_t start, size_t pages)
{
	size_t lo = 0, hi = pages;	/* [0, lo) readable, [hi, pages) not */
	unsigned char b;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (copy_from_user(p, &b, start + mid * PAGE_SIZE, 1) == 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void file_vec(struct uproc *p, uintptr_t start, size_t pages, unsigned char *vec)
{
	size_t n = file_readable_pages(p, start, pages);
	memset(vec, 1, n);
	memset(vec + n, 0, pages - n);
}

/* Copies one private region of the parent into the child, relocating. */
static int copy_region(struct uproc *p, struct uproc *child, const struct vma *v,
		       struct fork_stat *st)
{
	uintptr_t delta = child->slot.base - p->slot.base;
	uintptr_t to = v->start + delta;
	size_t len = v->end - v->start;
	int readable = v->prot & PROT_READ;
	if (mmap((void *)to, len, readable ? PROT_READ | PROT_WRITE : v->prot,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | (v->flags & MAP_NORESERVE), -1, 0) ==
	    MAP_FAILED)
		return -errno;
	pkey_apply(to, len, readable ? PROT_READ | PROT_WRITE : v->prot);
	if (readable && !(v->flags & VMA_WIPEONFORK)) {
		size_t pages = len / PAGE_SIZE;
		unsigned char *vec = malloc(pages);
		if (!vec)
			return -ENOMEM;
		/* file-backed pages that are not resident still hold file data */
		if (v->kind == VMA_FILE)
			file_vec(p, v->start, pages, vec);
		else if (len <= SMALL_REGION || resident_vec(v->start, len, vec) < 0)
			memset(vec, 1, pages);
		for (size_t i = 0, j; i < pages; i = j) {
			j = run_end(vec, i, pages);
			if (!vec[i])
				continue;
			size_t off = i * PAGE_SIZE, n = (j - i) * PAGE_SIZE;
			/* fault a long run in at once rather than page by page: about
			 * 25% faster (no MADV_HUGEPAGE: its compaction stalls the fork) */
			if (n >= (64UL << 10))
				madvise((void *)(to + off), n, 23 /* MADV_POPULATE_WRITE */);
			st->words += copy_reloc((uint64_t *)(to + off), (const uint64_t *)(v->start + off),
						n / 8, p->slot.base, p->slot.size, delta);
			st->bytes += n;
		}
		free(vec);
		if (v->prot != (PROT_READ | PROT_WRITE))
			mprotect((void *)to, len, v->prot);
	}
	return child_map_add(child, to, to + len, v->prot, v->flags, v->kind);
}

static int in_area(const struct vma *v)
{
	return v->kind == VMA_SHARED && in_shared_area(v->start, v->end - v->start);
}

static int is_text(const struct vma *v)
{
	return v->kind == VMA_IMAGE && !(v->prot & PROT_WRITE) && !(v->flags & MAP_ANONYMOUS);
}

/* Is the parent's text region v, shifted by delta, wholly inside kept text
 * of the same protection and kind (one kept region or several in a row)? */
static int text_kept(const struct vma *v, struct vma_list *kept, uintptr_t delta)
{
	uintptr_t at = v->start + delta, end = v->end + delta;
	const struct vma *k = vma_find(kept, at);
	for (; k && k < kept->v + kept->n && at < end; k++) {
		if (k->start > at || k->prot != v->prot || k->kind != v->kind || k->flags != v->flags)
			return 0;
		at = k->end;
	}
	return at >= end;
}

/* A MAP_SHARED mapping the parent placed inside its own slot (MAP_FIXED):
 * the child gets the same pages at the same offset of its slot.  mremap with
 * an old size of 0 makes a second mapping of a shared mapping's pages. */
static int share_in_slot(const struct vma *v, struct uproc *child, uintptr_t delta)
{
	if (syscall(SYS_mremap, v->start, 0, v->end - v->start, MREMAP_MAYMOVE | MREMAP_FIXED,
		    v->start + delta) == -1)
		return -errno;
	pkey_apply(v->start + delta, v->end - v->start, v->prot);	/* the child's key */
	return child_map_add(child, v->start + delta, v->end + delta, v->prot, v->flags, v->kind);
}

/* The child maps the parent's shared-area mappings too: one more sharer. */
static int share_area(struct uproc *p, struct uproc *child)
{
	for (int i = 0; i < p->vmas.n; i++) {
		const struct vma *v = &p->vmas.v[i];
		if (!in_area(v))
			continue;
		if (child_map_add(child, v->start, v->end, v->prot, v->flags, v->kind) < 0)
			return -ENOMEM;
		shared_ref(v->start, v->end, +1);
	}
	return 0;
}

/* Recycled-slot path: the child's mappings are already there and mostly
 * resident.  Copy the parent's resident pages over them and zero what the
 * previous occupant left where the parent has nothing. */
static int refill_region(struct uproc *p, const struct vma *v, uintptr_t delta,
			 struct fork_stat *st)
{
	uintptr_t to = v->start + delta;
	size_t len = v->end - v->start, pages = len / PAGE_SIZE;
	if (!(v->prot & PROT_READ))
		return 0;	/* never readable, so never written */
	unsigned char *pvec = malloc(2 * pages);
	if (!pvec)
		return -ENOMEM;
	unsigned char *cvec = pvec + pages;
	if (v->kind == VMA_FILE)
		file_vec(p, v->start, pages, pvec);
	else if (len <= SMALL_REGION || resident_vec(v->start, len, pvec) < 0)
		memset(pvec, 1, pages);
	if (memchr(pvec, 0, pages) && resident_vec(to, len, cvec) < 0)
		memset(cvec, 1, pages);	/* (only read where the parent has no page) */
	if (!(v->prot & PROT_WRITE))
		mprotect((void *)to, len, v->prot | PROT_WRITE);
	for (size_t i = 0, j; i < pages; i = j) {
		j = run_end(pvec, i, pages);
		size_t off = i * PAGE_SIZE, n = (j - i) * PAGE_SIZE;
		if (pvec[i]) {
			st->words += copy_reloc((uint64_t *)(to + off), (const uint64_t *)(v->start + off),
						n / 8, p->slot.base, p->slot.size, delta);
			st->bytes += n;
			continue;
		}
		for (size_t k = i, e; k < j; k = e) {	/* left by the previous occupant */
			e = run_end(cvec, k, j);
			if (cvec[k])
				memset((void *)(to + k * PAGE_SIZE), 0, (e - k) * PAGE_SIZE);
		}
	}
	if (!(v->prot & PROT_WRITE))
		mprotect((void *)to, len, v->prot);
	free(pvec);
	return 0;
}

/* The parent's private region v into a kept slot, piece by piece: where the
 * kept map has memory like v's, the pages are overwritten in place
 * (refill_region); elsewhere fresh memory is mapped and copied
 * (copy_region).  The parent's regions grow and shrink between forks while
 * the kept map is the last occupant's, so they rarely match whole. */
static int refill_or_copy(struct uproc *p, struct uproc *child, const struct vma *v,
			  struct vma_list *kept, struct fork_stat *st)
{
	uintptr_t delta = child->slot.base - p->slot.base;
	uintptr_t at = v->start + delta, end = v->end + delta;
	int r = 0;
	while (at < end && r >= 0) {
		const struct vma *k = vma_next(kept, at);	/* holding at, or after it */
		int in = k && k->start <= at;
		int like = in && k->prot == v->prot && k->kind == v->kind && k->flags == v->flags;
		uintptr_t next = end;
		if (k && in && k->end < end)
			next = k->end;
		else if (k && !in && k->start < end)
			next = k->start;
		struct vma piece = *v;
		piece.start = at - delta;
		piece.end = next - delta;
		if (!like) {
			r = copy_region(p, child, &piece, st);
		} else {
			r = child_map_add(child, at, next, v->prot, v->flags, v->kind);
			if (r >= 0)
				r = refill_region(p, &piece, delta, st);
		}
		at = next;
	}
	return r;
}

/*
 * Two threads copy: the forking one takes the parent's regions from the
 * bottom up, and the spare that will run the child - when it is awake on
 * the other CPU - heap regions first, then the others from the top down
 * (fork_help), the pages it writes landing in the cache of the CPU the
 * child will run on.  Each region is taken once (claimed[], exchanged),
 * the helper only the private anonymous ones it can copy without
 * fault-safe reads.  The fork waits for a helper that is in a region
 * before the job closes; a helper that comes later finds it closed.
 */
static void job_open(struct fork_job *j, struct uproc *p, struct uproc *child,
		     struct vma_list *kept)
{
	if (!j || __atomic_load_n(&j->users, __ATOMIC_ACQUIRE) != -2)
		return;
	j->p = p;
	j->child = child;
	j->kept = kept;
	__atomic_store_n(&j->users, 0, __ATOMIC_RELEASE);
}

/* Whether region i is ours to copy. */
static int job_claim(struct fork_job *j, int i)
{
	return !j || i >= FORK_JOB_MAX || !__atomic_exchange_n(&j->claimed[i], 1, __ATOMIC_ACQ_REL);
}

/* No helper any more: adds the helper's share to st; 0 or its error. */
static int job_close(struct fork_job *j, struct fork_stat *st)
{
	if (!j)
		return 0;
	for (int spins = 0;; spins++) {
		int u = __atomic_load_n(&j->users, __ATOMIC_ACQUIRE);
		if (u == -1)
			return 0;	/* closed before */
		if ((u == -2 || u == 0) &&
		    __atomic_compare_exchange_n(&j->users, &u, -1, 0, __ATOMIC_ACQ_REL,
						__ATOMIC_ACQUIRE))
			break;
		if (spins > 1000)
			sched_yield();	/* the helper lost its CPU */
		else
			__builtin_ia32_pause();
	}
	st->bytes += j->bytes;
	st->words += j->words;
	return j->err;
}

static int helpable(const struct vma *v)
{
	return !lazy_ok(v) && (v->kind == VMA_BRK || v->kind == VMA_STACK || v->kind == VMA_ANON ||
		(v->kind == VMA_IMAGE && (v->prot & PROT_WRITE))) &&
	       !(v->flags & (VMA_DONTFORK | VMA_WIPEONFORK));
}

/* A large heap region is copied in chunks by both sides at once (pieces
 * of it merge back into one region of the child's map): an eighth of it,
 * from 256 KiB to 4 MiB (each chunk costs its own page-table walks). */
#define CHUNK_MIN (256UL << 10)
#define CHUNK_MAX (4UL << 20)

static size_t chunk_size(const struct vma *v)
{
	size_t c = (v->end - v->start) / 8 & ~(PAGE_SIZE - 1);
	return c < CHUNK_MIN ? CHUNK_MIN : c > CHUNK_MAX ? CHUNK_MAX : c;
}

static int chunked(const struct fork_job *j, int i, const struct vma *v)
{
	return j && i < FORK_JOB_MAX && helpable(v) && v->end - v->start > CHUNK_MIN &&
	       (v->kind == VMA_ANON || v->kind == VMA_BRK);
}

/* Copies chunks of region i (v) until none is left to take. */
static int copy_chunks(struct fork_job *j, int i, const struct vma *v, struct fork_stat *st)
{
	size_t size = chunk_size(v), n = (v->end - v->start + size - 1) / size;
	int r = 0;
	for (size_t c; r >= 0 && (c = __atomic_fetch_add(&j->next_chunk[i], 1, __ATOMIC_ACQ_REL)) < n;) {
		struct vma piece = *v;
		piece.start = v->start + c * size;
		if (piece.end - piece.start > size)
			piece.end = piece.start + size;
		r = j->kept ? refill_or_copy(j->p, j->child, &piece, j->kept, st)
			    : copy_region(j->p, j->child, &piece, st);
	}
	return r;
}

/* Called by the spare of a fork in progress, awake on another CPU. */
void fork_help(struct fork_job *j)
{
	int u = __atomic_load_n(&j->users, __ATOMIC_ACQUIRE);
	for (int waits = 0;;) {
		if (u == -2 && waits++ < 100) {	/* the fork is not at its copy yet */
			sched_yield();	/* (in case it is on this CPU after all) */
			u = __atomic_load_n(&j->users, __ATOMIC_ACQUIRE);
			continue;
		}
		if (u < 0)
			return;
		if (__atomic_compare_exchange_n(&j->users, &u, u + 1, 0, __ATOMIC_ACQ_REL,
						__ATOMIC_ACQUIRE))
			break;
	}
	struct uproc *p = j->p;
	struct fork_stat st = { 0 };
	/* heap regions first: where the data is (the stacks are mostly
	 * empty), and the pages it writes land in this CPU's cache */
	for (int pass = 0, r = 0; pass < 2 && r >= 0; pass++)
		for (int i = (p->vmas.n < FORK_JOB_MAX ? p->vmas.n : FORK_JOB_MAX) - 1;
		     i >= 0 && r >= 0; i--) {
			const struct vma *v = &p->vmas.v[i];
			int heap = v->kind == VMA_BRK || v->kind == VMA_ANON;
			if (chunked(j, i, v))
				r = copy_chunks(j, i, v, &st);
			else if (helpable(v) && heap == !pass && job_claim(j, i))
				r = j->kept ? refill_or_copy(p, j->child, v, j->kept, &st)
					    : copy_region(p, j->child, v, &st);
			if (r < 0)
				j->err = r;
		}
	j->bytes = st.bytes;
	j->words = st.words;
	__atomic_sub_fetch(&j->users, 1, __ATOMIC_ACQ_REL);
}

/* --copy=coa: the parent's region v is staged for the child rather than
 * copied (fork_lazy.c): joined where it lies in a set the child joins,
 * staged in the new set lz elsewhere, and pieces of it that can be
 * neither are copied here; 1 when all of v is to be copied after all. */
static int stage_region(struct lz_set *lz, struct uproc *p, struct uproc *child,
			const struct vma *v, struct fork_stat *st)
{
	if (!lazy_ok(v))
		return 1;
	uintptr_t delta = child->slot.base - p->slot.base;
	for (uintptr_t at = v->start, end; at < v->end; at = end) {
		struct vma piece = *v;
		piece.start = at;
		int r = lazy_join(p, child, &piece, &end);
		piece.end = end;
		if (r == 1)
			r = lz && lazy_ok(&piece) ? lazy_stage(lz, &piece) : 1;
		if (r == 1 && at == v->start && end == v->end)
			return 1;
		if (r == 1)
			r = copy_region(p, child, &piece, st);
		else if (!r) {
			st->staged += end - at;
			r = child_map_add(child, at + delta, end + delta, v->prot, v->flags, v->kind);
		}
		if (r < 0)
			return r;
	}
	return 0;
}

/*
 * Into a kept slot (the last occupant ran the same program): kept memory
 * where the parent has none is dropped, the parent's private regions are
 * copied over kept memory where it is alike (refill_or_copy), and the text
 * is the kept one.  Returns 1 when the slot cannot be used (its text
 * differs).
 */
static int copy_into_kept(struct uproc *p, struct uproc *child, struct fork_stat *st,
			  struct fork_job *job, struct lz_set *lz)
{
	uintptr_t delta = child->slot.base - p->slot.base;
	struct vma_list *kept = &child->recycled;
	int n = p->vmas.n, r = 0;
	for (int i = 0; i < n; i++)
		if (is_text(&p->vmas.v[i]) && !text_kept(&p->vmas.v[i], kept, delta))
			return 1;	/* another program's slot after all */
	/* drop kept memory outside the parent's regions (or in DONTFORK ones) */
	for (int i = 0, j = 0; i < kept->n; i++) {
		const struct vma *k = &kept->v[i];
		uintptr_t at = k->start;
		while (j < n && p->vmas.v[j].end + delta <= k->start)
			j++;
		for (int jj = j; jj < n && p->vmas.v[jj].start + delta < k->end; jj++) {
			uintptr_t s = p->vmas.v[jj].start + delta, e = p->vmas.v[jj].end + delta;
			if (p->vmas.v[jj].flags & VMA_DONTFORK)
				continue;
			if (s > at)
				arena_reserve(at, s - at);
			if (e > at)
				at = e;
		}
		if (at < k->end)
			arena_reserve(at, k->end - at);
	}
	st->recycled = 1;
	job_open(job, p, child, kept);
	for (int i = 0; i < n && r >= 0; i++) {
		const struct vma *v = &p->vmas.v[i];
		int sr = stage_region(lz, p, child, v, st);
		if (sr != 1)
			r = sr;
		else if (chunked(job, i, v))
			r = copy_chunks(job, i, v, st);
		else if (!job_claim(job, i))
			continue;	/* the helper's */
		else if (v->kind == VMA_SHARED) {
			if (!in_area(v))	/* the parent's, not the old occupant's */
				r = share_in_slot(v, child, delta);
		} else if (v->flags & VMA_DONTFORK) {
			continue;
		} else if (is_text(v)) {
			r = child_map_add(child, v->start + delta, v->end + delta, v->prot,
					  v->flags, v->kind);
		} else if (v->flags & VMA_WIPEONFORK) {
			r = copy_region(p, child, v, st);
		} else {
			r = refill_or_copy(p, child, v, kept, st);
		}
	}
	int e = job_close(job, st);
	vma_free(kept);
	return r < 0 ? r : e < 0 ? e : share_area(p, child);
}

static int copy_regions(struct uproc *p, struct uproc *child, struct fork_stat *st,
			struct fork_job *job, struct lz_set *lz)
{
	uintptr_t delta = child->slot.base - p->slot.base;
	int r;
	if (child->recycled.n) {
		r = copy_into_kept(p, child, st, job, lz);
		if (r <= 0)
			return r;
		arena_reserve(child->slot.base, child->slot.size);
		vma_free(&child->recycled);
	}
	r = image_map(child->img, child->slot.base, &child->vmas, IMAGE_TEXT);
	if (r < 0) {
		job_close(job, st);
		return r;
	}
	job_open(job, p, child, NULL);
	for (int i = 0; i < p->vmas.n && r >= 0; i++) {
		const struct vma *v = &p->vmas.v[i];
		int sr = stage_region(lz, p, child, v, st);
		if (sr != 1) {
			r = sr;
			continue;
		}
		if (chunked(job, i, v)) {
			r = copy_chunks(job, i, v, st);
			continue;
		}
		if (!job_claim(job, i))
			continue;	/* the helper's */
		if (v->kind == VMA_SHARED) {	/* the shared area: below */
			if (!in_area(v))
				r = share_in_slot(v, child, delta);
			continue;
		}
		if (is_text(v))
			continue;	/* text: mapped from the memfd above */
		if (v->flags & VMA_DONTFORK) {
			arena_reserve(v->start + delta, v->end - v->start);
			pthread_mutex_lock(&child_map_lock);
			vma_remove(&child->vmas, v->start + delta, v->end + delta);
			pthread_mutex_unlock(&child_map_lock);
			continue;
		}
		r = copy_region(p, child, v, st);
	}
	int e = job_close(job, st);
	return r < 0 ? r : e < 0 ? e : share_area(p, child);
}

static int copy_memory(struct uproc *p, struct uproc *child, struct fork_stat *st,
		       struct fork_job *job)
{
	struct lz_set *lz = copy_mode == COPY_COA ? lazy_begin(p, child) : NULL;
	int r = copy_regions(p, child, st, job, lz);
	if (copy_mode == COPY_COA)
		lazy_end(p, lz);
	return r;
}

static uintptr_t reloc1(struct uproc *p, uintptr_t a, uintptr_t delta)
{
	return a - p->slot.base < p->slot.size ? a + delta : a;
}

long sys_fork(struct sysctx *c, long a[6])
{
	struct uthread *t = c->t;
	struct uproc *p = t->p;
	unsigned long flags = c->nr == 56 /* clone */ ? (unsigned long)a[0] : SIGCHLD;
	uintptr_t ptid = a[2], ctid = a[3];
	if ((flags & 0xff) != SIGCHLD && (flags & 0xff) != 0)
		return -EINVAL;	/* other exit signals: not supported */
	if (flags & (CLONE_THREAD | CLONE_SIGHAND | CLONE_SETTLS | CLONE_VFORK | CLONE_FS |
		     CLONE_FILES | CLONE_NEWNS | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET |
		     CLONE_PIDFD))
		return -EINVAL;

	if (!proc_count_ok() || p->borrowed)
		return -EAGAIN;
	struct uproc *child = proc_new(p->img, p);
	if (!child)
		return -EAGAIN;
	uintptr_t delta = child->slot.base - p->slot.base;
	struct fork_stat st = { .parent = p->pid, .child = child->pid };
	long t0 = now_ns();

	pthread_mutex_lock(&p->lock);
	stop_others(t);
	if (p->lazy)
		lazy_settle(p, child);	/* its memory in place, or child joins */
	/* a single-threaded parent without record locks shares its fd table
	 * and cwd with the child until one of them changes them (fdshare.c);
	 * otherwise the spare copies them while we copy the child's memory */
	int shared = p->nthreads == 1 && !locks_held(p) && fdshare_fork(p, child) == 0;
	struct spare *spare = spare_take(t, shared);
	unsigned gen = __atomic_load_n(&p->host_gen, __ATOMIC_ACQUIRE);
	long t1 = now_ns();
	int r = copy_memory(p, child, &st, spare ? spare_job(spare) : NULL);
	if (r < 0) {
		resume_others(p);
		pthread_mutex_unlock(&p->lock);
		proc_discard(child);
		if (spare)
			spare_run(spare, NULL, 0);
		return r == -ENOMEM ? -ENOMEM : -EAGAIN;
	}
	/* process state POSIX says the child inherits */
	for (int s = 1; s <= 64; s++) {
		child->act[s] = p->act[s];
		child->act[s].handler = reloc1(p, p->act[s].handler, delta);
		child->act[s].restorer = reloc1(p, p->act[s].restorer, delta);
	}
	child->brk_start = p->brk_start + delta;
	child->brk_cur = p->brk_cur + delta;
	child->brk_max = p->brk_max + delta;
	child->resident_hint = st.bytes + PAGE_SIZE;
	signalfd_fork(p, child);
	resume_others(p);
	pthread_mutex_unlock(&p->lock);
	long t2 = now_ns();

	/* the child's only thread: the forking one, relocated */
	struct uthread *ct = thread_new(child, child->pid);
	if (!ct) {
		proc_discard(child);
		if (spare)
			spare_run(spare, NULL, 0);
		return -EAGAIN;
	}
	greg_t *g = c->uc->uc_mcontext.gregs;
	memcpy(ct->start.gregs, g, sizeof ct->start.gregs);
	greg_t csgsfs = g[REG_CSGSFS];
	reloc_words((uint64_t *)ct->start.gregs, NGREG, p->slot.base, p->slot.size, delta);
	ct->start.gregs[REG_CSGSFS] = csgsfs;
	ct->start.gregs[REG_RAX] = 0;
	ct->start.fs = reloc1(p, t->blk->u_fs, delta);
	size_t fpsize = xstate_size(frame_fpregs(c->uc));
	ct->start.fpstate = malloc(fpsize);
	if (ct->start.fpstate) {
		memcpy(ct->start.fpstate, frame_fpregs(c->uc), fpsize);
		ct->start.fpsize = fpsize;
		reloc_words(ct->start.fpstate, fpsize / 8, p->slot.base, p->slot.size, delta);
		/* keep the kernel's software-reserved bytes exactly */
		memcpy((char *)ct->start.fpstate + 464, (char *)frame_fpregs(c->uc) + 464, 48);
	}
	ct->mask = t->mask;
	ct->altstack = t->altstack;
	ct->altstack.ss_sp = reloc1(p, t->altstack.ss_sp, delta);
	if (flags & CLONE_CHILD_CLEARTID)
		ct->clear_child_tid = ctid + delta;
	if (flags & CLONE_CHILD_SETTID) {
		int tid = child->pid;
		copy_to_user(child, ctid + delta, &tid, sizeof tid);
	}
	if (flags & CLONE_PARENT_SETTID)
		copy_to_user(p, ptid, &child->pid, sizeof child->pid);
	/*
	 * The fd table and cwd: shared, or the child's host thread shares the
	 * parent's and takes a copy (unshare); the table itself, owner of the
	 * fcntl locks, stays the parent's.  The spare has its copy already,
	 * normally.  A thread created now (or a spare that had no CPU yet)
	 * takes it before it runs: with other threads around, the parent waits
	 * for it now (otherwise before it next touches its fds, fd_sync).
	 */
	if (!shared) {
		ct->new_fdctx = 1;
		ct->ready = &t->fdsem;
	}
	ct->from_tid = t->tid;	/* where its host thread comes from */
	ct->from_gen = gen;
	ct->from_cpu = sched_getcpu();
	int pid = child->pid;
	proc_add(child);
	int sr = spare ? spare_run(spare, ct, p->nthreads > 1) : -1;
	st.spare = sr >= 0;
	r = st.spare ? 0 : thread_spawn(ct);
	if (r == 0 && sr != 0 && !shared) {	/* the copy is still to come: ct posts fdsem */
		t->fd_pending++;
		if (p->nthreads > 1)
			fd_sync(t);
	}
	st.ns_stop = t1 - t0;
	st.ns_copy = t2 - t1;
	if (r == 0)
		p->want_spare = 1;	/* made when the parent next waits (idle) */
	st.ns_start = now_ns() - t2;
	if (show_stats) {
		int i = __atomic_fetch_add(&nstats, 1, __ATOMIC_ACQ_REL);
		if (i < MAX_STATS)
			stats[i] = st;
	}
	return r < 0 ? -EAGAIN : pid;
}
