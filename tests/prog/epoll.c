/* epoll: epoll_create1/ctl/wait on pipes, eventfd and timerfd; level vs edge
 * triggered, EPOLLONESHOT, MOD/DEL, wakeup from another thread, signalfd. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

static int fails;
#define CHECK(c, name) do { if (c) printf("%s: ok\n", name); \
    else { printf("%s: FAIL (line %d, errno %d)\n", name, __LINE__, errno); fails++; } } while (0)

static int efd_thread;
static void *poster(void *arg)
{
    (void)arg;
    usleep(20000);
    uint64_t v = 5;
    write(efd_thread, &v, sizeof v);
    return NULL;
}

int main(void)
{
    struct epoll_event ev, out[8];
    int ep = epoll_create1(EPOLL_CLOEXEC);
    CHECK(ep >= 0 && (fcntl(ep, F_GETFD) & FD_CLOEXEC), "epoll_create1 EPOLL_CLOEXEC");
    int p[2];
    pipe(p);
    int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    CHECK(efd >= 0, "eventfd");

    ev.events = EPOLLIN;
    ev.data.u64 = 0x1111;
    CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev) == 0, "add pipe (level)");
    ev.events = EPOLLIN;
    ev.data.u64 = 0x2222;
    CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev) == 0, "add eventfd");
    CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev) == -1 && errno == EEXIST, "add twice -> EEXIST");
    CHECK(epoll_wait(ep, out, 8, 0) == 0, "nothing ready");
    CHECK(epoll_wait(ep, out, 8, 20) == 0, "nothing ready after 20ms");

    uint64_t v = 3;
    write(efd, &v, sizeof v);
    int n = epoll_wait(ep, out, 8, 1000);
    CHECK(n == 1 && out[0].data.u64 == 0x2222 && (out[0].events & EPOLLIN), "eventfd ready with its tag");
    v = 0;
    CHECK(read(efd, &v, sizeof v) == 8 && v == 3, "eventfd counter 3");
    CHECK(read(efd, &v, sizeof v) == -1 && errno == EAGAIN, "eventfd empty -> EAGAIN");

    write(p[1], "ab", 2);
    n = epoll_wait(ep, out, 8, 1000);
    CHECK(n == 1 && out[0].data.u64 == 0x1111, "pipe ready");
    n = epoll_wait(ep, out, 8, 0);
    CHECK(n == 1, "level-triggered: still ready");

    ev.events = EPOLLIN | EPOLLET;
    ev.data.u64 = 0x3333;
    CHECK(epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev) == 0, "MOD to edge-triggered");
    n = epoll_wait(ep, out, 8, 0);
    CHECK(n == 1 && out[0].data.u64 == 0x3333, "edge: reported once after MOD");
    CHECK(epoll_wait(ep, out, 8, 0) == 0, "edge: not again without new data");
    write(p[1], "c", 1);
    CHECK(epoll_wait(ep, out, 8, 0) == 1, "edge: new data reported");
    char buf[16];
    CHECK(read(p[0], buf, sizeof buf) == 3, "read 3 bytes");

    ev.events = EPOLLIN | EPOLLONESHOT;
    ev.data.u64 = 0x4444;
    epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev);
    write(p[1], "d", 1);
    CHECK(epoll_wait(ep, out, 8, 0) == 1, "oneshot fires");
    write(p[1], "e", 1);
    CHECK(epoll_wait(ep, out, 8, 0) == 0, "oneshot disarmed");
    epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev);
    CHECK(epoll_wait(ep, out, 8, 0) == 1, "oneshot re-armed by MOD");
    read(p[0], buf, sizeof buf);

    CHECK(epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL) == 0, "DEL pipe");
    CHECK(epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL) == -1 && errno == ENOENT, "DEL again -> ENOENT");
    write(p[1], "f", 1);
    CHECK(epoll_wait(ep, out, 8, 0) == 0, "deleted fd not reported");

    /* EPOLLHUP when the write end closes */
    ev.events = EPOLLIN;
    ev.data.u64 = 0x5555;
    epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev);
    close(p[1]);
    n = epoll_wait(ep, out, 8, 0);
    CHECK(n == 1 && (out[0].events & EPOLLHUP), "EPOLLHUP after writer closed");
    epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL);
    close(p[0]);

    /* two ready at once */
    int e2 = eventfd(0, EFD_NONBLOCK);
    ev.events = EPOLLIN;
    ev.data.u64 = 0x6666;
    epoll_ctl(ep, EPOLL_CTL_ADD, e2, &ev);
    v = 1;
    write(efd, &v, 8);
    write(e2, &v, 8);
    n = epoll_wait(ep, out, 8, 1000);
    uint64_t tags = n == 2 ? out[0].data.u64 + out[1].data.u64 : 0;
    CHECK(n == 2 && tags == 0x2222 + 0x6666, "two fds ready together");
    n = epoll_wait(ep, out, 1, 0);
    CHECK(n == 1, "maxevents 1 returns 1");
    read(efd, &v, 8);
    read(e2, &v, 8);
    close(e2);

    /* timerfd: 30ms one-shot */
    int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
    CHECK(tfd >= 0, "timerfd_create");
    struct itimerspec its = {{0, 0}, {0, 30 * 1000000}};
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);	/* before arming: a pause between
						   the two may not shorten ms */
    CHECK(timerfd_settime(tfd, 0, &its, NULL) == 0, "timerfd_settime 30ms");
    ev.events = EPOLLIN;
    ev.data.u64 = 0x7777;
    epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &ev);
    n = epoll_wait(ep, out, 8, 5000);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    CHECK(n == 1 && out[0].data.u64 == 0x7777 && ms >= 25, "timerfd fires after ~30ms");
    uint64_t exp = 0;
    CHECK(read(tfd, &exp, 8) == 8 && exp == 1, "timerfd expirations == 1");
    struct itimerspec cur;
    CHECK(timerfd_gettime(tfd, &cur) == 0 && cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec == 0,
          "timerfd disarmed");
    epoll_ctl(ep, EPOLL_CTL_DEL, tfd, NULL);
    close(tfd);

    /* blocking epoll_wait woken by another thread */
    efd_thread = eventfd(0, 0);
    ev.events = EPOLLIN;
    ev.data.u64 = 0x8888;
    epoll_ctl(ep, EPOLL_CTL_ADD, efd_thread, &ev);
    pthread_t t;
    pthread_create(&t, NULL, poster, NULL);
    n = epoll_wait(ep, out, 8, -1);
    CHECK(n == 1 && out[0].data.u64 == 0x8888, "epoll_wait(-1) woken by thread");
    read(efd_thread, &v, 8);
    CHECK(v == 5, "value from thread == 5");
    pthread_join(t, NULL);
    epoll_ctl(ep, EPOLL_CTL_DEL, efd_thread, NULL);

    /* signalfd */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, NULL);
    int sfd = signalfd(-1, &set, SFD_NONBLOCK);
    CHECK(sfd >= 0, "signalfd");
    ev.events = EPOLLIN;
    ev.data.u64 = 0x9999;
    epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev);
    CHECK(epoll_wait(ep, out, 8, 0) == 0, "signalfd not ready");
    raise(SIGUSR1);
    n = epoll_wait(ep, out, 8, 1000);
    struct signalfd_siginfo si;
    CHECK(n == 1 && out[0].data.u64 == 0x9999 && read(sfd, &si, sizeof si) == sizeof si &&
          si.ssi_signo == SIGUSR1, "signalfd delivers SIGUSR1");
    close(sfd);
    close(ep);
    printf("epoll: %s\n", fails ? "FAILED" : "all ok");
    return fails != 0;
}
