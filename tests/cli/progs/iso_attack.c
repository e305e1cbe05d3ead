/*
 * iso_attack: touches memory that is not its own, for tests/cli/isolation.sh
 * under --isolation=fault.
 *
 *   iso_attack peer      fork two children and tell each, through a pipe, the
 *                        address of a word of the parent's; one reads it,
 *                        the other writes it.  Each must die of SIGSEGV (the
 *                        word is in the parent's slot).  Then a third child
 *                        runs normally, and the parent checks its word.
 *                        Prints one line per child and "parent: intact".
 *   iso_attack read ADDR   read the word at ADDR (hex) and print it
 *   iso_attack write ADDR  write the word at ADDR
 * Natively the peer children read and write their own copies (fork keeps
 * addresses on Linux): this program tests ufork only.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile unsigned long secret = 0x5ec2e7;

static void fate(const char *what, pid_t pid)
{
	int st;
	if (waitpid(pid, &st, 0) != pid) {
		perror("waitpid");
		exit(1);
	}
	if (WIFSIGNALED(st))
		printf("%s: killed by signal %d\n", what, WTERMSIG(st));
	else
		printf("%s: exit %d\n", what, WEXITSTATUS(st));
	fflush(stdout);
}

static pid_t child(int write_it)
{
	int fd[2];
	if (pipe(fd) < 0) {
		perror("pipe");
		exit(1);
	}
	pid_t pid = fork();
	if (pid < 0) {
		perror("fork");
		exit(1);
	}
	if (pid == 0) {
		char buf[32] = { 0 };
		close(fd[1]);
		if (read(fd[0], buf, sizeof buf - 1) <= 0)
			_exit(2);
		volatile unsigned long *p = (void *)strtoul(buf, NULL, 16);
		if (p == &secret)
			_exit(3);	/* same address: no slots here */
		if (write_it)
			*p = 0xbad;
		else
			printf("child read %#lx\n", *p);
		_exit(0);
	}
	close(fd[0]);
	/* as text: a binary pointer in the child's memory would be relocated */
	dprintf(fd[1], "%lx", (unsigned long)&secret);
	close(fd[1]);
	return pid;
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "peer")) {
		fate("reader", child(0));
		fate("writer", child(1));
		pid_t pid = fork();
		if (pid == 0)
			_exit(secret == 0x5ec2e7 ? 0 : 1);	/* its own copy */
		fate("bystander", pid);
		printf("parent: %s\n", secret == 0x5ec2e7 ? "intact" : "changed");
		return 0;
	}
	if (argc == 3 && (!strcmp(argv[1], "read") || !strcmp(argv[1], "write"))) {
		volatile unsigned long *p = (void *)strtoul(argv[2], NULL, 16);
		if (argv[1][0] == 'w')
			*p = 0;
		else
			printf("%#lx\n", *p);
		return 0;
	}
	fprintf(stderr, "usage: iso_attack peer | read ADDR | write ADDR\n");
	return 2;
}
