/* fork_limit: forks children that wait on a pipe until fork fails; prints
 * how many were made and errno; then releases and reaps them, and forks
 * once more to show the runtime is healthy.  Run under ufork --max-procs. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
	int p[2];
	if (pipe(p))
		return 2;
	int n = 0, err = 0;
	for (;;) {
		pid_t pid = fork();
		if (pid == 0) {
			char c;
			close(p[1]);
			_exit(read(p[0], &c, 1) == 0 ? 0 : 1);
		}
		if (pid < 0) {
			err = errno;
			break;
		}
		if (++n > 1000)
			break;
	}
	printf("forked %d, then %s\n", n, err == EAGAIN ? "EAGAIN" : strerror(err));
	close(p[1]);
	int ok = 0, st;
	while (wait(&st) > 0)
		ok += WIFEXITED(st) && WEXITSTATUS(st) == 0;
	printf("reaped %d cleanly\n", ok);
	pid_t pid = fork();
	if (pid == 0)
		_exit(7);
	waitpid(pid, &st, 0);
	printf("fork after reaping: %s\n", pid > 0 && WEXITSTATUS(st) == 7 ? "ok" : "FAILED");
	return 0;
}
