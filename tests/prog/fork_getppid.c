/* fork_getppid: process ids across fork: in the child getppid() equals the
 * parent's getpid(), getpid() equals what fork returned to the parent and
 * differs from the parent's; a grandchild's getppid() is the child; process
 * group and session are inherited. */
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

struct ids { int ppid_ok, pid_differs, gc_ppid_ok, pgrp_same, sid_same; pid_t pid; };

int main(void)
{
    int p[2];
    pipe(p);
    pid_t parent = getpid(), pgrp = getpgrp(), sid = getsid(0);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        struct ids r = { .ppid_ok = getppid() == parent, .pid_differs = getpid() != parent,
                         .pgrp_same = getpgrp() == pgrp, .sid_same = getsid(0) == sid,
                         .pid = getpid() };
        int q[2];
        pipe(q);
        pid_t me = getpid();
        pid_t g = fork();
        if (g == 0) {
            int ok = getppid() == me;
            write(q[1], &ok, sizeof ok);
            _exit(0);
        }
        read(q[0], &r.gc_ppid_ok, sizeof r.gc_ppid_ok);
        waitpid(g, NULL, 0);
        write(p[1], &r, sizeof r);
        _exit(0);
    }
    struct ids r = { 0 };
    read(p[0], &r, sizeof r);
    waitpid(pid, NULL, 0);
    printf("fork_getppid: child getppid()==parent getpid(): %d\n", r.ppid_ok);
    printf("fork_getppid: child getpid()!=parent getpid(): %d\n", r.pid_differs);
    printf("fork_getppid: child getpid()==fork() return: %d\n", r.pid == pid);
    printf("fork_getppid: grandchild getppid()==child getpid(): %d\n", r.gc_ppid_ok);
    printf("fork_getppid: process group inherited: %d, session inherited: %d\n", r.pgrp_same,
           r.sid_same);
    printf("fork_getppid: parent getpid() unchanged: %d\n", getpid() == parent);
    return 0;
}
