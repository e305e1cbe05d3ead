/* fork_madvise: madvise flags that act at fork: MADV_WIPEONFORK memory
 * reads as zeros in the child (the parent keeps its data), MADV_DONTFORK
 * memory is absent from the child (touching it faults), and MADV_DOFORK /
 * MADV_KEEPONFORK undo them. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define PG 4096

/* the child reports the first byte of each range (or dies trying) */
static int child_read(volatile char *p)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0)
        _exit(p[0] == 0x77 ? 1 : p[0] == 0 && p[PG] == 0 ? 2 : 3);
    int st;
    waitpid(pid, &st, 0);
    return st;
}

static const char *describe(int st)
{
    if (WIFSIGNALED(st))
        return WTERMSIG(st) == SIGSEGV ? "SIGSEGV (not mapped)" : "other signal";
    switch (WEXITSTATUS(st)) {
    case 1: return "parent's data";
    case 2: return "zeros";
    default: return "something else";
    }
}

int main(void)
{
    char *wipe = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char *dont = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    memset(wipe, 0x77, 2 * PG);
    memset(dont, 0x77, 2 * PG);
    if (madvise(wipe, 2 * PG, MADV_WIPEONFORK) || madvise(dont, 2 * PG, MADV_DONTFORK)) {
        printf("fork_madvise: madvise not supported\n");
        return 0;
    }
    printf("fork_madvise: MADV_WIPEONFORK: child sees %s\n", describe(child_read(wipe)));
    printf("fork_madvise: MADV_DONTFORK: child sees %s\n", describe(child_read(dont)));
    printf("fork_madvise: parent still has its data: %d %d\n", wipe[PG] == 0x77, dont[PG] == 0x77);
    madvise(wipe, 2 * PG, MADV_KEEPONFORK);
    madvise(dont, 2 * PG, MADV_DOFORK);
    printf("fork_madvise: after MADV_KEEPONFORK: child sees %s\n", describe(child_read(wipe)));
    printf("fork_madvise: after MADV_DOFORK: child sees %s\n", describe(child_read(dont)));
    return 0;
}
