/* posix_stop_cont: job-control stops: SIGSTOP and SIGTSTP stop a child
 * blocked in read (it makes no progress while stopped), the parent sees
 * WIFSTOPPED with WUNTRACED and a CLD_STOPPED SIGCHLD, SIGCONT resumes it
 * (WCONTINUED), SIGKILL kills it while stopped.  The child reports each step
 * through a pipe, so the output does not depend on scheduling. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/wait.h>

static volatile sig_atomic_t chld;
static void h(int s, siginfo_t *si, void *u) { (void)s; (void)u; chld = si->si_code; }

int main(void)
{
	struct sigaction sa = { 0 };
	sa.sa_sigaction = h;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigaction(SIGCHLD, &sa, 0);
	int p[2], q[2];
	pipe(p);
	pipe(q);
	pid_t c = fork();
	if (!c) {
		for (int i = 0; i < 3; i++) {
			char b;
			read(p[0], &b, 1);
			write(q[1], "t", 1);
		}
		_exit(4);
	}
	char t;
	write(p[1], "x", 1);
	read(q[0], &t, 1);
	printf("tick 1 seen\n");
	kill(c, SIGSTOP);
	int st;
	pid_t r = waitpid(c, &st, WUNTRACED);
	printf("stopped=%d sig=%d\n", r == c && WIFSTOPPED(st), WSTOPSIG(st));
	write(p[1], "x", 1);
	usleep(100000);
	fcntl(q[0], F_SETFL, O_NONBLOCK);
	printf("no tick while stopped: %d; WNOHANG=%d\n", read(q[0], &t, 1) < 0,
	       waitpid(c, &st, WNOHANG | WUNTRACED | WCONTINUED));
	printf("SIGCHLD said stopped: %d\n", chld == CLD_STOPPED);
	kill(c, SIGCONT);
	r = waitpid(c, &st, WCONTINUED);
	printf("continued=%d\n", r == c && WIFCONTINUED(st));
	fcntl(q[0], F_SETFL, 0);
	printf("tick after continue: %d\n", read(q[0], &t, 1) == 1);
	kill(c, SIGTSTP);
	waitpid(c, &st, WUNTRACED);
	printf("tstp stopped sig=%d\n", WSTOPSIG(st));
	kill(c, SIGKILL);
	waitpid(c, &st, 0);
	printf("killed while stopped: sig=%d\n", WTERMSIG(st));
	return 0;
}
