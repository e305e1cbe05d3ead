/* limit_shared_ptr: a documented limit (tests/cli/relocation_limits.sh).
 * Pointers stored in MAP_SHARED memory before fork; shared memory is never
 * relocated, so under ufork a pointer to private memory stored there keeps
 * naming the parent's copy.  Linux behaviour, for reference:  A
 * pointer to shared memory itself (a linked list living in the shared
 * region) works in both processes.  A pointer to private memory (a global)
 * stored in the shared region names, in each process, that process's own
 * copy: the child reads its own value through it, and its write through it
 * changes only its own copy, not the parent's. */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

struct node { struct node *next; int v; };
struct shared { long *priv; struct node *head; struct node nodes[8]; long seen, after; };

static long g = 1;

int main(void)
{
    struct shared *sh = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    for (int i = 0; i < 8; i++) {
        sh->nodes[i].v = i + 1;
        sh->nodes[i].next = i < 7 ? &sh->nodes[i + 1] : NULL;
    }
    sh->head = &sh->nodes[0];
    sh->priv = &g;
    int go[2], done[2];
    pipe(go);
    pipe(done);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        char c;
        read(go[0], &c, 1);              /* the parent has set its g to 2 */
        sh->seen = *sh->priv;            /* our own g: still 1 */
        *sh->priv = 3;                   /* changes our g only */
        sh->after = g;
        int sum = 0;
        for (struct node *n = sh->head; n; n = n->next)
            sum += n->v;
        sh->nodes[0].v = 100 + sum;
        write(done[1], &c, 1);
        _exit(0);
    }
    g = 2;
    write(go[1], "x", 1);
    char c;
    read(done[0], &c, 1);
    int st;
    waitpid(pid, &st, 0);
    printf("limit_shared_ptr: child read its own global through the shared pointer: %ld (want 1)\n",
           sh->seen);
    printf("limit_shared_ptr: child's global after writing through it: %ld (want 3)\n", sh->after);
    printf("limit_shared_ptr: parent's global: %ld (want 2)\n", g);
    printf("limit_shared_ptr: shared list walked by the child: node0=%d (want 136)\n",
           sh->nodes[0].v);
    return 0;
}
