/* posix_exec: execve semantics: an execve chain keeps the pid; handled
 * signals go back to SIG_DFL while ignored ones stay ignored and the mask is
 * kept; close-on-exec fds are closed and others stay open; ENOENT, EACCES
 * and ENOEXEC as Linux reports them; a #! script whose interpreter is this
 * (static) program, with an interpreter argument; execveat with AT_FDCWD and
 * with a directory fd; argv and envp arrive intact. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;
static void handler(int s) { (void)s; }

static int after_exec(int argc, char **argv)
{
	if (!strcmp(argv[1], "chain")) {
		int n = atoi(argv[2]);
		printf("chain %d: pid same as at start: %d\n", n, getpid() == atoi(argv[3]));
		fflush(stdout);
		if (n == 0)
			return 0;
		char nb[16];
		snprintf(nb, sizeof nb, "%d", n - 1);
		execl("/proc/self/exe", argv[0], "chain", nb, argv[3], (char *)0);
		return 1;
	}
	if (!strcmp(argv[1], "state")) {
		struct sigaction sa;
		sigaction(SIGUSR1, NULL, &sa);
		printf("SIGUSR1 (was handled) now default: %d\n", sa.sa_handler == SIG_DFL);
		sigaction(SIGUSR2, NULL, &sa);
		printf("SIGUSR2 (was ignored) still ignored: %d\n", sa.sa_handler == SIG_IGN);
		sigset_t m;
		sigprocmask(SIG_BLOCK, NULL, &m);
		printf("SIGTERM still blocked: %d\n", sigismember(&m, SIGTERM));
		printf("fd 5 (cloexec) closed: %d, fd 6 open: %d\n", fcntl(5, F_GETFD) < 0 && errno == EBADF,
		       fcntl(6, F_GETFD) >= 0);
		printf("env UFORK_T=%s argc=%d last=%s\n", getenv("UFORK_T") ? getenv("UFORK_T") : "-", argc,
		       argv[argc - 1]);
		return 0;
	}
	if (!strcmp(argv[1], "script")) {	/* run as the #! interpreter */
		printf("interpreter got: argc=%d opt=%s script-ends-in=%s arg=%s\n", argc, argv[2],
		       strrchr(argv[3], '/') ? strrchr(argv[3], '/') + 1 : argv[3], argc > 4 ? argv[4] : "-");
		return 0;
	}
	return 2;
}

static int run(char *const av[], const char *path)
{
	pid_t c = fork();
	if (!c) {
		execve(path, av, environ);
		_exit(100 + errno % 100);
	}
	int st;
	waitpid(c, &st, 0);
	fflush(stdout);
	return WEXITSTATUS(st);
}

int main(int argc, char **argv)
{
	if (argc > 1)
		return after_exec(argc, argv);
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	self[n > 0 ? n : 0] = 0;
	setvbuf(stdout, NULL, _IONBF, 0);

	char pid[16];
	snprintf(pid, sizeof pid, "%d", 0);
	pid_t c = fork();
	if (!c) {
		snprintf(pid, sizeof pid, "%d", getpid());
		execl(self, argv[0], "chain", "3", pid, (char *)0);
		_exit(1);
	}
	waitpid(c, NULL, 0);

	c = fork();
	if (!c) {
		signal(SIGUSR1, handler);
		signal(SIGUSR2, SIG_IGN);
		sigset_t m;
		sigemptyset(&m);
		sigaddset(&m, SIGTERM);
		sigprocmask(SIG_BLOCK, &m, NULL);
		int fd = open("/dev/null", O_RDONLY);
		dup2(fd, 5);
		dup2(fd, 6);
		fcntl(5, F_SETFD, FD_CLOEXEC);
		setenv("UFORK_T", "yes", 1);
		execl(self, argv[0], "state", "x", "last-arg", (char *)0);
		_exit(1);
	}
	waitpid(c, NULL, 0);

	char *av[] = { "x", NULL };
	printf("missing file: %d (ENOENT=%d)\n", run(av, "/nonexistent/prog"), 100 + ENOENT);
	int fd = open("noexec.txt", O_CREAT | O_WRONLY | O_TRUNC, 0644);
	write(fd, "just text\n", 10);
	close(fd);
	printf("not executable: %d (EACCES=%d)\n", run(av, "noexec.txt"), 100 + EACCES);
	chmod("noexec.txt", 0755);
	printf("executable text: %d (ENOEXEC=%d)\n", run(av, "./noexec.txt"), 100 + ENOEXEC);

	fd = open("script.sh", O_CREAT | O_WRONLY | O_TRUNC, 0755);
	dprintf(fd, "#!%s script\nexit 0\n", self);
	close(fd);
	char *sav[] = { "script.sh", "scriptarg", NULL };
	printf("#! script: %d\n", run(sav, "./script.sh"));

	c = fork();
	if (!c) {
		char *a2[] = { argv[0], "state", "via-execveat", NULL };
		int d = open(".", O_RDONLY | O_DIRECTORY);
		symlink(self, "self-link");
		syscall(SYS_execveat, d, "self-link", a2, environ, 0);
		_exit(1);
	}
	int st;
	waitpid(c, &st, 0);
	printf("execveat(dirfd) exit %d\n", WEXITSTATUS(st));
	unlink("noexec.txt");
	unlink("script.sh");
	unlink("self-link");
	return 0;
}
