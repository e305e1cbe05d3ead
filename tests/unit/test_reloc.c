/* Unit tests of reloc.c: the conservative rule at its boundaries. */
#include <stdlib.h>
#include <string.h>

#include "../../src/reloc.h"
#include "unit.h"

#define LO 0x104000000000UL
#define SIZE (4UL << 30)
#define DELTA (1UL << 32)

static void reloc_boundaries(void)
{
	uint64_t src[] = { LO - 1, LO, LO + 8, LO + SIZE - 1, LO + SIZE, 0, 42,
			   0xffffffffffffffffUL, LO + 0x1234 };
	uint64_t dst[sizeof src / 8];
	size_t n = copy_reloc(dst, src, sizeof src / 8, LO, SIZE, DELTA);
	CHECK(n == 4);
	CHECK(dst[0] == LO - 1);
	CHECK(dst[1] == LO + DELTA);
	CHECK(dst[2] == LO + 8 + DELTA);
	CHECK(dst[3] == LO + SIZE - 1 + DELTA);
	CHECK(dst[4] == LO + SIZE);	/* one past the slot: not ours */
	CHECK(dst[5] == 0 && dst[6] == 42 && dst[7] == 0xffffffffffffffffUL);
	CHECK((dst[8] & 0xffffffffUL) == ((LO + 0x1234) & 0xffffffffUL)); /* low bits kept */
}

static void reloc_negative_delta(void)
{
	uint64_t w[] = { LO + DELTA + 16, LO + 16 };
	/* moving from the higher slot down: delta wraps around */
	size_t n = reloc_words(w, 2, LO + DELTA, SIZE, (uint64_t)0 - DELTA);
	CHECK(n == 1 && w[0] == LO + 16 && w[1] == LO + 16);
}

static void reloc_large_buffer_matches_scalar(void)
{
	size_t words = 1 << 20;
	uint64_t *src = malloc(words * 8), *dst = malloc(words * 8), *ref = malloc(words * 8);
	uint64_t x = 88172645463325252UL;
	size_t expect = 0;
	for (size_t i = 0; i < words; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		src[i] = (i % 3 == 0) ? LO + (x % (SIZE + 100)) : x;
		ref[i] = src[i];
		if (ref[i] - LO < SIZE) {
			ref[i] += DELTA;
			expect++;
		}
	}
	CHECK(copy_reloc(dst, src, words, LO, SIZE, DELTA) == expect);
	CHECK(memcmp(dst, ref, words * 8) == 0);
	CHECK(reloc_words(src, words, LO, SIZE, DELTA) == expect);
	CHECK(memcmp(src, ref, words * 8) == 0);
	free(src);
	free(dst);
	free(ref);
}

static void reloc_misaligned_windows(void)
{
	/* pointers at byte offsets 2, 4 and 6 (CPython's 16-bit code units),
	 * one straddling into the last word, and one running past the end */
	unsigned char src[8 * 8] = { 0 }, dst[sizeof src];
	uint64_t p[] = { LO + 0x10, LO + 0x20, LO + 0x30, LO + 0x40, LO + 0x50 };
	size_t at[] = { 2, 12, 22, 50, 58 };
	for (int k = 0; k < 5; k++)
		memcpy(src + at[k], &p[k], 8 - (at[k] + 8 > sizeof src ? at[k] + 8 - sizeof src : 0));
	CHECK(copy_reloc((uint64_t *)dst, (const uint64_t *)src, 8, LO, SIZE, DELTA) == 0);
	CHECK(memcmp(dst, src, sizeof src) == 0);	/* off by default */
	reloc_misaligned = 1;
	size_t n = copy_reloc((uint64_t *)dst, (const uint64_t *)src, 8, LO, SIZE, DELTA);
	reloc_misaligned = 0;
	CHECK(n == 4);
	for (int k = 0; k < 4; k++) {
		uint64_t v;
		memcpy(&v, dst + at[k], 8);
		CHECK(v == p[k] + DELTA);
	}
	CHECK(memcmp(dst + 58, src + 58, 6) == 0);	/* past the range: left alone */
}

int main(void)
{
	int any_failed = 0;
	RUN(reloc_boundaries);
	RUN(reloc_negative_delta);
	RUN(reloc_large_buffer_matches_scalar);
	RUN(reloc_misaligned_windows);
	return any_failed;
}
