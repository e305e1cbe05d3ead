/* posix_robust_mutex: a robust mutex whose owner thread, or owner process
 * (process-shared, in MAP_SHARED memory), dies while holding it: the next
 * locker gets EOWNERDEAD (the runtime walks the dead thread's robust list). */
#include <pthread.h>
#include <stdio.h>
#include <errno.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
static pthread_mutex_t m;
static void *locker(void *a){ pthread_mutex_lock(&m); return 0; }
int main(){
  pthread_mutexattr_t at; pthread_mutexattr_init(&at); pthread_mutexattr_setrobust(&at, PTHREAD_MUTEX_ROBUST);
  pthread_mutex_init(&m, &at);
  pthread_t t; pthread_create(&t, 0, locker, 0); pthread_join(t, 0);
  int r = pthread_mutex_lock(&m);
  printf("thread died holding it: lock=%s\n", r == EOWNERDEAD ? "EOWNERDEAD" : "other");
  pthread_mutex_consistent(&m); pthread_mutex_unlock(&m);
  pthread_mutex_t *sm = mmap(0, 4096, PROT_READ|PROT_WRITE, MAP_SHARED|MAP_ANONYMOUS, -1, 0);
  pthread_mutexattr_setpshared(&at, PTHREAD_PROCESS_SHARED);
  pthread_mutex_init(sm, &at);
  pid_t pid = fork(); if (!pid) { pthread_mutex_lock(sm); _exit(0); }
  waitpid(pid, 0, 0);
  r = pthread_mutex_lock(sm);
  printf("process died holding it: lock=%s\n", r == EOWNERDEAD ? "EOWNERDEAD" : "other");
  return 0;
}
