/* fork_tree: nested forks build a process tree of depth 3 and fan-out 2.
 * Every node reports its path ("root.0.1"), whether getppid() is the pid
 * its parent had, and the size of its subtree (collected from its children's
 * exit statuses) through one pipe shared by the whole tree; the root reads
 * until EOF and prints the reports sorted. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define DEPTH 3
#define FANOUT 2

static int wfd;

/* runs node `path`; returns the number of nodes in its subtree */
static int node(const char *path, int depth, pid_t parent_pid)
{
    int size = 1, bad = 0;
    pid_t kids[FANOUT];
    for (int i = 0; depth < DEPTH && i < FANOUT; i++) {
        char sub[64];
        snprintf(sub, sizeof sub, "%s.%d", path, i);
        pid_t me = getpid();
        kids[i] = fork();
        if (kids[i] < 0)
            _exit(120);
        if (kids[i] == 0)
            _exit(node(sub, depth + 1, me));
    }
    for (int i = 0; depth < DEPTH && i < FANOUT; i++) {
        int st;
        if (waitpid(kids[i], &st, 0) != kids[i] || !WIFEXITED(st))
            bad++;
        else
            size += WEXITSTATUS(st);
    }
    char line[128];
    int n = snprintf(line, sizeof line, "%-14s depth=%d subtree=%2d ppid-ok=%d bad=%d\n", path,
                     depth, size, getppid() == parent_pid, bad);
    write(wfd, line, n);
    return size;
}

static int cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(void)
{
    int p[2];
    if (pipe(p))
        return 1;
    fflush(stdout);
    pid_t me = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        wfd = p[1];
        _exit(node("root", 0, me));
    }
    close(p[1]);
    char buf[8192];
    size_t len = 0;
    ssize_t r;
    while ((r = read(p[0], buf + len, sizeof buf - 1 - len)) > 0)
        len += r;
    buf[len] = 0;
    char *lines[64];
    int n = 0;
    for (char *s = strtok(buf, "\n"); s && n < 64; s = strtok(NULL, "\n"))
        lines[n++] = s;
    qsort(lines, n, sizeof lines[0], cmp);
    for (int i = 0; i < n; i++)
        printf("fork_tree: %s\n", lines[i]);
    int st;
    waitpid(pid, &st, 0);
    printf("fork_tree: %d reports, tree size from exit status %d\n", n, WEXITSTATUS(st));
    return 0;
}
