/* posix_shm_fixed: MAP_SHARED mappings placed with MAP_FIXED inside a
 * private range (anonymous and file-backed) stay at that offset in the child
 * and are still shared with the parent, fork after fork; the private pages
 * around them are copied as usual. */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <fcntl.h>
int main(){
  char *r = mmap(0, 3*4096, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0);
  strcpy(r, "private-before"); strcpy(r + 2*4096, "private-after");
  char *s = mmap(r + 4096, 4096, PROT_READ|PROT_WRITE, MAP_SHARED|MAP_ANONYMOUS|MAP_FIXED, -1, 0);
  printf("fixed shared inside private range: %d\n", s == r + 4096);
  strcpy(s, "parent");
  int fd = open("shfix.tmp", O_RDWR|O_CREAT|O_TRUNC, 0600); ftruncate(fd, 4096);
  char *fm = mmap(r + 2*4096, 4096, PROT_READ|PROT_WRITE, MAP_SHARED|MAP_FIXED, fd, 0);
  strcpy(fm, "file-parent");
  for (int round = 0; round < 3; round++) {
    pid_t c = fork();
    if (!c) { printf("child %d sees: %s / %s / %s\n", round, r, s, fm); strcpy(s, "child"); strcpy(fm, "file-child"); strcpy(r, "child-private"); fflush(stdout); _exit(0); }
    waitpid(c, 0, 0);
    printf("parent after child %d: %s / %s / %s\n", round, r, s, fm);
    strcpy(s, "parent"); strcpy(fm, "file-parent");
  }
  char buf[16] = {0}; pread(fd, buf, 11, 0); printf("file has: %s\n", buf);
  unlink("shfix.tmp");
  return 0;
}
