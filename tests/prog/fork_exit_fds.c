/* fork_exit_fds: a child's descriptors are closed by the time wait returns
 * its status.  The child holds the only write end of a pipe and exits; right
 * after waitpid the parent polls the read end without blocking and must see
 * end-of-file (POLLHUP, read returns 0).  Repeated 50 times; the same for a
 * child killed by SIGKILL. */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

static int eof_now(int fd)
{
    struct pollfd pfd = { .fd = fd, .events = POLLIN };
    if (poll(&pfd, 1, 0) != 1 || !(pfd.revents & POLLHUP))
        return 0;
    char c;
    return read(fd, &c, 1) == 0;
}

int main(void)
{
    int exited = 0, killed = 0;
    for (int i = 0; i < 50; i++) {
        int p[2];
        pipe(p);
        fcntl(p[0], F_SETFL, O_NONBLOCK);
        pid_t pid = fork();
        if (pid == 0) {
            close(p[0]);
            _exit(0);
        }
        close(p[1]);
        waitpid(pid, NULL, 0);
        exited += eof_now(p[0]);
        close(p[0]);
    }
    for (int i = 0; i < 50; i++) {
        int p[2], go[2];
        pipe(p);
        pipe(go);
        fcntl(p[0], F_SETFL, O_NONBLOCK);
        pid_t pid = fork();
        if (pid == 0) {
            close(p[0]);
            char c = 'r';
            write(go[1], &c, 1);
            for (;;)
                pause();
        }
        close(p[1]);
        char c;
        read(go[0], &c, 1);
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        killed += eof_now(p[0]);
        close(p[0]);
        close(go[0]);
        close(go[1]);
    }
    printf("fork_exit_fds: pipe at EOF right after waitpid: exited %d/50, killed %d/50\n", exited,
           killed);
    return 0;
}
