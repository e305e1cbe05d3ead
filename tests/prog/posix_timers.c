/* posix_timers: POSIX timers: a periodic CLOCK_MONOTONIC timer signalling
 * SIGRTMIN with a value, timer_gettime after disarming, timer_delete, and a
 * SIGEV_THREAD timer armed at an absolute CLOCK_REALTIME time (musl runs it
 * through SIGEV_THREAD_ID). */
#include <signal.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>
#include <pthread.h>
static volatile sig_atomic_t hits, val;
static void h(int s, siginfo_t *si, void *u){ hits++; val = si->si_value.sival_int; }
static volatile int thr_hits;
static void tf(union sigval v){ __atomic_fetch_add(&thr_hits, v.sival_int, __ATOMIC_SEQ_CST); }
int main(){
  struct sigaction sa = {0}; sa.sa_sigaction = h; sa.sa_flags = SA_SIGINFO; sigaction(SIGRTMIN, &sa, 0);
  struct sigevent ev = {0}; ev.sigev_notify = SIGEV_SIGNAL; ev.sigev_signo = SIGRTMIN; ev.sigev_value.sival_int = 77;
  timer_t t; printf("create=%d\n", timer_create(CLOCK_MONOTONIC, &ev, &t));
  struct itimerspec its = { {0, 20000000}, {0, 20000000} };
  timer_settime(t, 0, &its, 0);
  while (hits < 3) pause();
  its.it_value.tv_nsec = 0; its.it_interval.tv_nsec = 0; timer_settime(t, 0, &its, 0);
  printf("periodic hits>=3: %d value=%d\n", hits >= 3, val);
  struct itimerspec cur; timer_gettime(t, &cur); printf("disarmed: %d\n", cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec == 0);
  int d1 = timer_delete(t); int d2 = timer_delete(t); printf("delete=%d delete again=%d\n", d1, d2);
  struct sigevent te = {0}; te.sigev_notify = SIGEV_THREAD; te.sigev_notify_function = tf; te.sigev_value.sival_int = 5;
  timer_t t2; timer_create(CLOCK_REALTIME, &te, &t2);
  struct timespec now; clock_gettime(CLOCK_REALTIME, &now); now.tv_nsec += 30000000; if (now.tv_nsec >= 1000000000) { now.tv_sec++; now.tv_nsec -= 1000000000; }
  struct itimerspec abs = { {0,0}, now }; timer_settime(t2, TIMER_ABSTIME, &abs, 0);
  for (int i = 0; i < 100 && !thr_hits; i++) usleep(10000);
  printf("SIGEV_THREAD callback ran with value: %d\n", thr_hits);
  timer_delete(t2);
  return 0;
}
