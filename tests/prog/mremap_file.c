/*
 * mremap_file: growing a private file mapping shows more of the file -
 * in place when the addresses after it are free, moved (MREMAP_MAYMOVE) when
 * they are not, to a chosen place (MREMAP_FIXED) - keeps the pages the
 * process wrote, never writes them to the file, and fails with ENOMEM when
 * it cannot grow in place and may not move.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PG 4096

static int fd;

static int page_is(const char *m, int page)	/* file page i holds 'a' + i */
{
	for (int i = 0; i < PG; i++)
		if (m[page * PG + i] != 'a' + page)
			return 0;
	return 1;
}

int main(void)
{
	char path[] = "/tmp/ufork-mremap-XXXXXX";
	fd = mkstemp(path);
	if (fd < 0)
		return 1;
	unlink(path);
	char buf[PG];
	for (int i = 0; i < 6; i++) {
		memset(buf, 'a' + i, PG);
		if (write(fd, buf, PG) != PG)
			return 1;
	}

	/* in place: reserve 4 pages, map the file's first page at the start */
	char *area = mmap(NULL, 4 * PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(area + PG, 3 * PG);
	char *m = mmap(area, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, fd, 0);
	m[0] = 'X';	/* private: stays in memory, never in the file */
	char *g = mremap(m, PG, 3 * PG, 0);
	printf("grow in place: %s\n", g == m ? "same address" : g == MAP_FAILED ? strerror(errno) : "moved");
	if (g != MAP_FAILED)
		printf("  private write kept: %s, pages 1-2 from the file: %s\n",
		       g[0] == 'X' ? "yes" : "no", page_is(g, 1) && page_is(g, 2) ? "yes" : "no");

	/* no room after it: without MAYMOVE ENOMEM, with it a move */
	char *blocker = mmap(g + 3 * PG, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	char *h = mremap(g, 3 * PG, 5 * PG, 0);
	printf("grow without room, no MAYMOVE: %s\n", h == MAP_FAILED ? strerror(errno) : "grew");
	h = mremap(g, 3 * PG, 5 * PG, MREMAP_MAYMOVE);
	printf("grow with MAYMOVE: %s\n", h == MAP_FAILED ? strerror(errno) : h == g ? "same address" : "moved");
	if (h != MAP_FAILED) {
		printf("  private write kept: %s, pages 1-4 from the file: %s\n", h[0] == 'X' ? "yes" : "no",
		       page_is(h, 1) && page_is(h, 2) && page_is(h, 3) && page_is(h, 4) ? "yes" : "no");
		h[4 * PG] = 'Y';
	}

	/* to a chosen place */
	char *dst = mmap(NULL, 6 * PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *f = mremap(h, 5 * PG, 6 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, dst);
	printf("grow with MREMAP_FIXED: %s\n", f == dst ? "at the chosen address" : f == MAP_FAILED ? strerror(errno) : "elsewhere");
	if (f != MAP_FAILED)
		printf("  writes kept: %s, page 5 from the file: %s\n",
		       f[0] == 'X' && f[4 * PG] == 'Y' ? "yes" : "no", page_is(f, 5) ? "yes" : "no");

	char c;
	pread(fd, &c, 1, 0);
	printf("file untouched: %s\n", c == 'a' ? "yes" : "no");
	if (blocker != MAP_FAILED)
		munmap(blocker, PG);
	return 0;
}
