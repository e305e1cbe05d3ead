/* tty_drive: runs a command as the session leader of a new pseudo-terminal,
 * as a terminal emulator would, types Ctrl-C into it once the command has
 * printed "ready", and prints what the command wrote (without CRs) and its
 * wait status (a command still running 10 s later is hung up and killed).
 * Built with plain gcc for tests/cli/terminal.sh. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    int m = posix_openpt(O_RDWR | O_NOCTTY);
    if (m < 0 || grantpt(m) < 0 || unlockpt(m) < 0)
        return 2;
    char *name = ptsname(m);
    pid_t pid = fork();
    if (pid == 0) {
        setsid();
        int s = open(name, O_RDWR);    /* the controlling terminal */
        if (s < 0)
            _exit(126);
        dup2(s, 0);
        dup2(s, 1);
        dup2(s, 2);
        close(s);
        close(m);
        execv(argv[1], argv + 1);
        _exit(127);
    }
    char out[65536];
    size_t n = 0;
    int sent = 0;
    time_t end = time(NULL) + 10;
    while (time(NULL) < end && n < sizeof out - 1) {
        struct pollfd p = { m, POLLIN, 0 };
        if (poll(&p, 1, 100) <= 0)
            continue;
        ssize_t r = read(m, out + n, sizeof out - 1 - n);
        if (r <= 0)
            break;    /* EIO: the last slave fd is closed */
        n += r;
        out[n] = 0;
        if (!sent && strstr(out, "ready\r\n")) {
            usleep(200000);
            write(m, "\003", 1);
            sent = 1;
        }
    }
    int st = 0;
    if (waitpid(pid, &st, WNOHANG) == 0) {
        usleep(500000);
        if (waitpid(pid, &st, WNOHANG) == 0) {    /* stuck: hang up, kill its group */
            close(m);
            kill(-pid, SIGKILL);
            waitpid(pid, &st, 0);
        }
    }
    for (size_t i = 0; i < n; i++)
        if (out[i] != '\r')
            putchar(out[i]);
    printf("status %d\n", st);
    return 0;
}
