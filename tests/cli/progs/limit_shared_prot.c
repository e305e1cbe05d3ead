/* limit_shared_prot: one address space has one set of page protections.  A
 * child may not mprotect, or MAP_FIXED over, a MAP_SHARED mapping that its
 * parent maps too: ufork refuses (EACCES, ENOMEM) instead of changing the
 * parent's memory.  Linux lets the child do both.  A mapping only one
 * process maps can be changed.  Run by tests/cli/documented_limits.sh. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
	char *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	strcpy(m, "parent-data");
	pid_t pid = fork();
	if (pid == 0) {
		int r1 = mprotect(m, 4096, PROT_READ);
		int e1 = errno;
		void *r2 = mmap(m, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
				-1, 0);
		int e2 = errno;
		printf("child mprotect=%d %s; MAP_FIXED over it=%s %s\n", r1, r1 ? strerror(e1) : "",
		       r2 == MAP_FAILED ? "failed" : "ok", r2 == MAP_FAILED ? strerror(e2) : "");
		fflush(stdout);
		_exit(0);
	}
	waitpid(pid, NULL, 0);
	strcpy(m, "still-writable");
	printf("parent: %s; own mapping mprotect=%d\n", m, mprotect(m, 4096, PROT_READ));
	return 0;
}
