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
 * Recycling: a freed slot whose µprocess was small is kept populated, with its
 * map list and image, instead of going back to PROT_NONE.  Copying into memory
 * that is already resident is several times faster than faulting fresh pages,
 * and unmapping populated memory costs TLB shootdowns on every CPU.  fork
 * takes such a slot for a child of the same image and reuses its mappings when
 * the layout matches (fork.c); a populated slot taken for anything else is
 * cleared first.  At most CACHE_SLOTS slots and CACHE_BYTES of estimated
 * resident memory are kept.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "ufork.h"

#define CACHE_SLOTS 32
#define CACHE_BYTES (256UL << 20)
#define CACHE_ONE (32UL << 20)

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
static uintptr_t shared_next = ARENA_BASE;
static pthread_mutex_t arena_lock = PTHREAD_MUTEX_INITIALIZER;

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
	int keep = img && vmas && bytes <= CACHE_ONE && nkept < CACHE_SLOTS &&
		   kept_bytes + bytes <= CACHE_BYTES;
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

/* Bump allocation for now: shared mappings are few and long-lived. */
uintptr_t shared_alloc(size_t len)
{
	uintptr_t a = 0;
	pthread_mutex_lock(&arena_lock);
	if (shared_next + PAGE_UP(len) <= ARENA_BASE + SHARED_AREA_SIZE) {
		a = shared_next;
		shared_next += PAGE_UP(len);
	}
	pthread_mutex_unlock(&arena_lock);
	return a;
}

int in_shared_area(uintptr_t addr, size_t len)
{
	return addr >= ARENA_BASE && addr + len >= addr &&
	       addr + len <= ARENA_BASE + SHARED_AREA_SIZE;
}
