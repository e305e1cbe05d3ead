/* posix_credentials: setgid/setuid in a multi-threaded µprocess change the
 * credentials of all its threads (musl's synccall runs the syscall on every
 * thread) and are inherited by fork; root cannot come back; umask applies.
 * Needs root (CI runs as root); otherwise it says so and passes trivially
 * both natively and under ufork. */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/stat.h>
#include <fcntl.h>
static pthread_barrier_t b1, b2;
static long tuid[2];
static void *th(void *a) { long i = (long)a; pthread_barrier_wait(&b1); pthread_barrier_wait(&b2); tuid[i] = syscall(SYS_getuid) * 1000 + syscall(SYS_getgid); return 0; }
int main(){
  if (geteuid() != 0) { printf("not root: skipped\n"); return 0; }
  umask(027); int fd = open("umask.tmp", O_CREAT|O_WRONLY, 0666); struct stat st = {0}; fstat(fd, &st); printf("umask applied: %o\n", st.st_mode & 0777); close(fd); unlink("umask.tmp");
  pthread_barrier_init(&b1, 0, 3); pthread_barrier_init(&b2, 0, 3);
  pthread_t t[2]; for (long i = 0; i < 2; i++) pthread_create(&t[i], 0, th, (void*)i);
  pthread_barrier_wait(&b1);
  int g = setgid(4242), u = setuid(4343);
  pthread_barrier_wait(&b2);
  for (int i = 0; i < 2; i++) pthread_join(t[i], 0);
  printf("setgid=%d setuid=%d main uid=%d gid=%d\n", g, u, getuid(), getgid());
  printf("threads see uid*1000+gid: %ld %ld\n", tuid[0], tuid[1]);
  pid_t c = fork(); if (!c) { printf("child uid=%d euid=%d\n", getuid(), geteuid()); fflush(stdout); _exit(0); } waitpid(c, 0, 0);
  printf("setuid(0) back: %d\n", setuid(0));
  return 0;
}
