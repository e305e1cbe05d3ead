/* signals_thread: signals and threads: pthread_kill targets one thread,
 * per-thread masks steer a process signal to the thread that unblocks it,
 * a dedicated sigwait thread. */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static pthread_t target;
static volatile int hits, hit_right_thread;
static void handler(int sig)
{
    (void)sig;
    hits++;
    hit_right_thread = pthread_equal(pthread_self(), target);
}

static volatile int stop;
static void *spinner(void *arg)
{
    (void)arg;
    while (!stop)
        usleep(1000);
    return NULL;
}

static volatile int unblocked;
static void *unblocker(void *arg)
{
    sigset_t set;
    (void)arg;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR2);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
    unblocked = 1;
    while (!stop)
        usleep(1000);
    return NULL;
}

static volatile int waited;
static void *waiter(void *arg)
{
    sigset_t *set = arg;
    int sig = 0, n = 0;
    while (n < 3 && sigwait(set, &sig) == 0)
        waited = ++n;
    return (void *)(long)(n * 100 + sig);
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGUSR2, &sa, NULL);

    /* pthread_kill to a specific thread */
    pthread_t t;
    pthread_create(&t, NULL, spinner, NULL);
    target = t;
    pthread_kill(t, SIGUSR1);
    while (hits == 0)
        usleep(1000);
    printf("pthread_kill(thread, SIGUSR1): hits=%d in target thread: %d\n", hits, hit_right_thread);
    target = pthread_self();
    pthread_kill(pthread_self(), SIGUSR1);
    printf("pthread_kill(self): hits=%d in main: %d\n", hits, hit_right_thread);
    stop = 1;
    pthread_join(t, NULL);
    stop = 0;

    /* SIGUSR2 blocked in main (inherited by threads); one thread unblocks it */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR2);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    pthread_t a, b;
    pthread_create(&a, NULL, spinner, NULL);
    pthread_create(&b, NULL, unblocker, NULL);
    target = b;
    while (!unblocked)
        usleep(1000);
    hits = 0;
    kill(getpid(), SIGUSR2);
    while (hits == 0)
        usleep(1000);
    printf("process SIGUSR2 went to the unblocking thread: %d\n", hit_right_thread);
    stop = 1;
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    stop = 0;

    /* thread's initial mask is inherited: check in a thread */
    sigset_t cur;
    pthread_sigmask(SIG_BLOCK, NULL, &cur);
    printf("main mask has SIGUSR2: %d\n", sigismember(&cur, SIGUSR2));

    /* dedicated sigwait thread receives 3 signals sent to the process */
    sigset_t wset;
    sigemptyset(&wset);
    sigaddset(&wset, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &wset, NULL);
    pthread_t w;
    pthread_create(&w, NULL, waiter, &wset);
    for (int i = 0; i < 3; i++) {
        kill(getpid(), SIGTERM);
        while (waited < i + 1) /* standard signals coalesce: one at a time */
            usleep(1000);
    }
    void *rv;
    pthread_join(w, &rv);
    printf("sigwait thread: got %ld signals, last=%ld (SIGTERM=%d)\n", (long)rv / 100, (long)rv % 100, SIGTERM);
    return 0;
}
