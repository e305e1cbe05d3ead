/*
 * iso_code: tries to get code that changes PKRU (WRPKRU, XRSTOR) into
 * executable memory, for tests/cli/isolation.sh.  Prints one line per try,
 * "NAME: ok" or the error of the call that made the memory executable:
 *   rx        harmless code (mov $42, %eax; ret) written into a page that is
 *             then made read+exec, and called: "rx: ok 42"
 *   wrpkru    WRPKRU (0f 01 ef) written, page made read+exec
 *   inside    WRPKRU as the immediate of mov $0x90ef010f, %eax, at offset 1
 *             of an instruction (a jump into it would run it)
 *   xrstor    XRSTOR (%rdi) (0f ae 2f), at an odd offset after a nop
 *   rwx-mmap  an anonymous read+write+exec mapping
 *   rwx-mprotect  a read+write page made read+write+exec
 *   file      a file holding WRPKRU mapped read+exec (MAP_PRIVATE)
 *   iso_code exec PATH: execve(PATH) and print its error ("exec: ...")
 * Natively (Linux, no W^X policy) every try succeeds ("ok"); under ufork
 * --isolation=fault all but rx must be refused with EACCES.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static const char *res(int r)
{
	return r ? strerror(errno) : "ok";
}

/* code bytes into a fresh read+write page, then mprotect read+exec */
static int make_exec(const unsigned char *code, size_t n, void **out)
{
	unsigned char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	memcpy(p, code, n);
	*out = p;
	return mprotect(p, 4096, PROT_READ | PROT_EXEC);
}

int main(int argc, char **argv)
{
	void *p;
	if (argc == 3 && !strcmp(argv[1], "exec")) {
		execv(argv[2], (char *[]){ argv[2], NULL });
		printf("exec: %s\n", strerror(errno));
		return 0;
	}
	static const unsigned char rx[] = { 0xb8, 42, 0, 0, 0, 0xc3 };
	int r = make_exec(rx, sizeof rx, &p);
	if (r)
		printf("rx: %s\n", res(r));
	else
		printf("rx: ok %d\n", ((int (*)(void))p)());

	static const unsigned char wrpkru[] = { 0x31, 0xc9, 0x31, 0xd2, 0x0f, 0x01, 0xef, 0xc3 };
	printf("wrpkru: %s\n", res(make_exec(wrpkru, sizeof wrpkru, &p)));
	static const unsigned char inside[] = { 0xb8, 0x0f, 0x01, 0xef, 0x90, 0xc3 };
	printf("inside: %s\n", res(make_exec(inside, sizeof inside, &p)));
	static const unsigned char xrstor[] = { 0x90, 0x0f, 0xae, 0x2f, 0xc3 };
	printf("xrstor: %s\n", res(make_exec(xrstor, sizeof xrstor, &p)));

	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	printf("rwx-mmap: %s\n", res(p == MAP_FAILED));
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	printf("rwx-mprotect: %s\n", res(mprotect(p, 4096, PROT_READ | PROT_WRITE | PROT_EXEC)));

	char path[] = "iso_code.XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0 || write(fd, wrpkru, sizeof wrpkru) != sizeof wrpkru) {
		perror("iso_code: temp file");
		return 1;
	}
	p = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
	printf("file: %s\n", res(p == MAP_FAILED));
	unlink(path);
	return 0;
}
