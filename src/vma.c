/*
 * vma.c - the runtime's record of what is mapped in a µprocess's slot.
 *
 * A sorted array of non-overlapping, page-aligned regions [start, end).
 * Inserting over existing regions replaces them (like MAP_FIXED); removing or
 * re-protecting part of a region splits it.  Adjacent anonymous (or brk)
 * regions alike in protection and flags are merged, as the kernel merges its
 * vmas: an allocator that maps page after page keeps one region, so lookups
 * and inserts stay cheap.  The caller holds the µprocess lock.  Pure
 * bookkeeping, no system calls: unit tested alone.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "ufork.h"

static int reserve(struct vma_list *l, int extra)
{
	if (l->n + extra <= l->cap)
		return 0;
	int cap = l->cap ? l->cap * 2 : 16;
	while (cap < l->n + extra)
		cap *= 2;
	struct vma *v = realloc(l->v, cap * sizeof *v);
	if (!v)
		return -ENOMEM;
	l->v = v;
	l->cap = cap;
	return 0;
}

/* index of the first region with end > addr */
static int lower(struct vma_list *l, uintptr_t addr)
{
	int lo = 0, hi = l->n;
	while (lo < hi) {
		int mid = (lo + hi) / 2;
		if (l->v[mid].end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Split the region containing addr (if any) so that a boundary falls at addr. */
static int split_at(struct vma_list *l, uintptr_t addr)
{
	int i = lower(l, addr);
	if (i == l->n || l->v[i].start >= addr)
		return 0;
	if (reserve(l, 1))
		return -ENOMEM;
	memmove(&l->v[i + 1], &l->v[i], (l->n - i) * sizeof *l->v);
	l->n++;
	l->v[i].end = addr;
	l->v[i + 1].start = addr;
	return 0;
}

void vma_remove(struct vma_list *l, uintptr_t start, uintptr_t end)
{
	if (split_at(l, start) || split_at(l, end)) {
		/* out of memory while splitting: drop whole overlapping regions */
	}
	int i = lower(l, start), j = i;
	while (j < l->n && l->v[j].start < end)
		j++;
	memmove(&l->v[i], &l->v[j], (l->n - j) * sizeof *l->v);
	l->n -= j - i;
}

static int mergeable(const struct vma *a, const struct vma *b)
{
	return a->end == b->start && a->prot == b->prot && a->flags == b->flags &&
	       a->kind == b->kind && (a->kind == VMA_ANON || a->kind == VMA_BRK);
}

/* Merges the regions around index i with their neighbours where possible. */
static void merge_around(struct vma_list *l, int i)
{
	if (i + 1 < l->n && mergeable(&l->v[i], &l->v[i + 1])) {
		l->v[i].end = l->v[i + 1].end;
		memmove(&l->v[i + 1], &l->v[i + 2], (l->n - i - 2) * sizeof *l->v);
		l->n--;
	}
	if (i > 0 && i < l->n && mergeable(&l->v[i - 1], &l->v[i])) {
		l->v[i - 1].end = l->v[i].end;
		memmove(&l->v[i], &l->v[i + 1], (l->n - i - 1) * sizeof *l->v);
		l->n--;
	}
}

int vma_insert(struct vma_list *l, uintptr_t start, uintptr_t end, int prot,
	       int flags, enum vma_kind kind)
{
	if (reserve(l, 3))
		return -ENOMEM;
	vma_remove(l, start, end);
	int i = lower(l, start);
	memmove(&l->v[i + 1], &l->v[i], (l->n - i) * sizeof *l->v);
	l->v[i] = (struct vma){ start, end, prot, flags, kind };
	l->n++;
	merge_around(l, i);
	return 0;
}

int vma_protect(struct vma_list *l, uintptr_t start, uintptr_t end, int prot)
{
	if (reserve(l, 2))
		return -ENOMEM;
	split_at(l, start);
	split_at(l, end);
	int first = lower(l, start), last = first;
	for (int i = first; i < l->n && l->v[i].start < end; i++)
		l->v[last = i].prot = prot;
	for (int i = last; i >= first && i >= 0; i--)	/* back to front: indices stay valid */
		merge_around(l, i);
	return 0;
}

int vma_set_flags(struct vma_list *l, uintptr_t start, uintptr_t end, int set, int clear)
{
	if (reserve(l, 2))
		return -ENOMEM;
	split_at(l, start);
	split_at(l, end);
	for (int i = lower(l, start); i < l->n && l->v[i].start < end; i++)
		l->v[i].flags = (l->v[i].flags & ~clear) | set;
	return 0;
}

struct vma *vma_find(struct vma_list *l, uintptr_t addr)
{
	int i = lower(l, addr);
	if (i < l->n && l->v[i].start <= addr)
		return &l->v[i];
	return NULL;
}

/* The region holding addr, else the first one after it, or NULL. */
struct vma *vma_next(struct vma_list *l, uintptr_t addr)
{
	int i = lower(l, addr);
	return i < l->n ? &l->v[i] : NULL;
}

/* Is every page of [start, end) mapped? */
int vma_covered(struct vma_list *l, uintptr_t start, uintptr_t end)
{
	uintptr_t at = start;
	for (int i = lower(l, start); i < l->n && at < end; i++) {
		if (l->v[i].start > at)
			return 0;
		at = l->v[i].end;
	}
	return at >= end;
}

/* Highest free gap of len bytes inside [lo, hi), or 0. */
uintptr_t vma_find_gap_aligned(struct vma_list *l, uintptr_t lo, uintptr_t hi, size_t len,
				size_t align)
{
	int i = lower(l, hi);	/* regions before i end at or below hi */
	uintptr_t top = hi;
	if (i < l->n && l->v[i].start < hi)
		top = l->v[i].start;
	for (i--;; i--) {
		if (top <= lo)
			return 0;
		uintptr_t bottom = (i >= 0 && l->v[i].end > lo) ? l->v[i].end : lo;
		if (top - bottom >= len && ((top - len) & ~(align - 1)) >= bottom)
			return (top - len) & ~(align - 1);
		if (i < 0)
			return 0;
		top = l->v[i].start;
	}
}

uintptr_t vma_find_gap(struct vma_list *l, uintptr_t lo, uintptr_t hi, size_t len)
{
	return vma_find_gap_aligned(l, lo, hi, len, PAGE_SIZE);
}

/* Linux's is_data_mapping: private, writable, not a stack. */
int vma_is_data(int prot, int flags, enum vma_kind kind)
{
	return (prot & PROT_WRITE) && kind != VMA_SHARED && kind != VMA_STACK &&
	       (flags & MAP_TYPE) == MAP_PRIVATE;
}

void vma_usage(struct vma_list *l, uintptr_t start, uintptr_t end, size_t *total, size_t *data)
{
	*total = *data = 0;
	for (int i = lower(l, start); i < l->n && l->v[i].start < end; i++) {
		uintptr_t s = l->v[i].start > start ? l->v[i].start : start;
		uintptr_t e = l->v[i].end < end ? l->v[i].end : end;
		*total += e - s;
		if (vma_is_data(l->v[i].prot, l->v[i].flags, l->v[i].kind))
			*data += e - s;
	}
}

void vma_free(struct vma_list *l)
{
	free(l->v);
	memset(l, 0, sizeof *l);
}
