/* posix_sigsuspend: the classic race-free wait.  SIGUSR1 and SIGCHLD are
 * blocked; a forked child sends SIGUSR1 three times (each time waiting for
 * the parent's acknowledgement on a pipe) and then exits; the parent waits
 * for each event with a sigsuspend loop.  Checks: sigsuspend returns -1
 * EINTR, the mask is restored afterwards, a signal made pending while
 * blocked is delivered at once by sigsuspend, and a signal left blocked by
 * the sigsuspend mask stays pending. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t got_usr1, got_usr2, got_chld, usr1_total;
static volatile int blocked_in_handler_ok = 1;

static void on_sig(int sig)
{
    sigset_t cur;
    sigprocmask(SIG_BLOCK, NULL, &cur);
    if (!sigismember(&cur, sig))
        blocked_in_handler_ok = 0;
    if (sig == SIGUSR1) {
        got_usr1 = 1;
        usr1_total++;
    } else if (sig == SIGUSR2) {
        got_usr2 = 1;
    } else if (sig == SIGCHLD) {
        got_chld = 1;
    }
}

static void show_mask(const char *what)
{
    sigset_t cur;
    sigprocmask(SIG_BLOCK, NULL, &cur);
    printf("%s: blocked USR1=%d USR2=%d CHLD=%d TERM=%d\n", what,
           sigismember(&cur, SIGUSR1), sigismember(&cur, SIGUSR2),
           sigismember(&cur, SIGCHLD), sigismember(&cur, SIGTERM));
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sig;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGUSR2, &sa, NULL);
    sigaction(SIGCHLD, &sa, NULL);

    sigset_t block, orig, waitmask;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    sigaddset(&block, SIGCHLD);
    sigaddset(&block, SIGTERM);          /* stays blocked throughout */
    sigprocmask(SIG_BLOCK, &block, &orig);
    show_mask("before");

    /* 1. a pending blocked signal is delivered by sigsuspend at once */
    raise(SIGUSR1);
    waitmask = orig;
    sigaddset(&waitmask, SIGTERM);
    errno = 0;
    int r = sigsuspend(&waitmask);
    printf("pending SIGUSR1: sigsuspend=%d errno=%s got_usr1=%d\n", r,
           errno == EINTR ? "EINTR" : "other", got_usr1);
    show_mask("after pending-case sigsuspend");
    got_usr1 = 0;
    usr1_total = 0;

    /* 2. the child: three SIGUSR1 with acknowledgements, then exit */
    int ack[2];
    pipe(ack);
    pid_t parent = getpid();
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        close(ack[1]);
        for (int i = 0; i < 3; i++) {
            kill(parent, SIGUSR1);
            char ch;
            if (read(ack[0], &ch, 1) != 1)
                _exit(1);
        }
        _exit(5);
    }
    close(ack[0]);
    int suspends_ok = 1;
    for (int i = 0; i < 3; i++) {
        while (!got_usr1) {
            errno = 0;
            if (sigsuspend(&waitmask) != -1 || errno != EINTR)
                suspends_ok = 0;
        }
        got_usr1 = 0;
        printf("event %d: SIGUSR1 from child\n", i + 1);
        write(ack[1], "a", 1);
    }
    while (!got_chld) {
        errno = 0;
        if (sigsuspend(&waitmask) != -1 || errno != EINTR)
            suspends_ok = 0;
    }
    printf("SIGCHLD received; all sigsuspend calls returned -1/EINTR: %d\n", suspends_ok);
    int st;
    pid_t w = waitpid(c, &st, 0);
    printf("waitpid: child reaped=%d exit=%d usr1 total=%d\n", w == c,
           WIFEXITED(st) ? WEXITSTATUS(st) : -1, (int)usr1_total);
    show_mask("after loop");
    printf("signal blocked inside its handler: %d\n", blocked_in_handler_ok);

    /* 3. sigsuspend with a mask that still blocks SIGUSR1 but not SIGUSR2:
     *    the child sends USR1 then USR2; only USR2 ends the wait, USR1
     *    stays pending */
    got_usr1 = got_usr2 = got_chld = 0;
    sigset_t usr2;
    sigemptyset(&usr2);
    sigaddset(&usr2, SIGUSR2);
    sigprocmask(SIG_BLOCK, &usr2, NULL);
    sigset_t m2 = waitmask;
    sigaddset(&m2, SIGUSR1);
    sigaddset(&m2, SIGCHLD);
    sigdelset(&m2, SIGUSR2);
    fflush(stdout);
    c = fork();
    if (c == 0) {
        kill(parent, SIGUSR1);
        kill(parent, SIGUSR2);
        _exit(0);
    }
    while (!got_usr2)
        sigsuspend(&m2);
    sigset_t pend;
    sigpending(&pend);
    printf("USR2 woke sigsuspend: got_usr1=%d, USR1 pending=%d\n", got_usr1, sigismember(&pend, SIGUSR1));
    show_mask("after second sigsuspend");
    waitpid(c, &st, 0);
    /* unblocking delivers the pending SIGUSR1 (and SIGCHLD) */
    sigprocmask(SIG_SETMASK, &orig, NULL);
    printf("after unblock: got_usr1=%d got_chld=%d\n", got_usr1, got_chld);
    show_mask("final");
    return 0;
}
