/* posix_proc_zombie: /proc/<pid>/stat of an unreaped child shows state Z;
 * after wait the entry is gone. */
#include <stdio.h>
#include <unistd.h>
#include <sys/wait.h>
int main(){ pid_t c = fork(); if (!c) _exit(3); usleep(100000);
 char p[64]; snprintf(p, sizeof p, "/proc/%d/stat", c); FILE *f = fopen(p, "r"); int pid = 0; char comm[64] = "", st = '?';
 if (f) { fscanf(f, "%d %63s %c", &pid, comm, &st); fclose(f); }
 printf("zombie stat: opened=%d pid-match=%d state=%c\n", f != NULL, pid == c, st);
 int s; waitpid(c, &s, 0); f = fopen(p, "r"); printf("after reap: opened=%d\n", f != NULL); return 0; }
