/* pipes: pipe/pipe2 in one process, O_NONBLOCK/EAGAIN, poll, EOF, EPIPE with
 * SIGPIPE ignored, FIONREAD, and 1 MiB streamed between two threads. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static int fails;
#define CHECK(c, name) do { if (c) printf("%s: ok\n", name); \
    else { printf("%s: FAIL (line %d, errno %d)\n", name, __LINE__, errno); fails++; } } while (0)

#define TOTAL (1 << 20)
static int tp[2];
static void *writer(void *arg)
{
    unsigned char chunk[7000];
    size_t sent = 0, k = 0;
    (void)arg;
    while (sent < TOTAL) {
        size_t n = 1 + (k++ * 2731) % sizeof chunk;
        if (n > TOTAL - sent) n = TOTAL - sent;
        for (size_t i = 0; i < n; i++) chunk[i] = (unsigned char)((sent + i) * 13 + 7);
        size_t off = 0;
        while (off < n) {
            ssize_t w = write(tp[1], chunk + off, n - off);
            if (w <= 0) return (void *)1;
            off += w;
        }
        sent += n;
    }
    close(tp[1]);
    return NULL;
}

int main(void)
{
    int p[2];
    char buf[4096];
    CHECK(pipe(p) == 0, "pipe");
    CHECK(write(p[1], "hello", 5) == 5, "write 5");
    int avail = -1;
    CHECK(ioctl(p[0], FIONREAD, &avail) == 0 && avail == 5, "FIONREAD == 5");
    memset(buf, 0, sizeof buf);
    CHECK(read(p[0], buf, sizeof buf) == 5 && !strcmp(buf, "hello"), "read 5");
    CHECK(fcntl(p[0], F_GETFD) == 0, "pipe: no cloexec");

    struct pollfd pf = {p[0], POLLIN, 0};
    CHECK(poll(&pf, 1, 0) == 0, "poll empty pipe -> 0");
    CHECK(poll(&pf, 1, 20) == 0, "poll empty pipe 20ms -> 0");
    write(p[1], "x", 1);
    CHECK(poll(&pf, 1, 1000) == 1 && (pf.revents & POLLIN), "poll -> POLLIN");
    read(p[0], buf, 1);
    struct pollfd pw = {p[1], POLLOUT, 0};
    CHECK(poll(&pw, 1, 0) == 1 && (pw.revents & POLLOUT), "write end POLLOUT");

    CHECK(fcntl(p[0], F_SETFL, O_NONBLOCK) == 0, "set O_NONBLOCK");
    CHECK(read(p[0], buf, 1) == -1 && errno == EAGAIN, "nonblocking empty read -> EAGAIN");
    /* fill the pipe with a nonblocking writer */
    fcntl(p[1], F_SETFL, O_NONBLOCK);
    long filled = 0;
    memset(buf, 'z', sizeof buf);
    for (;;) {
        ssize_t w = write(p[1], buf, sizeof buf);
        if (w < 0) break;
        filled += w;
    }
    CHECK(errno == EAGAIN && filled >= 4096, "nonblocking write fills pipe -> EAGAIN");
    CHECK(poll(&pw, 1, 0) == 0, "full pipe: no POLLOUT");
    long drained = 0;
    for (;;) {
        ssize_t r = read(p[0], buf, sizeof buf);
        if (r <= 0) break;
        drained += r;
    }
    CHECK(drained == filled, "drained what was written");

    close(p[1]);
    pf.revents = 0;
    CHECK(poll(&pf, 1, 1000) == 1 && (pf.revents & POLLHUP), "writer closed -> POLLHUP");
    CHECK(read(p[0], buf, 1) == 0, "writer closed -> read EOF");
    close(p[0]);

    int q[2];
    CHECK(pipe2(q, O_CLOEXEC | O_NONBLOCK) == 0, "pipe2 O_CLOEXEC|O_NONBLOCK");
    CHECK((fcntl(q[0], F_GETFD) & FD_CLOEXEC) && (fcntl(q[1], F_GETFD) & FD_CLOEXEC), "pipe2 cloexec set");
    CHECK((fcntl(q[0], F_GETFL) & O_NONBLOCK) && (fcntl(q[1], F_GETFL) & O_ACCMODE) == O_WRONLY, "pipe2 flags");
    signal(SIGPIPE, SIG_IGN);
    close(q[0]);
    CHECK(write(q[1], "x", 1) == -1 && errno == EPIPE, "reader closed -> EPIPE (SIGPIPE ignored)");
    close(q[1]);

    /* 1 MiB between two threads, varied chunk sizes, reader checks bytes */
    CHECK(pipe(tp) == 0, "pipe for threads");
    pthread_t t;
    pthread_create(&t, NULL, writer, NULL);
    size_t got = 0, bad = 0, reads = 0;
    for (;;) {
        ssize_t r = read(tp[0], buf, 1 + (reads * 977) % sizeof buf);
        if (r < 0) { bad++; break; }
        if (r == 0) break;
        for (ssize_t i = 0; i < r; i++)
            if ((unsigned char)buf[i] != (unsigned char)((got + i) * 13 + 7)) bad++;
        got += r;
        reads++;
    }
    void *rv;
    pthread_join(t, &rv);
    close(tp[0]);
    printf("thread pipe: received %zu bytes, bad=%zu, writer=%s\n", got, bad, rv ? "error" : "ok");
    if (got != TOTAL || bad || rv) fails++;

    /* poll wakes up when another thread writes */
    CHECK(pipe(tp) == 0, "pipe for poll wakeup");
    struct pollfd wp = {tp[0], POLLIN, 0};
    pthread_create(&t, NULL, writer, NULL);
    CHECK(poll(&wp, 1, 5000) == 1 && (wp.revents & POLLIN), "poll woken by writer thread");
    close(tp[0]); /* writer gets EPIPE (ignored) and stops */
    pthread_join(t, NULL);

    printf("pipes: %s\n", fails ? "FAILED" : "all ok");
    return fails != 0;
}
