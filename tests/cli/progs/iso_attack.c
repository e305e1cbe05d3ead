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
 *                        of it as a path, vmsplice(2) of it (the kernel
 *                        pins the pages instead of copying); each must
 *                        fail with EFAULT, as on
 *                        Linux for memory the caller does not have, and the
 *                        child goes on ("syscaller: ...", then its exit).
 *                        A fifth child tampers with its signal frame: its
 *                        SIGUSR1 handler sets the PKRU saved in the
 *                        frame's XSAVE area to 0 (every key open) and
 *                        returns; then it reads the parent's word, and must
 *                        still die of SIGSEGV.
 *                        A sixth child opens the host's /proc/<pid>/mem
 *                        every way it can (procmem_on) and writes the
 *                        parent's word through what opened.
 *   iso_attack race      a child races the runtime's check of what it
 *                        opens (race_on), then the parent checks its word
 *   iso_attack altstack  the host threads' alternate stacks: prints "slot
 *                        ADDR" (a word of its own), then reads from stdin
 *                        the bases of alternate stacks (hex, one per line,
 *                        then "end"; tests/cli/isolation.sh finds them in
 *                        the runtime's smaps) and, while a second thread
 *                        waits in read(2) (the runtime serving it on its
 *                        alternate stack), tries to write every page of
 *                        each one but its block: one line per stack, "N
 *                        pages writable from offset X", SIGSEGV caught;
 *                        then wakes the thread ("waiter: read 1")
 *   iso_attack gadget KIND ADDR
 *                        a child jumps into the runtime's text at ADDR
 *                        (hex, from nm), where an instruction changes PKRU,
 *                        with registers and stack of its choosing, so as to
 *                        come back with another PKRU; then reads its
 *                        parent's word (exit 42 if it could).  KIND says
 *                        what is at ADDR: exit (the way out of a syscall;
 *                        r8 + 168 says PKRU 1, which it once loaded), restorer (rt_sigreturn of a
 *                        frame whose XSAVE area says PKRU 0), open (the
 *                        WRPKRU 0 of runtime threads, returning to the
 *                        child), xrstor (a stray XRSTOR, mask all ones,
 *                        image with PKRU 0).  Prints "gadget KIND: " and
 *                        the child's fate.
 *   iso_attack deepstack  where the host writes signal frames with every
 *                        key open: a child points rsp into the runtime's
 *                        part of its own alternate stack (its block is at
 *                        %gs:160) and makes a syscall, whose frame the host
 *                        then writes there; a second child does the same
 *                        with rsp just above the exit pad and executes ud2
 *                        (the SIGILL frame reaches into the pad, which its
 *                        sibling threads could write).  Prints "deepstack:
 *                        ..." and "padframe: ..." (the children's fates) and
 *                        "runtime: alive" after them.
 *   iso_attack read ADDR   read the word at ADDR (hex) and print it
 *   iso_attack write ADDR  write the word at ADDR
 *   iso_attack sys ADDR    write(2) 8 bytes from ADDR to a pipe; prints the
 *                        result ("write: Bad address")
 * Natively the peer children read and write their own copies (fork keeps
 * addresses on Linux): this program tests ufork only.
 */
#define _GNU_SOURCE
#include <cpuid.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
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
	/* the kernel takes the pages themselves (get_user_pages), no copy */
	struct iovec v = { (void *)p, sizeof *p };
	const char *s = outcome(vmsplice(q[1], &v, 1, 0));
	printf("syscaller: write %s, read %s, open %s, vmsplice %s\n", w, r, o, s);
	fflush(stdout);
}

/* The host's /proc/<pid>/mem writes any address of the one address space,
 * protection keys ignored (the kernel writes it as a debugger would): every
 * way of opening it must be refused.  Prints one line per way: the error,
 * or what writing the parent's word through it gave.  Then the runtime's
 * fds, listed in /proc/self/fd but not the µprocess's: none may be opened
 * again through /proc/self/fd/N. */
static void procmem_on(volatile unsigned long *p)
{
	char task[64], pid[64], link[64];
	snprintf(task, sizeof task, "/proc/self/task/%d/mem", (int)gettid());
	snprintf(pid, sizeof pid, "/proc/%d/mem", (int)getpid());
	snprintf(link, sizeof link, "iso_mem_link.%d", (int)getpid());
	unlink(link);
	if (symlink("/proc/self/mem", link) < 0)
		_exit(5);
	int procfd = open("/proc", O_RDONLY | O_DIRECTORY);
	struct open_how { unsigned long long flags, mode, resolve; } how = { O_RDWR, 0, 0 };
	struct { const char *name; int fd; } t[] = {
		{ "/proc/self/mem", open("/proc/self/mem", O_RDWR) },
		{ "/proc/thread-self/mem", open("/proc/thread-self/mem", O_RDWR) },
		{ "/proc/self/task/TID/mem", open(task, O_RDWR) },
		{ "/proc/PID/mem", open(pid, O_RDWR) },
		{ "openat(/proc, self/mem)", openat(procfd, "self/mem", O_RDWR) },
		{ "a symlink to it", open(link, O_RDWR) },
		{ "openat2", (int)syscall(437, AT_FDCWD, "/proc/self/mem", &how, sizeof how) },
	};
	unlink(link);
	for (unsigned i = 0; i < sizeof t / sizeof t[0]; i++) {
		int e = errno;
		if (t[i].fd < 0) {
			printf("procmem: %s: %s\n", t[i].name, strerror(e));
			continue;
		}
		unsigned long bad = 0xbad;
		printf("procmem: %s: opened, pwrite %s\n", t[i].name,
		       outcome(pwrite(t[i].fd, &bad, sizeof bad, (off_t)(uintptr_t)p)));
	}
	int listed = 0, reopened = 0;
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	while (d && (de = readdir(d))) {
		int fd = atoi(de->d_name);
		if (de->d_name[0] == '.' || fd == dirfd(d) || fcntl(fd, F_GETFD) >= 0)
			continue;
		listed++;
		char fdpath[64];
		snprintf(fdpath, sizeof fdpath, "/proc/self/fd/%d", fd);
		int r = open(fdpath, O_RDONLY);
		reopened += r >= 0;
		if (r < 0 && errno != ENOENT)
			printf("procmem: %s: %s\n", fdpath, strerror(errno));
	}
	printf("procmem: runtime fds %s, %d opened again\n", listed ? "listed" : "not listed", reopened);
	fflush(stdout);
}

/* race: one thread flips a path between a plain file and /proc/self/mem,
 * another opens it again and again, a third writes the parent's word
 * through every fd from 3 to 63: for about two seconds.  The runtime may
 * check the path it read, or the file once opened; only a check of what
 * the kernel is about to open leaves no moment in which an fd to mem
 * exists (--isolation=full).  Prints how many opens were refused. */
static char race_path[64] = "iso_race_file";
static volatile int race_stop;
static volatile unsigned long *race_word;

static void *flipper(void *arg)
{
	(void)arg;
	for (unsigned i = 0; !race_stop; i++)
		strcpy(race_path, i & 1 ? "/proc/self/mem" : "iso_race_file");
	return NULL;
}

static void *scribbler(void *arg)
{
	(void)arg;
	unsigned long bad = 0xbad;
	while (!race_stop)
		for (int fd = 3; fd < 64; fd++)
			pwrite(fd, &bad, sizeof bad, (off_t)(uintptr_t)race_word);
	return NULL;
}

static void race_on(volatile unsigned long *p)
{
	int f = open("iso_race_file", O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (f < 0)
		_exit(5);
	close(f);
	race_word = p;
	pthread_t a, b;
	pthread_create(&a, NULL, flipper, NULL);
	pthread_create(&b, NULL, scribbler, NULL);
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	long opens = 0, refused = 0;
	do {
		int fd = open(race_path, O_RDWR);
		opens++;
		if (fd >= 0)
			close(fd);
		else
			refused += errno == EACCES;
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while (t.tv_sec - t0.tv_sec < 2);
	race_stop = 1;
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	unlink("iso_race_file");
	printf("racer: %s\n", refused ? "some opens refused" : "no open refused");
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

/* raise SIGUSR1 with handler h (SA_SIGINFO) */
static void raise_with(void (*h)(int, siginfo_t *, void *))
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = h;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGUSR1, &sa, NULL);
	raise(SIGUSR1);
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
			raise_with(tamper);
			unsigned pkru = 0;
			if (tampered)
				__asm__ volatile("rdpkru" : "=a"(pkru) : "c"(0) : "rdx");
			printf("sigframe: %s, key 0 %s after the handler\n",
			       tampered ? "PKRU 0 written into the frame" : "no PKRU in the frame",
			       pkru & 1 ? "denied" : "open");
			fflush(stdout);
			printf("child read %#lx\n", *p);
		} else if (write_it == 5)
			race_on(p);
		else if (write_it == 4)
			procmem_on(p);
		else if (write_it == 2)
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

static volatile unsigned long *parent_word;
static unsigned long gadget_stack[4096] __attribute__((aligned(16)));
static unsigned long fake_regs[29], fake_block[32];
static ucontext_t fake_uc;
static unsigned char fake_fp[16384] __attribute__((aligned(64)));

static void after_gadget(void)
{
	_exit(*parent_word == 0x5ec2e7 ? 42 : 43);
}

/* SIGUSR1: a copy of the frame (ucontext, XSAVE area) that resumes at
 * after_gadget with PKRU 0, for the restorer and xrstor gadgets */
static void grab(int sig, siginfo_t *si, void *ucv)
{
	(void)sig;
	(void)si;
	ucontext_t *uc = ucv;
	uint32_t size = 0;
	memcpy(&size, (char *)uc->uc_mcontext.fpregs + 464 + 4, 4);	/* extended_size */
	if (size > sizeof fake_fp)
		_exit(3);
	memcpy(fake_fp, uc->uc_mcontext.fpregs, size);
	fake_uc = *uc;
	fake_uc.uc_mcontext.fpregs = (void *)fake_fp;
	fake_uc.uc_mcontext.gregs[REG_RIP] = (uintptr_t)after_gadget;
	fake_uc.uc_mcontext.gregs[REG_RSP] = (uintptr_t)&gadget_stack[4000] - 8;
	fake_uc.uc_mcontext.gregs[REG_CSGSFS] = 0x002b000000000033;
	unsigned a, b, c, d;
	if (__get_cpuid_count(0xd, 9, &a, &b, &c, &d) && a && b + 4 <= size) {
		memset(fake_fp + b, 0, 4);	/* PKRU := 0 */
		fake_fp[512 + 1] |= 2;		/* XSTATE_BV bit 9 */
	}
}

static void gadget(const char *kind, uintptr_t addr)
{
	raise_with(grab);
	uintptr_t top = (uintptr_t)&gadget_stack[4000];
	if (!strcmp(kind, "exit")) {
		/* popped: rax rcx rdx, then rip cs rflags rsp ss */
		fake_regs[3] = (uintptr_t)after_gadget;
		fake_regs[4] = 0x33;
		fake_regs[5] = 0x202;
		fake_regs[6] = top - 8;
		fake_regs[7] = 0x2b;
		fake_block[21] = 1;	/* r8 + 168: PKRU with key 0 only denied */
		__asm__ volatile("mov %0, %%rsp\n\tmov %1, %%r8\n\tjmp *%2"
				 : : "a"(fake_regs), "c"((uintptr_t)fake_block), "d"(addr) : "memory");
	} else if (!strcmp(kind, "restorer")) {
		__asm__ volatile("mov %0, %%rsp\n\tjmp *%1" : : "a"(&fake_uc), "d"(addr) : "memory");
	} else if (!strcmp(kind, "open")) {
		gadget_stack[4000 - 1] = (uintptr_t)after_gadget;
		__asm__ volatile("mov %0, %%rsp\n\tjmp *%1"
				 : : "a"(top - 8), "c"(addr) : "memory");
	} else if (!strcmp(kind, "xrstor")) {
		/* xrstor 0x40(%rsp) then registers from the stack, jmp *%r11 */
		memcpy((char *)gadget_stack + 0x40, fake_fp, 4096);
		__asm__ volatile("mov %0, %%rsp\n\tmov %1, %%r11\n\tmov $-1, %%eax\n\t"
				 "mov $-1, %%edx\n\tmov %%rsp, %%rbx\n\tjmp *%2"
				 : : "c"(gadget_stack), "S"(after_gadget), "D"(addr) : "memory");
	}
	_exit(2);
}

static sigjmp_buf probe_env;
static void probe_fault(int sig)
{
	(void)sig;
	siglongjmp(probe_env, 1);
}

/* can this thread write the word at p?  (writes back what it read) */
static int writable(volatile unsigned long *p)
{
	if (sigsetjmp(probe_env, 1))
		return 0;
	unsigned long v = *p;
	*p = v;
	return 1;
}

static int waiter_fd[2];
static void *waiter(void *arg)
{
	(void)arg;
	char c;
	return (void *)(intptr_t)read(waiter_fd[0], &c, 1);
}

static int altstack_attack(void)
{
	enum { ALT = 1 << 18, PAGE = 4096 };
	printf("slot %lx\n", (unsigned long)&secret);
	fflush(stdout);
	pthread_t th;
	if (pipe(waiter_fd) < 0 || pthread_create(&th, NULL, waiter, NULL)) {
		perror("waiter");
		return 1;
	}
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = probe_fault;
	sigaction(SIGSEGV, &sa, NULL);
	char line[64];
	while (fgets(line, sizeof line, stdin) && strncmp(line, "end", 3)) {
		uintptr_t base = strtoul(line, NULL, 16);
		int n = 0;
		long from = -1;
		for (long off = PAGE; off < ALT; off += PAGE)
			if (writable((volatile unsigned long *)(base + off))) {
				n++;
				if (from < 0)
					from = off;
			}
		printf("%d pages writable from offset %#lx\n", n, from);
	}
	void *r;
	if (write(waiter_fd[1], "x", 1) != 1 || pthread_join(th, &r))
		return 1;
	printf("waiter: read %ld\n", (long)(intptr_t)r);
	return 0;
}

/* rsp := sp, then syscall (getpid) or ud2 */
static void __attribute__((noreturn)) on_stack(uintptr_t sp, int ud)
{
	if (ud)
		__asm__ volatile("mov %0, %%rsp\n\tud2" : : "r"(sp) : "memory");
	__asm__ volatile("mov %0, %%rsp\n\tmov $39, %%eax\n\tsyscall\n\tud2" : : "r"(sp) : "memory");
	__builtin_unreachable();
}

static int deepstack_attack(void)
{
	const char *what[2] = { "deepstack", "padframe" };
	for (int i = 0; i < 2; i++) {
		pid_t pid = fork();
		if (pid == 0) {
			uintptr_t block;	/* this host thread's, from the GS base */
			__asm__ volatile("mov %%gs:160, %0" : "=r"(block));
			/* the middle of the runtime's part; 2 KiB into the exit pad */
			on_stack(i ? block + (216 << 10) + 2048 : block + (1 << 17), i);
		}
		fate(what[i], pid);
	}
	printf("runtime: alive\n");
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "deepstack"))
		return deepstack_attack();
	if (argc == 2 && !strcmp(argv[1], "altstack"))
		return altstack_attack();
	if (argc == 4 && !strcmp(argv[1], "gadget")) {
		uintptr_t here = (uintptr_t)&secret;
		int fd[2];
		if (pipe(fd) < 0)
			return 1;
		pid_t pid = fork();
		if (pid == 0) {
			char buf[32] = { 0 };
			close(fd[1]);
			if (read(fd[0], buf, sizeof buf - 1) <= 0)
				_exit(2);
			parent_word = (void *)strtoul(buf, NULL, 16);
			gadget(argv[2], strtoul(argv[3], NULL, 16));
		}
		close(fd[0]);
		dprintf(fd[1], "%lx", (unsigned long)here);
		close(fd[1]);
		char what[64];
		snprintf(what, sizeof what, "gadget %s", argv[2]);
		fate(what, pid);
		return 0;
	}
	if (argc == 2 && !strcmp(argv[1], "peer")) {
		fate("reader", child(0));
		fate("writer", child(1));
		fate("syscaller", child(2));
		fate("sigframe", child(3));
		fate("procmem", child(4));
		pid_t pid = fork();
		if (pid == 0)
			_exit(secret == 0x5ec2e7 ? 0 : 1);	/* its own copy */
		fate("bystander", pid);
		printf("parent: %s\n", secret == 0x5ec2e7 ? "intact" : "changed");
		return 0;
	}
	if (argc == 2 && !strcmp(argv[1], "race")) {
		fate("racer", child(5));
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
	fprintf(stderr, "usage: iso_attack peer | race | altstack | gadget KIND ADDR | read ADDR | write ADDR | sys ADDR\n");
	return 2;
}
