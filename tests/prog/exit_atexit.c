/* exit_atexit: atexit handlers run in reverse order, stdio is flushed, exit(3). */
#include <stdio.h>
#include <stdlib.h>

static void h1(void) { printf("atexit handler 1 (registered first, runs last)\n"); }
static void h2(void) { printf("atexit handler 2\n"); }
static void h3(void) { printf("atexit handler 3 (registered last, runs first)\n"); }

int main(void)
{
    atexit(h1);
    atexit(h2);
    atexit(h3);
    printf("main: buffered output, calling exit(3)\n"); /* no fflush: exit does it */
    exit(3);
}
