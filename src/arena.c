/*
 * arena.c - the one address space: a PROT_NONE reservation above 2^44 that
 * holds the shared area and then every µprocess slot.
 *
 *   ARENA_BASE                      shared area (MAP_SHARED mappings), 256 GiB
 *   ARENA_BASE + SHARED_AREA_SIZE   slot 0, slot 1, ... each `stride` apart
 *
 * Invariants: slots are aligned to SLOT_ALIGN (2^32) and `stride` is a multiple
 * of it, so the distance between two slots keeps the low 32 bits of a pointer.
 * Unused parts of the arena stay mapped PROT_NONE, so the host kernel never
 * places runtime memory (glibc mallocs, thread stacks) inside it.
 *
 * Recycling: a freed slot whose µprocess was small (and, under --copy=coa,
 * held no region coa would stage: proc.c) is kept populated, with its
 * map list and image, instead of going back to PROT_NONE.  Copying into memory
 * that is already resident is several times faster than faulting fresh pages,
 * and unmapping populated memory costs TLB shootdowns on every CPU.  fork
 * takes such a slot for a child of the same image and reuses its mappings when
 * the layout matches (fork.c); a populated slot taken for anything else is
 * cleared first.  At most CACHE_SLOTS slots and keep_budget bytes
 * (--keep-slots) of estimated resident memory are kept; the estimate is an
 * upper bound (proc.c), so the budget bounds what idle slots hold.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "ufork.h"

#define CACHE_SLOTS 32
size_t keep_budget = 256UL << 20;

struct kept {			/* a free slot kept populated */
	struct image *img;
	struct vma_list vmas;
	size_t bytes;
};

uintptr_t arena_end;
static uintptr_t slots_base;
static size_t stride;
static int nslots;
static unsigned char *slot_used;
static struct kept *kept;	/* per slot; img != NULL when populated */
static int nkept;
static size_t kept_bytes;
static pthread_mutex_t arena_lock = PTHREAD_MUTEX_INITIALIZER;

/* The index of the slot holding addr, or -1 (the shared area, outside). */
int slot_index_of(uintptr_t addr)
{
	if (addr < slots_base || addr >= arena_end || !stride)
		return -1;
	return (int)((addr - slots_base) / stride);
}

int arena_reserve(uintptr_t addr, size_t len)
{
	void *r = mmap((void *)addr, len, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
	return r == MAP_FAILED ? -errno : 0;
}

int arena_init(size_t ssize, int max_slots)
{
	stride = (ssize + SLOT_ALIGN - 1) & ~(SLOT_ALIGN - 1);
	nslots = max_slots;
	slots_base = ARENA_BASE + SHARED_AREA_SIZE;
	size_t total = SHARED_AREA_SIZE + stride * (size_t)nslots;
	arena_end = ARENA_BASE + total;
	void *r = mmap((void *)ARENA_BASE, total, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE,
		       -1, 0);
	if (r == MAP_FAILED)
		return -errno;
	if ((uintptr_t)r != ARENA_BASE) {	/* kernels before 4.17 ignore NOREPLACE */
		munmap(r, total);
		return -EEXIST;
	}
	slot_used = calloc(nslots, 1);
	kept = calloc(nslots, sizeof *kept);
	return slot_used && kept ? 0 : -ENOMEM;
}

/* Takes a free slot.  With img, prefers one kept populated with that image
 * and hands over its map list in *prev (1 returned); otherwise the slot is
 * empty (0 returned). */
int slot_alloc(struct slot *s, struct image *img, struct vma_list *prev)
{
	int pick = -1;
	struct kept k = { 0 };
	pthread_mutex_lock(&arena_lock);
	for (int i = 0; i < nslots; i++) {
		if (slot_used[i])
			continue;
		if (img && kept[i].img == img) {
			pick = i;
			break;
		}
		if (pick < 0 || (kept[pick].img && !kept[i].img))
			pick = i;	/* an empty slot beats clearing a kept one */
	}
	if (pick >= 0) {
		slot_used[pick] = 1;
		k = kept[pick];
		if (k.img) {
			nkept--;
			kept_bytes -= k.bytes;
		}
		memset(&kept[pick], 0, sizeof kept[pick]);
	}
	pthread_mutex_unlock(&arena_lock);
	if (pick < 0)
		return -EAGAIN;
	s->index = pick;
	s->base = slots_base + stride * (size_t)pick;
	s->size = slot_size;
	if (k.img && k.img == img && prev) {
		*prev = k.vmas;
		image_put(k.img);
		return 1;
	}
	if (k.img) {
		arena_reserve(s->base, s->size);
		vma_free(&k.vmas);
		image_put(k.img);
	}
	return 0;
}

/* Gives a slot back.  With a map list and an estimate of its resident bytes
 * the slot may be kept populated (the list is then taken over); otherwise it
 * goes back to PROT_NONE and the list is freed. */
void slot_free(struct slot *s, struct image *img, struct vma_list *vmas, size_t bytes)
{
	pthread_mutex_lock(&arena_lock);
	int keep = img && vmas && nkept < CACHE_SLOTS && bytes <= keep_budget &&
		   kept_bytes + bytes <= keep_budget;
	if (keep) {
		__atomic_add_fetch(&img->refs, 1, __ATOMIC_ACQ_REL);
		kept[s->index] = (struct kept){ img, *vmas, bytes };
		memset(vmas, 0, sizeof *vmas);
		nkept++;
		kept_bytes += bytes;
	}
	pthread_mutex_unlock(&arena_lock);
	if (!keep) {
		arena_reserve(s->base, s->size);
		if (vmas)
			vma_free(vmas);
	}
	pthread_mutex_lock(&arena_lock);
	slot_used[s->index] = 0;
	pthread_mutex_unlock(&arena_lock);
}

/*
 * The shared area.  A MAP_SHARED mapping lives at one address for all its
 * sharers, so it is unmapped only when the last µprocess using it lets go:
 * each page range carries a count of the µprocesses that map it (fork adds
 * the child, munmap/exit/exec drop one).  Ranges are split as sharers unmap
 * parts of them.  Freed addresses are reused.
 */
struct shrange {
	uintptr_t start, end;
	int refs;
};
static struct shrange *sh;
static int nsh, capsh;

static int sh_index(uintptr_t addr)	/* first range with end > addr */
{
	int lo = 0, hi = nsh;
	while (lo < hi) {
		int mid = (lo + hi) / 2;
		if (sh[mid].end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int sh_split(uintptr_t at)
{
	int i = sh_index(at);
	if (i == nsh || sh[i].start >= at)
		return 0;
	if (nsh == capsh) {
		int cap = capsh ? capsh * 2 : 64;
		struct shrange *n = realloc(sh, cap * sizeof *n);
		if (!n)
			return -ENOMEM;
		sh = n;
		capsh = cap;
	}
	memmove(&sh[i + 1], &sh[i], (nsh - i) * sizeof *sh);
	nsh++;
	sh[i].end = at;
	sh[i + 1].start = at;
	return 0;
}

/* A fresh range of the shared area for a new MAP_SHARED mapping (count 1),
 * or 0 when the area is full. */
uintptr_t shared_alloc(size_t len)
{
	uintptr_t a = 0, top = ARENA_BASE;
	len = PAGE_UP(len);
	pthread_mutex_lock(&arena_lock);
	for (int i = 0; i <= nsh; i++) {	/* first fit, bottom up */
		uintptr_t end = i < nsh ? sh[i].start : ARENA_BASE + SHARED_AREA_SIZE;
		if (end - top >= len) {
			a = top;
			break;
		}
		if (i < nsh)
			top = sh[i].end;
	}
	if (a && nsh == capsh) {
		int cap = capsh ? capsh * 2 : 64;
		struct shrange *n = realloc(sh, cap * sizeof *n);
		if (n) {
			sh = n;
			capsh = cap;
		} else {
			a = 0;
		}
	}
	if (a) {
		int i = sh_index(a);
		memmove(&sh[i + 1], &sh[i], (nsh - i) * sizeof *sh);
		sh[i] = (struct shrange){ a, a + len, 1 };
		nsh++;
	}
	pthread_mutex_unlock(&arena_lock);
	return a;
}

/* Adds (+1) or drops (-1) one sharer of [start, end); ranges nobody maps any
 * more go back to PROT_NONE. */
void shared_ref(uintptr_t start, uintptr_t end, int delta)
{
	pthread_mutex_lock(&arena_lock);
	if (sh_split(start) == 0 && sh_split(end) == 0) {
		for (int i = sh_index(start); i < nsh && sh[i].start < end;) {
			sh[i].refs += delta;
			if (sh[i].refs > 0) {
				i++;
				continue;
			}
			arena_reserve(sh[i].start, sh[i].end - sh[i].start);
			memmove(&sh[i], &sh[i + 1], (nsh - i - 1) * sizeof *sh);
			nsh--;
		}
	}
	pthread_mutex_unlock(&arena_lock);
}

/* [start, end), unmapped by everyone, becomes a range of one sharer. */
void shared_claim(uintptr_t start, uintptr_t end)
{
	pthread_mutex_lock(&arena_lock);
	int i = sh_index(start);
	if (nsh == capsh) {
		int cap = capsh ? capsh * 2 : 64;
		struct shrange *n = realloc(sh, cap * sizeof *n);
		if (!n)
			goto out;
		sh = n;
		capsh = cap;
	}
	memmove(&sh[i + 1], &sh[i], (nsh - i) * sizeof *sh);
	sh[i] = (struct shrange){ start, end, 1 };
	nsh++;
out:
	pthread_mutex_unlock(&arena_lock);
}

/* How many µprocesses map the most-shared page of [start, end)? */
int shared_users(uintptr_t start, uintptr_t end)
{
	int most = 0;
	pthread_mutex_lock(&arena_lock);
	for (int i = sh_index(start); i < nsh && sh[i].start < end; i++)
		if (sh[i].refs > most)
			most = sh[i].refs;
	pthread_mutex_unlock(&arena_lock);
	return most;
}

int in_shared_area(uintptr_t addr, size_t len)
{
	return addr >= ARENA_BASE && addr + len >= addr &&
	       addr + len <= ARENA_BASE + SHARED_AREA_SIZE;
}
