/*
 * fork_storm: eight processes fork 300 children each, all at once; the
 * children, in turn, exit at once, open and close files, make a thread,
 * fork a grandchild, or wait to be killed by their parent.  Every status
 * is as expected and every parent's fds are as they were.
 */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#define FORKERS 8
#define CHILDREN 300

static void *thread_main(void *arg)
{
	return arg;
}

static int open_fds(void)
{
	int n = 0;
	for (int fd = 0; fd < 64; fd++)
		n += fcntl(fd, F_GETFD) >= 0;
	return n;
}

static int child(int i)
{
	switch (i % 5) {
	case 0:
		return 3;
	case 1: {
		int fd = open("/dev/null", O_RDONLY);
		dup2(fd, 30);
		close(fd);
		return fcntl(30, F_GETFD) >= 0 ? 4 : 1;
	}
	case 2: {
		pthread_t th;
		void *r = NULL;
		if (pthread_create(&th, NULL, thread_main, (void *)5L) || pthread_join(th, &r))
			return 1;
		return (int)(long)r;
	}
	case 3: {
		pid_t g = fork();
		if (g == 0)
			_exit(6);
		int st;
		return waitpid(g, &st, 0) == g && WIFEXITED(st) ? WEXITSTATUS(st) : 1;
	}
	default:
		pause();	/* killed by the parent */
		return 1;
	}
}

static int forker(void)
{
	int before = open_fds(), bad = 0;
	for (int i = 0; i < CHILDREN; i++) {
		pid_t pid = fork();
		if (pid < 0)
			return 90;
		if (pid == 0)
			_exit(child(i));
		if (i % 5 == 4)
			kill(pid, SIGKILL);
		int st;
		if (waitpid(pid, &st, 0) != pid)
			return 91;
		int want = i % 5 == 4 ? 128 + SIGKILL : 3 + i % 5;
		int got = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		bad += got != want;
	}
	return bad ? 92 : open_fds() == before ? 0 : 93;
}

int main(void)
{
	pid_t pids[FORKERS];
	for (int f = 0; f < FORKERS; f++) {
		pids[f] = fork();
		if (pids[f] == 0)
			_exit(forker());
	}
	int ok = 0;
	for (int f = 0; f < FORKERS; f++) {
		int st;
		if (waitpid(pids[f], &st, 0) == pids[f] && WIFEXITED(st) && WEXITSTATUS(st) == 0)
			ok++;
		else
			printf("forker %d: status %#x\n", f, st);
	}
	printf("%d of %d forkers saw %d children each end as expected\n", ok, FORKERS, CHILDREN);
	return 0;
}
