/* malloc: thousands of malloc/realloc/free of varied sizes, including large
 * (> 1 MiB: mmap/mremap in musl) blocks; contents verified with patterns. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SLOTS 1500
#define OPS 60000

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static size_t pick_size(void)
{
    uint64_t r = next() % 1000;
    if (r < 700) return 1 + next() % 256;          /* small */
    if (r < 950) return 257 + next() % 8000;        /* medium */
    if (r < 995) return 8192 + next() % 200000;     /* big */
    return (1u << 20) + next() % (3u << 20);        /* large: 1..4 MiB */
}

struct slot { unsigned char *p; size_t n; uint32_t seed; };
static struct slot s[SLOTS];
static int errors;
static uint64_t checksum;

static unsigned char pat(uint32_t seed, size_t i) { return (unsigned char)(seed + i * 131 + (i >> 8)); }

static void fill(struct slot *x, size_t from)
{
    for (size_t i = from; i < x->n; i++)
        x->p[i] = pat(x->seed, i);
}

static void verify(struct slot *x, size_t upto, const char *what)
{
    for (size_t i = 0; i < upto; i++)
        if (x->p[i] != pat(x->seed, i)) {
            if (errors++ < 5)
                printf("corruption after %s at byte %zu of %zu\n", what, i, x->n);
            return;
        }
    checksum = checksum * 31 + upto + (upto ? x->p[upto - 1] : 0);
}

int main(void)
{
    long nmalloc = 0, nrealloc = 0, nfree = 0, nlarge = 0, misaligned = 0;
    for (int op = 0; op < OPS; op++) {
        struct slot *x = &s[next() % SLOTS];
        if (!x->p) {
            x->n = pick_size();
            x->seed = (uint32_t)next();
            x->p = malloc(x->n);
            if (!x->p) { printf("malloc(%zu) failed\n", x->n); return 1; }
            if ((uintptr_t)x->p & 15) misaligned++;
            if (x->n > (1u << 20)) nlarge++;
            fill(x, 0);
            nmalloc++;
        } else if (next() % 3 == 0) {
            size_t old = x->n, nn = pick_size();
            verify(x, old, "before realloc");
            unsigned char *q = realloc(x->p, nn);
            if (!q) { printf("realloc(%zu) failed\n", nn); return 1; }
            x->p = q;
            x->n = nn;
            if ((uintptr_t)x->p & 15) misaligned++;
            verify(x, old < nn ? old : nn, "realloc");
            fill(x, old < nn ? old : nn);
            nrealloc++;
        } else {
            verify(x, x->n, "before free");
            free(x->p);
            x->p = NULL;
            nfree++;
        }
    }
    for (int i = 0; i < SLOTS; i++)
        if (s[i].p) {
            verify(&s[i], s[i].n, "final");
            free(s[i].p);
        }
    printf("random ops: malloc=%ld realloc=%ld free=%ld large=%s misaligned=%ld\n",
           nmalloc, nrealloc, nfree, nlarge > 10 ? ">10" : "few", misaligned);

    /* growing one block by realloc from 1 KiB to 64 MiB (mremap path) */
    struct slot g = { malloc(1024), 1024, 12345 };
    fill(&g, 0);
    int grow_ok = 1;
    while (g.n < (64u << 20)) {
        size_t old = g.n;
        g.n *= 2;
        g.p = realloc(g.p, g.n);
        if (!g.p) { grow_ok = 0; break; }
        for (size_t i = 0; i < old; i += 4093)
            if (g.p[i] != pat(g.seed, i)) grow_ok = 0;
        if (g.p[old - 1] != pat(g.seed, old - 1)) grow_ok = 0;
        fill(&g, old);
    }
    /* and shrink back */
    while (grow_ok && g.n > 1024) {
        g.n /= 2;
        g.p = realloc(g.p, g.n);
        if (!g.p || g.p[g.n - 1] != pat(g.seed, g.n - 1) || g.p[0] != pat(g.seed, 0))
            grow_ok = 0;
    }
    free(g.p);
    printf("realloc grow to 64MiB and shrink: %s\n", grow_ok ? "ok" : "FAIL");

    /* calloc zeroes, also when reusing freed dirty memory */
    int calloc_ok = 1;
    for (int r = 0; r < 50; r++) {
        size_t n = 1000 + r * 7919 + (r % 10 == 0 ? (2u << 20) : 0);
        unsigned char *d = malloc(n);
        memset(d, 0xAA, n);
        free(d);
        unsigned char *c = calloc(n, 1);
        for (size_t i = 0; i < n; i++)
            if (c[i]) { calloc_ok = 0; break; }
        free(c);
    }
    printf("calloc zeroed: %s\n", calloc_ok ? "ok" : "FAIL");
    volatile size_t big_n = SIZE_MAX / 2;
    void *ovf = calloc(big_n, 4);
    printf("calloc overflow returns NULL: %s\n", ovf == NULL ? "ok" : "FAIL");

    /* aligned allocations */
    int align_ok = 1;
    for (size_t a = 16; a <= 65536; a *= 4) {
        void *p = NULL;
        if (posix_memalign(&p, a, 3 * a + 5) || ((uintptr_t)p & (a - 1))) align_ok = 0;
        memset(p, 1, 3 * a + 5);
        void *q = aligned_alloc(a, 2 * a);
        if (!q || ((uintptr_t)q & (a - 1))) align_ok = 0;
        free(p);
        free(q);
    }
    printf("posix_memalign/aligned_alloc: %s\n", align_ok ? "ok" : "FAIL");

    /* a huge request fails cleanly */
    void *huge = malloc((size_t)1 << 50);
    printf("malloc(1<<50) fails: %s\n", huge == NULL ? "ok" : "FAIL");
    free(huge);

    printf("checksum=%016llx errors=%d\n", (unsigned long long)checksum, errors);
    return errors || !grow_ok || !calloc_ok || !align_ok;
}
