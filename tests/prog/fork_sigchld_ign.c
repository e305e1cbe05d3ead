/* fork_sigchld_ign: with SIGCHLD set to SIG_IGN (and, separately, with
 * SA_NOCLDWAIT) children are reaped automatically: a wait() that starts
 * while they still run blocks until all of them have exited and then fails
 * with ECHILD; with children already gone it fails at once. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static pid_t spawn(int n)
{
    pid_t pid = -1;
    for (int i = 0; i < n; i++) {
        fflush(stdout);
        pid = fork();
        if (pid == 0) {
            usleep(10000 * (i + 1));
            _exit(7);
        }
    }
    return pid;
}

static void on_chld(int sig) { (void)sig; }

int main(void)
{
    signal(SIGCHLD, SIG_IGN);
    spawn(3);
    errno = 0;
    int st;
    pid_t w = wait(&st);
    printf("fork_sigchld_ign: SIG_IGN, children running: wait=%d ECHILD=%d\n", (int)w,
           errno == ECHILD);
    pid_t last = spawn(1);
    /* until it is gone (reaped at its exit: kill finds no such process),
     * however slow the machine */
    for (int i = 0; i < 2000 && kill(last, 0) == 0; i++)
        usleep(5000);
    errno = 0;
    w = waitpid(-1, &st, WNOHANG);
    printf("fork_sigchld_ign: SIG_IGN, child gone: waitpid(WNOHANG)=%d ECHILD=%d\n", (int)w,
           errno == ECHILD);

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_chld;
    sa.sa_flags = SA_NOCLDWAIT | SA_RESTART;
    sigaction(SIGCHLD, &sa, NULL);
    spawn(2);
    errno = 0;
    w = wait(&st);
    printf("fork_sigchld_ign: SA_NOCLDWAIT, children running: wait=%d ECHILD=%d\n", (int)w,
           errno == ECHILD);
    return 0;
}
