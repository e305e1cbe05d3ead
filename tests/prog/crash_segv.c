/* crash_segv: an uncaught SIGSEGV kills the process (status 139). */
#include <stdio.h>

int main(void)
{
    printf("about to dereference a bad pointer\n");
    fflush(stdout);
    volatile int *volatile p = (volatile int *)8;
    *p = 1;
    printf("unreachable\n");
    return 0;
}
