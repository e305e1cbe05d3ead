/* posix_rlimit: resource limits are per process: a child inherits them, and
 * a change in the child does not reach the parent; EINVAL for soft > hard;
 * RLIMIT_CORE 0 means no core flag in a crash status. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
int main(void)
{
	struct rlimit r, orig;
	getrlimit(RLIMIT_NOFILE, &orig);
	r = orig;
	r.rlim_cur = 64;
	printf("lower NOFILE soft: %d\n", setrlimit(RLIMIT_NOFILE, &r));
	pid_t c = fork();
	if (!c) {
		struct rlimit k;
		getrlimit(RLIMIT_NOFILE, &k);
		printf("child inherited soft 64: %d\n", k.rlim_cur == 64);
		k.rlim_cur = orig.rlim_cur;
		printf("child raises it back: %d\n", setrlimit(RLIMIT_NOFILE, &k));
		fflush(stdout);
		_exit(0);
	}
	waitpid(c, 0, 0);
	getrlimit(RLIMIT_NOFILE, &r);
	printf("parent still 64: %d\n", r.rlim_cur == 64);
	r.rlim_cur = r.rlim_max + 1;
	int e = setrlimit(RLIMIT_NOFILE, &r);
	printf("soft > hard: %d %s\n", e, e ? (errno == EINVAL ? "EINVAL" : "other") : "");
	struct rlimit core = { 0, 0 };
	setrlimit(RLIMIT_CORE, &core);
	c = fork();
	if (!c)
		abort();
	int st;
	waitpid(c, &st, 0);
	printf("abort with RLIMIT_CORE 0: sig=%d core=%d\n", WTERMSIG(st), WCOREDUMP(st) != 0);
	struct rlimit as;
	printf("RLIMIT_AS readable: %d\n", getrlimit(RLIMIT_AS, &as) == 0);
	return 0;
}
