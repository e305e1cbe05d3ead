/* fork_waitpid: the variants of waitpid and waitid on forked children:
 * pid > 0 picks that child even when another one has exited first; -1
 * takes any; 0 takes only children in the caller's process group (a child
 * that moved to its own group is waited for with -pgid); WNOHANG returns 0
 * while a child is alive (blocked reading a pipe until the parent closes
 * it); waitid with WNOWAIT leaves the zombie in place; ECHILD at the end and
 * for a pid that is not a child. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static pid_t child_exit(int code)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0)
        _exit(code);
    return pid;
}

static pid_t child_blocked(int rfd, int wfd, int code)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        close(wfd);
        char c;
        ssize_t r = read(rfd, &c, 1);    /* returns 0 once the parent closes */
        _exit(r == 0 ? code : 100);
    }
    return pid;
}

static void zombie_wait(pid_t pid)
{
    siginfo_t si;
    memset(&si, 0, sizeof si);
    waitid(P_PID, pid, &si, WEXITED | WNOWAIT); /* until it is a zombie */
}

int main(void)
{
    int st;
    pid_t w;

    /* pid > 0 while another child has already exited */
    pid_t a = child_exit(1), b = child_exit(2), c;
    zombie_wait(a);
    zombie_wait(b);
    w = waitpid(b, &st, 0);
    printf("fork_waitpid: waitpid(b) returned b=%d status=%d\n", w == b, WEXITSTATUS(st));
    w = waitpid(-1, &st, 0);
    printf("fork_waitpid: waitpid(-1) returned a=%d status=%d\n", w == a, WEXITSTATUS(st));

    /* WNOWAIT keeps the zombie: waitid twice, then waitpid */
    a = child_exit(3);
    siginfo_t si;
    memset(&si, 0, sizeof si);
    int r = waitid(P_PID, a, &si, WEXITED | WNOWAIT);
    printf("fork_waitpid: waitid WNOWAIT r=%d pid-ok=%d code=%s status=%d\n", r, si.si_pid == a,
           si.si_code == CLD_EXITED ? "CLD_EXITED" : "other", si.si_status);
    memset(&si, 0, sizeof si);
    r = waitid(P_ALL, 0, &si, WEXITED);
    printf("fork_waitpid: waitid P_ALL r=%d pid-ok=%d status=%d\n", r, si.si_pid == a,
           si.si_status);
    errno = 0;
    w = waitpid(a, &st, WNOHANG);
    printf("fork_waitpid: reaped child again: %d ECHILD=%d\n", (int)w, errno == ECHILD);

    /* WNOHANG with a live child, then a blocking wait */
    int p[2];
    pipe(p);
    a = child_blocked(p[0], p[1], 4);
    close(p[0]);
    w = waitpid(a, &st, WNOHANG);
    printf("fork_waitpid: WNOHANG(pid) while alive: %d\n", (int)w);
    w = waitpid(-1, &st, WNOHANG);
    printf("fork_waitpid: WNOHANG(-1) while alive: %d\n", (int)w);
    w = waitpid(0, &st, WNOHANG);
    printf("fork_waitpid: WNOHANG(0) while alive: %d\n", (int)w);
    memset(&si, 0, sizeof si);
    r = waitid(P_ALL, 0, &si, WEXITED | WNOHANG);
    printf("fork_waitpid: waitid WNOHANG while alive: r=%d si_pid=%d\n", r, (int)si.si_pid);
    close(p[1]);
    w = waitpid(a, &st, 0);
    printf("fork_waitpid: after closing the pipe: returned child=%d status=%d\n", w == a,
           WEXITSTATUS(st));

    /* process groups: b moves itself to its own group, tells us, waits for
     * our go and exits; c stays in our group, alive */
    int q[2], moved[2];
    pipe(p);
    pipe(q);
    pipe(moved);
    fflush(stdout);
    b = fork();
    if (b == 0) {
        close(q[1]);
        int ok = setpgid(0, 0) == 0 && getpgrp() == getpid();
        write(moved[1], &ok, sizeof ok);
        char ch;
        read(q[0], &ch, 1);
        _exit(5);
    }
    close(q[0]);
    int moved_ok = 0;
    read(moved[0], &moved_ok, sizeof moved_ok);
    printf("fork_waitpid: b moved itself to its own group: %d\n", moved_ok);
    close(q[1]);                         /* b exits now */
    zombie_wait(b);
    c = child_blocked(p[0], p[1], 6);
    close(p[0]);
    w = waitpid(0, &st, WNOHANG);
    printf("fork_waitpid: waitpid(0, WNOHANG) with own-group child alive, other-group zombie: %d\n",
           (int)w);
    close(p[1]);
    w = waitpid(0, &st, 0);
    printf("fork_waitpid: waitpid(0) returned c=%d status=%d\n", w == c, WEXITSTATUS(st));
    w = waitpid(-b, &st, 0);
    printf("fork_waitpid: waitpid(-pgid) returned b=%d status=%d\n", w == b, WEXITSTATUS(st));

    /* nothing left */
    errno = 0;
    w = waitpid(-1, &st, 0);
    printf("fork_waitpid: waitpid(-1) with no children: %d ECHILD=%d\n", (int)w, errno == ECHILD);
    errno = 0;
    w = waitpid(0, &st, WNOHANG);
    printf("fork_waitpid: waitpid(0, WNOHANG) with no children: %d ECHILD=%d\n", (int)w,
           errno == ECHILD);
    errno = 0;
    w = waitpid(getpid(), &st, 0);
    printf("fork_waitpid: waitpid(self): %d ECHILD=%d\n", (int)w, errno == ECHILD);
    errno = 0;
    r = waitid(P_ALL, 0, &si, WEXITED);
    printf("fork_waitpid: waitid with no children: %d ECHILD=%d\n", r, errno == ECHILD);
    return 0;
}
