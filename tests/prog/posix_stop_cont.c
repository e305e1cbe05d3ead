/* posix_stop_cont: job-control stops: SIGSTOP and SIGTSTP stop a child
 * blocked in read (no progress while stopped), the parent sees WIFSTOPPED
 * with WUNTRACED and a CLD_STOPPED SIGCHLD, SIGCONT resumes it (WCONTINUED),
 * SIGKILL kills it while stopped. */
#include <signal.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/wait.h>
static volatile sig_atomic_t chld;
static void h(int s, siginfo_t *si, void *u){ chld = si->si_code; }
int main(){
  struct sigaction sa = {0}; sa.sa_sigaction = h; sa.sa_flags = SA_SIGINFO; sigaction(SIGCHLD, &sa, 0);
  int p[2]; pipe(p);
  pid_t c = fork();
  if (!c) { for (int i = 0; i < 3; i++) { char b; read(p[0], &b, 1); printf("child tick %d\n", i); fflush(stdout);} _exit(4); }
  write(p[1], "x", 1); usleep(50000);
  kill(c, SIGSTOP);
  int st; pid_t r = waitpid(c, &st, WUNTRACED);
  printf("stopped=%d sig=%d chld_code_stopped=%d\n", r == c && WIFSTOPPED(st), WSTOPSIG(st), chld == CLD_STOPPED);
  write(p[1], "x", 1); usleep(100000);
  printf("no tick while stopped; WNOHANG=%d\n", waitpid(c, &st, WNOHANG|WUNTRACED|WCONTINUED));
  kill(c, SIGCONT);
  r = waitpid(c, &st, WCONTINUED);
  printf("continued=%d\n", r == c && WIFCONTINUED(st)); fflush(stdout);
  usleep(50000);
  kill(c, SIGTSTP); waitpid(c, &st, WUNTRACED); printf("tstp stopped sig=%d\n", WSTOPSIG(st)); fflush(stdout);
  kill(c, SIGKILL); waitpid(c, &st, 0); printf("killed while stopped: sig=%d\n", WTERMSIG(st));
  return 0;
}
