/* fork_malloc_churn: a heap that went through thousands of malloc, realloc
 * and free calls of mixed sizes (small, medium and large mmap-backed blocks)
 * is intact in the child: contents check out, every block can be freed and
 * reallocated, and malloc keeps working after heavy churn in the child. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define N 4000
struct blk { struct blk *self; size_t size; unsigned tag; unsigned char data[]; };
static struct blk *slots[N];
static uint64_t rng = 88172645463325252ULL;
static uint64_t xs(void) { rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17; return rng; }

static size_t pick_size(void)
{
    uint64_t r = xs() % 100;
    if (r < 70) return xs() % 200;
    if (r < 95) return 200 + xs() % 8000;
    return 100000 + xs() % 400000;       /* mmap-sized */
}

static struct blk *mk(size_t size, unsigned tag)
{
    struct blk *b = malloc(sizeof *b + size);
    if (!b) return NULL;
    b->self = b;
    b->size = size;
    b->tag = tag;
    for (size_t i = 0; i < size; i++)
        b->data[i] = (unsigned char)(tag * 31 + i);
    return b;
}

static int ok(struct blk *b)
{
    if (b->self != b) return 0;
    for (size_t i = 0; i < b->size; i += 1 + i / 64)
        if (b->data[i] != (unsigned char)(b->tag * 31 + i)) return 0;
    return 1;
}

static void churn(int rounds, unsigned tagbase)
{
    for (int r = 0; r < rounds; r++) {
        int i = xs() % N;
        if (slots[i] && xs() % 4 == 0) {
            /* realloc keeps the prefix; the block may move */
            size_t ns = pick_size();
            struct blk *b = realloc(slots[i], sizeof *b + ns);
            if (!b) continue;
            b->self = b;
            size_t old = b->size;
            b->size = ns;
            for (size_t k = old; k < ns; k++)
                b->data[k] = (unsigned char)(b->tag * 31 + k);
            slots[i] = b;
        } else {
            free(slots[i]);
            slots[i] = mk(pick_size(), tagbase + r);
        }
    }
}

static void report(const char *who)
{
    long live = 0, bad = 0;
    uint64_t bytes = 0;
    for (int i = 0; i < N; i++)
        if (slots[i]) {
            live++;
            bytes += slots[i]->size;
            bad += !ok(slots[i]);
        }
    printf("fork_malloc_churn: %s live=%ld bytes=%llu bad=%ld\n", who, live,
           (unsigned long long)bytes, bad);
}

int main(void)
{
    churn(20000, 0);
    /* free about half to leave holes */
    for (int i = 0; i < N; i += 2) { free(slots[i]); slots[i] = NULL; }
    report("parent");
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) return 1;
    if (pid == 0) {
        report("child");
        churn(20000, 100000);
        report("child-churned");
        for (int i = 0; i < N; i++) { free(slots[i]); slots[i] = NULL; }
        /* one big allocation after freeing everything */
        char *big = malloc(8 << 20);
        memset(big, 0x5a, 8 << 20);
        long s = 0;
        for (int i = 0; i < (8 << 20); i += 4096) s += big[i];
        free(big);
        printf("fork_malloc_churn: child freed all, big block sum=%ld\n", s);
        fflush(stdout);
        _exit(0);
    }
    int st;
    waitpid(pid, &st, 0);
    printf("fork_malloc_churn: child exited %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st));
    report("parent-after");
    churn(5000, 200000);
    report("parent-churned");
    return 0;
}
