/* fork_digest32m: 32 MiB of pseudo-random bytes (xorshift64, fixed seed)
 * read the same in the child: the child hashes the buffer (FNV-1a 64) and
 * sends the digest through a pipe; the parent compares it with its own.
 * Then the child overwrites its copy and the parent's digest is unchanged. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define SIZE (32UL << 20)

static uint64_t fnv1a(const unsigned char *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

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
    uint64_t *buf = malloc(SIZE);
    if (!buf)
        return 1;
    uint64_t x = 0x9e3779b97f4a7c15ULL;
    for (size_t i = 0; i < SIZE / 8; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        buf[i] = x;
    }
    uint64_t mine = fnv1a((unsigned char *)buf, SIZE);
    int fds[2];
    if (pipe(fds))
        return 1;
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0)
        return 1;
    if (pid == 0) {
        uint64_t d = fnv1a((unsigned char *)buf, SIZE);
        write(fds[1], &d, sizeof d);
        memset(buf, 0xee, SIZE);         /* the parent must not see this */
        d = fnv1a((unsigned char *)buf, SIZE);
        write(fds[1], &d, sizeof d);
        _exit(0);
    }
    close(fds[1]);
    uint64_t theirs[2];
    if (readall(fds[0], theirs, sizeof theirs) < 0) {
        printf("fork_digest32m: no digest from the child\n");
        return 1;
    }
    int st;
    waitpid(pid, &st, 0);
    printf("fork_digest32m: parent digest %016llx\n", (unsigned long long)mine);
    printf("fork_digest32m: child digest %s\n", theirs[0] == mine ? "match" : "MISMATCH");
    printf("fork_digest32m: child overwrote its copy: digest %016llx\n",
           (unsigned long long)theirs[1]);
    uint64_t again = fnv1a((unsigned char *)buf, SIZE);
    printf("fork_digest32m: parent digest after child wrote: %s\n",
           again == mine ? "unchanged" : "CHANGED");
    printf("fork_digest32m: child status %d\n", st);
    return 0;
}
