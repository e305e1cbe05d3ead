/* fork_setpgid_child: the parent side of process groups after fork (what a
 * shell does): setpgid(child, child) on a live child, getpgid/getsid of a
 * child, kill(-pgid) reaching the moved child only, and getpgid/setpgid on
 * a child that has exited but not been reaped (a zombie: Linux still
 * accepts both). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
    int p[2];
    pipe(p);
    fflush(stdout);
    pid_t b = fork();
    if (b == 0) {
        close(p[1]);
        char c;
        read(p[0], &c, 1);
        _exit(0);
    }
    close(p[0]);
    printf("fork_setpgid_child: live child: getpgid(child)==getpgrp() %d\n", getpgid(b) == getpgrp());
    printf("fork_setpgid_child: live child: getsid(child)==getsid(0) %d\n", getsid(b) == getsid(0));
    errno = 0;
    int r = setpgid(b, b);
    printf("fork_setpgid_child: setpgid(child, child)=%d errno=%s\n", r, r ? strerror(errno) : "-");
    printf("fork_setpgid_child: getpgid(child)==child %d\n", getpgid(b) == b);
    r = kill(-b, SIGTERM);               /* pending before the pipe closes */
    close(p[1]);
    int st;
    waitpid(b, &st, 0);
    printf("fork_setpgid_child: kill(-pgid)=%d: child %s\n", r,
           WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM ? "killed by SIGTERM" : "not killed");

    fflush(stdout);
    pid_t z = fork();
    if (z == 0)
        _exit(3);
    siginfo_t si;
    waitid(P_PID, z, &si, WEXITED | WNOWAIT);   /* z is a zombie now */
    printf("fork_setpgid_child: zombie: getpgid==getpgrp() %d\n", getpgid(z) == getpgrp());
    errno = 0;
    r = setpgid(z, z);
    printf("fork_setpgid_child: zombie: setpgid(z, z)=%d errno=%s\n", r, r ? strerror(errno) : "-");
    pid_t w = waitpid(r == 0 ? -z : z, &st, 0);
    printf("fork_setpgid_child: zombie reaped=%d status=%d\n", w == z, WEXITSTATUS(st));
    return 0;
}
