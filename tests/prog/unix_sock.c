/* unix_sock: socketpair stream/dgram, message boundaries, SCM_RIGHTS fd
 * passing, a named AF_UNIX socket in the cwd, a thread on the other end. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static int fails;
#define CHECK(c, name) do { if (c) printf("%s: ok\n", name); \
    else { printf("%s: FAIL (line %d, errno %d)\n", name, __LINE__, errno); fails++; } } while (0)

static int sv[2];
static void *echo_upper(void *arg)
{
    char buf[256];
    (void)arg;
    for (;;) {
        ssize_t r = read(sv[1], buf, sizeof buf);
        if (r <= 0) break;
        for (ssize_t i = 0; i < r; i++)
            if (buf[i] >= 'a' && buf[i] <= 'z') buf[i] -= 32;
        write(sv[1], buf, r);
    }
    close(sv[1]);
    return NULL;
}

static int listener;
static void *accept_one(void *arg)
{
    (void)arg;
    int c = accept(listener, NULL, NULL);
    if (c < 0) return (void *)1;
    write(c, "from-server", 11);
    close(c);
    return NULL;
}

int main(void)
{
    char buf[256];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair stream");
    pthread_t t;
    pthread_create(&t, NULL, echo_upper, NULL);
    int ok = 1;
    for (int i = 0; i < 100; i++) {
        int n = snprintf(buf, sizeof buf, "round %d hello", i);
        char exp[64];
        snprintf(exp, sizeof exp, "ROUND %d HELLO", i);
        if (write(sv[0], buf, n) != n) { ok = 0; break; }
        int got = 0;
        while (got < n) {
            ssize_t r = read(sv[0], buf + got, n - got);
            if (r <= 0) { ok = 0; break; }
            got += r;
        }
        if (memcmp(buf, exp, n)) ok = 0;
    }
    CHECK(ok, "100 round trips with a thread");
    shutdown(sv[0], SHUT_WR);
    CHECK(read(sv[0], buf, sizeof buf) == 0, "EOF after peer closes");
    pthread_join(t, NULL);
    close(sv[0]);

    int dg[2];
    CHECK(socketpair(AF_UNIX, SOCK_DGRAM, 0, dg) == 0, "socketpair dgram");
    send(dg[0], "one", 3, 0);
    send(dg[0], "three", 5, 0);
    send(dg[0], "", 0, 0);
    ssize_t r1 = recv(dg[1], buf, sizeof buf, 0);
    ssize_t r2 = recv(dg[1], buf, sizeof buf, 0);
    ssize_t r3 = recv(dg[1], buf, sizeof buf, 0);
    CHECK(r1 == 3 && r2 == 5 && r3 == 0, "datagram boundaries kept (3, 5, 0)");

    /* SCM_RIGHTS: pass a pipe's read end over the socket */
    int p[2];
    pipe(p);
    struct msghdr mh = {0};
    struct iovec iov = {"fd", 2};
    union { struct cmsghdr h; char b[CMSG_SPACE(sizeof(int))]; } cm;
    memset(&cm, 0, sizeof cm);
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    mh.msg_control = cm.b;
    mh.msg_controllen = sizeof cm.b;
    struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &p[0], sizeof(int));
    CHECK(sendmsg(dg[0], &mh, 0) == 2, "sendmsg SCM_RIGHTS");
    close(p[0]);
    struct msghdr rm = {0};
    char rb[8];
    struct iovec riov = {rb, sizeof rb};
    union { struct cmsghdr h; char b[CMSG_SPACE(sizeof(int))]; } rc;
    rm.msg_iov = &riov;
    rm.msg_iovlen = 1;
    rm.msg_control = rc.b;
    rm.msg_controllen = sizeof rc.b;
    ssize_t rr = recvmsg(dg[1], &rm, 0);
    struct cmsghdr *rcm = CMSG_FIRSTHDR(&rm);
    int newfd = -1;
    if (rcm && rcm->cmsg_type == SCM_RIGHTS) memcpy(&newfd, CMSG_DATA(rcm), sizeof(int));
    CHECK(rr == 2 && newfd >= 0, "recvmsg got an fd");
    write(p[1], "through passed fd", 17);
    memset(buf, 0, sizeof buf);
    CHECK(read(newfd, buf, sizeof buf) == 17 && !strcmp(buf, "through passed fd"), "passed fd reads the pipe");
    close(newfd);
    close(p[1]);
    close(dg[0]);
    close(dg[1]);

    /* named socket in the cwd (relative path) */
    listener = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un ua = {.sun_family = AF_UNIX};
    strcpy(ua.sun_path, "sock");
    CHECK(bind(listener, (struct sockaddr *)&ua, sizeof ua) == 0 && listen(listener, 1) == 0, "bind+listen ./sock");
    struct stat st;
    CHECK(stat("sock", &st) == 0 && S_ISSOCK(st.st_mode), "socket file exists");
    pthread_create(&t, NULL, accept_one, NULL);
    int cs = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK(connect(cs, (struct sockaddr *)&ua, sizeof ua) == 0, "connect ./sock");
    memset(buf, 0, sizeof buf);
    int got = 0;
    for (;;) {
        ssize_t r = read(cs, buf + got, sizeof buf - got);
        if (r <= 0) break;
        got += r;
    }
    CHECK(got == 11 && !strcmp(buf, "from-server"), "read from server until EOF");
    void *rv;
    pthread_join(t, &rv);
    close(cs);
    close(listener);
    CHECK(unlink("sock") == 0, "unlink socket file");
    struct sockaddr_un missing = {.sun_family = AF_UNIX};
    strcpy(missing.sun_path, "no-such-sock");
    cs = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK(connect(cs, (struct sockaddr *)&missing, sizeof missing) == -1 && errno == ENOENT, "connect missing -> ENOENT");
    close(cs);
    printf("unix_sock: %s\n", fails ? "FAILED" : "all ok");
    return fails != 0;
}
