/* crash_fpe: integer division by zero dies of SIGFPE (status 136). */
#include <stdio.h>

static volatile int zero = 0;

int main(void)
{
    printf("dividing by zero\n");
    fflush(stdout);
    volatile int r = 42 / zero;
    printf("unreachable %d\n", r);
    return 0;
}
