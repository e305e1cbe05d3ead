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
 * copy_reloc is the hot loop of fork: one pass reads the parent page and
 * writes the relocated child page.  It is written so that the compiler
 * vectorises it and built once per vector ISA (AVX-512, AVX2, baseline),
 * picked at start-up.
 */
#include <stddef.h>
#include <stdint.h>

#include "reloc.h"

__attribute__((target_clones("avx512f", "avx2", "default")))
size_t copy_reloc(uint64_t *restrict dst, const uint64_t *restrict src, size_t words,
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
