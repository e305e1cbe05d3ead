#define _GNU_SOURCE
/* posix_rlimit_mem: RLIMIT_AS and RLIMIT_DATA, set relative to this
 * process's own VmSize/VmData: mmap, mremap and brk beyond RLIMIT_AS fail
 * with ENOMEM (brk unchanged), a child inherits the limit; RLIMIT_DATA
 * counts private writable memory only (brk, private RW mmaps, mprotect to
 * writable) and not read-only or shared mappings. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define MB (1024L * 1024)

static long status_kb(const char *key)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long v = -1;
	while (f && fgets(line, sizeof line, f))
		if (!strncmp(line, key, strlen(key)))
			v = atol(line + strlen(key));
	if (f)
		fclose(f);
	return v;
}

static const char *res(void *p)
{
	if (p != MAP_FAILED)
		return "ok";
	return errno == ENOMEM ? "ENOMEM" : strerror(errno);
}

static void *map(long len, int prot, int flags)
{
	return mmap(NULL, len, prot, flags | MAP_ANONYMOUS, -1, 0);
}

static void limit(int res, long bytes)
{
	struct rlimit r;
	getrlimit(res, &r);
	r.rlim_cur = bytes < 0 ? r.rlim_max : (rlim_t)bytes;
	if (setrlimit(res, &r))
		printf("setrlimit failed: %s\n", strerror(errno));
}

/* the raw call: musl's brk() always fails */
static void brk_try(const char *what, long by)
{
	char *cur = (char *)syscall(SYS_brk, 0);
	char *got = (char *)syscall(SYS_brk, cur + by);
	printf("brk %s: %s\n", what, got == cur + by ? "moved" : got == cur ? "unchanged" : "?");
	syscall(SYS_brk, cur);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	long vm = status_kb("VmSize:");
	printf("VmSize readable: %d\n", vm > 0);

	/* RLIMIT_AS: 48 MiB above what is mapped now */
	limit(RLIMIT_AS, vm * 1024 + 48 * MB);
	void *a = map(32 * MB, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	printf("AS: mmap 32M: %s\n", res(a));
	printf("AS: mmap 32M more: %s\n", res(map(32 * MB, PROT_READ | PROT_WRITE, MAP_PRIVATE)));
	printf("AS: mmap 32M PROT_NONE: %s\n", res(map(32 * MB, PROT_NONE, MAP_PRIVATE)));
	printf("AS: mmap 32M shared: %s\n", res(map(32 * MB, PROT_READ | PROT_WRITE, MAP_SHARED)));
	printf("AS: mremap to 64M: %s\n", res(mremap(a, 32 * MB, 64 * MB, MREMAP_MAYMOVE)));
	void *b = mremap(a, 32 * MB, 40 * MB, MREMAP_MAYMOVE);
	printf("AS: mremap to 40M: %s\n", res(b));
	if (b != MAP_FAILED)
		a = b;
	printf("AS: mremap shrink to 8M: %s\n", res(mremap(a, 40 * MB, 8 * MB, 0)));
	printf("AS: mmap 32M after shrink: %s\n",
	       res(map(32 * MB, PROT_READ | PROT_WRITE, MAP_PRIVATE)));
	printf("AS: malloc 64M: %s\n", malloc(64 * MB) ? "ok" : "NULL");
	brk_try("+64M under AS", 64 * MB);
	brk_try("+1M under AS", 1 * MB);
	pid_t c = fork();
	if (c == 0) {
		printf("AS child: mmap 64M: %s\n",
		       res(map(64 * MB, PROT_READ | PROT_WRITE, MAP_PRIVATE)));
		_exit(0);
	}
	waitpid(c, NULL, 0);
	limit(RLIMIT_AS, -1);
	void *big = map(256 * MB, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	printf("AS raised: mmap 256M: %s\n", res(big));
	munmap(big, 256 * MB);

	/* RLIMIT_DATA: 16 MiB above the private writable memory now */
	long data = status_kb("VmData:");
	printf("VmData readable: %d\n", data > 0);
	limit(RLIMIT_DATA, data * 1024 + 16 * MB);
	brk_try("+32M under DATA", 32 * MB);
	brk_try("+1M under DATA", 1 * MB);
	printf("DATA: mmap 32M RW private: %s\n",
	       res(map(32 * MB, PROT_READ | PROT_WRITE, MAP_PRIVATE)));
	void *ro = map(32 * MB, PROT_READ, MAP_PRIVATE);
	printf("DATA: mmap 32M read-only: %s\n", res(ro));
	if (ro != MAP_FAILED)
		printf("DATA: mprotect it writable: %s\n",
		       mprotect(ro, 32 * MB, PROT_READ | PROT_WRITE) ? strerror(errno) : "ok");
	printf("DATA: mmap 32M shared: %s\n", res(map(32 * MB, PROT_READ | PROT_WRITE, MAP_SHARED)));
	printf("DATA: mmap 8M RW private: %s\n",
	       res(map(8 * MB, PROT_READ | PROT_WRITE, MAP_PRIVATE)));
	limit(RLIMIT_DATA, -1);
	printf("DATA raised: mmap 32M RW private: %s\n",
	       res(map(32 * MB, PROT_READ | PROT_WRITE, MAP_PRIVATE)));
	return 0;
}
