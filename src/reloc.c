/*
 * reloc.c - pointer relocation, the conservative rule of µFork on x86-64.
 *
 * Without tags, a pointer is recognised by value: every aligned 8-byte word
 * whose value lies inside the parent's slot [lo, lo + size) - the whole slot,
 * mapped or not, so one-past-the-end pointers move too - is moved by the slot
 * distance `delta`.  Slots are 2^32-aligned and delta is a multiple of 2^32,
 * so the low 32 bits of every word are kept.  Limits (see ARCHITECTURE.md):
 * an integer that happens to equal such an address is rewritten too; encoded
 * pointers (mangled, XOR-ed, packed above bit 48) and hashes of full pointer
 * values are not fixed.
 *
 * With --reloc-misaligned (reloc_misaligned set), pointers stored at 2-byte
 * alignment count too: CPython 3.11's bytecode keeps object pointers in its
 * inline caches as four 16-bit code units (write_obj in pycore_code.h), at
 * any even offset.  Off by default: a 32-bit integer equal to the slot's
 * address bits 32-63 (a pid such as 8256 for slot 0x2040'00000000) after
 * any 32-bit value reads as such a pointer.  After the aligned pass,
 * copy_reloc scans the copy's 8-byte windows at byte offsets 2, 4 and 6 of
 * each word with the same rule (a block of 32 words is first tested with
 * loads and compares only, which vectorise; a block with a hit is rewritten
 * window by window).  A window that runs past the end of one call's range is
 * not looked at: a misaligned pointer straddling the end of a copied run of
 * pages is missed.
 *
 * copy_reloc is the hot loop of fork: one pass reads the parent page and
 * writes the relocated child page.  It is written so that the compiler
 * vectorises it and built once per vector ISA (AVX-512, AVX2, baseline),
 * picked at start-up.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "reloc.h"

static inline uint64_t load_at(const unsigned char *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

int reloc_misaligned;

#define BLOCK 32	/* words tested together for misaligned pointers */

/* Does any misaligned window starting in words [0, n) of w (reading up to
 * byte 8n + 6, which the caller guarantees is inside the range) lie inside
 * [lo, lo + size)? */
__attribute__((target_clones("avx512f", "avx2", "default")))
static int misaligned_any(const unsigned char *w, size_t n, uint64_t lo, uint64_t size)
{
	uint64_t any = 0;
	for (size_t i = 0; i < n; i++) {
		const unsigned char *q = w + 8 * i;
		any |= (load_at(q + 2) - lo < size) | (load_at(q + 4) - lo < size) |
		       (load_at(q + 6) - lo < size);
	}
	return any != 0;
}

/* Moves the misaligned (2-, 4- or 6-byte offset) windows of dst[0, words)
 * that lie inside the slot; returns how many. */
static size_t move_misaligned(uint64_t *dst, size_t words, uint64_t lo, uint64_t size,
			       uint64_t delta)
{
	unsigned char *d = (unsigned char *)dst;
	size_t moved = 0;
	if (words < 2)
		return 0;
	size_t last = words - 1;	/* windows of word last would leave the range */
	for (size_t b = 0; b < last; b += BLOCK) {
		size_t n = last - b < BLOCK ? last - b : BLOCK;
		if (!misaligned_any(d + 8 * b, n, lo, size))
			continue;
		for (size_t at = 8 * b + 2; at < 8 * (b + n); at += 2) {
			if (!(at & 7))
				continue;
			uint64_t v = load_at(d + at);
			if (v - lo < size) {
				v += delta;
				memcpy(d + at, &v, 8);
				moved++;
			}
		}
	}
	return moved;
}

__attribute__((target_clones("avx512f", "avx2", "default")))
static size_t copy_reloc_aligned(uint64_t *restrict dst, const uint64_t *restrict src, size_t words,
		  uint64_t lo, uint64_t size, uint64_t delta)
{
	size_t moved = 0;
	for (size_t i = 0; i < words; i++) {
		uint64_t w = src[i];
		uint64_t in = (w - lo) < size;
		dst[i] = w + (in ? delta : 0);
		moved += in;
	}
	return moved;
}

size_t copy_reloc(uint64_t *restrict dst, const uint64_t *restrict src, size_t words,
		  uint64_t lo, uint64_t size, uint64_t delta)
{
	size_t moved = copy_reloc_aligned(dst, src, words, lo, size, delta);
	return moved + (reloc_misaligned ? move_misaligned(dst, words, lo, size, delta) : 0);
}

size_t reloc_words(uint64_t *w, size_t words, uint64_t lo, uint64_t size, uint64_t delta)
{
	size_t moved = 0;
	for (size_t i = 0; i < words; i++) {
		if (w[i] - lo < size) {
			w[i] += delta;
			moved++;
		}
	}
	return moved;
}
