/* fork_affinity_loop: 300 fork+exit+wait cycles, each child comparing its CPU
 * affinity with its parent's.  (A runtime that moves its waiting threads
 * between CPUs must give every child the affinity its parent has.) */
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
    cpu_set_t mine;
    if (sched_getaffinity(0, sizeof mine, &mine) < 0)
        return 2;
    int differ = 0, failed = 0;
    for (int i = 0; i < 300; i++) {
        pid_t pid = fork();
        if (pid == 0) {
            cpu_set_t c;
            _exit(sched_getaffinity(0, sizeof c, &c) == 0 && CPU_EQUAL(&c, &mine) ? 0 : 1);
        }
        int st;
        if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
            failed++;
        else if (WEXITSTATUS(st))
            differ++;
    }
    printf("fork_affinity_loop: children with another affinity: %d, failed: %d\n", differ, failed);
    return 0;
}
