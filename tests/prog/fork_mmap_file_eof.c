/*
 * fork_mmap_file_eof: a private file mapping longer than its file (the
 * pages past the end raise SIGBUS when touched) survives fork: the child
 * sees the file's data and the parent's private writes, twice in a row.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
	char path[] = "/tmp/ufork-eof-XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0 || write(fd, "hello, file", 11) != 11)
		return 1;
	unlink(path);
	char *m = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	if (m == MAP_FAILED)
		return 1;
	m[0] = 'H';	/* a private copy of page 0; pages 1 and 2 are past the end */
	for (int round = 0; round < 2; round++) {
		pid_t pid = fork();
		if (pid == 0) {
			printf("child %d sees: %.11s\n", round, m);
			m[7] = 'F';
			printf("child %d wrote: %.11s\n", round, m);
			fflush(stdout);
			_exit(0);
		}
		int st;
		waitpid(pid, &st, 0);
		printf("round %d: child status %d, parent sees: %.11s\n", round, WEXITSTATUS(st), m);
	}
	return 0;
}
