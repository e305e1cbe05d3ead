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
 *                        A fourth child hands the parent's word to system
 *                        calls: write(2) from it, read(2) into it, open(2)
 *                        of it as a path; each must fail with EFAULT, as on
 *                        Linux for memory the caller does not have, and the
 *                        child goes on ("syscaller: ...", then its exit).
 *                        A fifth child tampers with its signal frame: its
 *                        SIGUSR1 handler sets the PKRU saved in the
 *                        frame's XSAVE area to 0 (every key open) and
 *                        returns; then it reads the parent's word, and must
 *                        still die of SIGSEGV.
 *   iso_attack read ADDR   read the word at ADDR (hex) and print it
 *   iso_attack write ADDR  write the word at ADDR
 *   iso_attack sys ADDR    write(2) 8 bytes from ADDR to a pipe; prints the
 *                        result ("write: Bad address")
 * Natively the peer children read and write their own copies (fork keeps
 * addresses on Linux): this program tests ufork only.
 */
#include <cpuid.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
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

/* the outcome of a syscall: "ok N" or the error */
static const char *outcome(long r)
{
	static char buf[4][64];
	static int i;
	char *b = buf[i++ & 3];
	if (r < 0)
		snprintf(b, 64, "%s", strerror(errno));
	else
		snprintf(b, 64, "ok %ld", r);
	return b;
}

/* foreign memory handed to the kernel: each call must fail with EFAULT */
static void syscalls_on(volatile unsigned long *p)
{
	int q[2];
	if (pipe(q) < 0)
		_exit(4);
	const char *w = outcome(write(q[1], (void *)p, sizeof *p));
	if (write(q[1], "12345678", 8) != 8)
		_exit(4);
	const char *r = outcome(read(q[0], (void *)p, sizeof *p));
	const char *o = outcome(open((const char *)p, O_RDONLY));
	printf("syscaller: write %s, read %s, open %s\n", w, r, o);
	fflush(stdout);
}

static volatile int tampered;

/* SIGUSR1: the frame's saved PKRU := 0, if the frame carries one */
static void tamper(int sig, siginfo_t *si, void *ucv)
{
	(void)sig;
	(void)si;
	ucontext_t *uc = ucv;
	unsigned char *x = (unsigned char *)uc->uc_mcontext.fpregs;
	unsigned a, b, c, d;
	uint32_t magic, size;
	uint64_t features;
	if (!x || !__get_cpuid_count(0xd, 9, &a, &b, &c, &d) || !a)
		return;	/* no PKRU state on this CPU */
	memcpy(&magic, x + 464, 4);	/* struct _fpx_sw_bytes */
	memcpy(&size, x + 464 + 16, 4);
	memcpy(&features, x + 464 + 8, 8);
	if (magic != 0x46505853 || !(features & (1u << 9)) || b + 4 > size)
		return;
	memset(x + b, 0, 4);			/* PKRU := 0 */
	x[512 + 1] |= 2;			/* XSTATE_BV bit 9: load it */
	tampered = 1;
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
		if (write_it == 3) {
			struct sigaction sa;
			memset(&sa, 0, sizeof sa);
			sa.sa_sigaction = tamper;
			sa.sa_flags = SA_SIGINFO;
			sigaction(SIGUSR1, &sa, NULL);
			raise(SIGUSR1);
			unsigned pkru = 0;
			if (tampered)
				__asm__ volatile("rdpkru" : "=a"(pkru) : "c"(0) : "rdx");
			printf("sigframe: %s, key 0 %s after the handler\n",
			       tampered ? "PKRU 0 written into the frame" : "no PKRU in the frame",
			       pkru & 1 ? "denied" : "open");
			fflush(stdout);
			printf("child read %#lx\n", *p);
		} else if (write_it == 2)
			syscalls_on(p);
		else if (write_it)
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
		fate("syscaller", child(2));
		fate("sigframe", child(3));
		pid_t pid = fork();
		if (pid == 0)
			_exit(secret == 0x5ec2e7 ? 0 : 1);	/* its own copy */
		fate("bystander", pid);
		printf("parent: %s\n", secret == 0x5ec2e7 ? "intact" : "changed");
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "sys")) {
		int q[2];
		if (pipe(q) < 0)
			return 1;
		printf("write: %s\n", outcome(write(q[1], (void *)strtoul(argv[2], NULL, 16), 8)));
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
	fprintf(stderr, "usage: iso_attack peer | read ADDR | write ADDR | sys ADDR\n");
	return 2;
}
