/* fork_orphan_grandchild: a child forks a grandchild and exits at once.  The
 * parent's wait returns the child, and the next wait fails with ECHILD right
 * away - the grandchild is not the parent's child, and it is still running
 * (its message has not arrived yet).  The grandchild sleeps ~200 ms, notices
 * it was reparented, writes to a pipe and exits; the parent reads that. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
    int p[2];
    pipe(p);
    fflush(stdout);
    pid_t child = fork();
    if (child == 0) {
        pid_t me = getpid();
        pid_t g = fork();
        if (g == 0) {
            usleep(200000);
            char msg[64];
            int n = snprintf(msg, sizeof msg, "grandchild done, reparented=%d\n", getppid() != me);
            write(p[1], msg, n);
            _exit(0);
        }
        _exit(g > 0 ? 3 : 4);
    }
    close(p[1]);
    int st;
    pid_t w = waitpid(-1, &st, 0);
    printf("fork_orphan_grandchild: first wait: the child=%d status=%d\n", w == child,
           WEXITSTATUS(st));
    errno = 0;
    w = waitpid(-1, &st, 0);
    int echild = w == -1 && errno == ECHILD;
    struct pollfd pfd = { .fd = p[0], .events = POLLIN };
    int ready = poll(&pfd, 1, 0);
    printf("fork_orphan_grandchild: second wait: ECHILD=%d, grandchild still running=%d\n", echild,
           ready == 0);
    char buf[128];
    size_t len = 0;
    ssize_t r;
    while ((r = read(p[0], buf + len, sizeof buf - 1 - len)) > 0)
        len += r;
    buf[len] = 0;
    printf("fork_orphan_grandchild: from the pipe: %s", len ? buf : "(nothing)\n");
    return 0;
}
