/* fork_signal_inherit: signal state across fork.  The child inherits
 * handlers (function pointers, run in the child with the child's data), an
 * alternate signal stack (a handler with SA_ONSTACK runs on it in the
 * child), the blocked mask and ignored dispositions; it does not inherit the
 * parent's pending signals.  The parent's state is unchanged afterwards. */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *who = "parent";
static volatile sig_atomic_t usr1_hits;
static char *altstack;
static volatile int on_alt;

static void on_usr1(int sig)
{
    (void)sig;
    usr1_hits++;
}

static void on_hup(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    char here;
    uintptr_t a = (uintptr_t)&here, lo = (uintptr_t)altstack;
    on_alt = a >= lo && a < lo + 65536 && sig == SIGHUP && si->si_signo == SIGHUP;
}

static void state(void)
{
    sigset_t cur, pend;
    sigprocmask(SIG_SETMASK, NULL, &cur);
    sigpending(&pend);
    printf("fork_signal_inherit: %s: SIGUSR2 blocked=%d pending=%d\n", who,
           sigismember(&cur, SIGUSR2), sigismember(&pend, SIGUSR2));
    usr1_hits = 0;
    raise(SIGUSR1);
    raise(SIGUSR1);
    printf("fork_signal_inherit: %s: SIGUSR1 handler ran %d times\n", who, (int)usr1_hits);
    on_alt = 0;
    raise(SIGHUP);
    printf("fork_signal_inherit: %s: SIGHUP handler ran on the alternate stack: %d\n", who, on_alt);
    raise(SIGTERM);                      /* ignored */
    printf("fork_signal_inherit: %s: survived ignored SIGTERM\n", who);
    stack_t ss;
    sigaltstack(NULL, &ss);
    printf("fork_signal_inherit: %s: sigaltstack sp is our buffer: %d size=%zu\n", who,
           ss.ss_sp == altstack, ss.ss_size);
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, NULL);
    altstack = malloc(65536);
    stack_t ss = { .ss_sp = altstack, .ss_size = 65536 };
    sigaltstack(&ss, NULL);
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_hup;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGTERM, SIG_IGN);
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR2);
    sigprocmask(SIG_BLOCK, &s, NULL);
    raise(SIGUSR2);                      /* pending in the parent only */
    state();
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        who = "child";
        state();
        fflush(stdout);
        /* the child's changes stay in the child */
        signal(SIGUSR1, SIG_IGN);
        sigprocmask(SIG_UNBLOCK, &s, NULL);
        _exit(0);
    }
    int st;
    waitpid(pid, &st, 0);
    printf("fork_signal_inherit: child exit %d\n", WEXITSTATUS(st));
    state();
    return 0;
}
