/* posix_eintr_read: SIGALRM (setitimer, alarm) delivered to a process
 * blocked in read() on an empty pipe.  Without SA_RESTART the read fails
 * with EINTR; with SA_RESTART it is restarted and returns the data that a
 * forked child, or a thread, writes only after the signal arrived (the
 * handler wakes the writer through a second pipe, so the order is fixed). */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t alarms;
static int go_w = -1;                   /* handler writes here when >= 0 */

static void on_alrm(int sig)
{
    (void)sig;
    alarms++;
    if (go_w >= 0) {
        int e = errno;
        write(go_w, "g", 1);
        errno = e;
    }
}

static void set_handler(int flags)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alrm;
    sa.sa_flags = flags;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGALRM, &sa, NULL);
}

static void arm_ms(int ms)
{
    struct itimerval it = {{0, 0}, {ms / 1000, (ms % 1000) * 1000}};
    setitimer(ITIMER_REAL, &it, NULL);
}

static const char *ename(int e)
{
    switch (e) {
    case 0: return "0";
    case EINTR: return "EINTR";
    case EAGAIN: return "EAGAIN";
    case EBADF: return "EBADF";
    default: return "other";
    }
}

static void report(const char *what, ssize_t r, int err, const char *buf)
{
    if (r < 0)
        printf("%s: ret=-1 errno=%s alarms=%d\n", what, ename(err), (int)alarms);
    else
        printf("%s: ret=%zd data=\"%.*s\" alarms=%d\n", what, r, (int)r, buf, (int)alarms);
}

static int go_r_thread, data_w_thread;

static void *writer_thread(void *arg)
{
    (void)arg;
    char c;
    read(go_r_thread, &c, 1);            /* woken by the handler */
    write(data_w_thread, "from-thread", 11);
    return NULL;
}

int main(void)
{
    int p[2], go[2];
    char buf[64];
    ssize_t r;
    int err;

    /* 1. no SA_RESTART, setitimer: read fails with EINTR */
    set_handler(0);
    pipe(p);
    alarms = 0;
    arm_ms(50);
    errno = 0;
    r = read(p[0], buf, sizeof buf);
    err = errno;
    report("no SA_RESTART, itimer, read", r, err, buf);
    /* the pipe is still usable afterwards */
    write(p[1], "later", 5);
    r = read(p[0], buf, sizeof buf);
    report("after EINTR, read again", r, errno, buf);

    /* 2. no SA_RESTART, alarm(1), readv */
    alarms = 0;
    alarm(1);
    struct iovec iov = {buf, sizeof buf};
    errno = 0;
    r = readv(p[0], &iov, 1);
    err = errno;
    report("no SA_RESTART, alarm, readv", r, err, buf);
    close(p[0]);
    close(p[1]);

    /* 3. SA_RESTART: read restarted, data comes from a forked child that
     *    writes only after the handler ran */
    set_handler(SA_RESTART);
    pipe(p);
    pipe(go);
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        close(p[0]);
        close(go[1]);
        char ch;
        if (read(go[0], &ch, 1) != 1)
            _exit(1);
        write(p[1], "from-child", 10);
        _exit(0);
    }
    close(p[1]);
    close(go[0]);
    go_w = go[1];
    alarms = 0;
    arm_ms(50);
    errno = 0;
    r = read(p[0], buf, sizeof buf);
    err = errno;
    go_w = -1;
    report("SA_RESTART, child writes after signal, read", r, err, buf);
    int st;
    while (waitpid(c, &st, 0) < 0 && errno == EINTR)
        ;
    printf("child exit status=%d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    close(p[0]);
    close(go[1]);

    /* 4. SA_RESTART: same with a thread as the writer; the thread blocks
     *    SIGALRM so the signal goes to the reader */
    pipe(p);
    pipe(go);
    go_r_thread = go[0];
    data_w_thread = p[1];
    sigset_t alrm, old;
    sigemptyset(&alrm);
    sigaddset(&alrm, SIGALRM);
    pthread_sigmask(SIG_BLOCK, &alrm, &old);
    pthread_t t;
    pthread_create(&t, NULL, writer_thread, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    go_w = go[1];
    alarms = 0;
    arm_ms(50);
    errno = 0;
    r = read(p[0], buf, sizeof buf);
    err = errno;
    go_w = -1;
    report("SA_RESTART, thread writes after signal, read", r, err, buf);
    pthread_join(t, NULL);

    /* 5. SA_RESTART with two signals before the data (the handler wakes
     *    the writer only on the second one) */
    alarms = 0;
    {
        struct itimerval it = {{0, 30000}, {0, 30000}};
        setitimer(ITIMER_REAL, &it, NULL);
    }
    fflush(stdout);
    c = fork();
    if (c == 0) {
        char ch;
        close(p[0]);
        /* wait for two wake-ups */
        if (read(go[0], &ch, 1) != 1 || read(go[0], &ch, 1) != 1)
            _exit(1);
        write(p[1], "after-two", 9);
        _exit(0);
    }
    go_w = go[1];
    errno = 0;
    r = read(p[0], buf, sizeof buf);
    err = errno;
    go_w = -1;
    {
        struct itimerval it = {{0, 0}, {0, 0}};
        setitimer(ITIMER_REAL, &it, NULL);
    }
    printf("SA_RESTART, periodic timer, read: ret=%zd data=\"%.*s\" errno=%s alarms>=2: %d\n",
           r, r > 0 ? (int)r : 0, buf, ename(r < 0 ? err : 0), alarms >= 2);
    while (waitpid(c, &st, 0) < 0 && errno == EINTR)
        ;
    printf("child exit status=%d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    return 0;
}
