/* posix_system: system() and popen() run /bin/sh (under ufork the static-PIE
 * dash given by --shell), exit statuses come back, pipes in both directions. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

int main(void)
{
	int r = system("echo from system; exit 3");
	printf("system: exited=%d status=%d\n", WIFEXITED(r), WEXITSTATUS(r));
	r = system("kill -TERM $$");
	printf("system: signaled=%d sig=%d\n", WIFSIGNALED(r), WTERMSIG(r));
	printf("system(NULL) says a shell exists: %d\n", system(NULL) != 0);
	fflush(stdout);

	FILE *f = popen("for i in 1 2 3; do echo line$i; done", "r");
	char buf[100];
	int n = 0;
	while (fgets(buf, sizeof buf, f)) {
		printf("popen read: %s", buf);
		n++;
	}
	printf("pclose=%d lines=%d\n", pclose(f), n);
	fflush(stdout);

	f = popen("read a; read b; echo \"shell got: $b $a\"", "w");
	fputs("first\nsecond\n", f);
	printf("pclose(w)=%d\n", pclose(f));
	return 0;
}
