/* limit_ptrhash_mod: a documented limit of relocation by value.  A chained
 * hash table keyed by pointer values whose hash takes the full address
 * modulo a prime ((uintptr_t)p % 1021): on Linux the child finds every key;
 * under ufork the keys moved by the slot distance but the buckets did not,
 * so the child finds none (hashes of the low 32 bits survive, see
 * tests/prog/fork_ptrhash_lowbits.c).  Run by tests/cli/relocation_limits.sh. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#define NB 1021
struct ent { const void *key; long val; struct ent *next; };
static struct ent *tab[NB];

static unsigned hash(const void *p) { return ((uintptr_t)p % NB); }

static void put(const void *p, long v)
{
    struct ent *e = malloc(sizeof *e);
    e->key = p;
    e->val = v;
    e->next = tab[hash(p)];
    tab[hash(p)] = e;
}

static struct ent *get(const void *p)
{
    for (struct ent *e = tab[hash(p)]; e; e = e->next)
        if (e->key == p)
            return e;
    return NULL;
}

static int del(const void *p)
{
    for (struct ent **pp = &tab[hash(p)]; *pp; pp = &(*pp)->next)
        if ((*pp)->key == p) {
            struct ent *e = *pp;
            *pp = e->next;
            free(e);
            return 1;
        }
    return 0;
}

#define NOBJ 3000
static long globals[64];

int main(void)
{
    long locals[16];
    void **objs = malloc(NOBJ * sizeof *objs);
    for (int i = 0; i < NOBJ; i++) {
        objs[i] = malloc(8 + i % 100);
        put(objs[i], i);
    }
    for (int i = 0; i < 64; i++)
        put(&globals[i], 10000 + i);
    for (int i = 0; i < 16; i++)
        put(&locals[i], 20000 + i);
    fflush(stdout);

    pid_t pid = fork();
    const char *who = pid == 0 ? "child" : "parent";
    if (pid > 0) {
        int st;
        waitpid(pid, &st, 0);
        printf("limit_ptrhash_mod: child exit status %d\n", WEXITSTATUS(st));
    }
    long found = 0, right = 0;
    for (int i = 0; i < NOBJ; i++) {
        struct ent *e = get(objs[i]);
        found += e != NULL;
        right += e && e->val == i;
    }
    printf("limit_ptrhash_mod: %s heap keys found %ld/%d, values right %ld\n", who, found, NOBJ, right);
    found = 0;
    for (int i = 0; i < 64; i++)
        found += get(&globals[i]) && get(&globals[i])->val == 10000 + i;
    for (int i = 0; i < 16; i++)
        found += get(&locals[i]) && get(&locals[i])->val == 20000 + i;
    printf("limit_ptrhash_mod: %s global+stack keys found %ld/80\n", who, found);
    if (pid == 0) {
        int deleted = 0;
        for (int i = 0; i < NOBJ; i += 2)
            deleted += del(objs[i]);
        void *fresh = malloc(32);
        put(fresh, -1);
        long left = 0;
        for (int i = 0; i < NOBJ; i++)
            left += get(objs[i]) != NULL;
        printf("limit_ptrhash_mod: child deleted %d, %ld left, fresh key found=%d\n", deleted, left,
               get(fresh) != NULL && get(fresh)->val == -1);
        fflush(stdout);
        _exit(found == 80 ? 0 : 1);
    }
    return 0;
}
