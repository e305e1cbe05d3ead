/* fork_exit_status: the parent sees exactly how each child ended: exit codes
 * 0..5 (and 263, which the status truncates to 7), a segfault, abort(),
 * SIGKILL and SIGTERM sent by the parent to a child blocked in read, a child
 * that raises SIGTERM on itself, and one killed before it ever ran.
 * (SIGPIPE deaths are covered by crash_sigpipe.) */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static void report(const char *what, int st)
{
    printf("fork_exit_status: %-18s WIFEXITED=%d WEXITSTATUS=%d WIFSIGNALED=%d WTERMSIG=%d core=%d\n",
           what, WIFEXITED(st), WIFEXITED(st) ? WEXITSTATUS(st) : 0, WIFSIGNALED(st),
           WIFSIGNALED(st) ? WTERMSIG(st) : 0, WIFSIGNALED(st) ? WCOREDUMP(st) != 0 : 0);
}

static pid_t spawn(int how, int rfd)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    char c;
    switch (how) {
    case 0: case 1: case 2: case 3: case 4: case 5:
        exit(how);
    case 6: exit(263);
    case 7: *(volatile int *)0 = 1; break;      /* SIGSEGV */
    case 8: abort();
    case 9: read(rfd, &c, 1); break;              /* killed while blocked */
    case 10: raise(SIGTERM); break;
    }
    _exit(99);
}

int main(void)
{
    int blk[2];
    pipe(blk);                                    /* nobody ever writes it */
    char what[32];
    for (int i = 0; i <= 5; i++) {
        pid_t pid = spawn(i, -1);
        int st;
        waitpid(pid, &st, 0);
        snprintf(what, sizeof what, "exit(%d)", i);
        report(what, st);
    }
    static const char *names[] = { [6] = "exit(263)", [7] = "segfault", [8] = "abort()",
                                   [10] = "raise(SIGTERM)" };
    for (int i = 6; i <= 10; i++) {
        if (i == 9)
            continue;
        pid_t pid = spawn(i, -1);
        int st;
        waitpid(pid, &st, 0);
        report(names[i], st);
    }
    int sigs[2] = { SIGKILL, SIGTERM };
    for (int k = 0; k < 2; k++) {
        pid_t pid = spawn(9, blk[0]);
        usleep(20000);                            /* let it block in read */
        kill(pid, sigs[k]);
        int st;
        waitpid(pid, &st, 0);
        report(k == 0 ? "kill(SIGKILL)" : "kill(SIGTERM)", st);
    }
    /* killed before it ran at all: the status is the same */
    pid_t pid = spawn(9, blk[0]);
    kill(pid, SIGKILL);
    int st;
    waitpid(pid, &st, 0);
    report("immediate SIGKILL", st);
    return 0;
}
