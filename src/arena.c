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
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "ufork.h"

static uintptr_t slots_base;
static size_t stride;
static int nslots;
static unsigned char *slot_used;
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
	return slot_used ? 0 : -ENOMEM;
}

int slot_alloc(struct slot *s)
{
	pthread_mutex_lock(&arena_lock);
	for (int i = 0; i < nslots; i++) {
		if (!slot_used[i]) {
			slot_used[i] = 1;
			pthread_mutex_unlock(&arena_lock);
			s->index = i;
			s->base = slots_base + stride * (size_t)i;
			s->size = slot_size;
			return 0;
		}
	}
	pthread_mutex_unlock(&arena_lock);
	return -EAGAIN;
}

void slot_free(struct slot *s)
{
	arena_reserve(s->base, s->size);
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
