/* limit_rlimit_stack: RLIMIT_STACK is recorded, not enforced.  A child
 * lowers its soft stack limit to 1 MiB and then uses 4 MiB of stack: Linux
 * stops the stack's growth (SIGSEGV); under ufork the main thread's stack is
 * a fixed 8 MiB region of the slot and the child finishes.  Run by
 * tests/cli/documented_limits.sh. */
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static int deep(int n)
{
	volatile char pad[4096];
	memset((char *)pad, n, sizeof pad);
	return n ? deep(n - 1) + pad[7] : 0;
}

int main(void)
{
	pid_t c = fork();
	if (c == 0) {
		struct rlimit r, core = { 0, 0 };
		setrlimit(RLIMIT_CORE, &core);
		getrlimit(RLIMIT_STACK, &r);
		r.rlim_cur = 1 << 20;
		setrlimit(RLIMIT_STACK, &r);
		_exit(deep(1024) & 1);	/* 4 MiB of frames */
	}
	int st;
	waitpid(c, &st, 0);
	if (WIFSIGNALED(st))
		printf("4 MiB of stack under a 1 MiB RLIMIT_STACK: killed by signal %d\n", WTERMSIG(st));
	else
		printf("4 MiB of stack under a 1 MiB RLIMIT_STACK: finished\n");
	return 0;
}
