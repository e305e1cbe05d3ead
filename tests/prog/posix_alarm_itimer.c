/* posix_alarm_itimer: alarm() and ITIMER_REAL.
 *  - alarm return values (remaining seconds, rounded up), alarm(0) cancels;
 *  - alarm and setitimer(ITIMER_REAL) are the same timer;
 *  - an alarm(1) that fires wakes pause();
 *  - setitimer with a 30 ms interval fires 3 times (the handler counts and
 *    disarms on the third), getitimer shows the interval while armed and
 *    zero afterwards;
 *  - a forked child does not inherit the parent's armed timer;
 *  - SIGALRM with the default action kills (status seen by waitpid). */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t ticks, disarm_rc = -5;

static void on_alrm(int sig)
{
    (void)sig;
    ticks++;
    if (ticks == 3) {
        struct itimerval off = {{0, 0}, {0, 0}};
        disarm_rc = setitimer(ITIMER_REAL, &off, NULL);
    }
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alrm;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGALRM, &sa, NULL);

    /* 1. return values */
    printf("alarm(10)=%u\n", alarm(10));
    printf("alarm(5)=%u\n", alarm(5));
    struct itimerval cur;
    getitimer(ITIMER_REAL, &cur);
    printf("getitimer after alarm(5): 4 <= sec <= 5: %d, interval zero: %d\n",
           cur.it_value.tv_sec >= 4 && cur.it_value.tv_sec <= 5,
           cur.it_interval.tv_sec == 0 && cur.it_interval.tv_usec == 0);
    printf("alarm(0)=%u\n", alarm(0));
    printf("alarm(0) again=%u\n", alarm(0));

    /* 2. setitimer and alarm share the timer */
    struct itimerval three = {{0, 0}, {3, 0}}, old;
    setitimer(ITIMER_REAL, &three, NULL);
    printf("alarm(0) after setitimer(3s)=%u\n", alarm(0));
    alarm(7);
    memset(&old, 0xff, sizeof old);
    struct itimerval zero = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &zero, &old);
    printf("setitimer(0) after alarm(7): old 6 <= sec <= 7: %d, old interval zero: %d\n",
           old.it_value.tv_sec >= 6 && old.it_value.tv_sec <= 7,
           old.it_interval.tv_sec == 0 && old.it_interval.tv_usec == 0);
    getitimer(ITIMER_REAL, &cur);
    printf("getitimer after disarm: value zero: %d\n", cur.it_value.tv_sec == 0 && cur.it_value.tv_usec == 0);

    /* 3. alarm(1) firing wakes pause() */
    ticks = 0;
    alarm(1);
    errno = 0;
    int r = pause();
    printf("pause=%d errno EINTR=%d ticks=%d\n", r, errno == EINTR, (int)ticks);
    printf("alarm(0) after firing=%u\n", alarm(0));

    /* 4. periodic ITIMER_REAL, disarmed by the handler on the third tick */
    ticks = 0;
    disarm_rc = -5;
    sigset_t alrm, orig;
    sigemptyset(&alrm);
    sigaddset(&alrm, SIGALRM);
    sigprocmask(SIG_BLOCK, &alrm, &orig);
    struct itimerval per = {{0, 30000}, {0, 30000}};
    r = setitimer(ITIMER_REAL, &per, &old);
    printf("setitimer periodic=%d old value zero: %d\n", r,
           old.it_value.tv_sec == 0 && old.it_value.tv_usec == 0);
    getitimer(ITIMER_REAL, &cur);
    printf("getitimer while armed: interval=%ld.%06ld value in (0, 30ms]: %d\n",
           (long)cur.it_interval.tv_sec, (long)cur.it_interval.tv_usec,
           cur.it_value.tv_sec == 0 && cur.it_value.tv_usec > 0 && cur.it_value.tv_usec <= 30000);
    while (ticks < 3)
        sigsuspend(&orig);
    sigprocmask(SIG_SETMASK, &orig, NULL);
    printf("ticks=%d disarm in handler=%d\n", (int)ticks, (int)disarm_rc);
    getitimer(ITIMER_REAL, &cur);
    printf("getitimer after: value zero: %d interval zero: %d\n",
           cur.it_value.tv_sec == 0 && cur.it_value.tv_usec == 0,
           cur.it_interval.tv_sec == 0 && cur.it_interval.tv_usec == 0);
    usleep(100000);                      /* nothing more arrives */
    printf("ticks after 100 ms more=%d\n", (int)ticks);

    /* 5. timers are not inherited by fork */
    struct itimerval far = {{0, 0}, {50, 0}};
    setitimer(ITIMER_REAL, &far, NULL);
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        struct itimerval ci;
        getitimer(ITIMER_REAL, &ci);
        int none = ci.it_value.tv_sec == 0 && ci.it_value.tv_usec == 0;
        unsigned a = alarm(0);
        _exit(none && a == 0 ? 0 : 1);
    }
    int st;
    waitpid(c, &st, 0);
    printf("child has no timer: %d\n", WIFEXITED(st) && WEXITSTATUS(st) == 0);
    printf("parent still has its timer: alarm(0)>=49: %d\n", alarm(0) >= 49);

    /* 6. default action of SIGALRM kills */
    fflush(stdout);
    c = fork();
    if (c == 0) {
        signal(SIGALRM, SIG_DFL);
        struct itimerval soon = {{0, 0}, {0, 20000}};
        setitimer(ITIMER_REAL, &soon, NULL);
        for (;;)
            pause();
    }
    waitpid(c, &st, 0);
    printf("child with default SIGALRM: killed=%d by SIGALRM=%d\n", WIFSIGNALED(st),
           WIFSIGNALED(st) && WTERMSIG(st) == SIGALRM);
    return 0;
}
