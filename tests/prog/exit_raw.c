/* exit_raw: _exit skips atexit handlers and stdio flushing; status 7. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static void handler(void) { printf("atexit must not run\n"); }

int main(void)
{
    atexit(handler);
    printf("flushed line\n");
    fflush(stdout);
    printf("this stays in the stdio buffer and is lost\n");
    _exit(7);
}
