/* sysinfo: uname, getrlimit/setrlimit, sysinfo, sysconf, ids, hostname,
 * prctl thread name. Only properties are printed. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <unistd.h>

static int fails;
#define CHECK(c, name) do { if (c) printf("%s: ok\n", name); \
    else { printf("%s: FAIL (line %d, errno %d)\n", name, __LINE__, errno); fails++; } } while (0)

int main(void)
{
    struct utsname u;
    CHECK(uname(&u) == 0, "uname");
    printf("sysname=%s machine=%s\n", u.sysname, u.machine);
    CHECK(u.release[0] >= '2' && u.release[0] <= '9', "release looks like a version");

    struct rlimit rl;
    CHECK(getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur > 0 && rl.rlim_cur <= rl.rlim_max, "RLIMIT_NOFILE sane");
    struct rlimit lower = {64, rl.rlim_max};
    CHECK(setrlimit(RLIMIT_NOFILE, &lower) == 0 && getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur == 64,
          "setrlimit NOFILE 64");
    CHECK(getrlimit(RLIMIT_STACK, &rl) == 0 && rl.rlim_cur >= 65536, "RLIMIT_STACK >= 64KiB");
    CHECK(getrlimit(RLIMIT_AS, &rl) == 0, "RLIMIT_AS");
    struct rlimit rl2;
    CHECK(prlimit(0, RLIMIT_CORE, NULL, &rl2) == 0, "prlimit query");

    struct sysinfo si;
    CHECK(sysinfo(&si) == 0, "sysinfo");
    CHECK(si.totalram > 0 && si.mem_unit > 0 && si.freeram <= si.totalram, "sysinfo memory sane");
    CHECK(si.uptime > 0 && si.procs > 0, "sysinfo uptime/procs > 0");

    CHECK(sysconf(_SC_PAGESIZE) == 4096, "pagesize 4096");
    CHECK(sysconf(_SC_NPROCESSORS_ONLN) >= 1 && sysconf(_SC_NPROCESSORS_CONF) >= 1, "nprocs >= 1");
    CHECK(sysconf(_SC_CLK_TCK) == 100, "CLK_TCK 100");
    CHECK(get_nprocs() >= 1, "get_nprocs");

    CHECK(getpid() > 0 && getppid() > 0 && getpid() != getppid(), "pids sane");
    CHECK(gettid() == getpid(), "main thread tid == pid");
    CHECK(getuid() == geteuid() && getgid() == getegid(), "uid == euid, gid == egid");
    /* A session led from outside a pid namespace reads as 0 (CI containers). */
    CHECK(getpgrp() >= 0 && getsid(0) >= 0 && getpgid(0) == getpgrp() && getsid(getpid()) == getsid(0),
          "pgrp/sid consistent");
    gid_t groups[256];
    CHECK(getgroups(256, groups) >= 0, "getgroups");

    char host[256];
    CHECK(gethostname(host, sizeof host) == 0 && host[0], "gethostname non-empty");
    CHECK(strcmp(host, u.nodename) == 0, "hostname == uname nodename");

    char name[16] = {0};
    CHECK(prctl(PR_SET_NAME, "ufork-test") == 0 && prctl(PR_GET_NAME, name) == 0 && !strcmp(name, "ufork-test"),
          "prctl thread name");
    struct rusage ru;
    CHECK(getrusage(RUSAGE_SELF, &ru) == 0 && ru.ru_maxrss > 0, "getrusage maxrss > 0");
    CHECK(getpriority(PRIO_PROCESS, 0) >= -20, "getpriority");
    printf("sysinfo: %s\n", fails ? "FAILED" : "all ok");
    return fails != 0;
}
