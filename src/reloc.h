/* reloc.h - pointer relocation (reloc.c); kept apart so unit tests need nothing else. */
#ifndef UFORK_RELOC_H
#define UFORK_RELOC_H

#include <stddef.h>
#include <stdint.h>

extern int reloc_misaligned;	/* --reloc-misaligned */
/* Copies `words` words from src to dst, moving each value in [lo, lo+size)
 * by delta: aligned 8-byte words, and with reloc_misaligned set also 8-byte
 * windows at 2-byte alignment within the range; returns how many were
 * moved.  dst and src must not overlap. */
size_t copy_reloc(uint64_t *restrict dst, const uint64_t *restrict src, size_t words,
		  uint64_t lo, uint64_t size, uint64_t delta);
/* The same in place (registers, XSAVE images, small runtime records). */
size_t reloc_words(uint64_t *w, size_t words, uint64_t lo, uint64_t size, uint64_t delta);

#endif
