/*
 * main.c - the `ufork` command: options, start-up checks, and the runtime's
 * invisible init (the host main thread), which starts the first µprocess,
 * waits until no µprocess is left, and then leaves exactly as the first
 * program did: same exit code, or death by the same signal.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "reloc.h"
#include "ufork.h"

extern char **environ;

static void usage(FILE *f)
{
	fprintf(f,
		"usage: ufork run [options] PROGRAM [ARGS...]\n"
		"       ufork --help | --version\n"
		"\n"
		"Runs an unmodified x86-64 static-PIE program as a µprocess: every process\n"
		"it creates lives in one address space with this runtime.\n"
		"\n"
		"options:\n"
		"  --trace             print every syscall of the µprocesses to stderr\n"
		"  --slot-size=SIZE    address space of one µprocess (default 4G; K, M, G)\n"
		"  --max-procs=N       limit on live µprocesses (default 256)\n"
		"  --keep-slots=SIZE   memory that slots of exited µprocesses may keep\n"
		"                      populated for the next fork of their program\n"
		"                      (default 256M; 0: none)\n"
		"  --spin-us=N         how long a parent waiting for a child, or a spare\n"
		"                      thread waiting for the next fork, spins before it\n"
		"                      sleeps (default 50; 0: never spin)\n"
		"  --copy=STRATEGY     how fork copies memory: full (default: all of it\n"
		"                      before fork returns) or coa (copy-on-access: large\n"
		"                      private regions page by page when either side first\n"
		"                      touches them; needs userfaultfd)\n"
		"  --stats             at exit, report each fork: bytes copied, words\n"
		"                      relocated, time per step\n"
		"  --shell=PATH        static-PIE shell that µprocesses get as /bin/sh\n"
		"                      (default: apps/dash next to the ufork binary)\n"
		"  --fast-syscalls     rewrite the programs' syscall instructions into calls\n"
		"                      through a trampoline at address 0 (about 10x cheaper\n"
		"                      syscalls; needs root or vm.mmap_min_addr=0); reads of\n"
		"                      addresses below 4096 then no longer fault\n"
		"  --reloc-misaligned  fork also relocates pointers stored at 2-byte\n"
		"                      alignment (CPython 3.11's bytecode caches); a 32-bit\n"
		"                      integer next to another can then be taken for one\n"
		"  --no-fsgsbase       switch the FS base with arch_prctl even where the CPU\n"
		"                      has user-space FSGSBASE (the path of CPUs without it)\n"
		"  --isolation=LEVEL   isolation between µprocesses with memory protection\n"
		"                      keys: none (default), fault or full (fault, and\n"
		"                      files opened without a check-then-use window);\n"
		"                      fault and full need a CPU and kernel with pku\n"
		"  -h, --help          this text\n"
		"  -V, --version       the version\n");
}

static int parse_size(const char *s, size_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -1;
	switch (*end) {
	case 'k': case 'K': v <<= 10; end++; break;
	case 'm': case 'M': v <<= 20; end++; break;
	case 'g': case 'G': v <<= 30; end++; break;
	}
	if (*end)
		return -1;
	*out = v;
	return 0;
}

static void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
static void die(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	fprintf(stderr, "ufork: %s\n", buf);
	exit(127);
}

/* Leave as the first µprocess left: its exit code, or death by its signal. */
static void leave_like(int status) __attribute__((noreturn));
static void leave_like(int status)
{
	if ((status & 0x7f) == 0)
		_exit((status >> 8) & 0xff);
	int sig = status & 0x7f;
	struct rlimit rl = { 0, 0 };
	if (!(status & 0x80))
		setrlimit(RLIMIT_CORE, &rl);	/* no core where Linux made none */
	signal(sig, SIG_DFL);
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, sig);
	sigprocmask(SIG_UNBLOCK, &s, NULL);
	raise(sig);
	_exit(128 + sig);
}

/*
 * The front process.  `ufork run` is two host processes: the front, which
 * the caller waits for, and the runtime, its child, which runs every
 * µprocess.  The front leaves as soon as the first program has ended (with
 * its status), while the runtime goes on until the last µprocess is gone - a
 * daemon that double-forks outlives `ufork run` as it outlives its parent on
 * Linux.  Signals sent to the front with kill are passed to the runtime
 * (which passes them to the program); the terminal's own signals reach the
 * runtime directly, as it is in the same process group.  When the first
 * program stops (Ctrl-Z), the front stops too, so the shell sees the job
 * stopped; the shell's SIGCONT reaches the runtime, which continues the
 * program's group.
 */
static int front_fd = -1;	/* runtime: where the first status goes */
static pid_t runtime_pid;

static void front_pass(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	if (si->si_code != SI_KERNEL)
		kill(runtime_pid, sig);
}

/* What the front passes on to the runtime. */
static const int front_sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2,
				  SIGWINCH, SIGTSTP, SIGCONT };

/* mask: the mask to go back to once the handlers are in (split_front blocks
 * front_sigs across the fork, so that none sent early is lost) */
static void front(int rfd, const sigset_t *mask) __attribute__((noreturn));
static void front(int rfd, const sigset_t *mask)
{
	struct sigaction sa = { .sa_sigaction = front_pass, .sa_flags = SA_SIGINFO | SA_RESTART };
	for (unsigned i = 0; i < sizeof front_sigs / sizeof front_sigs[0]; i++)
		sigaction(front_sigs[i], &sa, NULL);
	sigprocmask(SIG_SETMASK, mask, NULL);
	/* the first program's wait statuses: a stop stops the front too (so a
	 * shell sees its job stopped), a continue needs nothing, an end ends it */
	for (;;) {
		int status;
		ssize_t n;
		do
			n = read(rfd, &status, sizeof status);
		while (n < 0 && errno == EINTR);
		if (n != sizeof status)
			break;
		if (WIFSTOPPED(status))
			raise(SIGSTOP);
		else if (!WIFCONTINUED(status))
			leave_like(status);
	}
	/* no status: the runtime ended before the first program did */
	int st;
	while (waitpid(runtime_pid, &st, 0) < 0 && errno == EINTR)
		;
	if (WIFSIGNALED(st))
		fprintf(stderr, "ufork: the runtime died of signal %d\n", WTERMSIG(st));
	else
		fprintf(stderr, "ufork: the runtime exited (%d) before the program\n",
			WEXITSTATUS(st));
	_exit(WIFSIGNALED(st) ? 128 + WTERMSIG(st) : 70);
}

/* In the runtime: the first program stopped or continued. */
void first_stopped(int status)
{
	if (front_fd >= 0 && write(front_fd, &status, sizeof status) < 0) {
	}
}

/* In the runtime, when the first program has ended (or, with --stats, when
 * every µprocess has, last): tell the front, once. */
void first_exited(int status, int last)
{
	if (front_fd < 0 || (show_stats && !last))
		return;
	if (write(front_fd, &status, sizeof status) < 0) {
	}
	close(front_fd);
	front_fd = -1;
	if (!trace_syscalls && !show_stats) {	/* stop holding the caller's stderr */
		int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
		if (null >= 0) {
			dup3(null, log_fd, O_CLOEXEC);
			close(null);
		}
	}
}

static void split_front(void)
{
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) < 0)
		die("pipe: %s", strerror(errno));
	/* a signal sent to ufork as soon as the program runs must find the
	 * front's handlers: hold them until they are in */
	sigset_t block, old;
	sigemptyset(&block);
	for (unsigned i = 0; i < sizeof front_sigs / sizeof front_sigs[0]; i++)
		sigaddset(&block, front_sigs[i]);
	sigprocmask(SIG_BLOCK, &block, &old);
	pid_t pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid > 0) {
		runtime_pid = pid;
		close(fds[1]);
		front(fds[0], &old);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	close(fds[0]);
	front_fd = runtime_fd(fds[1]);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, 0, 'h' },
		{ "version", no_argument, 0, 'V' },
		{ "trace", no_argument, 0, 't' },
		{ "slot-size", required_argument, 0, 's' },
		{ "max-procs", required_argument, 0, 'm' },
		{ "stats", no_argument, 0, 'S' },
		{ "shell", required_argument, 0, 'b' },
		{ "fast-syscalls", no_argument, 0, 'F' },
		{ "keep-slots", required_argument, 0, 'k' },
		{ "spin-us", required_argument, 0, 'p' },
		{ "no-fsgsbase", no_argument, 0, 'G' },
		{ "reloc-misaligned", no_argument, 0, 'M' },
		{ "copy", required_argument, 0, 'c' },
		{ "isolation", required_argument, 0, 'I' },
		{ 0, 0, 0, 0 },
	};
	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		usage(stdout);
		return 0;
	}
	if (argc >= 2 && (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V"))) {
		printf("ufork %s\n", UFORK_VERSION);
		return 0;
	}
	if (argc < 2 || strcmp(argv[1], "run") != 0) {
		usage(stderr);
		return 2;
	}
	argc--;
	argv++;
	int c, fast = 0, fsgsbase = 1;
	while ((c = getopt_long(argc, argv, "+hV", opts, NULL)) != -1) {
		switch (c) {
		case 'h': usage(stdout); return 0;
		case 'V': printf("ufork %s\n", UFORK_VERSION); return 0;
		case 't': trace_syscalls = 1; break;
		case 'S': show_stats = 1; break;
		case 'F': fast = 1; break;
		case 'G': fsgsbase = 0; break;
		case 'M': reloc_misaligned = 1; break;
		case 'c':
			if (!strcmp(optarg, "full"))
				copy_mode = COPY_FULL;
			else if (!strcmp(optarg, "coa"))
				copy_mode = COPY_COA;
			else if (!strcmp(optarg, "copa"))
				die("--copy=copa is not available: sharing a page between two "
				    "slots needs memfd-backed slots, which ufork does not have yet");
			else
				die("--copy: want full or coa, got '%s'", optarg);
			break;
		case 'I':
			if ((isolation = isolation_parse(optarg)) < 0)
				die("--isolation: want none, fault or full, got '%s'", optarg);
			break;
		case 'b':
			if (access(optarg, X_OK) < 0)
				die("--shell: %s: %s", optarg, strerror(errno));
			exec_shell = realpath(optarg, NULL);
			break;
		case 's':
			if (parse_size(optarg, &slot_size) || slot_size < (64UL << 20) ||
			    slot_size > (1UL << 40) || slot_size % PAGE_SIZE)
				die("--slot-size: want a page multiple from 64M to 1T, got '%s'",
				    optarg);
			break;
		case 'k':
			if (parse_size(optarg, &keep_budget) || keep_budget > (64UL << 30))
				die("--keep-slots: want a size up to 64G (0: keep none), got '%s'",
				    optarg);
			break;
		case 'p': {
			char *end;
			long v = strtol(optarg, &end, 10);
			if (!*optarg || *end || v < 0 || v > 1000000)
				die("--spin-us: want 0 to 1000000, got '%s'", optarg);
			spin_ns = v * 1000;
			break;
		}
		case 'm': {
			char *end;
			long v = strtol(optarg, &end, 10);
			if (*end || v < 1 || v > 4096)
				die("--max-procs: want 1 to 4096, got '%s'", optarg);
			max_procs = v;
			break;
		}
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc)
		die("run: no program given (see ufork --help)");

	if (!exec_shell) {	/* build/apps/dash next to build/ufork */
		char self[4096];
		ssize_t n = readlink("/proc/self/exe", self, sizeof self - 32);
		if (n > 0) {
			self[n] = 0;
			char *slash = strrchr(self, '/');
			strcpy(slash ? slash + 1 : self, "apps/dash");
			if (access(self, X_OK) == 0)
				exec_shell = strdup(self);
		}
	}
	char err[512];
	if (sud_check(fsgsbase, err, sizeof err) < 0)
		die("%s", err);
	if (isolation_check(err, sizeof err) < 0)
		die("%s", err);
	if (isolation != ISOLATION_NONE && fast)
		die("--isolation=%s does not work with --fast-syscalls yet", isolation_name(isolation));
	if (isolation_init(err, sizeof err) < 0)
		die("%s", err);
	if (fast && fastcall_init(err, sizeof err) < 0)
		die("%s", err);
	struct rlimit nofile;
	if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < 1024)
		fd_floor = nofile.rlim_cur > 64 ? nofile.rlim_cur - 24 : 40;
	log_fd = runtime_fd(fcntl(2, F_DUPFD_CLOEXEC, 0));

	struct image *img = calloc(1, sizeof *img);
	if (!img || image_open(argv[optind], img, err, sizeof err) < 0)
		die("%s", err);
	int r = arena_init(slot_size, max_procs);
	if (r < 0)
		die("cannot reserve the address space at %#lx: %s", ARENA_BASE, strerror(-r));
	init_setup();
	if (host_signals_init() < 0 || !tblock_setup(NULL, 0))
		die("cannot install the runtime's signal handlers: %s", strerror(errno));

	struct uproc *p = proc_new(img, NULL);
	image_put(img);		/* the µprocess holds its own reference */
	if (!p)
		die("cannot create the first µprocess");
	split_front();
	fork_init();	/* /proc/self of the runtime, not of the front */
	if (copy_mode == COPY_COA && lazy_init(err, sizeof err) < 0)
		die("%s", err);
	if (copy_mode == COPY_COA && (r = lazy_start()) < 0)
		die("--copy=coa: cannot start the fault thread: %s", strerror(-r));
	if (!ufork_pkru_on)
		vdso_init();	/* its code reads the host's vvar page: key 0 */
	tty_init(p);	/* the runtime's terminal becomes the first program's */
	r = proc_start(p, argv + optind, environ);
	if (r < 0)
		die("%s: cannot start: %s", argv[optind], strerror(-r));
	/* the first µprocess has its own copy of stdio: the runtime lets go of
	 * the caller's, so that a daemon's caller sees EOF when it should */
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	for (int fd = 0; fd < 3 && null >= 0; fd++)
		dup2(null, fd);
	int status = proc_wait_all();
	if (show_stats)
		ulog("ufork: FS base switched with %s\n",
		     ufork_fsgsbase ? "wrfsbase (FSGSBASE)" : "arch_prctl (no FSGSBASE)");
	fork_stats_print();
	if (show_stats)
		lazy_stats_print();
	first_exited(status, 1);	/* --stats: the front waited for this */
	_exit(0);
}
