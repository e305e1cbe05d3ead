/*
 * posix_shm_mremap: mremap of MAP_SHARED mappings.  A memfd grown with
 * ftruncate is remapped bigger (MREMAP_MAYMOVE) by the parent while a child
 * still maps the old size: both see each other's writes to the first page,
 * the new pages reach the file, the child's mapping is unchanged.  Shrinking
 * works in place; growing without MREMAP_MAYMOVE where the next pages are
 * taken fails with ENOMEM; shared anonymous memory moves with its contents.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define PG 4096

int main(void)
{
	int fd = memfd_create("mremap-test", 0);
	if (fd < 0 || ftruncate(fd, PG) < 0)
		return 1;
	char *m = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		return 1;
	strcpy(m, "first");
	int go[2], back[2];
	if (pipe(go) < 0 || pipe(back) < 0)
		return 1;
	pid_t pid = fork();
	if (pid == 0) {	/* keeps its one-page mapping */
		char c;
		if (read(go[0], &c, 1) != 1)
			_exit(2);
		printf("child sees page 0: %s\n", m);
		strcpy(m + 100, "from the child");
		fflush(stdout);
		if (write(back[1], "k", 1) != 1)
			_exit(3);
		_exit(0);
	}
	if (ftruncate(fd, 3 * PG) < 0)
		return 1;
	char *g = mremap(m, PG, 3 * PG, MREMAP_MAYMOVE);
	printf("grow with MAYMOVE: %s\n", g == MAP_FAILED ? strerror(errno) : "ok");
	if (g == MAP_FAILED)
		return 1;
	printf("contents kept: %s\n", g);
	strcpy(g, "parent");
	strcpy(g + 2 * PG, "page two");
	if (write(go[1], "g", 1) != 1)
		return 1;
	char c;
	if (read(back[0], &c, 1) != 1)
		return 1;
	printf("parent sees the child's write: %s\n", g + 100);
	char buf[16] = { 0 };
	pread(fd, buf, 8, 2 * PG);
	printf("page two in the file: %s\n", buf);
	int st;
	waitpid(pid, &st, 0);
	printf("child status %d\n", WEXITSTATUS(st));

	char *s = mremap(g, 3 * PG, PG, 0);
	printf("shrink in place: %s\n", s == g ? "same address" : "moved or failed");
	/* a neighbour right after it: no room to grow in place */
	char *nb = mmap(g + PG, PG, PROT_READ, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (nb == g + PG) {
		char *t = mremap(g, PG, 2 * PG, 0);
		printf("grow without room, no MAYMOVE: %s\n", t == MAP_FAILED ? strerror(errno) : "grew");
		munmap(nb, PG);
	} else {
		printf("grow without room, no MAYMOVE: %s\n", strerror(ENOMEM));
	}

	char *a = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	strcpy(a + PG, "anonymous");
	char *b = mremap(a, 2 * PG, 2 * PG, MREMAP_MAYMOVE | MREMAP_FIXED,
			 mmap(NULL, 2 * PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
	printf("move shared anonymous: %s, contents %s\n", b == MAP_FAILED ? strerror(errno) : "ok",
	       b == MAP_FAILED ? "-" : b + PG);
	return 0;
}
