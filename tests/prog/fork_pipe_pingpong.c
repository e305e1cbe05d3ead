/* fork_pipe_pingpong: parent and child exchange messages over two pipes:
 * a counter bounces back and forth, each side adding to it; then the child
 * streams 1 MiB through a pipe (more than the pipe buffer) and the parent
 * checks it; EOF is seen once the child has exited. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int readall(int fd, void *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, (char *)buf + got, n - got);
        if (r <= 0)
            return -1;
        got += r;
    }
    return 0;
}

int main(void)
{
    int p2c[2], c2p[2];
    if (pipe(p2c) || pipe(c2p))
        return 1;
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0)
        return 1;
    if (pid == 0) {
        close(p2c[1]);
        close(c2p[0]);
        long v;
        for (int i = 0; i < 10; i++) {
            if (readall(p2c[0], &v, sizeof v) < 0)
                _exit(10);
            v = v * 3 + 1;
            write(c2p[1], &v, sizeof v);
        }
        char msg[64];
        if (readall(p2c[0], msg, 6) < 0)
            _exit(11);
        msg[6] = 0;
        snprintf(msg + 6, sizeof msg - 6, "-ack");
        write(c2p[1], msg, 10);
        /* stream 1 MiB */
        char *big = malloc(1 << 20);
        for (int i = 0; i < (1 << 20); i++)
            big[i] = (char)(i * 7 + i / 4096);
        size_t off = 0;
        while (off < (1 << 20)) {
            ssize_t w = write(c2p[1], big + off, (1 << 20) - off);
            if (w <= 0)
                _exit(12);
            off += w;
        }
        /* the parent's write end was closed, so this read sees EOF */
        char c;
        ssize_t r = read(p2c[0], &c, 1);
        _exit(r == 0 ? 0 : 13);
    }
    close(p2c[0]);
    close(c2p[1]);
    long v = 1;
    for (int i = 0; i < 10; i++) {
        write(p2c[1], &v, sizeof v);
        long back;
        if (readall(c2p[0], &back, sizeof back) < 0) {
            printf("fork_pipe_pingpong: lost the child\n");
            return 1;
        }
        printf("fork_pipe_pingpong: round %d sent %ld got %ld\n", i, v, back);
        v = back + 1;
    }
    write(p2c[1], "hello!", 6);
    char msg[16] = "";
    readall(c2p[0], msg, 10);
    msg[10] = 0;
    printf("fork_pipe_pingpong: reply '%s'\n", msg);
    close(p2c[1]);
    char *big = malloc(1 << 20);
    if (readall(c2p[0], big, 1 << 20) < 0) {
        printf("fork_pipe_pingpong: stream short\n");
        return 1;
    }
    int bad = 0;
    for (int i = 0; i < (1 << 20); i++)
        bad += big[i] != (char)(i * 7 + i / 4096);
    printf("fork_pipe_pingpong: 1 MiB stream bad bytes=%d\n", bad);
    char c;
    printf("fork_pipe_pingpong: read after child end: %zd (EOF)\n", read(c2p[0], &c, 1));
    int st;
    waitpid(pid, &st, 0);
    printf("fork_pipe_pingpong: child exit %d\n", WEXITSTATUS(st));
    return 0;
}
