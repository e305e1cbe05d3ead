/* daemon: prints, daemonizes with daemon(3) (double fork, setsid, stdio to
 * /dev/null), and 2 s later writes a file (long enough that a
 * caller made to wait for it is told apart from a slow machine).  Run by tests/cli/daemon.sh. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <fcntl.h>
int main(int argc, char **argv){
  printf("before daemon\n"); fflush(stdout);
  if (daemon(1, 0)) { perror("daemon"); return 1; }
  sleep(2);
  int fd = open(argv[1], O_WRONLY|O_CREAT|O_TRUNC, 0644);
  write(fd, "daemon ran\n", 11); close(fd);
  return 0;
}
