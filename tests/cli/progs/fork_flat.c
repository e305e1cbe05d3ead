/* fork_flat: 10,000 fork/exit/wait cycles must leave the runtime's memory
 * and fd count flat.  Under ufork, /proc/self is the host process, i.e. the
 * runtime itself (µprocesses have no /proc of their own yet), so this reads
 * the runtime's VmRSS and counts its open fds after a warm-up and at the end. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static long rss_kb(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kb = -1;
	while (f && fgets(line, sizeof line, f))
		if (!strncmp(line, "VmRSS:", 6))
			kb = atol(line + 6);
	if (f)
		fclose(f);
	return kb;
}

static int nfds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;
	while (d && readdir(d))
		n++;
	if (d)
		closedir(d);
	return n;
}

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
	int n = argc > 1 ? atoi(argv[1]) : 10000;
	if (cycles(1000))
		return 2;
	long rss0 = rss_kb();
	int fd0 = nfds();
	if (cycles(n))
		return 3;
	long rss1 = rss_kb();
	int fd1 = nfds();
	printf("rss %ld -> %ld kB, fds %d -> %d\n", rss0, rss1, fd0, fd1);
	return 0;
}
