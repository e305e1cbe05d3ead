/* fork_setjmp: jump buffers saved before fork are usable in the child:
 * the child longjmps out of a deep recursion to a setjmp point taken by the
 * parent before fork (buffer in a global, and on the heap), and siglongjmp
 * restores the signal mask saved by sigsetjmp. */
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static jmp_buf gbuf;
static sigjmp_buf sbuf;
static volatile long depth_reached;

static void dive(jmp_buf *where, int depth, int val)
{
    volatile char pad[128];
    pad[0] = (char)depth;
    depth_reached = depth + pad[0] * 0;
    if (depth < 0)
        return;
    if (depth > 0)
        dive(where, depth - 1, val);
    else
        longjmp(*where, val);
    pad[1] = 0; /* not a tail call */
}

static int in_child;

int main(void)
{
    jmp_buf *hbuf = malloc(sizeof *hbuf);
    volatile int stage = 0;
    volatile long local = 4242;
    char *volatile heapstr = malloc(32);
    snprintf(heapstr, 32, "heap string");

    int r = setjmp(gbuf);
    if (r) {
        /* reached only in the child, through longjmp */
        printf("fork_setjmp: child longjmp(gbuf) returned %d depth=%ld local=%ld str=%s\n", r,
               (long)depth_reached, (long)local, heapstr);
        stage = 1;
    }
    if (stage == 0) {
        if (setjmp(*hbuf) == 0) {
            fflush(stdout);
            pid_t pid = fork();
            if (pid < 0)
                return 1;
            if (pid == 0) {
                in_child = 1;
                dive(&gbuf, 200, 7);
            }
            int st;
            waitpid(pid, &st, 0);
            printf("fork_setjmp: parent: child 1 exited %d\n", WEXITSTATUS(st));
            fflush(stdout);
            pid = fork();
            if (pid == 0) {
                in_child = 2;
                dive(hbuf, 100, 9);
            }
            waitpid(pid, &st, 0);
            printf("fork_setjmp: parent: child 2 exited %d\n", WEXITSTATUS(st));
        } else {
            printf("fork_setjmp: child longjmp(heap buf) landed, in_child=%d local=%ld\n", in_child,
                   (long)local);
            fflush(stdout);
            _exit(22);
        }
    } else {
        fflush(stdout);
        _exit(11);
    }

    /* sigsetjmp with a saved mask: SIGUSR1 blocked at save time */
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, &old);
    if (sigsetjmp(sbuf, 1) == 0) {
        sigprocmask(SIG_SETMASK, &old, NULL);
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0) {
            sigset_t cur;
            sigprocmask(SIG_SETMASK, NULL, &cur);
            printf("fork_setjmp: child before siglongjmp: SIGUSR1 blocked=%d\n",
                   sigismember(&cur, SIGUSR1));
            siglongjmp(sbuf, 3);
        }
        int st;
        waitpid(pid, &st, 0);
        printf("fork_setjmp: parent: child 3 exited %d\n", WEXITSTATUS(st));
    } else {
        sigset_t cur;
        sigprocmask(SIG_SETMASK, NULL, &cur);
        printf("fork_setjmp: child after siglongjmp: SIGUSR1 blocked=%d\n",
               sigismember(&cur, SIGUSR1));
        fflush(stdout);
        _exit(33);
    }
    return 0;
}
