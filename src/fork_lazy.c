/*
 * fork_lazy.c - copy-on-access fork (--copy=coa): fork returns without
 * copying the large private regions; each page is copied when the parent
 * or the child first touches it, relocated for the child.
 *
 * At fork, for each eligible region of the parent (private anonymous
 * memory: brk, mmaps, writable image data; at least LAZY_MIN bytes):
 *  1. its pages are moved, not copied, to a staging range outside the arena
 *     (mremap MREMAP_DONTUNMAP: the parent's range stays mapped, empty; the
 *     host moves whole page tables where both ranges are 2 MiB-aligned, so
 *     the staging range has the region's offset modulo 1 GiB);
 *  2. the parent's range, and the child's (fresh anonymous memory), are
 *     registered with one runtime userfaultfd in MISSING mode - after the
 *     move: the host will not move page tables of a registered range;
 *  3. a runtime thread (lz_main) answers each missing-page fault: a cluster
 *     of up to LAZY_CLUSTER pages around it that this side still needs is
 *     filled with UFFDIO_COPY from the staging range, through copy_reloc for
 *     the child.  The host kernel's own accesses (read(2) into such a page,
 *     write(2) from it, the runtime's copy_to_user) fault the same way and
 *     wait, so no syscall sees an empty or unrelocated page.
 * A set is the parent and up to LZ_SIDES-1 children: a parent that forks
 * again while what it maps inside the staged regions is still private
 * anonymous memory adds the new child to the set (lazy_join, piece by
 * piece of the parent's regions: only the pages the parent has of its own
 * are copied now; the parts its regions grew by are staged anew or
 * copied), so forking N workers, or BGSAVE after BGSAVE, stages the heap
 * once.
 *
 * Invariants, kept under lz_lock:
 *  - a page of a side's range is present iff its state has that side's bit
 *    (LZ_DONE(side)), except pages that side discarded since (munmap,
 *    MAP_FIXED, MADV_DONTNEED: lazy_touch DROP marks them done, and a fault
 *    on a done page gets a zero page);
 *  - a staged page is freed once every side has it or is gone, by the
 *    sweeper thread, in batches (within SWEEP_BATCH_US of the fill); the
 *    staging range and the set go when every side is gone or done;
 *  - a µprocess that is a side of a set (p->lazy) settles before it forks
 *    again (lazy_settle: it joins the child to the set as above, or every
 *    page it lacks is filled, or, for a parent whose children are gone, its
 *    few own pages go back into the staging range, which moves back over
 *    its range - holes it made since reserved again, its protections
 *    reapplied), so a set never has a side that is itself staged;
 *  - the runtime never touches a side's memory while holding lz_lock (the
 *    fault thread takes it to answer); lock order: p->lock, then lz_lock.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/mman.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "reloc.h"
#include "ufork.h"

int copy_mode = COPY_FULL;

#define LAZY_MIN (256UL << 10)		/* smaller regions are copied at fork */
#define LAZY_CLUSTER 16			/* pages filled per fault, at most */
#define STAGE_ALIGN (1UL << 30)
#define SWEEP_BATCH_US 2000		/* the sweeper frees what 2 ms of fills left */
#define LZ_SIDES 8			/* the parent and up to 7 children */
#define LZ_DONE(side) (1 << (side))	/* side 0: the parent, 1...: children */

struct lz_region {
	uintptr_t at, len;		/* the parent's range; a child's is at + delta[side] */
	uintptr_t stage;		/* the staged pages */
	int prot;			/* the staging range's protection */
	uint8_t *st;			/* per page: LZ_DONE bits */
	size_t left[LZ_SIDES];		/* pages each side still lacks */
	size_t dlo, dhi;		/* pages for the sweeper to look at: [dlo, dhi) */
};

struct lz_set {
	struct uproc *side[LZ_SIDES];	/* parent, children; NULL once gone or done */
	uintptr_t delta[LZ_SIDES];	/* each side's distance from the parent */
	int nsides;
	uintptr_t lo, size;		/* relocation: the parent's slot */
	struct uproc *joining;		/* a child of side 0 being forked: it joins */
	int n, cap;
	struct lz_region *r;
	struct lz_set *next;
	int sweep;			/* staged pages may be freed: for the sweeper */
	int busy;			/* the sweeper is in it (outside lz_lock) */
	int dead;			/* off the list: freed once not busy */
	struct lz_set *gnext;		/* on the graveyard */
};

static pthread_mutex_t lz_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t lz_cv = PTHREAD_COND_INITIALIZER;	/* work for the sweeper */
static struct lz_set *sets, *graveyard;
static int uffd = -1;
static uint64_t buf[(1UL << 20) / 8];	/* relocated pages on their way (lz_lock) */
static size_t nfaults, filled[2];

static uintptr_t side_base(const struct lz_set *s, const struct lz_region *r, int side)
{
	return r->at + s->delta[side];
}

/* The sides still there, as LZ_DONE bits. */
static uint8_t alive(const struct lz_set *s)
{
	uint8_t m = 0;
	for (int i = 0; i < s->nsides; i++)
		if (s->side[i])
			m |= LZ_DONE(i);
	return m;
}

int lazy_init(char *err, size_t errlen)
{
	int fd = syscall(SYS_userfaultfd, O_CLOEXEC);
	struct uffdio_api api = { .api = UFFD_API };
	if (fd < 0 || ioctl(fd, UFFDIO_API, &api) < 0) {
		snprintf(err, errlen, "--copy=coa needs userfaultfd, which this kernel refuses: %s%s",
			 strerror(errno), errno == EPERM ?
			 " (run as root, or set vm.unprivileged_userfaultfd=1)" : "");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	uffd = runtime_fd(fd);
	return 0;
}

static int uf_register(uintptr_t at, size_t len)
{
	struct uffdio_register r = { .range = { at, len }, .mode = UFFDIO_REGISTER_MODE_MISSING };
	if (ioctl(uffd, UFFDIO_REGISTER, &r) < 0)
		return -errno;
	return (r.ioctls & (1ULL << _UFFDIO_COPY)) ? 0 : -EINVAL;
}

static void uf_unregister(uintptr_t at, size_t len)
{
	struct uffdio_range r = { at, len };
	ioctl(uffd, UFFDIO_UNREGISTER, &r);
}

/* Whatever is at addr's page now: a zero page if it has none, and the
 * waiters woken either way. */
static void uf_zero_or_wake(uintptr_t addr)
{
	struct uffdio_zeropage z = { .range = { addr & ~(PAGE_SIZE - 1), PAGE_SIZE } };
	if (ioctl(uffd, UFFDIO_ZEROPAGE, &z) < 0) {
		struct uffdio_range w = { addr & ~(PAGE_SIZE - 1), PAGE_SIZE };
		ioctl(uffd, UFFDIO_WAKE, &w);
	}
}

/* Installs len bytes from src at dst (missing pages); a page found there
 * already is left as it is.  0, or -errno when the range went away. */
static int uf_copy(uintptr_t dst, uintptr_t src, size_t len)
{
	size_t most = len;	/* one copy stays inside one host vma: page by
				   page where the range turns out to span more */
	while (len) {
		struct uffdio_copy c = { .dst = dst, .src = src, .len = len < most ? len : most };
		if (ioctl(uffd, UFFDIO_COPY, &c) == 0)
			return 0;
		int e = errno;
		size_t done = c.copy > 0 ? (size_t)c.copy : 0;
		if (e == EAGAIN && done == 0)
			continue;	/* the map was changing: again */
		if (e == ENOENT && done == 0 && most > PAGE_SIZE) {
			most = PAGE_SIZE;
			continue;
		}
		if (e == EEXIST && done == 0) {
			uf_zero_or_wake(dst);	/* (only wakes) */
			done = PAGE_SIZE;
		} else if (e != EAGAIN && e != EEXIST) {
			return -e;
		}
		dst += done, src += done, len -= done;
	}
	return 0;
}

static void side_done(struct lz_set *s, int side);
static void sweep_later(struct lz_set *s, struct lz_region *r, size_t i, size_t j);

/* Fills pages [i, j) of side's range, all of which it lacks. */
static void fill(struct lz_set *s, struct lz_region *r, int side, size_t i, size_t j)
{
	uintptr_t dst = side_base(s, r, side) + i * PAGE_SIZE, src = r->stage + i * PAGE_SIZE;
	size_t len = (j - i) * PAGE_SIZE;
	int e = 0;
	if (!side) {
		e = uf_copy(dst, src, len);
	} else {
		for (size_t off = 0, n; off < len && !e; off += n) {
			n = len - off < sizeof buf ? len - off : sizeof buf;
			copy_reloc(buf, (const uint64_t *)(src + off), n / 8, s->lo, s->size,
				   s->delta[side]);
			e = uf_copy(dst + off, (uintptr_t)buf, n);
		}
	}
	if (e)
		ulog("ufork: copy-on-access: cannot fill %#lx: %s\n", (unsigned long)dst,
		     strerror(-e));
	for (size_t k = i; k < j; k++)
		r->st[k] |= LZ_DONE(side);
	r->left[side] -= j - i;
	filled[side] += j - i;
	sweep_later(s, r, i, j);	/* (in batches: each madvise is a TLB shootdown) */
}

/* Every page side lacks in [i, j) of r. */
static void fill_range(struct lz_set *s, struct lz_region *r, int side, size_t i, size_t j)
{
	for (size_t k = i; k < j;) {
		if (r->st[k] & LZ_DONE(side)) {
			k++;
			continue;
		}
		size_t e = k + 1;
		while (e < j && !(r->st[e] & LZ_DONE(side)))
			e++;
		fill(s, r, side, k, e);
		k = e;
	}
}

/* s goes off the list; the sweeper unmaps and frees it (large staging
 * ranges take milliseconds to unmap: not while a fork or a fault waits). */
static void set_free(struct lz_set *s)
{
	for (struct lz_set **pp = &sets; *pp; pp = &(*pp)->next)
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	s->dead = 1;
	if (!s->busy) {
		s->gnext = graveyard;
		graveyard = s;
	}
	pthread_cond_signal(&lz_cv);
}

static void really_free(struct lz_set *s)
{
	for (int i = 0; i < s->n; i++) {
		if (s->r[i].stage)
			munmap((void *)s->r[i].stage, s->r[i].len);
		free(s->r[i].st);
	}
	free(s->r);
	free(s);
}

/*
 * The sweeper thread: frees what sets no longer need, outside lz_lock -
 * the staged pages of a set that lost a side or pages (the bits it reads
 * only ever get set, and a side that is gone stays gone, so it frees at
 * worst too little; a child that joins later needs only pages the parent
 * lacks, which it does not free), and dead sets.  It waits SWEEP_BATCH_US
 * before it frees: the fault thread used to free each cluster right after
 * filling it, and every madvise is a TLB shootdown (about 300 us on this
 * kind of VM, more than the fill); in batches a 128 MB parent refills its
 * pages after a fork about twice as fast.
 */
static void *lz_sweeper(void *arg)
{
	pkey_runtime_thread();
	int napped = 0;
	pthread_mutex_lock(&lz_lock);
	for (;;) {
		struct lz_set *s = graveyard;
		if (s) {
			graveyard = s->gnext;
			pthread_mutex_unlock(&lz_lock);
			really_free(s);
			pthread_mutex_lock(&lz_lock);
			continue;
		}
		for (s = sets; s && !s->sweep; s = s->next)
			;
		if (!s) {
			pthread_cond_wait(&lz_cv, &lz_lock);
			continue;
		}
		if (!napped) {	/* more fills come in the meantime */
			pthread_mutex_unlock(&lz_lock);
			usleep(SWEEP_BATCH_US);
			pthread_mutex_lock(&lz_lock);
			napped = 1;
			continue;
		}
		napped = 0;
		s->sweep = 0;
		s->busy++;
		uint8_t need = alive(s);
		size_t lo[s->n + 1], hi[s->n + 1];	/* (the regions stay while busy) */
		for (int i = 0; i < s->n; i++) {
			lo[i] = s->r[i].dlo, hi[i] = s->r[i].dhi;
			s->r[i].dlo = s->r[i].dhi = 0;
		}
		pthread_mutex_unlock(&lz_lock);
		for (int i = 0; i < s->n; i++) {
			struct lz_region *r = &s->r[i];
			size_t pages = hi[i];
			for (size_t k = lo[i]; k < pages;) {
				if ((__atomic_load_n(&r->st[k], __ATOMIC_RELAXED) & need) != need) {
					k++;
					continue;
				}
				size_t e = k + 1;
				while (e < pages && (__atomic_load_n(&r->st[e], __ATOMIC_RELAXED) & need) == need)
					e++;
				madvise((void *)(r->stage + k * PAGE_SIZE), (e - k) * PAGE_SIZE,
					MADV_DONTNEED);
				k = e;
			}
		}
		pthread_mutex_lock(&lz_lock);
		if (--s->busy == 0 && s->dead) {
			s->gnext = graveyard;
			graveyard = s;
		}
	}
	return NULL;
}

/* The sweeper is to look at pages [i, j) of r, or at all of s (r NULL). */
static void sweep_later(struct lz_set *s, struct lz_region *r, size_t i, size_t j)
{
	for (struct lz_region *q = s->r; q < s->r + s->n; q++) {
		if (r && q != r)
			continue;
		size_t lo = r ? i : 0, hi = r ? j : q->len / PAGE_SIZE;
		if (q->dlo < q->dhi) {	/* widen what is already there */
			lo = lo < q->dlo ? lo : q->dlo;
			hi = hi > q->dhi ? hi : q->dhi;
		}
		q->dlo = lo, q->dhi = hi;
	}
	s->sweep = 1;
	pthread_cond_signal(&lz_cv);
}

/* side leaves s (gone, or has every page): its ranges no longer fault to
 * us, the staged pages only it needed are freed. */
static void side_done(struct lz_set *s, int side)
{
	struct uproc *p = s->side[side];
	if (!p)
		return;
	for (int i = 0; i < s->n; i++)
		uf_unregister(side_base(s, &s->r[i], side), s->r[i].len);
	s->side[side] = NULL;
	p->lazy--;
	if (!alive(s))
		set_free(s);
	else
		sweep_later(s, NULL, 0, 0);
}

static int set_side(const struct lz_set *s, const struct uproc *p)
{
	for (int i = 0; i < s->nsides; i++)
		if (s->side[i] == p)
			return i;
	return -1;
}

/* The set, region and side whose range holds addr (lz_lock held). */
static struct lz_set *lookup(uintptr_t addr, struct lz_region **rp, int *sidep)
{
	for (struct lz_set *s = sets; s; s = s->next)
		for (int side = 0; side < s->nsides; side++) {
			if (!s->side[side])
				continue;
			for (int i = 0; i < s->n; i++) {
				uintptr_t b = side_base(s, &s->r[i], side);
				if (addr - b < s->r[i].len) {
					*rp = &s->r[i];
					*sidep = side;
					return s;
				}
			}
		}
	return NULL;
}

static void on_fault(uintptr_t addr)
{
	struct lz_region *r;
	int side;
	struct lz_set *s = lookup(addr, &r, &side);
	nfaults++;
	size_t i = s ? (addr - side_base(s, r, side)) / PAGE_SIZE : 0;
	if (!s || (r->st[i] & LZ_DONE(side))) {
		uf_zero_or_wake(addr);	/* discarded since, or answered already */
		return;
	}
	size_t pages = r->len / PAGE_SIZE;
	size_t lo = i & ~(size_t)(LAZY_CLUSTER - 1), hi = lo + LAZY_CLUSTER;
	if (hi > pages)
		hi = pages;
	size_t a = i, b = i + 1;
	while (a > lo && !(r->st[a - 1] & LZ_DONE(side)))
		a--;
	while (b < hi && !(r->st[b] & LZ_DONE(side)))
		b++;
	fill(s, r, side, a, b);
	if (!r->left[side]) {
		int all = 1;
		for (int k = 0; k < s->n; k++)
			all &= !s->r[k].left[side];
		if (all)
			side_done(s, side);
	}
}

static void *lz_main(void *arg)
{
	pkey_runtime_thread();
	struct uffd_msg m[16];
	for (;;) {
		ssize_t n = read(uffd, m, sizeof m);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			ulog("ufork: copy-on-access: the fault thread stops: %s\n", strerror(errno));
			return NULL;
		}
		pthread_mutex_lock(&lz_lock);
		for (size_t k = 0; k < (size_t)n / sizeof m[0]; k++)
			if (m[k].event == UFFD_EVENT_PAGEFAULT)
				on_fault(m[k].arg.pagefault.address);
		pthread_mutex_unlock(&lz_lock);
	}
}

int lazy_start(void)
{
	pthread_t th, sw;
	pthread_attr_t at;
	sigset_t all, old;
	sigfillset(&all);
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	pthread_sigmask(SIG_SETMASK, &all, &old);	/* no signal lands on it */
	int r = pthread_create(&th, &at, lz_main, NULL);
	if (!r)
		r = pthread_create(&sw, &at, lz_sweeper, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&at);
	return -r;
}

/* Private anonymous memory the µprocess can read: brk, mmaps, image data. */
static int private_anon(const struct vma *v)
{
	int anon = v->kind == VMA_BRK || v->kind == VMA_ANON ||
		   (v->kind == VMA_IMAGE && (v->flags & MAP_ANONYMOUS));
	return anon && (v->prot & PROT_READ) && !(v->flags & MAP_SHARED);
}

int lazy_ok(const struct vma *v)
{
	return copy_mode == COPY_COA && private_anon(v) &&
	       !(v->flags & (VMA_DONTFORK | VMA_WIPEONFORK)) && v->end - v->start >= LAZY_MIN;
}

/* Where an unhinted private anonymous mmap of len bytes goes: with coa, a
 * mapping of 1 GiB or more starts on a 1 GiB boundary, so that staging it
 * moves whole page-table pages of the top level the host can move (one
 * entry per GiB rather than one per 2 MiB, each with its TLB flush). */
size_t lazy_align(size_t len)
{
	return copy_mode == COPY_COA && len >= STAGE_ALIGN ? STAGE_ALIGN : PAGE_SIZE;
}

struct lz_set *lazy_begin(struct uproc *p, struct uproc *child)
{
	struct lz_set *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->side[0] = p;
	s->side[1] = child;
	s->nsides = 2;
	s->lo = p->slot.base;
	s->size = p->slot.size;
	s->delta[1] = child->slot.base - p->slot.base;
	pthread_mutex_lock(&lz_lock);
	s->next = sets;
	sets = s;
	p->lazy++;
	child->lazy++;
	pthread_mutex_unlock(&lz_lock);
	return s;
}

/* A staging range for [at, at + len): the same offset modulo 1 GiB. */
static uintptr_t stage_alloc(uintptr_t at, size_t len)
{
	char *m = mmap(NULL, len + STAGE_ALIGN, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (m == MAP_FAILED)
		return 0;
	uintptr_t lo = (uintptr_t)m, hi = lo + len + STAGE_ALIGN;
	uintptr_t s = (lo & ~(STAGE_ALIGN - 1)) + (at & (STAGE_ALIGN - 1));
	if (s < lo)
		s += STAGE_ALIGN;
	if (s > lo)
		munmap(m, s - lo);
	if (s + len < hi)
		munmap((void *)(s + len), hi - s - len);
	return s;
}

/*
 * The parent's region v goes to the set instead of being copied: its pages
 * to a staging range, its range and the child's to the fault thread.  1:
 * not possible here (the host's vmas differ from ours...): copy it.
 */
int lazy_stage(struct lz_set *s, const struct vma *v)
{
	size_t len = v->end - v->start;
	uintptr_t to = v->start + s->delta[1];
	uint8_t *st = calloc(len / PAGE_SIZE, 1);
	uintptr_t stage = st ? stage_alloc(v->start, len) : 0;
	if (!stage) {
		free(st);
		return -ENOMEM;
	}
	pthread_mutex_lock(&lz_lock);
	if (s->n == s->cap) {
		int cap = s->cap ? 2 * s->cap : 8;
		struct lz_region *nr = realloc(s->r, cap * sizeof *nr);
		if (nr) {
			s->r = nr;
			s->cap = cap;
		}
	}
	int e = s->n < s->cap ? 0 : -ENOMEM;
	if (!e && syscall(SYS_mremap, v->start, len, len,
			  MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP, stage) == -1)
		e = 1;	/* one region of ours, several of the host's: copy it */
	if (!e && mmap((void *)to, len, v->prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED |
		       (v->flags & MAP_NORESERVE), -1, 0) == MAP_FAILED)
		e = 2;
	if (!e)
		pkey_apply(to, len, v->prot);
	if (!e && (uf_register(v->start, len) < 0 || uf_register(to, len) < 0))
		e = 2;
	if (e == 2) {	/* the pages go back to the parent, which is copied */
		uf_unregister(v->start, len);
		if (syscall(SYS_mremap, stage, len, len, MREMAP_MAYMOVE | MREMAP_FIXED,
			    v->start) == -1)
			e = -errno;	/* (cannot happen: the ranges are alike) */
		else
			e = 1;
	}
	if (!e) {
		s->r[s->n++] = (struct lz_region){ .at = v->start, .len = len, .stage = stage,
			.st = st, .left = { len / PAGE_SIZE, len / PAGE_SIZE }, .prot = v->prot };
	} else {
		if (e == 1)
			munmap((void *)stage, len);
		free(st);
	}
	pthread_mutex_unlock(&lz_lock);
	return e;
}

/* The fork of p is over: the sets its child joined are whole again, and
 * the new set s (if any) goes if it took no region. */
void lazy_end(struct uproc *p, struct lz_set *s)
{
	pthread_mutex_lock(&lz_lock);
	for (struct lz_set *o = sets; o; o = o->next)
		if (o->side[0] == p)
			o->joining = NULL;
	if (s && !s->n) {
		s->side[0]->lazy--;
		s->side[1]->lazy--;
		set_free(s);
	}
	pthread_mutex_unlock(&lz_lock);
}

/* Can the staging range of r move back over p's range (p->lock held)?
 * What p has mapped there must be private anonymous memory it can read:
 * its own pages (those it filled, or mapped anew after discarding the
 * staged ones) are copied into the staging range first; where it has
 * nothing, the range is reserved again after the move. */
static int movable_back(struct uproc *p, const struct lz_region *r)
{
	uintptr_t end = r->at + r->len;
	for (const struct vma *v = vma_next(&p->vmas, r->at);
	     v && v < p->vmas.v + p->vmas.n && v->start < end; v++)
		if (!private_anon(v))
			return 0;
	return 1;
}

/* Can child join s, whose parent p forks again?  What p maps inside the
 * set's regions now must be private anonymous memory it can read (p->lock
 * held), and a side free.  What p wrote, discarded or mapped anew there
 * since the fork is in its own pages (LZ_DONE(0)), which the join copies;
 * the rest is still staged.  Its regions may have grown or shrunk: the
 * join takes what is still inside both (lazy_join), fork copies or stages
 * the rest. */
static int joinable(struct lz_set *s, struct uproc *p)
{
	if (s->side[0] != p || (s->nsides == LZ_SIDES && alive(s) == 0xff))
		return 0;
	for (int i = 0; i < s->n; i++)
		if (!movable_back(p, &s->r[i]))
			return 0;
	return 1;
}

/* child becomes a side of s (lz_lock held); its ranges are filled in as
 * the fork reaches each region (lazy_join). */
static void join_side(struct lz_set *s, struct uproc *child)
{
	int c = 1;
	while (c < s->nsides && s->side[c])
		c++;
	if (c == s->nsides)
		s->nsides++;
	/* it needs nothing until lazy_join gives it the parts p still maps */
	for (int i = 0; i < s->n; i++) {
		for (size_t k = 0; k < s->r[i].len / PAGE_SIZE; k++)
			s->r[i].st[k] |= LZ_DONE(c);
		s->r[i].left[c] = 0;
	}
	s->side[c] = child;
	s->delta[c] = child->slot.base - s->lo;
	s->joining = child;
	child->lazy++;
}

/*
 * The fork of p into child reaches [v->start, v->end) of p's region v.
 * Where a region of a set child joins holds v->start, the part of v in it
 * ([v->start, *end)) is joined: child's range is mapped and registered,
 * the pages p has of its own there (which may differ from the staged
 * ones) are copied and relocated now, and the rest will come from the
 * staging range like the other children's; 0 (or -errno).  Otherwise 1,
 * and *end is where the next such region starts inside v, or v->end.
 */
int lazy_join(struct uproc *p, struct uproc *child, const struct vma *v, uintptr_t *end)
{
	pthread_mutex_lock(&lz_lock);
	struct lz_set *s = NULL;
	struct lz_region *r = NULL;
	*end = v->end;
	for (struct lz_set *o = sets; o; o = o->next) {
		if (o->joining != child || o->side[0] != p)
			continue;
		for (int i = 0; i < o->n; i++) {
			struct lz_region *q = &o->r[i];
			if (q->at <= v->start && v->start < q->at + q->len) {
				s = o, r = q;
				break;
			}
			if (q->at > v->start && q->at < *end)
				*end = q->at;
		}
		if (r)
			break;
	}
	pthread_mutex_unlock(&lz_lock);
	if (!r)
		return 1;
	if (r->at + r->len < v->end)
		*end = r->at + r->len;
	/* (p is stopped: its bits and the set's regions stay as they are) */
	int c = set_side(s, child);
	size_t k0 = (v->start - r->at) / PAGE_SIZE, k1 = (*end - r->at) / PAGE_SIZE;
	uintptr_t to = r->at + s->delta[c];
	if (mmap((void *)(to + k0 * PAGE_SIZE), (k1 - k0) * PAGE_SIZE, v->prot,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | (v->flags & MAP_NORESERVE), -1, 0) ==
	    MAP_FAILED)
		return -ENOMEM;
	pkey_apply(to + k0 * PAGE_SIZE, (k1 - k0) * PAGE_SIZE, v->prot);
	int e = uf_register(to + k0 * PAGE_SIZE, (k1 - k0) * PAGE_SIZE);
	size_t chunk = 64 * PAGE_SIZE;
	uint64_t *tmp = e ? NULL : malloc(chunk);
	if (!tmp)
		return e ? e : -ENOMEM;
	for (size_t k = k0; k < k1 && !e;) {
		if (!(r->st[k] & LZ_DONE(0))) {
			k++;
			continue;
		}
		size_t j = k + 1;
		while (j < k1 && j - k < chunk / PAGE_SIZE && (r->st[j] & LZ_DONE(0)))
			j++;
		size_t n = (j - k) * PAGE_SIZE;	/* (a page p discarded reads as zero) */
		copy_reloc(tmp, (const uint64_t *)(r->at + k * PAGE_SIZE), n / 8, s->lo, s->size,
			   s->delta[c]);
		e = uf_copy(to + k * PAGE_SIZE, (uintptr_t)tmp, n);
		k = j;
	}
	free(tmp);
	pthread_mutex_lock(&lz_lock);
	for (size_t k = k0; k < k1; k++)
		if (!(r->st[k] & LZ_DONE(0))) {
			r->st[k] &= ~LZ_DONE(c);
			r->left[c]++;
		}
	pthread_mutex_unlock(&lz_lock);
	return e;
}

/* After the move: p's protections over r's range, its holes reserved. */
static void moved_back(struct uproc *p, const struct lz_region *r)
{
	uintptr_t at = r->at, end = r->at + r->len;
	for (const struct vma *v = vma_next(&p->vmas, at);
	     v && v < p->vmas.v + p->vmas.n && v->start < end; v++) {
		uintptr_t a = v->start > at ? v->start : at;
		uintptr_t b = v->end < end ? v->end : end;
		if (a > at)
			arena_reserve(at, a - at);
		mprotect((void *)a, b - a, v->prot);
		at = b;
	}
	if (at < end)
		arena_reserve(at, end - at);
}

/*
 * Called with the forking µprocess p stopped (its other threads parked),
 * before it forks into child: where p is the parent of a set it can join
 * (joinable), child joins the set; where it is a child, or what it maps
 * there changed kind, it settles (moves back or gets every page it lacks)
 * first, so that this fork sees all of its memory in place.
 */
void lazy_settle(struct uproc *p, struct uproc *child)
{
	pthread_mutex_lock(&lz_lock);
	for (struct lz_set *s = sets, *next; s && p->lazy; s = next) {
		next = s->next;
		int side = set_side(s, p);
		if (side < 0)
			continue;
		if (side == 0 && joinable(s, p)) {
			join_side(s, child);
			continue;
		}
		size_t mine = 0, lack = 0;
		int movable = side == 0 && alive(s) == LZ_DONE(0) && !s->busy;	/* (the
				sweeper frees the very pages that go back to the staging range) */
		for (int i = 0; i < s->n; i++) {
			mine += s->r[i].len / PAGE_SIZE - s->r[i].left[side];
			lack += s->r[i].left[side];
			movable &= movable_back(p, &s->r[i]);
		}
		if (!movable || mine >= lack) {
			for (int i = 0; i < s->n; i++)
				fill_range(s, &s->r[i], side, 0, s->r[i].len / PAGE_SIZE);
			side_done(s, side);
			continue;
		}
		/* a parent whose child is gone, with fewer pages of its own than
		 * staged ones: its own go back to the staging range, which then
		 * moves back whole (page tables, not pages) and gets the
		 * protections of p's regions there.  Off the list first: a fault
		 * on a page it discarded gets a zero page. */
		for (struct lz_set **pp = &sets; *pp; pp = &(*pp)->next)
			if (*pp == s) {
				*pp = s->next;
				break;
			}
		p->lazy--;
		pthread_mutex_unlock(&lz_lock);
		for (int i = 0; i < s->n; i++) {
			struct lz_region *r = &s->r[i];
			size_t pages = r->len / PAGE_SIZE;
			if (!(r->prot & PROT_WRITE))	/* (moved_back sets p's) */
				mprotect((void *)r->stage, r->len, r->prot | PROT_WRITE);
			for (size_t k = 0; k < pages; k++)
				if ((r->st[k] & LZ_DONE(0)) && vma_find(&p->vmas, r->at + k * PAGE_SIZE))
					memcpy((void *)(r->stage + k * PAGE_SIZE),
					       (void *)(r->at + k * PAGE_SIZE), PAGE_SIZE);
			uf_unregister(r->at, r->len);
			if (syscall(SYS_mremap, r->stage, r->len, r->len, MREMAP_MAYMOVE | MREMAP_FIXED,
				    r->at) != -1) {
				r->stage = 0;	/* it is the parent's range now */
				moved_back(p, r);
			} else
				ulog("ufork: copy-on-access: cannot move %#lx back: %s\n",
				     (unsigned long)r->at, strerror(errno));
		}
		pthread_mutex_lock(&lz_lock);
		s->next = sets;	/* (set_free takes it off again) */
		sets = s;
		set_free(s);
		next = sets;
	}
	pthread_mutex_unlock(&lz_lock);
}

/* p is about to change [a, a + len) of its memory: LAZY_DROP (its pages
 * are discarded: munmap, MAP_FIXED, MADV_DONTNEED), LAZY_FILL (they move
 * or must be in place: mremap), LAZY_KEEP (only their protection changes). */
void lazy_touch(struct uproc *p, uintptr_t a, size_t len, int how)
{
	if (!__atomic_load_n(&p->lazy, __ATOMIC_ACQUIRE))
		return;
	pthread_mutex_lock(&lz_lock);
	for (struct lz_set *s = sets, *next; s; s = next) {
		next = s->next;
		int side = set_side(s, p), all = 1;
		if (side < 0)
			continue;
		for (int i = 0; i < s->n; i++) {
			struct lz_region *r = &s->r[i];
			uintptr_t b = side_base(s, r, side);
			if (a < b + r->len && b < a + len) {
				size_t lo = a > b ? (a - b) / PAGE_SIZE : 0;
				size_t hi = (a + len < b + r->len ? a + len - b : r->len) / PAGE_SIZE;
				if (how == LAZY_FILL) {
					fill_range(s, r, side, lo, hi);
				} else if (how == LAZY_DROP) {
					for (size_t k = lo; k < hi; k++)
						if (!(r->st[k] & LZ_DONE(side))) {
							r->st[k] |= LZ_DONE(side);
							r->left[side]--;
						}
					sweep_later(s, r, lo, hi);
				}
			}
			all &= !r->left[side];
		}
		if (all)
			side_done(s, side);
	}
	pthread_mutex_unlock(&lz_lock);
}

/* p's memory is going away (exit, exec, a fork that failed). */
void lazy_exit(struct uproc *p)
{
	if (!__atomic_load_n(&p->lazy, __ATOMIC_ACQUIRE))
		return;
	pthread_mutex_lock(&lz_lock);
	for (struct lz_set *s = sets, *next; s && p->lazy; s = next) {
		next = s->next;
		int side = set_side(s, p);
		if (side >= 0)
			side_done(s, side);
	}
	pthread_mutex_unlock(&lz_lock);
}

void lazy_stats_print(void)
{
	if (copy_mode != COPY_COA)
		return;
	pthread_mutex_lock(&lz_lock);
	ulog("ufork: copy-on-access: %zu faults; filled %zu pages of parents, %zu of children\n",
	     nfaults, filled[0], filled[1]);
	pthread_mutex_unlock(&lz_lock);
}
