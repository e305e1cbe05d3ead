/* fork_thread: a second thread calls fork while the main thread waits in
 * pthread_join and a third thread spins.  The child has only the forking
 * thread: the spinner's counter stands still, gettid() == getpid(), and the
 * child can malloc, printf, start and join a new thread, and exit() (which
 * runs its atexit handler).  The parent joins the forking thread. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile long spins;
static volatile int stop;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static int in_child;

static void *spinner(void *arg)
{
    (void)arg;
    while (!stop)
        spins++;
    return NULL;
}

static void *helper(void *arg)
{
    char *s = malloc(64);
    snprintf(s, 64, "helper got %ld", (long)arg);
    return s;
}

static void bye(void)
{
    if (in_child)
        printf("fork_thread: child atexit handler ran\n");
}

static void *forker(void *arg)
{
    int *fds = arg;
    pthread_mutex_lock(&mu);
    pid_t pid = fork();
    if (pid > 0)
        pthread_mutex_unlock(&mu);
    if (pid < 0)
        return (void *)1L;
    if (pid == 0) {
        in_child = 1;
        long a = spins;
        usleep(30000);
        long b = spins;
        printf("fork_thread: child: spinner stopped=%d\n", a == b);
        printf("fork_thread: child: gettid==getpid %d\n", (pid_t)syscall(SYS_gettid) == getpid());
        pthread_mutex_unlock(&mu);       /* the forking thread held it */
        pthread_mutex_lock(&mu);
        pthread_mutex_unlock(&mu);
        printf("fork_thread: child: mutex held across fork usable\n");
        char *big = malloc(1 << 20);
        memset(big, 1, 1 << 20);
        free(big);
        pthread_t t;
        void *res;
        pthread_create(&t, NULL, helper, (void *)42L);
        pthread_join(t, &res);
        printf("fork_thread: child: new thread says '%s'\n", (char *)res);
        pid_t me = getpid();
        write(fds[1], &me, sizeof me);
        exit(7);
    }
    int st;
    pid_t seen;
    read(fds[0], &seen, sizeof seen);
    waitpid(pid, &st, 0);
    printf("fork_thread: parent thread: child exit %d, child's getpid matches fork's return %d\n",
           WEXITSTATUS(st), seen == pid);
    return NULL;
}

int main(void)
{
    atexit(bye);
    int fds[2];
    pipe(fds);
    pthread_t sp, fk;
    pthread_create(&sp, NULL, spinner, NULL);
    while (spins < 1000)
        ;
    fflush(stdout);
    pthread_create(&fk, NULL, forker, fds);
    void *r;
    pthread_join(fk, &r);
    stop = 1;
    pthread_join(sp, NULL);
    printf("fork_thread: parent joined forker (ret %ld) and spinner\n", (long)r);
    return 0;
}
