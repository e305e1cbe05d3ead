/* fork_child_time: a forked child starts with no CPU time of its own.  The
 * parent forks and reaps a first child (a runtime may prepare the next
 * child's thread meanwhile), idles 150 ms, then forks a second child, which
 * reads its own CPU time at once (getrusage and times). */
#include <stdio.h>
#include <sys/resource.h>
#include <sys/times.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(void)
{
    pid_t a = fork();
    if (a == 0)
        _exit(0);
    int st;
    waitpid(a, &st, 0);
    struct timespec idle = { 0, 150 * 1000 * 1000 };
    nanosleep(&idle, NULL);
    fflush(stdout);
    pid_t b = fork();
    if (b == 0) {
        struct rusage ru;
        struct tms tm;
        getrusage(RUSAGE_SELF, &ru);
        times(&tm);
        long us = ru.ru_utime.tv_sec * 1000000L + ru.ru_utime.tv_usec +
                  ru.ru_stime.tv_sec * 1000000L + ru.ru_stime.tv_usec;
        printf("fork_child_time: child's rusage below 20 ms: %d, times below 2 ticks: %d\n",
               us < 20000, tm.tms_utime + tm.tms_stime < 2);
        _exit(0);
    }
    waitpid(b, &st, 0);
    printf("fork_child_time: child exited %d\n", WEXITSTATUS(st));
    return 0;
}
