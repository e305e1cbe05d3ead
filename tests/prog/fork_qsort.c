/* fork_qsort: the child sorts with qsort (comparator function pointers
 * picked from a table) an array of pointers to records built by the parent,
 * and looks records up with bsearch; the parent's order is untouched. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

struct rec { char name[16]; int score; struct rec *self; };

static int by_score(const void *a, const void *b)
{
    const struct rec *x = *(struct rec *const *)a, *y = *(struct rec *const *)b;
    if (x->score != y->score)
        return x->score < y->score ? -1 : 1;
    return strcmp(x->name, y->name);
}
static int by_name(const void *a, const void *b)
{
    return strcmp((*(struct rec *const *)a)->name, (*(struct rec *const *)b)->name);
}
static int by_addr(const void *a, const void *b)
{
    uintptr_t x = (uintptr_t)*(struct rec *const *)a, y = (uintptr_t)*(struct rec *const *)b;
    return x < y ? -1 : x > y;
}
static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

static const struct { const char *name; int (*cmp)(const void *, const void *); } cmps[] = {
    { "score", by_score }, { "name", by_name }, { "addr", by_addr },
};

#define N 5000
static struct rec *recs[N];

static void show(const char *who)
{
    unsigned long h = 0;
    int selfok = 1;
    for (int i = 0; i < N; i++) {
        h = h * 31 + recs[i]->score;
        selfok &= recs[i]->self == recs[i];
    }
    printf("fork_qsort: %s first=%s/%d last=%s/%d order-hash=%lu selfok=%d\n", who, recs[0]->name,
           recs[0]->score, recs[N - 1]->name, recs[N - 1]->score, h, selfok);
}

int main(void)
{
    uint32_t x = 2463534242u;
    for (int i = 0; i < N; i++) {
        recs[i] = malloc(sizeof *recs[i]);
        x ^= x << 13; x ^= x >> 17; x ^= x << 5;
        snprintf(recs[i]->name, sizeof recs[i]->name, "r%05u", x % 100000);
        recs[i]->score = x % 1000;
        recs[i]->self = recs[i];
    }
    show("parent-initial");
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        for (int c = 0; c < 3; c++) {
            qsort(recs, N, sizeof recs[0], cmps[c].cmp);
            int sorted = 1;
            for (int i = 1; i < N; i++)
                sorted &= cmps[c].cmp(&recs[i - 1], &recs[i]) <= 0;
            if (c < 2) /* address order is layout-dependent: not shown */
                show(cmps[c].name);
            printf("fork_qsort: child sorted by %s: %s\n", cmps[c].name, sorted ? "ok" : "NOT SORTED");
        }
        qsort(recs, N, sizeof recs[0], by_name);
        struct rec key = { .score = 0 }, *kp = &key;
        int found = 0;
        for (int i = 0; i < N; i += 7) {
            strcpy(key.name, recs[i]->name);
            struct rec **r = bsearch(&kp, recs, N, sizeof recs[0], by_name);
            found += r && strcmp((*r)->name, key.name) == 0;
        }
        printf("fork_qsort: child bsearch found %d of %d\n", found, (N + 6) / 7);
        int *ints = malloc(N * sizeof *ints);
        for (int i = 0; i < N; i++)
            ints[i] = recs[i]->score * 7 % 1013;
        qsort(ints, N, sizeof *ints, cmp_int);
        printf("fork_qsort: child ints min=%d max=%d median=%d\n", ints[0], ints[N - 1], ints[N / 2]);
        fflush(stdout);
        _exit(0);
    }
    int st;
    waitpid(pid, &st, 0);
    printf("fork_qsort: child status %d\n", st);
    show("parent-after");
    return 0;
}
