/* fork_flat: fork/exit/wait cycles for tests/cli/fork_flat.sh, which samples
 * the runtime's memory and fds from outside between phases: 1,000 warm-up
 * cycles, "warm", wait for a line on stdin, N cycles, "done", wait again. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static int cycles(int n)
{
	for (int i = 0; i < n; i++) {
		pid_t pid = fork();
		if (pid == 0)
			_exit(i & 0x7f);
		int st;
		if (pid < 0 || waitpid(pid, &st, 0) != pid || WEXITSTATUS(st) != (i & 0x7f))
			return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	char line[16];
	int n = argc > 1 ? atoi(argv[1]) : 10000;
	if (cycles(1000))
		return 2;
	printf("warm\n");
	fflush(stdout);
	if (!fgets(line, sizeof line, stdin) || cycles(n))
		return 3;
	printf("done\n");
	fflush(stdout);
	fgets(line, sizeof line, stdin);
	return 0;
}
