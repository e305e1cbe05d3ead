/*
 * fork_heap_rounds: fork after fork of a parent whose heap changes between
 * forks - buffers of 300 KiB to 6 MiB come and go, some touched only every
 * third page, and a linked list threads through all of them.  Each child
 * checks the digest of every buffer (untouched pages read as zero) and walks
 * the list (its pointers point into its own copy), then scribbles over its
 * copy before it exits, so that the next child's memory must not show it.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define NBUF 6
#define PAGE 4096

struct node {
	struct node *next;
	uint64_t value;
};

static unsigned char *buf[NBUF];
static size_t len[NBUF];
static struct node *head;
static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* Of everything but the list nodes (their pointers move in the child). */
static uint64_t digest(void)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (int b = 0; b < NBUF; b++)
		for (size_t i = 0; i < len[b]; i += 8) {
			if (i % PAGE < sizeof(struct node))
				continue;
			uint64_t w;
			memcpy(&w, buf[b] + i, 8);
			h = (h ^ w) * 0x100000001b3ULL;
		}
	return h;
}

static uint64_t walk(int *count)
{
	uint64_t sum = 0;
	*count = 0;
	for (struct node *n = head; n; n = n->next) {
		sum += n->value;
		++*count;
	}
	return sum;
}

/* Buffer b gets a new size and contents: dense, or every third page. */
static void refill(int b, int round)
{
	free(buf[b]);
	len[b] = (300UL << 10) + (next_rand() % (6UL << 20)) / PAGE * PAGE;
	buf[b] = calloc(1, len[b]);	/* fresh pages from malloc's mmap: zero */
	if (!buf[b])
		exit(90);
	int sparse = (b + round) % 2;
	for (size_t i = 0; i + sizeof(struct node) <= len[b]; i += PAGE) {
		if (sparse && (i / PAGE) % 3)
			continue;
		for (size_t k = 0; k < 64; k += 8) {
			uint64_t w = next_rand();
			memcpy(buf[b] + i + 256 + k, &w, 8);
		}
		struct node *n = (struct node *)(buf[b] + i);	/* one per touched page */
		n->value = next_rand() & 0xffff;
		n->next = head;
		head = n;
	}
}

/* Drops the list nodes that lie in buffer b (it is about to be freed). */
static void unlink_buf(int b)
{
	for (struct node **pp = &head; *pp;) {
		unsigned char *a = (unsigned char *)*pp;
		if (a >= buf[b] && a < buf[b] + len[b])
			*pp = (*pp)->next;
		else
			pp = &(*pp)->next;
	}
}

int main(void)
{
	for (int b = 0; b < NBUF; b++)
		refill(b, 0);
	for (int round = 0; round < 16; round++) {
		int b = round % NBUF;
		unlink_buf(b);
		refill(b, round);
		uint64_t want = digest();
		int count;
		uint64_t sum = walk(&count);
		pid_t pid = fork();
		if (pid < 0)
			return 1;
		if (pid == 0) {
			int c;
			int ok = (digest() == want) + 2 * (walk(&c) == sum && c == count);
			for (int k = 0; k < NBUF; k++)	/* scribble everywhere */
				for (size_t i = 128; i < len[k]; i += PAGE / 2)
					buf[k][i] = 0xa5;
			_exit(ok);
		}
		int st;
		if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
			return 2;
		printf("round %2d: %d nodes, child digest %s, list %s\n", round, count,
		       WEXITSTATUS(st) & 1 ? "same" : "DIFFERENT",
		       WEXITSTATUS(st) & 2 ? "same" : "DIFFERENT");
	}
	return 0;
}
