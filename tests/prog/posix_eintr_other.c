/* posix_eintr_other: signals interrupting other blocking calls.
 *  - accept() on a loopback listener: EINTR without SA_RESTART, restarted
 *    with SA_RESTART (a thread connects only after the handler ran);
 *  - nanosleep: EINTR even with SA_RESTART, remaining time reported;
 *  - epoll_wait (infinite and finite timeout): EINTR regardless of SA_RESTART;
 *  - a thread blocked in pthread_cond_wait / sem_wait hit by pthread_kill:
 *    whatever musl on Linux does is the reference. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t hits;
static volatile int go_w = -1;

static void on_sig(int sig)
{
    (void)sig;
    hits++;
    if (go_w >= 0) {
        int e = errno;
        write(go_w, "g", 1);
        errno = e;
    }
}

static void set_handler(int sig, int flags)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sig;
    sa.sa_flags = flags;
    sigemptyset(&sa.sa_mask);
    sigaction(sig, &sa, NULL);
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
    case ETIMEDOUT: return "ETIMEDOUT";
    default: return "other";
    }
}

static void msleep(int ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

/* ------------------------------------------------------------ accept */
static int go_r;
static struct sockaddr_in addr;

static void *connector(void *arg)
{
    (void)arg;
    char c;
    read(go_r, &c, 1);
    int s = socket(AF_INET, SOCK_STREAM, 0);
    connect(s, (struct sockaddr *)&addr, sizeof addr);
    write(s, "x", 1);
    read(s, &c, 1);                      /* until the acceptor closes */
    close(s);
    return NULL;
}

static void test_accept(int flags, const char *name)
{
    int ls = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(ls, (struct sockaddr *)&addr, sizeof addr);
    socklen_t len = sizeof addr;
    getsockname(ls, (struct sockaddr *)&addr, &len);
    listen(ls, 4);

    int go[2];
    pipe(go);
    go_r = go[0];
    set_handler(SIGALRM, flags);
    sigset_t alrm, old;
    sigemptyset(&alrm);
    sigaddset(&alrm, SIGALRM);
    pthread_sigmask(SIG_BLOCK, &alrm, &old);
    pthread_t t;
    pthread_create(&t, NULL, connector, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);

    hits = 0;
    go_w = go[1];
    arm_ms(50);
    errno = 0;
    int fd = accept(ls, NULL, NULL);
    int err = errno;
    go_w = -1;
    char c = 0;
    if (fd >= 0) {
        read(fd, &c, 1);
        printf("%s: accept ok, got '%c', signals=%d\n", name, c, (int)hits);
        close(fd);
    } else {
        printf("%s: accept=-1 errno=%s signals=%d\n", name, ename(err), (int)hits);
        /* the connection comes now; accept it so the thread finishes */
        fd = accept(ls, NULL, NULL);
        read(fd, &c, 1);
        printf("%s: second accept ok, got '%c'\n", name, c);
        close(fd);
    }
    pthread_join(t, NULL);
    close(go[0]);
    close(go[1]);
    close(ls);
}

/* ------------------------------------------------------------ nanosleep */
static void test_nanosleep(int flags, const char *name)
{
    set_handler(SIGALRM, flags);
    hits = 0;
    arm_ms(50);
    struct timespec req = {5, 0}, rem = {0, 0};
    errno = 0;
    int r = nanosleep(&req, &rem);
    int err = errno;
    int pos = rem.tv_sec > 0 || rem.tv_nsec > 0;
    int less = rem.tv_sec < 5;
    printf("%s: nanosleep=%d errno=%s rem>0: %d rem<req: %d signals=%d\n",
           name, r, ename(r ? err : 0), pos, less, (int)hits);

    /* clock_nanosleep (relative) returns the error directly */
    hits = 0;
    arm_ms(50);
    rem.tv_sec = rem.tv_nsec = 0;
    r = clock_nanosleep(CLOCK_MONOTONIC, 0, &req, &rem);
    printf("%s: clock_nanosleep=%s rem>0: %d signals=%d\n", name, ename(r),
           rem.tv_sec > 0 || rem.tv_nsec > 0, (int)hits);
}

/* ------------------------------------------------------------ epoll */
static void test_epoll(int flags, const char *name)
{
    set_handler(SIGALRM, flags);
    int ep = epoll_create1(0);
    int p[2];
    pipe(p);
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = 7};
    epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev);
    struct epoll_event out[4];

    hits = 0;
    arm_ms(50);
    errno = 0;
    int r = epoll_wait(ep, out, 4, -1);
    printf("%s: epoll_wait(-1)=%d errno=%s signals=%d\n", name, r, ename(r < 0 ? errno : 0), (int)hits);

    hits = 0;
    arm_ms(50);
    errno = 0;
    r = epoll_wait(ep, out, 4, 5000);
    printf("%s: epoll_wait(5000)=%d errno=%s signals=%d\n", name, r, ename(r < 0 ? errno : 0), (int)hits);

    sigset_t none;
    sigemptyset(&none);
    hits = 0;
    arm_ms(50);
    errno = 0;
    r = epoll_pwait(ep, out, 4, -1, &none);
    printf("%s: epoll_pwait(-1)=%d errno=%s signals=%d\n", name, r, ename(r < 0 ? errno : 0), (int)hits);

    write(p[1], "z", 1);
    r = epoll_wait(ep, out, 4, -1);
    printf("%s: epoll_wait with data=%d u32=%u\n", name, r, r == 1 ? out[0].data.u32 : 0);
    close(p[0]);
    close(p[1]);
    close(ep);
}

/* ------------------------------------------------------------ cond / sem */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int ready;
static volatile int cond_rc = -100, cond_saw_ready = -1, cond_done;
static sem_t sem;
static volatile int sem_rc = -100, sem_errno, sem_done;
static volatile int waiting;

static void *cond_waiter(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&mu);
    waiting = 1;
    int rc = pthread_cond_wait(&cv, &mu);   /* once: report what it returns */
    cond_saw_ready = ready;
    cond_rc = rc;
    pthread_mutex_unlock(&mu);
    cond_done = 1;
    return NULL;
}

static void *sem_waiter(void *arg)
{
    (void)arg;
    waiting = 1;
    errno = 0;
    int r = sem_wait(&sem);
    sem_errno = errno;
    sem_rc = r;
    sem_done = 1;
    return NULL;
}

static void test_cond(int flags, const char *name)
{
    set_handler(SIGUSR1, flags);
    ready = 0;
    cond_rc = -100;
    cond_saw_ready = -1;
    cond_done = 0;
    waiting = 0;
    hits = 0;
    pthread_t t;
    pthread_create(&t, NULL, cond_waiter, NULL);
    while (!waiting)
        msleep(1);
    pthread_mutex_lock(&mu);             /* the waiter is inside cond_wait */
    pthread_mutex_unlock(&mu);
    msleep(50);
    pthread_kill(t, SIGUSR1);
    for (int i = 0; i < 20 && !hits; i++)
        msleep(5);
    msleep(100);
    int early = cond_done;
    pthread_mutex_lock(&mu);
    ready = 1;
    pthread_cond_signal(&cv);
    pthread_mutex_unlock(&mu);
    pthread_join(t, NULL);
    printf("%s: pthread_cond_wait returned before cond_signal: %d rc=%d saw ready=%d handler ran=%d\n",
           name, early, cond_rc, cond_saw_ready, hits > 0);
}

static void test_sem(int flags, const char *name)
{
    set_handler(SIGUSR1, flags);
    sem_init(&sem, 0, 0);
    sem_rc = -100;
    sem_errno = 0;
    sem_done = 0;
    waiting = 0;
    hits = 0;
    pthread_t t;
    pthread_create(&t, NULL, sem_waiter, NULL);
    while (!waiting)
        msleep(1);
    msleep(50);
    /* send signals until the waiter returns or a bound is reached (a
     * signal that arrives before the thread blocks does not interrupt) */
    int sent = 0;
    for (int i = 0; i < 6 && !sem_done; i++) {
        pthread_kill(t, SIGUSR1);
        sent++;
        for (int j = 0; j < 10 && !sem_done; j++)
            msleep(5);
    }
    int early = sem_done;
    sem_post(&sem);
    pthread_join(t, NULL);
    printf("%s: sem_wait interrupted: %d rc=%d errno=%s handler ran=%d\n",
           name, early, sem_rc, ename(sem_rc ? sem_errno : 0), hits > 0);
    if (early) {
        /* the post above is still there */
        printf("%s: sem_trywait after=%d\n", name, sem_trywait(&sem));
    } else {
        printf("%s: sem_trywait after=%d\n", name, sem_trywait(&sem) == 0 ? 0 : -1);
    }
    sem_destroy(&sem);
}

int main(void)
{
    test_accept(0, "accept no SA_RESTART");
    test_accept(SA_RESTART, "accept SA_RESTART");
    test_nanosleep(0, "nanosleep no SA_RESTART");
    test_nanosleep(SA_RESTART, "nanosleep SA_RESTART");
    test_epoll(0, "epoll no SA_RESTART");
    test_epoll(SA_RESTART, "epoll SA_RESTART");
    /* musl passes EINTR from futex waits through only once some handler
     * without SA_RESTART was installed (done above), so a wrong EINTR for
     * an SA_RESTART handler would show here */
    test_cond(SA_RESTART, "cond SA_RESTART");
    test_sem(SA_RESTART, "sem SA_RESTART");
    test_cond(0, "cond no SA_RESTART");
    test_sem(0, "sem no SA_RESTART");
    return 0;
}
