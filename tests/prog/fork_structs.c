/* fork_structs: pointer-rich heap structures survive fork in the child:
 * a doubly linked list, a binary search tree with parent pointers and a
 * chained hash table keyed by strings.  The child walks them, checks every
 * back pointer, and modifies them (insert/delete) through the copied
 * pointers; the parent's copies are unchanged. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

struct lnode { struct lnode *prev, *next; long v; };
struct tnode { struct tnode *l, *r, *up; long key; };
struct hent { struct hent *next; char *key; long val; };

#define NB 97
static struct hent *buckets[NB];
static struct lnode *head, *tail;
static struct tnode *root;

static unsigned hash_str(const char *s)
{
    unsigned h = 5381;
    while (*s)
        h = h * 33 + (unsigned char)*s++;
    return h % NB;
}

static void list_push(long v)
{
    struct lnode *n = calloc(1, sizeof *n);
    n->v = v;
    n->prev = tail;
    if (tail)
        tail->next = n;
    else
        head = n;
    tail = n;
}

static void tree_insert(long key)
{
    struct tnode **pp = &root, *up = NULL;
    while (*pp) {
        up = *pp;
        pp = key < up->key ? &up->l : &up->r;
    }
    struct tnode *n = calloc(1, sizeof *n);
    n->key = key;
    n->up = up;
    *pp = n;
}

static void hash_put(const char *k, long v)
{
    struct hent *e = malloc(sizeof *e);
    e->key = strdup(k);
    e->val = v;
    unsigned b = hash_str(k);
    e->next = buckets[b];
    buckets[b] = e;
}

static long *hash_get(const char *k)
{
    for (struct hent *e = buckets[hash_str(k)]; e; e = e->next)
        if (strcmp(e->key, k) == 0)
            return &e->val;
    return NULL;
}

/* walk the list both ways, checking links */
static void list_check(const char *who)
{
    long sum = 0, n = 0, bad = 0;
    struct lnode *prev = NULL;
    for (struct lnode *p = head; p; p = p->next) {
        if (p->prev != prev)
            bad++;
        sum += p->v;
        n++;
        prev = p;
    }
    if (prev != tail)
        bad++;
    long rsum = 0;
    for (struct lnode *p = tail; p; p = p->prev)
        rsum += p->v;
    printf("fork_structs: %s list n=%ld sum=%ld rsum=%ld %s\n", who, n, sum, rsum,
           bad == 0 && sum == rsum ? "ok" : "BAD");
}

static long tree_walk(struct tnode *t, struct tnode *up, long *n, long *bad, long *prevkey)
{
    if (!t)
        return 0;
    if (t->up != up)
        (*bad)++;
    long s = tree_walk(t->l, t, n, bad, prevkey);
    if (t->key < *prevkey)
        (*bad)++;
    *prevkey = t->key;
    (*n)++;
    return s + t->key + tree_walk(t->r, t, n, bad, prevkey);
}

static void tree_check(const char *who)
{
    long n = 0, bad = 0, prevkey = -1;
    long sum = tree_walk(root, NULL, &n, &bad, &prevkey);
    printf("fork_structs: %s tree n=%ld sum=%ld %s\n", who, n, sum, bad ? "BAD" : "ok");
}

static void hash_check(const char *who)
{
    long found = 0, sum = 0;
    char k[32];
    for (int i = 0; i < 2000; i++) {
        snprintf(k, sizeof k, "key-%d", i);
        long *v = hash_get(k);
        if (v) {
            found++;
            sum += *v;
        }
    }
    printf("fork_structs: %s hash found=%ld sum=%ld\n", who, found, sum);
}

int main(void)
{
    for (long i = 0; i < 3000; i++)
        list_push(i * 7 % 1000);
    unsigned x = 12345;
    for (int i = 0; i < 3000; i++) {
        x = x * 1103515245 + 12345;
        tree_insert((x >> 8) % 100000);
    }
    char k[32];
    for (int i = 0; i < 1500; i++) {
        snprintf(k, sizeof k, "key-%d", i);
        hash_put(k, i * 2);
    }
    list_check("parent");
    tree_check("parent");
    hash_check("parent");
    fflush(stdout);

    pid_t pid = fork();
    if (pid < 0)
        return 1;
    if (pid == 0) {
        list_check("child");
        tree_check("child");
        hash_check("child");
        /* modify through the copied pointers */
        struct lnode *mid = head;
        for (int i = 0; i < 1500; i++)
            mid = mid->next;
        mid->prev->next = mid->next;   /* unlink the middle node */
        mid->next->prev = mid->prev;
        free(mid);
        for (long i = 0; i < 10; i++)
            list_push(100000 + i);
        for (int i = 0; i < 100; i++)
            tree_insert(200000 + i);
        for (int i = 1500; i < 1600; i++) {
            snprintf(k, sizeof k, "key-%d", i);
            hash_put(k, 1);
        }
        *hash_get("key-7") = 1000000;
        list_check("child-modified");
        tree_check("child-modified");
        hash_check("child-modified");
        fflush(stdout);
        _exit(0);
    }
    int st;
    if (waitpid(pid, &st, 0) != pid)
        return 1;
    printf("fork_structs: child status %d\n", st);
    list_check("parent-after");
    tree_check("parent-after");
    hash_check("parent-after");
    return 0;
}
