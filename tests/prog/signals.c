/* signals: sigaction SA_SIGINFO for raised signals, si_code for raise/kill/
 * sigqueue, masks and sigpending, SIG_IGN, coalescing of standard signals,
 * queued real-time signals, sigtimedwait, SA_RESETHAND, SA_RESTART,
 * setitimer + sigsuspend. Handlers only record; main prints. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

static int fails;
#define CHECK(c, name) do { if (c) printf("%s: ok\n", name); \
    else { printf("%s: FAIL (line %d, errno %d)\n", name, __LINE__, errno); fails++; } } while (0)

static volatile sig_atomic_t count[65];
static volatile int last_signo, last_code, last_pid_ok, last_value, ctx_ok, blocked_inside;
static volatile int rt_values[8], rt_n;

static void info_handler(int sig, siginfo_t *si, void *ctx)
{
    count[sig]++;
    last_signo = si->si_signo;
    last_code = si->si_code;
    last_pid_ok = si->si_pid == getpid();
    last_value = si->si_value.sival_int;
    ctx_ok = ctx != NULL;
    sigset_t cur;
    sigprocmask(SIG_BLOCK, NULL, &cur);
    blocked_inside = sigismember(&cur, sig);
    if (sig >= SIGRTMIN && rt_n < 8)
        rt_values[rt_n++] = si->si_value.sival_int;
}

static void plain_handler(int sig) { count[sig]++; }

static const char *code_name(int c)
{
    switch (c) {
    case SI_USER: return "SI_USER";
    case SI_TKILL: return "SI_TKILL";
    case SI_QUEUE: return "SI_QUEUE";
    case SI_KERNEL: return "SI_KERNEL";
    case SI_TIMER: return "SI_TIMER";
    default: return "other";
    }
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = info_handler;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    CHECK(sigaction(SIGUSR1, &sa, NULL) == 0, "sigaction SIGUSR1 SA_SIGINFO");
    CHECK(sigaction(SIGUSR2, &sa, NULL) == 0, "sigaction SIGUSR2 SA_SIGINFO");
    struct sigaction old;
    CHECK(sigaction(SIGUSR1, NULL, &old) == 0 && old.sa_sigaction == info_handler &&
          (old.sa_flags & SA_SIGINFO), "sigaction query returns handler");

    raise(SIGUSR1);
    printf("raise(SIGUSR1): count=%d si_signo=%d si_code=%s ucontext=%d blocked-in-handler=%d\n",
           count[SIGUSR1], last_signo, code_name(last_code), ctx_ok, blocked_inside);
    kill(getpid(), SIGUSR2);
    printf("kill(getpid(), SIGUSR2): count=%d si_signo=%d si_code=%s si_pid==getpid: %d\n",
           count[SIGUSR2], last_signo, code_name(last_code), last_pid_ok);
    union sigval sv = {.sival_int = 4242};
    sigqueue(getpid(), SIGUSR1, sv);
    printf("sigqueue(SIGUSR1, 4242): count=%d si_code=%s value=%d\n",
           count[SIGUSR1], code_name(last_code), last_value);

    /* block, raise, pending, unblock */
    sigset_t set, pend;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    CHECK(sigprocmask(SIG_BLOCK, &set, NULL) == 0, "block SIGUSR1");
    int before = count[SIGUSR1];
    raise(SIGUSR1);
    raise(SIGUSR1); /* standard signals coalesce */
    CHECK(count[SIGUSR1] == before, "blocked: handler not run");
    sigpending(&pend);
    CHECK(sigismember(&pend, SIGUSR1) && !sigismember(&pend, SIGUSR2), "sigpending shows SIGUSR1 only");
    CHECK(sigprocmask(SIG_UNBLOCK, &set, NULL) == 0, "unblock");
    CHECK(count[SIGUSR1] == before + 1, "delivered once on unblock (coalesced)");
    sigpending(&pend);
    CHECK(!sigismember(&pend, SIGUSR1), "no longer pending");

    /* sa_mask and SA_NODEFER */
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigaction(SIGUSR2, &sa, NULL);
    raise(SIGUSR2);
    CHECK(blocked_inside == 0, "SA_NODEFER: signal not blocked inside handler");

    /* SIG_IGN */
    CHECK(signal(SIGUSR2, SIG_IGN) != SIG_ERR, "signal(SIGUSR2, SIG_IGN)");
    int c2 = count[SIGUSR2];
    raise(SIGUSR2);
    kill(getpid(), SIGUSR2);
    CHECK(count[SIGUSR2] == c2, "ignored signal: no effect");
    CHECK(signal(SIGUSR2, plain_handler) == SIG_IGN, "signal() returns previous SIG_IGN");
    raise(SIGUSR2);
    CHECK(count[SIGUSR2] == c2 + 1, "plain signal() handler runs");

    /* SA_RESETHAND: handler reset to SIG_DFL after one delivery */
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = plain_handler;
    sa.sa_flags = SA_RESETHAND;
    sigaction(SIGHUP, &sa, NULL);
    raise(SIGHUP);
    sigaction(SIGHUP, NULL, &old);
    CHECK(count[SIGHUP] == 1 && old.sa_handler == SIG_DFL, "SA_RESETHAND");

    /* real-time signals queue, in order */
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = info_handler;
    sa.sa_flags = SA_SIGINFO;
    int rt = SIGRTMIN + 2;
    sigaction(rt, &sa, NULL);
    sigemptyset(&set);
    sigaddset(&set, rt);
    sigprocmask(SIG_BLOCK, &set, NULL);
    for (int i = 1; i <= 3; i++) {
        sv.sival_int = i * 11;
        sigqueue(getpid(), rt, sv);
    }
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    printf("rt signal queued x3: delivered=%d values=%d,%d,%d\n", rt_n, rt_values[0], rt_values[1], rt_values[2]);

    /* sigtimedwait / sigwaitinfo consume a blocked signal */
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, NULL);
    int cu = count[SIGUSR1];
    sv.sival_int = 99;
    sigqueue(getpid(), SIGUSR1, sv);
    siginfo_t si;
    struct timespec zero = {0, 0};
    int got = sigtimedwait(&set, &si, &zero);
    CHECK(got == SIGUSR1 && si.si_code == SI_QUEUE && si.si_value.sival_int == 99 && count[SIGUSR1] == cu,
          "sigtimedwait takes the signal, handler not run");
    struct timespec short_ts = {0, 10 * 1000000};
    CHECK(sigtimedwait(&set, &si, &short_ts) == -1 && errno == EAGAIN, "sigtimedwait timeout -> EAGAIN");
    raise(SIGUSR1);
    int signo = 0;
    CHECK(sigwait(&set, &signo) == 0 && signo == SIGUSR1, "sigwait");
    sigprocmask(SIG_UNBLOCK, &set, NULL);

    /* interval timer + sigsuspend; pause() interrupted -> EINTR */
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = plain_handler;
    sigaction(SIGALRM, &sa, NULL);
    sigemptyset(&set);
    sigaddset(&set, SIGALRM);
    sigset_t oldmask;
    sigprocmask(SIG_BLOCK, &set, &oldmask);
    struct itimerval it = {{0, 0}, {0, 20000}};
    CHECK(setitimer(ITIMER_REAL, &it, NULL) == 0, "setitimer 20ms");
    while (count[SIGALRM] == 0)
        sigsuspend(&oldmask);
    CHECK(count[SIGALRM] == 1, "SIGALRM via sigsuspend");
    sigprocmask(SIG_SETMASK, &oldmask, NULL);
    alarm(0);
    it.it_value.tv_usec = 10000;
    setitimer(ITIMER_REAL, &it, NULL);
    int pr = pause();
    CHECK(pr == -1 && errno == EINTR && count[SIGALRM] == 2, "pause interrupted -> EINTR");

    /* SA_RESTART: a blocking read restarted vs interrupted */
    int p[2];
    pipe(p);
    sa.sa_flags = 0;
    sigaction(SIGALRM, &sa, NULL);
    it.it_value.tv_usec = 10000;
    setitimer(ITIMER_REAL, &it, NULL);
    char ch;
    ssize_t r = read(p[0], &ch, 1);
    CHECK(r == -1 && errno == EINTR, "read interrupted without SA_RESTART -> EINTR");

    CHECK(kill(getpid(), 0) == 0, "kill(pid, 0) probes");
    CHECK(kill(getpid(), 12345) == -1 && errno == EINVAL, "kill bad signal -> EINVAL");
    CHECK(sigaction(SIGKILL, &sa, NULL) == -1 && errno == EINVAL, "sigaction SIGKILL -> EINVAL");
    printf("signals: %s\n", fails ? "FAILED" : "all ok");
    return fails != 0;
}
