/* posix_sigchld_flags: SIGCHLD disposition flags.
 *  - SA_NOCLDSTOP is accepted and read back; exits still notify;
 *  - SA_NOCLDWAIT (with SIG_DFL and with a handler) and SIGCHLD=SIG_IGN
 *    reap children automatically: wait()/waitpid() fail with ECHILD (after
 *    blocking until the children are gone); a handler installed with
 *    SA_NOCLDWAIT still runs;
 *  - back to SIG_DFL: children are zombies again and wait returns them;
 *  - an SA_SIGINFO handler sees si_code CLD_EXITED / CLD_KILLED, si_status
 *    and si_pid of the child. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t chld_count;
static volatile int last_code, last_status, last_pid, last_signo;

static void on_chld(int sig) { (void)sig; chld_count++; }

static void on_chld_info(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    chld_count++;
    last_signo = sig;
    last_code = si->si_code;
    last_status = si->si_status;
    last_pid = si->si_pid;
}

static const char *ename(int e)
{
    switch (e) {
    case 0: return "0";
    case ECHILD: return "ECHILD";
    case EINTR: return "EINTR";
    default: return "other";
    }
}

static const char *cname(int c)
{
    switch (c) {
    case CLD_EXITED: return "CLD_EXITED";
    case CLD_KILLED: return "CLD_KILLED";
    case CLD_DUMPED: return "CLD_DUMPED";
    case CLD_STOPPED: return "CLD_STOPPED";
    case CLD_CONTINUED: return "CLD_CONTINUED";
    default: return "other";
    }
}

static void set_chld(void (*h)(int), int flags)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = h;
    sa.sa_flags = flags;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGCHLD, &sa, NULL) != 0)
        printf("sigaction failed\n");
}

/* n children exiting with status 7 after a short, staggered delay */
static void spawn(int n, int delay_ms)
{
    for (int i = 0; i < n; i++) {
        fflush(stdout);
        if (fork() == 0) {
            usleep(1000 * delay_ms * (i + 1));
            _exit(7);
        }
    }
}

/* wait() retrying on EINTR: returns pid or -1 with errno */
static pid_t wait_noeintr(int *st)
{
    pid_t r;
    while ((r = wait(st)) < 0 && errno == EINTR)
        ;
    return r;
}

int main(void)
{
    int st;
    pid_t r;
    struct sigaction q;

    /* 1. SA_NOCLDSTOP */
    set_chld(on_chld, SA_NOCLDSTOP | SA_RESTART);
    sigaction(SIGCHLD, NULL, &q);
    printf("SA_NOCLDSTOP read back: %d\n", (q.sa_flags & SA_NOCLDSTOP) != 0);
    chld_count = 0;
    spawn(1, 10);
    r = wait_noeintr(&st);
    printf("SA_NOCLDSTOP: wait got child=%d exit=%d handler ran=%d\n", r > 0,
           WIFEXITED(st) ? WEXITSTATUS(st) : -1, chld_count > 0);

    /* 2. SA_NOCLDWAIT with SIG_DFL: wait blocks until all three are gone */
    set_chld(SIG_DFL, SA_NOCLDWAIT);
    sigaction(SIGCHLD, NULL, &q);
    printf("SA_NOCLDWAIT read back: %d\n", (q.sa_flags & SA_NOCLDWAIT) != 0);
    spawn(3, 20);
    errno = 0;
    r = wait(&st);
    printf("SA_NOCLDWAIT+SIG_DFL: wait=%d errno=%s\n", (int)r, ename(r < 0 ? errno : 0));
    errno = 0;
    r = waitpid(-1, &st, WNOHANG);
    printf("SA_NOCLDWAIT+SIG_DFL: waitpid WNOHANG=%d errno=%s\n", (int)r, ename(r < 0 ? errno : 0));

    /* 3. SA_NOCLDWAIT with a handler: auto-reaped, handler still runs */
    chld_count = 0;
    set_chld(on_chld, SA_NOCLDWAIT | SA_RESTART);
    spawn(2, 20);
    r = wait_noeintr(&st);
    printf("SA_NOCLDWAIT+handler: wait=%d errno=%s handler ran=%d\n", (int)r,
           ename(r < 0 ? errno : 0), chld_count > 0);

    /* 4. SIGCHLD = SIG_IGN */
    signal(SIGCHLD, SIG_IGN);
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        usleep(20000);
        _exit(3);
    }
    errno = 0;
    r = waitpid(c, &st, 0);
    printf("SIG_IGN: waitpid(child)=%d errno=%s\n", (int)r, ename(r < 0 ? errno : 0));
    spawn(2, 10);
    errno = 0;
    r = wait(&st);
    printf("SIG_IGN: wait=%d errno=%s\n", (int)r, ename(r < 0 ? errno : 0));
    siginfo_t si;
    errno = 0;
    int wr = waitid(P_ALL, 0, &si, WEXITED);
    printf("SIG_IGN: waitid=%d errno=%s\n", wr, ename(wr < 0 ? errno : 0));

    /* 5. back to SIG_DFL: zombies again */
    signal(SIGCHLD, SIG_DFL);
    fflush(stdout);
    c = fork();
    if (c == 0)
        _exit(9);
    usleep(20000);
    r = waitpid(c, &st, 0);
    printf("SIG_DFL again: waitpid==child %d exit=%d\n", r == c, WIFEXITED(st) ? WEXITSTATUS(st) : -1);

    /* 6. SA_SIGINFO: CLD_EXITED, then CLD_KILLED (SIGKILL and SIGTERM) */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_chld_info;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGCHLD, &sa, NULL);
    sigset_t chld, orig;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, &orig);

    for (int k = 0; k < 3; k++) {
        int p[2];
        pipe(p);
        fflush(stdout);
        c = fork();
        if (c == 0) {
            close(p[1]);
            char ch;
            read(p[0], &ch, 1);          /* parent closes or kills */
            _exit(42);
        }
        close(p[0]);
        chld_count = 0;
        last_code = last_status = last_pid = last_signo = -1;
        if (k == 0)
            close(p[1]);
        else
            kill(c, k == 1 ? SIGKILL : SIGTERM);
        while (!chld_count)
            sigsuspend(&orig);
        printf("SA_SIGINFO: signo=%d code=%s status=%d pid==child %d\n",
               last_signo, cname(last_code), last_status, last_pid == c);
        r = waitpid(c, &st, 0);
        if (WIFEXITED(st))
            printf("  waitpid: exited %d\n", WEXITSTATUS(st));
        else if (WIFSIGNALED(st))
            printf("  waitpid: killed by %d\n", WTERMSIG(st));
        if (k != 0)
            close(p[1]);
    }
    sigprocmask(SIG_SETMASK, &orig, NULL);
    return 0;
}
