/* crash_abort: abort() dies of SIGABRT (status 134), even with a handler that
 * returns; unflushed stdio output is lost. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

static void handler(int sig) { (void)sig; }

int main(void)
{
    signal(SIGABRT, handler); /* abort() must still terminate */
    printf("calling abort()\n");
    fflush(stdout);
    printf("unflushed: lost\n");
    abort();
}
