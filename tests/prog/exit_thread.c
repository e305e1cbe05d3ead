/* exit_thread: exit(5) from a non-main thread ends the whole process while
 * main is blocked in pthread_join. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static void *blocker(void *arg)
{
    (void)arg;
    for (;;)
        pause();
    return NULL;
}

static void *exiter(void *arg)
{
    (void)arg;
    usleep(20000);
    printf("thread: calling exit(5)\n");
    exit(5);
}

int main(void)
{
    pthread_t a, b;
    printf("main: starting threads\n");
    fflush(stdout);
    pthread_create(&a, NULL, blocker, NULL);
    pthread_create(&b, NULL, exiter, NULL);
    pthread_join(a, NULL); /* never returns */
    printf("main: unreachable\n");
    return 0;
}
