#define _GNU_SOURCE
/*
 * Large heaps across fork, each side touching them in its own way after the
 * fork (what copy-on-access must get right, and full copy too): a linked
 * list through a 16 MB region, values the parent changes after the fork,
 * pages the kernel writes (read(2)) and reads (write(2)) before the process
 * touches them, munmap + MAP_FIXED, MADV_DONTNEED, mremap moves, a
 * grandchild, forks one after another and while a child still runs, a
 * hole and protection changes in a large region between forks, a region
 * that grows by a neighbouring mapping and loses its top between forks, and a
 * thread that writes while its process forks.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define N (16 << 20)
#define PG 4096

struct node {
	struct node *next;
	long val;
	char pad[PG - 16];	/* one node per page */
};

static struct node *list;
static int nnodes = N / PG;

static long walk(struct node *n)
{
	long sum = 0, k = 0;
	for (; n; n = n->next, k++)
		sum = sum * 31 + n->val;
	return sum ^ k;
}

static void check(int ok, const char *what)
{
	printf("%s: %s\n", what, ok ? "ok" : "WRONG");
	fflush(stdout);
}

static int wait_child(pid_t pid)
{
	int st;
	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static volatile int spin_go = 1;
static void *writer(void *arg)
{
	long *q = arg;
	while (spin_go)
		for (int i = 0; i < 1024; i++)
			q[i * (PG / 8)]++;
	return NULL;
}

int main(void)
{
	list = mmap(NULL, N, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (list == MAP_FAILED)
		return 1;
	for (int i = 0; i < nnodes; i++)
		list[i].val = i * 7 + 1;
	for (int i = 0; i < nnodes - 1; i++)	/* in a shuffled order */
		list[(i * 97) % nnodes].next = &list[((i + 1) * 97) % nnodes];
	list[((nnodes - 1) * 97) % nnodes].next = NULL;
	long before = walk(list);
	char *big = malloc(8 << 20);	/* malloc'd: brk or mmap, as musl likes */
	for (int i = 0; i < (8 << 20); i += PG)
		big[i] = (char)(i / PG);

	/* 1: the parent changes everything after the fork, before the child looks */
	int go[2], res[2];
	if (pipe(go) || pipe(res))
		return 1;
	pid_t pid = fork();
	if (pid == 0) {
		char c;
		if (read(go[0], &c, 1) != 1)
			_exit(2);
		long s = walk(list);
		int bigok = 1;
		for (int i = 0; i < (8 << 20); i += PG)
			bigok &= big[i] == (char)(i / PG);
		_exit(s == before && bigok ? 0 : 3);
	}
	for (int i = 0; i < nnodes; i++)
		list[i].val = -1;
	for (int i = 0; i < (8 << 20); i += PG)
		big[i] = 0;
	if (write(go[1], "x", 1) != 1)
		return 1;
	check(wait_child(pid) == 0, "child sees the memory of the fork, parent's later writes not");
	for (int i = 0; i < nnodes; i++)
		list[i].val = i * 7 + 1;	/* back as it was */
	for (int i = 0; i < (8 << 20); i += PG)
		big[i] = (char)(i / PG);

	/* 2: the kernel writes into and reads from untouched pages */
	pid = fork();
	if (pid == 0) {
		char *dst = (char *)&list[100] + 64;	/* untouched since the fork */
		if (read(res[0], dst, 300) != 300)
			_exit(2);
		char *src = (char *)&list[200];	/* a page the child never touched */
		if (write(go[1], src, PG) != PG)
			_exit(3);
		struct node *sn = list[200].next;	/* and it was relocated */
		if (sn && (uintptr_t)sn - (uintptr_t)list >= N)
			_exit(5);
		struct node *nx = list[100].next;	/* same page, before dst */
		int inside = !nx || (uintptr_t)nx - (uintptr_t)list < N;
		_exit(dst[0] == 'a' && dst[299] == 'a' && inside && list[100].val == 701 ? 0 : 4);
	}
	char msg[300];
	memset(msg, 'a', sizeof msg);
	if (write(res[1], msg, sizeof msg) != (ssize_t)sizeof msg)
		return 1;
	struct node got;
	ssize_t n = 0;
	while (n < PG) {
		ssize_t k = read(go[0], (char *)&got + n, PG - n);
		if (k <= 0)
			break;
		n += k;
	}
	check(wait_child(pid) == 0, "read(2) into a page the child had not touched");
	check(n == PG && got.val == list[200].val, "write(2) from an untouched page");

	/* 3: munmap + MAP_FIXED, MADV_DONTNEED, mremap in the child */
	pid = fork();
	if (pid == 0) {
		int ok = 1;
		char *mid = (char *)list + (4 << 20);
		if (munmap(mid, 1 << 20))
			_exit(2);
		char *again = mmap(mid, 1 << 20, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
		ok &= again == mid;
		for (int i = 0; i < (1 << 20); i += PG)
			ok &= again[i] == 0;
		char *z = (char *)list + (8 << 20);
		madvise(z, 1 << 20, MADV_DONTNEED);
		for (int i = 0; i < (1 << 20); i += PG)
			ok &= z[i] == 0;
		struct node *tail = &list[(12 << 20) / PG];
		long v = tail[5].val;
		struct node *nx = tail[5].next;
		struct node *moved = mremap(tail, 4 << 20, 8 << 20, MREMAP_MAYMOVE);
		ok &= moved != MAP_FAILED && moved[5].val == v && moved[5].next == nx;
		ok &= list[3].val == 3 * 7 + 1;
		_exit(ok ? 0 : 3);
	}
	check(wait_child(pid) == 0, "munmap, MAP_FIXED, MADV_DONTNEED and mremap in the child");
	check(walk(list) == before, "the parent's list is whole after that child");

	/* 4: a grandchild, and the parent forking while a child still runs */
	pid = fork();
	if (pid == 0) {
		pid_t g = fork();
		if (g == 0)
			_exit(walk(list) == before ? 0 : 3);
		int gs = wait_child(g);
		_exit(gs == 0 && walk(list) == before ? 0 : 4);
	}
	pid_t second = fork();
	if (second == 0)
		_exit(walk(list) == before ? 0 : 3);
	check(wait_child(second) == 0, "a fork while another child runs");
	check(wait_child(pid) == 0, "a grandchild");

	/* 5: the parent discards memory between forks */
	madvise(big, 1 << 20, MADV_DONTNEED);
	pid = fork();
	if (pid == 0) {
		int ok = 1;
		for (int i = 0; i < (8 << 20); i += PG)
			ok &= big[i] == (i < (1 << 20) ? 0 : (char)(i / PG));
		_exit(ok && walk(list) == before ? 0 : 3);
	}
	check(wait_child(pid) == 0, "pages the parent discarded read as zero in the child");

	/* 6: forks in a row, each child gone before the next fork */
	int rounds_ok = 1;
	for (int r = 0; r < 5; r++) {
		list[r].val += 1000;
		long want = walk(list);
		pid = fork();
		if (pid == 0)
			_exit(walk(list) == want ? 0 : 3);
		rounds_ok &= wait_child(pid) == 0;
		rounds_ok &= walk(list) == want;
	}
	check(rounds_ok, "five forks in a row");
	for (int r = 0; r < 5; r++)
		list[r].val -= 1000;

	/* 6b: between two forks (the child before gone), the parent unmaps a
	 * page of a large region, makes another read-only and writes a third:
	 * the next child sees just that */
	pid = fork();
	if (pid == 0)
		_exit(0);
	wait_child(pid);
	char *hole = big + (3 << 20), *ro = big + (4 << 20), *w = big + (5 << 20);
	munmap(hole, PG);
	mprotect(ro, PG, PROT_READ);
	w[1] = 42;
	pid = fork();
	if (pid == 0) {
		int ok = ro[0] == (char)((4 << 20) / PG) && w[1] == 42 &&
			 w[0] == (char)((5 << 20) / PG) && hole[PG] == (char)((3 << 20) / PG + 1);
		void *m = mmap(hole, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
			       -1, 0);
		ok &= m == hole;	/* the hole is still one */
		unsigned char vec;
		ok &= mincore(ro, PG, &vec) == 0;
		_exit(ok ? 0 : 3);
	}
	check(wait_child(pid) == 0, "a hole, a read-only page and a write between forks");
	mprotect(ro, PG, PROT_READ | PROT_WRITE);

	/* 6c: a region read-only at one fork, written after it, then forked
	 * again (the staging range it goes back through was read-only) */
	char *rdo = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	for (int i = 0; i < (1 << 20); i += PG)
		rdo[i] = (char)(i / PG + 1);
	mprotect(rdo, 1 << 20, PROT_READ);
	pid = fork();
	if (pid == 0)
		_exit(rdo[PG] == 2 ? 0 : 3);
	int rdo_ok = wait_child(pid) == 0;
	mprotect(rdo, 1 << 20, PROT_READ | PROT_WRITE);
	rdo[0] = 99;
	pid = fork();
	if (pid == 0)
		_exit(rdo[0] == 99 && rdo[PG] == 2 && rdo[(1 << 20) - PG] == (char)(256) ? 0 : 3);
	check(rdo_ok && wait_child(pid) == 0 && rdo[0] == 99,
	      "a read-only region written between forks");

	/* 6d: between two forks, a region grows by a mapping next to it and
	 * loses its top; pointers go both ways between the old and new parts */
	size_t glen = 2 << 20, add = 512 << 10;
	char *g = mmap(NULL, glen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	for (size_t i = 0; i < glen; i += PG)
		g[i + 8] = (char)(i / PG + 3);
	pid = fork();
	if (pid == 0)
		_exit(0);
	int g_ok = wait_child(pid) == 0;
	char *below = mmap(g - add, add, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (below == g - add) {
		for (size_t i = 0; i < add; i += PG)
			*(char **)(below + i) = g + i;	/* new -> old */
		for (size_t i = 0; i < add; i += PG)
			*(char **)(g + i) = below + i;	/* old -> new */
		munmap(g + glen - (64 << 10), 64 << 10);
		pid = fork();
		if (pid == 0) {
			int ok = 1;
			for (size_t i = 0; i < add; i += PG)
				ok &= *(char **)(below + i) == g + i && *(char **)(g + i) == below + i &&
				      g[i + 8] == (char)(i / PG + 3);
			for (size_t i = add; i < glen - (64 << 10); i += PG)
				ok &= g[i + 8] == (char)(i / PG + 3);
			void *m = mmap(g + glen - PG, PG, PROT_READ,
				       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
			ok &= m == g + glen - PG;	/* the trimmed top is gone */
			_exit(ok ? 0 : 3);
		}
		g_ok &= wait_child(pid) == 0;
	}
	check(g_ok, "a region grown next to it and trimmed between forks");

	/* 7: a thread writes while its process forks */
	long *q = &list[512].val;	/* (not the next pointers) */
	pthread_t th;
	if (pthread_create(&th, NULL, writer, q))
		return 1;
	usleep(1000);
	pid = fork();
	if (pid == 0) {
		int ok = walk(list) != 0;	/* (values change: only its shape counts) */
		struct node *n = list;
		int k = 0;
		for (; n; n = n->next)
			k++;
		_exit(ok && k == nnodes ? 0 : 3);
	}
	spin_go = 0;
	pthread_join(th, NULL);
	check(wait_child(pid) == 0, "fork while a thread writes");
	return 0;
}
