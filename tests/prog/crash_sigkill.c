/* crash_sigkill: kill(getpid(), SIGKILL) while SIGKILL "blocked" and other
 * threads run (status 137). */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

static void *spin(void *arg)
{
    (void)arg;
    for (;;)
        pause();
    return NULL;
}

int main(void)
{
    sigset_t all;
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, NULL); /* cannot block SIGKILL */
    pthread_t t;
    pthread_create(&t, NULL, spin, NULL);
    printf("sending SIGKILL to self\n");
    fflush(stdout);
    kill(getpid(), SIGKILL);
    for (;;)
        pause();
}
