/* fork_funcptr: function pointers and callback tables work in the child:
 * a const table (relocated at start-up, then read-only: .data.rel.ro), a
 * writable global table, pointers in heap objects ("vtables"), on the stack,
 * and a registered callback list. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

typedef long (*op_fn)(long, long);
static long add(long a, long b) { return a + b; }
static long sub(long a, long b) { return a - b; }
static long mul(long a, long b) { return a * b; }
static long mod(long a, long b) { return b ? a % b : 0; }

struct op { const char *name; op_fn fn; };
static const struct op const_ops[] = {   /* read-only after relocation */
    { "add", add }, { "sub", sub }, { "mul", mul }, { "mod", mod },
};
static struct op global_ops[] = {        /* writable data */
    { "mul", mul }, { "add", add }, { "mod", mod }, { "sub", sub },
};

struct shape;
struct shape_vt { long (*area)(const struct shape *); const char *(*name)(void); };
struct shape { const struct shape_vt *vt; long a, b; };
static long rect_area(const struct shape *s) { return s->a * s->b; }
static long tri_area(const struct shape *s) { return s->a * s->b / 2; }
static const char *rect_name(void) { return "rect"; }
static const char *tri_name(void) { return "tri"; }
static const struct shape_vt rect_vt = { rect_area, rect_name };
static const struct shape_vt tri_vt = { tri_area, tri_name };

typedef void (*cb_fn)(void *, long *);
struct cb { cb_fn fn; void *arg; struct cb *next; };
static struct cb *callbacks;
static void cb_add(void *arg, long *acc) { *acc += *(long *)arg; }
static void cb_xor(void *arg, long *acc) { *acc ^= *(long *)arg; }
static void register_cb(cb_fn fn, long v)
{
    struct cb *c = malloc(sizeof *c);
    long *arg = malloc(sizeof *arg);
    *arg = v;
    c->fn = fn;
    c->arg = arg;
    c->next = callbacks;
    callbacks = c;
}

static void run_all(const char *who, op_fn local, struct shape **shapes, int nshapes)
{
    long r = 0;
    for (int i = 0; i < 4; i++)
        r += const_ops[i].fn(100 + i, 7);
    printf("fork_funcptr: %s const table:", who);
    for (int i = 0; i < 4; i++)
        printf(" %s=%ld", const_ops[i].name, const_ops[i].fn(100, 7));
    printf(" total=%ld\n", r);
    printf("fork_funcptr: %s global table:", who);
    for (int i = 0; i < 4; i++)
        printf(" %s=%ld", global_ops[i].name, global_ops[i].fn(50, 6));
    printf("\n");
    printf("fork_funcptr: %s stack fnptr=%ld\n", who, local(9, 4));
    long area = 0;
    for (int i = 0; i < nshapes; i++)
        area += shapes[i]->vt->area(shapes[i]);
    printf("fork_funcptr: %s shapes %s,%s... total area=%ld\n", who, shapes[0]->vt->name(),
           shapes[1]->vt->name(), area);
    long acc = 0;
    int n = 0;
    for (struct cb *c = callbacks; c; c = c->next, n++)
        c->fn(c->arg, &acc);
    printf("fork_funcptr: %s %d callbacks acc=%ld\n", who, n, acc);
}

int main(void)
{
    volatile op_fn local = mul;
    struct shape **shapes = malloc(50 * sizeof *shapes);
    for (int i = 0; i < 50; i++) {
        shapes[i] = malloc(sizeof **shapes);
        shapes[i]->vt = i % 2 ? &tri_vt : &rect_vt;
        shapes[i]->a = i + 1;
        shapes[i]->b = i + 3;
    }
    for (int i = 0; i < 20; i++)
        register_cb(i % 3 ? cb_add : cb_xor, i * 11);
    run_all("parent", local, shapes, 50);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        run_all("child", local, shapes, 50);
        /* the child rewires tables; the parent must not see it */
        global_ops[0].fn = sub;
        shapes[0]->vt = &tri_vt;
        register_cb(cb_add, 1000);
        run_all("child-rewired", local, shapes, 50);
        fflush(stdout);
        _exit(0);
    }
    int st;
    waitpid(pid, &st, 0);
    printf("fork_funcptr: child status %d\n", st);
    run_all("parent-after", local, shapes, 50);
    return 0;
}
