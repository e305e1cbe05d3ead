/*
 * keep_slots: a parent with an 8 MB heap forks five children in a row, each
 * checking every page of the heap, while the parent changes a page and
 * grows and shrinks its heap between forks (so a kept slot never matches
 * its map whole).  Prints one line per child.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define MB (1 << 20)

int main(void)
{
	size_t n = 8 * MB;
	unsigned char *m = malloc(n);
	if (!m)
		return 1;
	for (size_t i = 0; i < n; i++)
		m[i] = (unsigned char)(i * 7);
	for (int round = 0; round < 5; round++) {
		unsigned char *extra = malloc((size_t)(round + 1) * MB);	/* grows the map */
		if (extra)
			memset(extra, round, (size_t)(round + 1) * MB);
		pid_t pid = fork();
		if (pid == 0) {
			size_t bad = 0;
			for (size_t i = 0; i < n; i += 4096) {
				int changed = i % (4096 * 3) == 0 && i && i <= (size_t)round * 4096 * 3;
				bad += m[i] != (changed ? 0xee : (unsigned char)(i * 7));
			}
			for (size_t i = 0; extra && i < (size_t)(round + 1) * MB; i += 4096)
				bad += extra[i] != round;
			_exit(bad ? 1 : 0);
		}
		int st;
		waitpid(pid, &st, 0);
		printf("round %d: child status %d\n", round, WEXITSTATUS(st));
		free(extra);
		m[(size_t)(round + 1) * 4096 * 3] = 0xee;	/* later children see it */
	}
	return 0;
}
