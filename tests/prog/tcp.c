/* tcp: TCP echo over 127.0.0.1 (server thread, client in main, port 0 +
 * getsockname), shutdown/EOF, socket options, then a UDP exchange. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int fails;
#define CHECK(c, name) do { if (c) printf("%s: ok\n", name); \
    else { printf("%s: FAIL (line %d, errno %d)\n", name, __LINE__, errno); fails++; } } while (0)

static int lsock;
static long server_bytes;
static int server_peer_ok;

static void *server(void *arg)
{
    (void)arg;
    for (int conn = 0; conn < 2; conn++) {
        struct sockaddr_in peer;
        socklen_t pl = sizeof peer;
        int c = accept(lsock, (struct sockaddr *)&peer, &pl);
        if (c < 0) return (void *)1;
        if (peer.sin_family == AF_INET && peer.sin_addr.s_addr == htonl(INADDR_LOOPBACK))
            server_peer_ok++;
        char buf[8192];
        for (;;) {
            ssize_t r = read(c, buf, sizeof buf);
            if (r <= 0) break;
            server_bytes += r;
            for (ssize_t off = 0; off < r;) {
                ssize_t w = write(c, buf + off, r - off);
                if (w <= 0) { close(c); return (void *)2; }
                off += w;
            }
        }
        close(c);
    }
    return NULL;
}

static int readn(int fd, char *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, buf + got, n - got);
        if (r <= 0) return -1;
        got += r;
    }
    return 0;
}

static int connect_to(uint16_t port)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = port,
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (connect(s, (struct sockaddr *)&a, sizeof a) < 0) { close(s); return -1; }
    return s;
}

int main(void)
{
    lsock = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    CHECK(lsock >= 0, "socket AF_INET SOCK_STREAM");
    int one = 1;
    CHECK(setsockopt(lsock, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == 0, "SO_REUSEADDR");
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    CHECK(bind(lsock, (struct sockaddr *)&a, sizeof a) == 0, "bind 127.0.0.1:0");
    CHECK(listen(lsock, 8) == 0, "listen");
    socklen_t al = sizeof a;
    CHECK(getsockname(lsock, (struct sockaddr *)&a, &al) == 0 && al == sizeof a && a.sin_port != 0,
          "getsockname gives a port");
    int type = 0;
    socklen_t tl = sizeof type;
    CHECK(getsockopt(lsock, SOL_SOCKET, SO_TYPE, &type, &tl) == 0 && type == SOCK_STREAM, "SO_TYPE");

    pthread_t t;
    pthread_create(&t, NULL, server, NULL);

    /* connection 1: request/response round trips */
    int s = connect_to(a.sin_port);
    CHECK(s >= 0, "connect");
    CHECK(setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) == 0, "TCP_NODELAY");
    struct sockaddr_in peer;
    socklen_t pl = sizeof peer;
    CHECK(getpeername(s, (struct sockaddr *)&peer, &pl) == 0 && peer.sin_port == a.sin_port &&
          peer.sin_addr.s_addr == htonl(INADDR_LOOPBACK), "getpeername matches server");
    int rt_ok = 1;
    char msg[200], back[200];
    for (int i = 0; i < 500; i++) {
        int n = snprintf(msg, sizeof msg, "message %d %0*d", i, i % 100, 0);
        if (write(s, msg, n) != n || readn(s, back, n) || memcmp(msg, back, n)) { rt_ok = 0; break; }
    }
    CHECK(rt_ok, "500 echo round trips");
    CHECK(shutdown(s, SHUT_WR) == 0, "shutdown SHUT_WR");
    CHECK(read(s, back, sizeof back) == 0, "EOF after server closes");
    close(s);

    /* connection 2: a 512 KiB blob sent with send(), received with recv() and
     * poll, so both sides block on full buffers */
    s = connect_to(a.sin_port);
    static char big[512 * 1024], rbig[512 * 1024];
    for (size_t i = 0; i < sizeof big; i++) big[i] = (char)(i * 7 + (i >> 12));
    size_t sent = 0, recvd = 0;
    while (recvd < sizeof big) {
        struct pollfd pf = {s, POLLIN | (sent < sizeof big ? POLLOUT : 0), 0};
        if (poll(&pf, 1, 5000) <= 0) break;
        if ((pf.revents & POLLOUT) && sent < sizeof big) {
            size_t n = sizeof big - sent < 16384 ? sizeof big - sent : 16384;
            ssize_t w = send(s, big + sent, n, MSG_DONTWAIT);
            if (w > 0) sent += w;
        }
        if (pf.revents & POLLIN) {
            ssize_t r = recv(s, rbig + recvd, sizeof rbig - recvd, MSG_DONTWAIT);
            if (r > 0) recvd += r;
            else if (r == 0) break;
        }
    }
    CHECK(recvd == sizeof big && !memcmp(big, rbig, sizeof big), "512KiB echoed intact");
    close(s);

    void *rv;
    pthread_join(t, &rv);
    CHECK(rv == NULL && server_peer_ok == 2, "server thread finished");
    printf("server echoed %ld bytes\n", server_bytes);
    close(lsock);

    /* connect to a closed port */
    s = connect_to(a.sin_port);
    CHECK(s == -1 && errno == ECONNREFUSED, "connect to closed port -> ECONNREFUSED");

    /* UDP */
    int u1 = socket(AF_INET, SOCK_DGRAM, 0), u2 = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in ua = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    struct sockaddr_in ub = ua;
    CHECK(bind(u1, (struct sockaddr *)&ua, sizeof ua) == 0 && bind(u2, (struct sockaddr *)&ub, sizeof ub) == 0,
          "bind two UDP sockets");
    al = sizeof ua;
    getsockname(u1, (struct sockaddr *)&ua, &al);
    al = sizeof ub;
    getsockname(u2, (struct sockaddr *)&ub, &al);
    CHECK(sendto(u1, "ping", 4, 0, (struct sockaddr *)&ub, sizeof ub) == 4, "sendto");
    char ubuf[64];
    struct sockaddr_in from;
    socklen_t fl = sizeof from;
    ssize_t r = recvfrom(u2, ubuf, sizeof ubuf, 0, (struct sockaddr *)&from, &fl);
    CHECK(r == 4 && !memcmp(ubuf, "ping", 4) && from.sin_port == ua.sin_port, "recvfrom: data + source port");
    CHECK(sendto(u2, "pong!", 5, 0, (struct sockaddr *)&from, fl) == 5, "reply");
    r = recv(u1, ubuf, 2, 0);
    CHECK(r == 2 && !memcmp(ubuf, "po", 2), "datagram truncated to buffer");
    CHECK(recv(u1, ubuf, sizeof ubuf, MSG_DONTWAIT) == -1 && errno == EAGAIN, "rest of datagram discarded");
    CHECK(connect(u1, (struct sockaddr *)&ub, sizeof ub) == 0 && send(u1, "abc", 3, 0) == 3 &&
          recv(u2, ubuf, sizeof ubuf, 0) == 3, "connected UDP send");
    close(u1);
    close(u2);
    printf("tcp: %s\n", fails ? "FAILED" : "all ok");
    return fails != 0;
}
