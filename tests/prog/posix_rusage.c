/* posix_rusage: CPU time per process: getrusage(RUSAGE_SELF) counts only
 * this process, wait4 reports the child's, RUSAGE_CHILDREN and times()
 * collect reaped children (coarse bands: CPU time, not wall time). */
#include <stdio.h>
#include <sys/resource.h>
#include <sys/times.h>
#include <sys/wait.h>
#include <unistd.h>
#include <time.h>
static void spin(double sec){ struct timespec a,b; clock_gettime(CLOCK_THREAD_CPUTIME_ID,&a); do clock_gettime(CLOCK_THREAD_CPUTIME_ID,&b); while((b.tv_sec-a.tv_sec)+(b.tv_nsec-a.tv_nsec)/1e9 < sec); }
int main(){
  struct rusage r; getrusage(RUSAGE_CHILDREN,&r); printf("children before: %ld\n", r.ru_utime.tv_sec*1000+r.ru_utime.tv_usec/1000 + r.ru_stime.tv_sec*1000+r.ru_stime.tv_usec/1000);
  pid_t c = fork(); if(!c){ spin(0.3); _exit(0);} 
  spin(0.1);
  getrusage(RUSAGE_SELF,&r); long self = r.ru_utime.tv_sec*1000+r.ru_utime.tv_usec/1000+r.ru_stime.tv_sec*1000+r.ru_stime.tv_usec/1000;
  printf("self ~100ms: %d\n", self >= 80 && self < 250);
  struct rusage cr; wait4(c, 0, 0, &cr); long ch = cr.ru_utime.tv_sec*1000+cr.ru_utime.tv_usec/1000+cr.ru_stime.tv_sec*1000+cr.ru_stime.tv_usec/1000;
  printf("wait4 rusage ~300ms: %d\n", ch >= 250 && ch < 500);
  getrusage(RUSAGE_CHILDREN,&r); long c2 = r.ru_utime.tv_sec*1000+r.ru_utime.tv_usec/1000+r.ru_stime.tv_sec*1000+r.ru_stime.tv_usec/1000;
  printf("children ~300ms: %d\n", c2 >= 250 && c2 < 500);
  struct tms t; times(&t); long hz = sysconf(_SC_CLK_TCK); printf("times cutime+cstime ~30 ticks: %d, utime+stime ~10: %d\n", (t.tms_cutime+t.tms_cstime)*100/hz >= 25 && (t.tms_cutime+t.tms_cstime)*100/hz < 50, (t.tms_utime+t.tms_stime)*100/hz >= 8 && (t.tms_utime+t.tms_stime)*100/hz < 25);
  return 0;
}
