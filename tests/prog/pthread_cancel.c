/* pthread_cancel: deferred cancellation of a thread blocked in a
 * cancellation point (musl implements it with a signal), cleanup handlers,
 * disabled cancellation, pthread_testcancel. */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static int cleanup_ran;
static void cleanup(void *arg) { *(int *)arg = 1; }

static int fds[2];
static void *blocked_reader(void *arg)
{
    char c;
    (void)arg;
    pthread_cleanup_push(cleanup, &cleanup_ran);
    read(fds[0], &c, 1); /* blocks; cancellation point */
    pthread_cleanup_pop(0);
    return (void *)1;
}

static void *sleeper(void *arg)
{
    (void)arg;
    for (;;)
        sleep(10);
    return NULL;
}

static volatile int spin_go;
static void *disabled(void *arg)
{
    int old;
    (void)arg;
    pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &old);
    while (!spin_go)
        usleep(1000); /* not cancelled while disabled */
    pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, &old);
    pthread_testcancel();
    return (void *)2;
}

int main(void)
{
    void *rv;
    pthread_t t;
    pipe(fds);
    pthread_create(&t, NULL, blocked_reader, NULL);
    usleep(20000);
    pthread_cancel(t);
    pthread_join(t, &rv);
    printf("blocked read cancelled: %s, cleanup ran: %d\n",
           rv == PTHREAD_CANCELED ? "PTHREAD_CANCELED" : "other", cleanup_ran);

    pthread_create(&t, NULL, sleeper, NULL);
    usleep(10000);
    pthread_cancel(t);
    pthread_join(t, &rv);
    printf("sleep cancelled: %s\n", rv == PTHREAD_CANCELED ? "PTHREAD_CANCELED" : "other");

    pthread_create(&t, NULL, disabled, NULL);
    pthread_cancel(t);
    usleep(20000);
    spin_go = 1;
    pthread_join(t, &rv);
    printf("cancel while disabled, then testcancel: %s\n",
           rv == PTHREAD_CANCELED ? "PTHREAD_CANCELED" : "other");
    return 0;
}
