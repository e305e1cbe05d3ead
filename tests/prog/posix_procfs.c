/* posix_procfs: /proc/self and /proc/<pid> name µprocesses: stat, status,
 * exe, cmdline, fd/, smaps, oom_score_adj (written and read back), a child
 * reading its parent's stat; other /proc files are the host's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <dirent.h>
#include <sys/stat.h>
#include <sys/wait.h>
static void show(const char *path){ char buf[4096]; int fd=open(path,O_RDONLY); if(fd<0){printf("%s: open failed\n",path);return;} int n=read(fd,buf,sizeof buf-1); close(fd); buf[n>0?n:0]=0; printf("%s: %d bytes\n", path, n); }
int main(int argc, char **argv){
  char p[64], link[256];
  FILE *f = fopen("/proc/self/stat","r"); int pid; char comm[64]; char st; int ppid;
  fscanf(f, "%d %63s %c %d", &pid, comm, &st, &ppid); fclose(f);
  printf("stat: pid==getpid %d ppid==getppid %d comm=%s\n", pid==getpid(), ppid==getppid(), comm);
  f = fopen("/proc/self/status","r"); char line[256]; while (fgets(line,sizeof line,f)) if(!strncmp(line,"Pid:",4)) printf("status Pid==getpid %d\n", atoi(line+4)==getpid()); fclose(f);
  int n = readlink("/proc/self/exe", link, sizeof link - 1); link[n>0?n:0]=0; printf("exe ends with /pf: %d\n", n > 3 && !strcmp(link+n-3, "/pf"));
  f = fopen("/proc/self/cmdline","r"); n = fread(line,1,sizeof line,f); fclose(f); printf("cmdline bytes=%d last arg=%s\n", n, line + strlen(line)+1);
  DIR *d = opendir("/proc/self/fd"); int cnt=0; struct dirent *e; while((e=readdir(d))) cnt++; closedir(d); printf("fd entries>=5: %d\n", cnt>=5);
  f = fopen("/proc/self/smaps","r"); long dirty=0; while (fgets(line,sizeof line,f)) if(!strncmp(line,"Private_Dirty:",14)) dirty += atol(line+14); fclose(f); printf("smaps private dirty > 0: %d\n", dirty>0);
  f = fopen("/proc/self/oom_score_adj","w"); fprintf(f,"%d\n", 800); fclose(f);
  f = fopen("/proc/self/oom_score_adj","r"); int v=0; fscanf(f,"%d",&v); fclose(f); printf("oom_score_adj=%d\n", v);
  pid_t c = fork(); if(!c){ snprintf(p,sizeof p,"/proc/%d/stat",getppid()); f=fopen(p,"r"); int pp=0; fscanf(f,"%d",&pp); fclose(f); printf("child sees parent stat pid ok: %d\n", pp==getppid()); fflush(stdout); _exit(0);} waitpid(c,0,0);
  struct stat sb; printf("stat /proc/self/exe ok: %d\n", stat("/proc/self/exe",&sb)==0 && S_ISREG(sb.st_mode));
  printf("/proc/meminfo readable: %d\n", access("/proc/meminfo", R_OK)==0);
  return 0;
}
