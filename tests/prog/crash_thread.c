/* crash_thread: an uncaught SIGSEGV in a non-main thread kills the whole
 * process (status 139) while main waits in pthread_join. */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static void *bad(void *arg)
{
    (void)arg;
    usleep(10000);
    printf("thread: faulting\n");
    fflush(stdout);
    volatile int *volatile p = (volatile int *)16;
    return (void *)(long)*p;
}

int main(void)
{
    pthread_t t;
    printf("main: starting thread\n");
    fflush(stdout);
    pthread_create(&t, NULL, bad, NULL);
    pthread_join(t, NULL);
    printf("main: unreachable\n");
    return 0;
}
