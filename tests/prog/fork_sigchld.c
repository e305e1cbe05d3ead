/* fork_sigchld: a parent with a SIGCHLD handler (SA_SIGINFO) gets SIGCHLD
 * for children that exit and for one that is killed; deliveries may
 * coalesce, so only "got sigchld: yes" is printed, plus whether the info of
 * one delivery made sense.  (SIGCHLD ignored: fork_sigchld_ign.) */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t count, info_ok, killed_seen;

static void on_chld(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    count++;
    if (sig == SIGCHLD && si->si_signo == SIGCHLD &&
        ((si->si_code == CLD_EXITED && si->si_status >= 0 && si->si_status < 5) ||
         (si->si_code == CLD_KILLED && si->si_status == SIGKILL)))
        info_ok = 1;
    if (si->si_code == CLD_KILLED)
        killed_seen = 1;
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_chld;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGCHLD, &sa, NULL);

    pid_t pids[5];
    for (int i = 0; i < 5; i++) {
        fflush(stdout);
        pids[i] = fork();
        if (pids[i] == 0)
            _exit(i);
    }
    int sum = 0;
    for (int i = 0; i < 5; i++) {
        int st;
        while (waitpid(pids[i], &st, 0) < 0 && errno == EINTR)
            ;
        sum += WEXITSTATUS(st);
    }
    printf("fork_sigchld: 5 children reaped, status sum=%d\n", sum);
    printf("fork_sigchld: got sigchld: %s\n", count > 0 ? "yes" : "no");
    printf("fork_sigchld: siginfo plausible: %s\n", info_ok ? "yes" : "no");

    /* a killed child: exactly one child, so one SIGCHLD with CLD_KILLED */
    int p[2];
    pipe(p);
    fflush(stdout);
    pid_t k = fork();
    if (k == 0) {
        char c;
        read(p[0], &c, 1);
        _exit(0);
    }
    kill(k, SIGKILL);
    int st;
    while (waitpid(k, &st, 0) < 0 && errno == EINTR)
        ;
    /* the signal is pending by the time wait returns; let it be delivered */
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    printf("fork_sigchld: killed child: WTERMSIG=%d, CLD_KILLED seen in handler: %s\n",
           WTERMSIG(st), killed_seen ? "yes" : "no");

    return 0;
}
