/* crash_sigpipe: writing to a pipe with no reader raises SIGPIPE, whose
 * default action kills the process (status 141). */
#include <stdio.h>
#include <unistd.h>

int main(void)
{
    int p[2];
    pipe(p);
    close(p[0]);
    printf("writing to a pipe without readers\n");
    fflush(stdout);
    write(p[1], "x", 1);
    printf("unreachable\n");
    return 0;
}
