/* crash_sigterm: raise(SIGTERM) with the default action ends the process
 * (status 143); atexit handlers do not run. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

static void never(void) { printf("atexit: must not run\n"); }

int main(void)
{
    atexit(never);
    printf("raising SIGTERM\n");
    fflush(stdout);
    raise(SIGTERM);
    printf("unreachable\n");
    return 0;
}
