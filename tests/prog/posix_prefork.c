/* posix_prefork: a pre-forking TCP server.
 * The master listens on a loopback port and forks 3 workers that accept on
 * the shared listening socket; each reply names the worker's slot and
 * generation.  A client (the master itself) connects until it has seen
 * every slot (bounded).  The master SIGKILLs worker 1, reaps it
 * (WIFSIGNALED, SIGKILL), forks a replacement (generation 1) and the client
 * checks that the 3 current workers answer and the dead one does not.
 * Finally the master sends SIGTERM to every worker and reaps them. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define NW 3
#define MAX_CONN 300

static int ls;
static struct sockaddr_in addr;
static pid_t workers[NW];
static int gens[NW];

static void worker(int slot, int gen)
{
    for (;;) {
        int fd = accept(ls, NULL, NULL);
        if (fd < 0) {
            if (errno == EINTR)
                continue;
            _exit(2);
        }
        char req[32];
        ssize_t n = read(fd, req, sizeof req);
        if (n > 0) {
            char rep[32];
            int len = snprintf(rep, sizeof rep, "%d %d\n", slot, gen);
            write(fd, rep, len);
        }
        close(fd);
    }
}

static pid_t start_worker(int slot, int gen)
{
    fflush(stdout);
    pid_t p = fork();
    if (p == 0)
        worker(slot, gen);
    workers[slot] = p;
    gens[slot] = gen;
    return p;
}

/* one request; returns 0 and fills slot/gen, or -1 */
static int request(int *slot, int *gen)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(s, (struct sockaddr *)&addr, sizeof addr) < 0) {
        close(s);
        return -1;
    }
    write(s, "hi\n", 3);
    char buf[32];
    int got = 0;
    ssize_t n;
    while (got < (int)sizeof buf - 1 && (n = read(s, buf + got, sizeof buf - 1 - got)) > 0)
        got += n;
    close(s);
    buf[got] = 0;
    return sscanf(buf, "%d %d", slot, gen) == 2 ? 0 : -1;
}

/* connect until every slot answered with its current generation */
static void survey(const char *round)
{
    int seen[NW] = {0}, stale = 0, bad = 0, conns = 0, all = 0;
    while (conns < MAX_CONN && !all) {
        int slot, gen;
        conns++;
        if (request(&slot, &gen) < 0 || slot < 0 || slot >= NW) {
            bad++;
            continue;
        }
        if (gen != gens[slot])
            stale++;
        else
            seen[slot] = 1;
        all = 1;
        for (int i = 0; i < NW; i++)
            all &= seen[i];
    }
    printf("%s: all slots answered: %d", round, all);
    for (int i = 0; i < NW; i++)
        printf(" [slot %d gen %d: %s]", i, gens[i], seen[i] ? "yes" : "no");
    printf(" stale replies=%d bad=%d\n", stale, bad);
}

int main(void)
{
    ls = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    if (bind(ls, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(ls, 64) < 0) {
        perror("bind/listen");
        return 1;
    }
    socklen_t len = sizeof addr;
    getsockname(ls, (struct sockaddr *)&addr, &len);
    signal(SIGPIPE, SIG_IGN);

    for (int i = 0; i < NW; i++)
        start_worker(i, 0);
    survey("round 1");

    /* kill worker 1, reap it, replace it */
    pid_t victim = workers[1];
    kill(victim, SIGKILL);
    int st;
    pid_t w = waitpid(victim, &st, 0);
    printf("worker 1 reaped: %d WIFSIGNALED=%d WTERMSIG==SIGKILL %d\n", w == victim,
           WIFSIGNALED(st), WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
    pid_t repl = start_worker(1, 1);
    printf("replacement is a new process: %d\n", repl > 0 && repl != victim);
    survey("round 2");

    /* shut down: SIGTERM every worker, reap in slot order */
    for (int i = 0; i < NW; i++)
        kill(workers[i], SIGTERM);
    for (int i = 0; i < NW; i++) {
        w = waitpid(workers[i], &st, 0);
        printf("worker %d (gen %d): reaped=%d WTERMSIG==SIGTERM %d\n", i, gens[i],
               w == workers[i], WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM);
    }
    errno = 0;
    w = wait(&st);
    printf("no children left: wait=%d errno ECHILD=%d\n", (int)w, errno == ECHILD);
    close(ls);
    return 0;
}
