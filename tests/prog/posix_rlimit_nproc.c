#define _GNU_SOURCE
/* posix_rlimit_nproc: RLIMIT_NPROC counts the tasks of the caller's real
 * uid: run as root, a child drops to an otherwise unused uid, then fork
 * fails with EAGAIN once its tasks reach the soft limit; a zombie counts
 * until reaped; a thread counts and pthread_create fails at the limit too.
 * Root (uid 0, the initial user namespace) is exempt: its fork result is
 * printed as is, the same natively and under ufork. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#define UID 61234	/* no other task of the machine uses it */

static const char *en(int ok)
{
	return ok ? "ok" : errno == EAGAIN ? "EAGAIN" : strerror(errno);
}

static void set_soft(rlim_t v)
{
	struct rlimit r;
	getrlimit(RLIMIT_NPROC, &r);
	r.rlim_cur = v;
	if (setrlimit(RLIMIT_NPROC, &r))
		printf("setrlimit: %s\n", strerror(errno));
}

static void *idle(void *arg)
{
	return arg;
}

static void child(void)
{
	struct rlimit r = { 1, 8 };
	setrlimit(RLIMIT_NPROC, &r);
	pid_t g = fork();
	if (g == 0)
		_exit(0);
	printf("uid 0 with NPROC 1: fork %s\n", en(g > 0));
	if (g > 0)
		waitpid(g, NULL, 0);

	if (setgid(UID) || setuid(UID)) {
		printf("setuid: %s\n", strerror(errno));
		_exit(1);
	}
	printf("uid now %d\n", (int)getuid());
	errno = 0;
	g = fork();
	if (g == 0)
		_exit(0);
	printf("NPROC 1: fork %s\n", en(g > 0));
	if (g > 0)
		waitpid(g, NULL, 0);

	/* soft 3: this process and two children that wait on a pipe */
	set_soft(3);
	int p[2];
	pipe(p);
	int made = 0;
	for (int i = 0; i < 5; i++) {
		g = fork();
		if (g == 0) {
			char c;
			close(p[1]);
			read(p[0], &c, 1);
			_exit(0);
		}
		if (g < 0)
			break;
		made++;
	}
	printf("NPROC 3: %d children, then %s\n", made, en(0));
	close(p[1]);
	while (wait(NULL) > 0)
		;

	/* soft 2: a zombie child counts until it is reaped */
	set_soft(2);
	g = fork();
	if (g == 0)
		_exit(0);
	siginfo_t si;
	waitid(P_PID, g, &si, WEXITED | WNOWAIT);	/* now a zombie */
	pid_t h = fork();
	if (h == 0)
		_exit(0);
	printf("NPROC 2 with a zombie: fork %s\n", en(h > 0));
	waitpid(g, NULL, 0);
	h = fork();
	if (h == 0)
		_exit(0);
	printf("NPROC 2 after reaping: fork %s\n", en(h > 0));
	waitpid(h, NULL, 0);

	/* threads are tasks too */
	set_soft(1);
	pthread_t t;
	int e = pthread_create(&t, NULL, idle, NULL);
	printf("NPROC 1: pthread_create %s\n", e == EAGAIN ? "EAGAIN" : e ? strerror(e) : "ok");
	if (!e)
		pthread_join(t, NULL);
	set_soft(8);
	e = pthread_create(&t, NULL, idle, NULL);
	printf("NPROC 8: pthread_create %s\n", e ? strerror(e) : "ok");
	if (!e)
		pthread_join(t, NULL);
	_exit(0);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (getuid() != 0) {
		printf("not root: nothing to check\n");
		return 0;
	}
	pid_t c = fork();
	if (c == 0)
		child();
	int st;
	waitpid(c, &st, 0);
	printf("child exit %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st));
	return 0;
}
