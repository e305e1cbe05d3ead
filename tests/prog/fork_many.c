/* fork_many: 1000 forks in a row; child i reads a global and does
 * _exit(i & 0xff); the parent waits for each one by pid, checks every
 * status, and finally sees ECHILD. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#define N 1000

int main(void)
{
    int ok = 0, bad = 0, failed_fork = 0;
    long sum = 0;
    static char marker[] = "marker";
    char *m = marker;
    for (int i = 0; i < N; i++) {
        pid_t pid = fork();
        if (pid < 0) {
            failed_fork++;
            continue;
        }
        if (pid == 0)
            _exit(m[0] == 'm' ? (i & 0xff) : 255);
        int st;
        pid_t w = waitpid(pid, &st, 0);
        if (w == pid && WIFEXITED(st) && WEXITSTATUS(st) == (i & 0xff)) {
            ok++;
            sum += WEXITSTATUS(st);
        } else {
            bad++;
            if (bad <= 5)
                printf("fork_many: child %d: waitpid=%s status=%#x\n", i,
                       w == pid ? "pid" : "other", st);
        }
    }
    errno = 0;
    pid_t w = waitpid(-1, NULL, WNOHANG);
    printf("fork_many: %d forks, %d statuses right, %d wrong, %d fork failures, sum=%ld\n", N, ok,
           bad, failed_fork, sum);
    printf("fork_many: no children left: %s\n", w == -1 && errno == ECHILD ? "yes" : "no");
    return bad || failed_fork;
}
