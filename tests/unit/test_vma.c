/* Unit tests of vma.c: insertion over existing regions, splitting, gaps. */
#include <sys/mman.h>

#include "../../src/ufork.h"
#include "unit.h"

#define K 4096UL

static void vma_insert_replaces_and_splits(void)
{
	struct vma_list l = { 0 };
	CHECK(vma_insert(&l, 10 * K, 20 * K, 3, 0, VMA_ANON) == 0);
	CHECK(vma_insert(&l, 12 * K, 14 * K, 1, 0, VMA_FILE) == 0);
	CHECK(l.n == 3);
	CHECK(l.v[0].start == 10 * K && l.v[0].end == 12 * K && l.v[0].prot == 3);
	CHECK(l.v[1].start == 12 * K && l.v[1].end == 14 * K && l.v[1].kind == VMA_FILE);
	CHECK(l.v[2].start == 14 * K && l.v[2].end == 20 * K && l.v[2].prot == 3);
	vma_insert(&l, 5 * K, 30 * K, 7, 0, VMA_ANON);
	CHECK(l.n == 1 && l.v[0].start == 5 * K && l.v[0].end == 30 * K);
	vma_free(&l);
}

static void vma_remove_middle_and_edges(void)
{
	struct vma_list l = { 0 };
	vma_insert(&l, 10 * K, 20 * K, 3, 0, VMA_ANON);
	vma_insert(&l, 30 * K, 40 * K, 3, 0, VMA_ANON);
	vma_remove(&l, 15 * K, 35 * K);
	CHECK(l.n == 2);
	CHECK(l.v[0].start == 10 * K && l.v[0].end == 15 * K);
	CHECK(l.v[1].start == 35 * K && l.v[1].end == 40 * K);
	vma_remove(&l, 0, 100 * K);
	CHECK(l.n == 0);
	vma_remove(&l, 0, 100 * K);	/* removing nothing is fine */
	CHECK(l.n == 0);
	vma_free(&l);
}

static void vma_protect_splits(void)
{
	struct vma_list l = { 0 };
	vma_insert(&l, 10 * K, 20 * K, 3, 0, VMA_ANON);
	CHECK(vma_protect(&l, 12 * K, 13 * K, 0) == 0);
	CHECK(l.n == 3 && l.v[1].prot == 0 && l.v[0].prot == 3 && l.v[2].prot == 3);
	CHECK(vma_find(&l, 12 * K)->prot == 0);
	CHECK(vma_find(&l, 9 * K) == NULL);
	CHECK(vma_find(&l, 19 * K)->prot == 3);
	CHECK(vma_find(&l, 20 * K) == NULL);
	vma_free(&l);
}

static void vma_covered_detects_holes(void)
{
	struct vma_list l = { 0 };
	vma_insert(&l, 10 * K, 20 * K, 3, 0, VMA_ANON);
	vma_insert(&l, 20 * K, 30 * K, 3, 0, VMA_ANON);
	vma_insert(&l, 31 * K, 40 * K, 3, 0, VMA_ANON);
	CHECK(vma_covered(&l, 10 * K, 30 * K));
	CHECK(vma_covered(&l, 15 * K, 25 * K));
	CHECK(!vma_covered(&l, 15 * K, 35 * K));
	CHECK(!vma_covered(&l, 5 * K, 15 * K));
	vma_free(&l);
}

static void vma_next_finds_holder_or_follower(void)
{
	struct vma_list l = { 0 };
	vma_insert(&l, 10 * K, 20 * K, 3, 0, VMA_ANON);
	vma_insert(&l, 30 * K, 40 * K, 1, 0, VMA_ANON);
	CHECK(vma_next(&l, 5 * K) && vma_next(&l, 5 * K)->start == 10 * K);
	CHECK(vma_next(&l, 15 * K) && vma_next(&l, 15 * K)->start == 10 * K);
	CHECK(vma_next(&l, 20 * K) && vma_next(&l, 20 * K)->start == 30 * K);
	CHECK(vma_next(&l, 39 * K) && vma_next(&l, 39 * K)->start == 30 * K);
	CHECK(vma_next(&l, 40 * K) == NULL);
	vma_free(&l);
}

static void vma_find_gap_top_down(void)
{
	struct vma_list l = { 0 };
	CHECK(vma_find_gap(&l, 0, 100 * K, 10 * K) == 90 * K);
	vma_insert(&l, 90 * K, 100 * K, 3, 0, VMA_ANON);
	CHECK(vma_find_gap(&l, 0, 100 * K, 10 * K) == 80 * K);
	vma_insert(&l, 75 * K, 85 * K, 3, 0, VMA_ANON);
	CHECK(vma_find_gap(&l, 0, 100 * K, 10 * K) == 65 * K);
	CHECK(vma_find_gap(&l, 0, 100 * K, 5 * K) == 85 * K);
	CHECK(vma_find_gap(&l, 70 * K, 100 * K, 10 * K) == 0);
	/* a region straddling hi bounds the search */
	CHECK(vma_find_gap(&l, 0, 95 * K, 5 * K) == 85 * K);
	CHECK(vma_find_gap(&l, 0, 100 * K, 200 * K) == 0);
	vma_free(&l);
}

static void vma_many_regions(void)
{
	struct vma_list l = { 0 };
	for (unsigned long i = 0; i < 1000; i++)
		CHECK(vma_insert(&l, (2 * i) * K, (2 * i + 1) * K, 3, 0, VMA_ANON) == 0);
	CHECK(l.n == 1000);
	for (int i = 1; i < l.n; i++)
		CHECK(l.v[i - 1].end <= l.v[i].start);
	CHECK(vma_find_gap(&l, 0, 2000 * K, K) == 1999 * K);
	CHECK(vma_find_gap(&l, 0, 2000 * K, 2 * K) == 0);
	vma_remove(&l, 100 * K, 1900 * K);
	CHECK(l.n == 100);
	vma_free(&l);
}

static void vma_merges_alike_neighbours(void)
{
	struct vma_list l = { 0 };
	/* an allocator mapping page after page, top-down, keeps one region */
	for (unsigned long i = 1000; i > 0; i--)
		vma_insert(&l, i * K, (i + 1) * K, 3, 0x22, VMA_ANON);
	CHECK(l.n == 1 && l.v[0].start == K && l.v[0].end == 1001 * K);
	/* a guard page splits, and re-protecting it merges again */
	vma_protect(&l, 500 * K, 501 * K, 0);
	CHECK(l.n == 3);
	vma_protect(&l, 500 * K, 501 * K, 3);
	CHECK(l.n == 1);
	/* different kinds, flags or protections stay apart */
	vma_insert(&l, 1001 * K, 1002 * K, 3, 0x22, VMA_FILE);
	vma_insert(&l, 1002 * K, 1003 * K, 1, 0x22, VMA_ANON);
	vma_insert(&l, 1003 * K, 1004 * K, 3, 0x02, VMA_ANON);
	CHECK(l.n == 4);
	vma_free(&l);
}

static void vma_usage_counts_data(void)
{
	struct vma_list l = { 0 };
	vma_insert(&l, 10 * K, 20 * K, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, VMA_ANON);
	vma_insert(&l, 20 * K, 24 * K, PROT_READ, MAP_PRIVATE, VMA_IMAGE);
	vma_insert(&l, 30 * K, 34 * K, PROT_READ | PROT_WRITE, MAP_SHARED, VMA_SHARED);
	vma_insert(&l, 40 * K, 48 * K, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, VMA_STACK);
	vma_insert(&l, 50 * K, 52 * K, PROT_READ | PROT_WRITE, MAP_PRIVATE, VMA_IMAGE);
	size_t total, data;
	vma_usage(&l, 0, 100 * K, &total, &data);
	CHECK(total == 28 * K && data == 12 * K);
	vma_usage(&l, 15 * K, 41 * K, &total, &data);	/* clipped to the range */
	CHECK(total == 14 * K && data == 5 * K);
	vma_usage(&l, 60 * K, 70 * K, &total, &data);
	CHECK(total == 0 && data == 0);
	vma_free(&l);
}

int main(void)
{
	int any_failed = 0;
	RUN(vma_merges_alike_neighbours);
	RUN(vma_insert_replaces_and_splits);
	RUN(vma_remove_middle_and_edges);
	RUN(vma_protect_splits);
	RUN(vma_covered_detects_holes);
	RUN(vma_next_finds_holder_or_follower);
	RUN(vma_find_gap_top_down);
	RUN(vma_many_regions);
	RUN(vma_usage_counts_data);
	return any_failed;
}
