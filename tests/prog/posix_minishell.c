/* posix_minishell: a tiny shell runs the pipeline
 *     gen 5 | upper | count > out.txt ; cat-like reader < out.txt
 * by fork + pipe + dup2 + execve of itself in different roles, and waits for
 * every stage; then checks redirections and exit statuses. */
#include <ctype.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char *self;

static int role(int argc, char **argv)
{
	char line[256];
	if (!strcmp(argv[1], "gen")) {
		for (int i = 0; i < atoi(argv[2]); i++)
			printf("item %d\n", i);
		return 0;
	}
	if (!strcmp(argv[1], "upper")) {
		while (fgets(line, sizeof line, stdin)) {
			for (char *c = line; *c; c++)
				*c = toupper((unsigned char)*c);
			fputs(line, stdout);
		}
		return 0;
	}
	if (!strcmp(argv[1], "count")) {
		int n = 0;
		while (fgets(line, sizeof line, stdin)) {
			printf("%d: %s", ++n, line);
		}
		return n == 5 ? 0 : 4;
	}
	if (!strcmp(argv[1], "reader")) {
		while (fgets(line, sizeof line, stdin))
			printf("reader: %s", line);
		return 0;
	}
	(void)argc;
	return 2;
}

/* runs `self words...` with stdin/stdout redirected; returns the pid */
static pid_t run(char **words, int in, int out, int close_also)
{
	pid_t pid = fork();
	if (pid == 0) {
		if (in >= 0) {
			dup2(in, 0);
			close(in);
		}
		if (out >= 0) {
			dup2(out, 1);
			close(out);
		}
		if (close_also >= 0)
			close(close_also);
		execv(self, words);
		_exit(127);
	}
	return pid;
}

int main(int argc, char **argv)
{
	self = argv[0];
	if (argc > 1)
		return role(argc, argv);

	char *gen[] = { self, "gen", "5", NULL }, *upper[] = { self, "upper", NULL };
	char *count[] = { self, "count", NULL }, *reader[] = { self, "reader", NULL };
	int p1[2], p2[2];
	pipe(p1);
	pipe(p2);
	int outf = open("out.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	pid_t a = run(gen, -1, p1[1], p1[0]);
	close(p1[1]);
	pid_t b = run(upper, p1[0], p2[1], p2[0]);
	close(p1[0]);
	close(p2[1]);
	pid_t c = run(count, p2[0], outf, -1);
	close(p2[0]);
	close(outf);
	int st;
	pid_t order[3] = { a, b, c };
	const char *names[3] = { "gen", "upper", "count" };
	for (int i = 0; i < 3; i++) {
		waitpid(order[i], &st, 0);
		printf("minishell: %s exited %d\n", names[i], WEXITSTATUS(st));
	}
	fflush(stdout);
	int inf = open("out.txt", O_RDONLY);
	pid_t d = run(reader, inf, -1, -1);
	close(inf);
	waitpid(d, &st, 0);
	printf("minishell: reader exited %d\n", WEXITSTATUS(st));
	char *missing[] = { "/nonexistent/prog", NULL };
	pid_t e = fork();
	if (e == 0) {
		execv(missing[0], missing);
		_exit(127);
	}
	waitpid(e, &st, 0);
	printf("minishell: missing command exited %d\n", WEXITSTATUS(st));
	unlink("out.txt");
	return 0;
}
