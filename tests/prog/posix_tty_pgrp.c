/* posix_tty_pgrp: controlling terminals and terminal process groups, on a
 * pseudo-terminal of its own (no terminal is needed).  The parent P opens a
 * pty and checks what a process that does not control it sees; then:
 *  - S: setsid, opens the slave (which makes it S's controlling terminal),
 *    tcgetsid/tcgetpgrp through the slave, the master and /dev/tty,
 *    tcsetpgrp errors (EINVAL, ESRCH, EPERM for P's group), a member's pid;
 *  - G, S's child in its own group: tcsetpgrp from the background (SIGTTOU
 *    caught: EINTR; blocked or ignored: allowed), TIOCSCTTY by a non-leader,
 *    TIOCNOTTY by a non-leader;
 *  - S from the background of an orphaned group: ENOTTY;
 *  - S2, a second session: the terminal is taken (EPERM), another pty
 *    through TIOCSCTTY;
 *  - S exits while K's group is in the foreground: K gets SIGHUP and the
 *    terminal is free again, which S3 shows by taking it; S3's TIOCNOTTY as
 *    leader (SIGHUP to its own foreground group); TIOCSIG on the master
 *    signals the foreground group.
 * Every value printed is relative to the processes' own ids. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

static const char *ename(int e)
{
    switch (e) {
    case 0: return "0";
    case ENOTTY: return "ENOTTY";
    case EPERM: return "EPERM";
    case ESRCH: return "ESRCH";
    case EINVAL: return "EINVAL";
    case EBADF: return "EBADF";
    case EINTR: return "EINTR";
    case ENXIO: return "ENXIO";
    case EIO: return "EIO";
    case EFAULT: return "EFAULT";
    default: return strerror(e);
    }
}

/* "0" on success, else the errno's name (one call per statement: the
 * calls a line prints are made in order before it) */
#define RES(call) ({ errno = 0; (call) < 0 ? ename(errno) : "0"; })

static const char *yes(int c) { return c ? "yes" : "no"; }

static volatile sig_atomic_t ttou, hup, quit;
static void on_quit(int s) { (void)s; quit++; }
static void on_ttou(int s) { (void)s; ttou++; }
static void on_hup(int s) { (void)s; hup++; }
static int hup_w = -1;
static void hup_report(int s) { (void)s; write(hup_w, "H", 1); _exit(0); }

static void handle(int sig, void (*h)(int))
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = h;
    sigemptyset(&sa.sa_mask);
    sigaction(sig, &sa, NULL);    /* no SA_RESTART */
}

static void block(int sig, int how)
{
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, sig);
    sigprocmask(how, &s, NULL);
}

static pid_t sctty(int fd, int arg) { return ioctl(fd, TIOCSCTTY, arg); }

static void wait_byte(int fd)
{
    char c;
    while (read(fd, &c, 1) < 0 && errno == EINTR)
        ;
}

static int reap(pid_t pid)
{
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static pid_t fork_flushed(void)
{
    fflush(stdout);
    return fork();
}

static int master, parent_pid;
static char slave_name[128];

/* G: S's child, leader of its own group (a background one at first). */
static void g_main(int fd, int go_r, int done_w)
{
    wait_byte(go_r);
    printf("G: tcgetpgrp != getpgrp() (background): %s\n", yes(tcgetpgrp(fd) != getpgrp()));
    handle(SIGTTOU, on_ttou);
    const char *r = RES(tcsetpgrp(fd, getpgrp()));
    printf("G: bg tcsetpgrp, SIGTTOU caught: %s, caught %d\n", r, (int)ttou);
    block(SIGTTOU, SIG_BLOCK);
    printf("G: bg tcsetpgrp, SIGTTOU blocked: %s\n", RES(tcsetpgrp(fd, getpgrp())));
    block(SIGTTOU, SIG_UNBLOCK);
    printf("G: tcgetpgrp == getpgrp(): %s, SIGTTOU caught %d\n",
           yes(tcgetpgrp(fd) == getpgrp()), (int)ttou);
    printf("G: fg tcsetpgrp to S's group: %s\n", RES(tcsetpgrp(fd, getppid())));
    signal(SIGTTOU, SIG_IGN);
    printf("G: bg tcsetpgrp, SIGTTOU ignored: %s\n", RES(tcsetpgrp(fd, getpgrp())));
    signal(SIGTTOU, SIG_DFL);
    printf("G: tcgetpgrp == getpgrp(): %s\n", yes(tcgetpgrp(fd) == getpgrp()));
    printf("G: TIOCSCTTY (not a session leader): %s\n", RES(sctty(fd, 0)));
    fflush(stdout);
    write(done_w, "d", 1);
    wait_byte(go_r);
    printf("G: TIOCNOTTY on a pipe: %s\n", RES(ioctl(go_r, TIOCNOTTY)));
    printf("G: TIOCNOTTY (not the leader): %s\n", RES(ioctl(fd, TIOCNOTTY)));
    printf("G: after TIOCNOTTY: tcgetpgrp %s", RES(tcgetpgrp(fd)));
    printf(", tcgetsid %s", RES(tcgetsid(fd)));
    printf(", open /dev/tty %s\n", RES(open("/dev/tty", O_RDWR)));
    printf("G: master still shows the foreground group: %s\n",
           yes(tcgetpgrp(master) == getpgrp()));
    fflush(stdout);
    _exit(0);
}

/* S2: another session; the first pty is taken, a second one it takes with
 * TIOCSCTTY. */
static void s2_main(int s_fd)
{
    setsid();
    int fd = open(slave_name, O_RDWR);
    printf("S2: opened the taken slave: %s, tcgetpgrp %s\n", yes(fd >= 0), RES(tcgetpgrp(fd)));
    printf("S2: TIOCSCTTY on a terminal of another session: %s\n", RES(sctty(fd, 0)));
    int m2 = posix_openpt(O_RDWR | O_NOCTTY);
    grantpt(m2);
    unlockpt(m2);
    int fd2 = open(ptsname(m2), O_RDWR | O_NOCTTY);
    printf("S2: second pty, O_NOCTTY: tcgetpgrp %s, tcgetsid(master) %s\n",
           RES(tcgetpgrp(fd2)), RES(tcgetsid(m2)));
    printf("S2: TIOCSCTTY: %s\n", RES(sctty(fd2, 0)));
    printf("S2: tcgetsid == getsid(0): %s, tcgetpgrp == getpgrp(): %s\n",
           yes(tcgetsid(fd2) == getsid(0)), yes(tcgetpgrp(fd2) == getpgrp()));
    printf("S2: through its master: %s\n",
           yes(tcgetsid(m2) == getsid(0) && tcgetpgrp(m2) == getpgrp()));
    printf("S2: TIOCSCTTY again on it: %s", RES(sctty(fd2, 0)));
    printf("; on the other pty: %s", RES(sctty(fd, 0)));
    printf("; inherited fd: %s\n", RES(sctty(s_fd, 0)));
    printf("S2: tcgetpgrp on the other pty: %s\n", RES(tcgetpgrp(s_fd)));
    fflush(stdout);
    _exit(0);
}

static void s_main(int s0, int k_hup_w)
{
    printf("S: setsid == getpid(): %s\n", yes(setsid() == getpid()));
    printf("S: before open: tcgetpgrp %s\n", RES(tcgetpgrp(s0)));
    int fd = open(slave_name, O_RDWR);
    printf("S: open slave: %s\n", yes(fd >= 0));
    printf("S: tcgetsid == getsid(0): %s, tcgetpgrp == getpgrp(): %s\n",
           yes(tcgetsid(fd) == getsid(0)), yes(tcgetpgrp(fd) == getpgrp()));
    printf("S: through the older fd: %s, through the master: %s\n",
           yes(tcgetpgrp(s0) == getpgrp()),
           yes(tcgetpgrp(master) == getpgrp() && tcgetsid(master) == getsid(0)));
    int t = open("/dev/tty", O_RDWR);
    printf("S: /dev/tty: %s, tcgetpgrp == getpgrp(): %s\n", yes(t >= 0),
           yes(tcgetpgrp(t) == getpgrp()));
    close(t);
    printf("S: TIOCSCTTY on its own terminal: %s\n", RES(sctty(fd, 0)));
    printf("S: bad pointers: TIOCGPGRP %s, TIOCSPGRP %s, TIOCGSID %s\n",
           RES(ioctl(fd, TIOCGPGRP, (void *)8)), RES(ioctl(fd, TIOCSPGRP, (void *)8)),
           RES(ioctl(fd, TIOCGSID, (void *)-4096L)));
    int p[2];
    pipe(p);
    printf("S: tcgetpgrp on a pipe: %s, on a closed fd: %s\n", RES(tcgetpgrp(p[0])),
           RES(tcgetpgrp(999)));
    close(p[0]);
    close(p[1]);
    printf("S: tcsetpgrp -1: %s", RES(tcsetpgrp(fd, -1)));
    printf(", INT_MAX: %s", RES(tcsetpgrp(fd, INT_MAX)));
    printf(", P's group: %s", RES(tcsetpgrp(fd, parent_pid)));
    printf(", own: %s\n", RES(tcsetpgrp(fd, getpgrp())));

    /* a member of S's group that leads none: its pid names the session */
    int hold[2];
    pipe(hold);
    pid_t h = fork_flushed();
    if (h == 0) {
        close(hold[1]);
        wait_byte(hold[0]);
        _exit(0);
    }
    const char *r = RES(tcsetpgrp(fd, h));
    printf("S: tcsetpgrp to a member's pid: %s, tcgetpgrp == that pid: %s\n", r,
           yes(tcgetpgrp(fd) == h));
    block(SIGTTOU, SIG_BLOCK);
    printf("S: back to own group: %s\n", RES(tcsetpgrp(fd, getpgrp())));
    block(SIGTTOU, SIG_UNBLOCK);
    close(hold[1]);
    reap(h);

    /* G */
    int go[2], done[2];
    pipe(go);
    pipe(done);
    pid_t g = fork_flushed();
    if (g == 0) {
        setpgid(0, 0);
        g_main(fd, go[0], done[1]);
    }
    setpgid(g, g);
    write(go[1], "g", 1);
    wait_byte(done[0]);
    printf("S: tcgetpgrp == G: %s\n", yes(tcgetpgrp(fd) == g));
    printf("S: bg tcsetpgrp from an orphaned group: %s\n", RES(tcsetpgrp(fd, getpgrp())));
    write(go[1], "g", 1);
    printf("S: G exited %d\n", reap(g));
    printf("S: still controls it: %s, G's group is still the foreground: %s\n",
           yes(tcgetsid(fd) == getsid(0)), yes(tcgetpgrp(fd) == g));
    signal(SIGTTOU, SIG_IGN);
    printf("S: bg tcsetpgrp, SIGTTOU ignored: %s\n", RES(tcsetpgrp(fd, getpgrp())));
    signal(SIGTTOU, SIG_DFL);

    /* S2 */
    pid_t s2 = fork_flushed();
    if (s2 == 0)
        s2_main(fd);
    printf("S: S2 exited %d\n", reap(s2));

    /* K: in the foreground when S exits */
    int ready[2];
    pipe(ready);
    pid_t k = fork_flushed();
    if (k == 0) {
        hup_w = k_hup_w;
        handle(SIGHUP, hup_report);
        alarm(10);  /* never left behind */
        setpgid(0, 0);
        write(ready[1], "r", 1);
        for (;;)
            pause();
    }
    setpgid(k, k);
    wait_byte(ready[0]);
    printf("S: K to the foreground: %s\n", RES(tcsetpgrp(fd, k)));
    fflush(stdout);
    _exit(0);
}

int main(void)
{
    setpgid(0, 0);  /* P's pid names a group of P's session */
    parent_pid = getpid();
    master = posix_openpt(O_RDWR | O_NOCTTY);
    if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0 || !ptsname(master)) {
        printf("openpt: failed\n");
        return 1;
    }
    snprintf(slave_name, sizeof slave_name, "%s", ptsname(master));
    int s0 = open(slave_name, O_RDWR | O_NOCTTY);
    printf("openpt: ok, slave: %s, isatty %d %d\n", yes(s0 >= 0), isatty(master), isatty(s0));
    printf("P: not its terminal: tcgetpgrp %s", RES(tcgetpgrp(s0)));
    printf(", tcgetsid %s", RES(tcgetsid(s0)));
    printf(", tcsetpgrp %s", RES(tcsetpgrp(s0, getpgrp())));
    printf(", TIOCNOTTY %s\n", RES(ioctl(s0, TIOCNOTTY)));
    printf("P: master: tcgetpgrp %d, tcgetsid %s\n", tcgetpgrp(master), RES(tcgetsid(master)));
    int f = open("/proc/self/cmdline", O_RDONLY);
    printf("P: tcgetpgrp on a file: %s, TIOCSCTTY on a file: %s\n", RES(tcgetpgrp(f)),
           RES(sctty(f, 0)));
    close(f);
    printf("P: bad pointer: %s\n", RES(ioctl(s0, TIOCGPGRP, (void *)8)));

    int hp[2];
    pipe(hp);
    pid_t s = fork_flushed();
    if (s == 0) {
        close(hp[0]);
        s_main(s0, hp[1]);
    }
    close(hp[1]);
    printf("P: S exited %d\n", reap(s));
    struct pollfd pfd = { hp[0], POLLIN, 0 };
    char c = 0;
    int got = poll(&pfd, 1, 5000) == 1 && read(hp[0], &c, 1) == 1 && c == 'H';
    printf("P: K got SIGHUP when S exited: %s\n", yes(got));
    printf("P: master after S exited: tcgetpgrp %d, tcgetsid %s\n", tcgetpgrp(master),
           RES(tcgetsid(master)));

    /* S3: the terminal is free again; TIOCNOTTY as the session leader */
    s = fork_flushed();
    if (s == 0) {
        setsid();
        int fd = open(slave_name, O_RDWR);
        printf("S3: took it: %s\n", yes(tcgetsid(fd) == getsid(0) && tcgetpgrp(fd) == getpgrp()));
        handle(SIGHUP, on_hup);
        const char *r = RES(ioctl(fd, TIOCNOTTY));
        printf("S3: TIOCNOTTY as leader: %s, SIGHUP %d\n", r, (int)hup);
        printf("S3: after: tcgetpgrp %s, master tcgetsid %s, tcgetpgrp %d\n", RES(tcgetpgrp(fd)),
               RES(tcgetsid(master)), tcgetpgrp(master));
        printf("S3: TIOCSCTTY takes it back: %s\n", RES(sctty(fd, 0)));
        handle(SIGQUIT, on_quit);
        r = RES(ioctl(master, TIOCSIG, SIGQUIT));
        printf("S3: TIOCSIG SIGQUIT through the master: %s, SIGQUIT %d\n", r, (int)quit);
        fflush(stdout);
        _exit(0);
    }
    printf("P: S3 exited %d\n", reap(s));
    printf("P: done\n");
    return 0;
}
