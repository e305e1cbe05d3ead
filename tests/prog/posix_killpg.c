/* posix_killpg: process groups and group-directed signals.
 * The parent first makes itself a group leader (setpgid(0,0)) so that
 * kill(0, sig) reaches only this test's processes.  Then:
 *  - three children moved into a new group (pgid = first child's pid, set
 *    by both parent and child to avoid the race); kill(-pgid, SIGTERM)
 *    kills all of them and not the parent;
 *  - killpg(pgid, SIGUSR1) reaches every member of a new group (each
 *    member reports its index through a pipe);
 *  - kill(0, SIGUSR2) reaches the caller and the children in its group,
 *    not a child in another group;
 *  - getpgid/getsid/setsid compared symbolically;
 *  - error cases: ESRCH for an empty group, EPERM for setpgid into a
 *    group of another session, setsid by a group leader. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int report_w = -1, my_index = -1;
static volatile sig_atomic_t parent_usr2, parent_term;

static void child_report(int sig)
{
    char c = (char)('0' + my_index);
    (void)sig;
    write(report_w, &c, 1);
    _exit(0);
}

static void parent_handler(int sig)
{
    if (sig == SIGUSR2)
        parent_usr2++;
    else if (sig == SIGTERM)
        parent_term++;
}

static const char *ename(int e)
{
    switch (e) {
    case 0: return "0";
    case ESRCH: return "ESRCH";
    case EPERM: return "EPERM";
    case EINVAL: return "EINVAL";
    case EACCES: return "EACCES";
    default: return "other";
    }
}

static void install(int sig, void (*h)(int))
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = h;
    sigemptyset(&sa.sa_mask);
    sigaction(sig, &sa, NULL);
}

/* fork a child that waits for ever (pause loop); if pgid >= 0 it is moved
 * to that group (0: a new group of its own) by both sides. */
static pid_t spawn(int index, pid_t pgid, int ready_w)
{
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        my_index = index;
        if (pgid >= 0)
            setpgid(0, pgid);
        write(ready_w, "r", 1);
        for (;;)
            pause();
    }
    if (pgid >= 0)
        setpgid(c, pgid == 0 ? c : pgid);
    return c;
}

static void wait_ready(int ready_r, int n)
{
    char c;
    for (int i = 0; i < n; i++)
        read(ready_r, &c, 1);
}

static void sort_chars(char *s, int n)
{
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++)
            if (s[j] < s[i]) {
                char t = s[i];
                s[i] = s[j];
                s[j] = t;
            }
}

int main(void)
{
    int r = setpgid(0, 0);
    printf("parent setpgid(0,0)=%d\n", r);
    pid_t me = getpid();
    printf("parent: getpgrp()==getpid() %d, getpgid(0)==getpgrp() %d, getpgid(me)==getpgrp() %d\n",
           getpgrp() == me, getpgid(0) == getpgrp(), getpgid(me) == getpgrp());
    errno = 0;
    r = setsid();
    printf("parent (group leader) setsid()=%d errno=%s\n", r, ename(r < 0 ? errno : 0));
    pid_t sid = getsid(0);

    install(SIGTERM, parent_handler);
    install(SIGUSR2, parent_handler);
    int ready[2];
    pipe(ready);

    /* 1. three children in a new group; kill(-pgid, SIGTERM) */
    signal(SIGTERM, SIG_DFL);            /* children: default action */
    pid_t k[3];
    k[0] = spawn(0, 0, ready[1]);
    k[1] = spawn(1, k[0], ready[1]);
    k[2] = spawn(2, k[0], ready[1]);
    install(SIGTERM, parent_handler);
    wait_ready(ready[0], 3);
    pid_t pg = k[0];
    printf("group A: getpgid(k0)==k0 %d, getpgid(k1)==k0 %d, getpgid(k2)==k0 %d, != parent group %d\n",
           getpgid(k[0]) == k[0], getpgid(k[1]) == pg, getpgid(k[2]) == pg, pg != getpgrp());
    printf("group A: getsid(k0)==getsid(0) %d, getsid(k2)==getsid(0) %d\n",
           getsid(k[0]) == sid, getsid(k[2]) == sid);
    r = kill(-pg, SIGTERM);
    printf("kill(-pgid, SIGTERM)=%d\n", r);
    for (int i = 0; i < 3; i++) {
        int st;
        pid_t w = waitpid(k[i], &st, 0);
        printf("  child %d: reaped=%d killed by SIGTERM=%d\n", i, w == k[i],
               WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM);
    }
    printf("parent got SIGTERM: %d\n", (int)parent_term);
    errno = 0;
    r = kill(-pg, SIGTERM);
    printf("kill(-pgid) of the now empty group=%d errno=%s\n", r, ename(r < 0 ? errno : 0));
    errno = 0;
    r = killpg(pg, 0);
    printf("killpg(empty group, 0)=%d errno=%s\n", r, ename(r < 0 ? errno : 0));

    /* 2. killpg(pgid, SIGUSR1) to a group of three that report themselves */
    int rep[2];
    pipe(rep);
    report_w = rep[1];
    install(SIGUSR1, child_report);
    k[0] = spawn(0, 0, ready[1]);
    k[1] = spawn(1, k[0], ready[1]);
    k[2] = spawn(2, k[0], ready[1]);
    signal(SIGUSR1, SIG_IGN);            /* the parent: not in the group anyway */
    wait_ready(ready[0], 3);
    pg = k[0];
    r = killpg(pg, 0);
    printf("killpg(pgid, 0)=%d\n", r);
    r = killpg(pg, SIGUSR1);
    printf("killpg(pgid, SIGUSR1)=%d\n", r);
    char got[8];
    int n = 0;
    while (n < 3 && read(rep[0], got + n, 1) == 1)
        n++;
    sort_chars(got, n);
    printf("  reports: %.*s\n", n, got);
    for (int i = 0; i < 3; i++) {
        int st;
        waitpid(k[i], &st, 0);
        printf("  child %d: exit=%d\n", i, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    }

    /* 3. kill(0, SIGUSR2): two children stay in the parent's group, one
     *    goes to its own group */
    install(SIGUSR2, child_report);
    k[0] = spawn(3, -1, ready[1]);
    k[1] = spawn(4, -1, ready[1]);
    k[2] = spawn(5, 0, ready[1]);
    install(SIGUSR2, parent_handler);
    wait_ready(ready[0], 3);
    printf("same group: getpgid(k0)==getpgrp() %d, getpgid(k1)==getpgrp() %d, getpgid(k2)==k2 %d\n",
           getpgid(k[0]) == getpgrp(), getpgid(k[1]) == getpgrp(), getpgid(k[2]) == k[2]);
    parent_usr2 = 0;
    r = kill(0, SIGUSR2);
    printf("kill(0, SIGUSR2)=%d, parent got it: %d\n", r, (int)parent_usr2);
    n = 0;
    while (n < 2 && read(rep[0], got + n, 1) == 1)
        n++;
    sort_chars(got, n);
    printf("  reports: %.*s\n", n, got);
    for (int i = 0; i < 2; i++) {
        int st;
        waitpid(k[i], &st, 0);
        printf("  child %d: exit=%d\n", i + 3, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    }
    /* the one in the other group did not get it: it is still running */
    int st;
    pid_t w = waitpid(k[2], &st, WNOHANG);
    printf("  child in other group still running: %d\n", w == 0);
    kill(k[2], SIGKILL);
    waitpid(k[2], &st, 0);
    printf("  child 5: killed by SIGKILL=%d\n", WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);

    /* 4. setpgid/setsid errors and setsid in a child */
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        pid_t self = getpid();
        int ok = 1;
        pid_t s = setsid();
        ok &= s == self;
        ok &= getsid(0) == self;
        ok &= getpgrp() == self;
        /* setpgid into a group of another session: EPERM */
        errno = 0;
        int e = setpgid(0, getppid());
        ok &= e == -1 && errno == EPERM;
        _exit(ok ? 0 : 1);
    }
    waitpid(c, &st, 0);
    printf("child setsid: new session and group led by child: %d\n",
           WIFEXITED(st) && WEXITSTATUS(st) == 0);
    errno = 0;
    r = setpgid(0, -1);
    printf("setpgid(0, -1)=%d errno=%s\n", r, ename(r < 0 ? errno : 0));
    errno = 0;
    r = setpgid(c, 0);                   /* reaped: no such child */
    printf("setpgid(reaped child, 0)=%d errno=%s\n", r, ename(r < 0 ? errno : 0));
    errno = 0;
    r = getpgid(c);
    printf("getpgid(reaped child)=%d errno=%s\n", r, ename(r < 0 ? errno : 0));
    return 0;
}
