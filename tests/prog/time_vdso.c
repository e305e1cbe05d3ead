/*
 * time_vdso: the clocks through the vDSO - present in the auxiliary vector,
 * every clock id answering and moving as it should, bad ids refused,
 * gettimeofday and time agreeing with CLOCK_REALTIME, sched_getcpu, CPU-time
 * clocks - and still working after fork and after exec.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long ns(const struct timespec *t)
{
	return t->tv_sec * 1000000000LL + t->tv_nsec;
}

static int monotonic(clockid_t id, int rounds)
{
	struct timespec a, b;
	if (clock_gettime(id, &a))
		return 0;
	for (int i = 0; i < rounds; i++) {
		if (clock_gettime(id, &b) || ns(&b) < ns(&a))
			return 0;
		a = b;
	}
	return 1;
}

static void checks(const char *who)
{
	static const struct {
		clockid_t id;
		const char *name;
	} clocks[] = {
		{ CLOCK_MONOTONIC, "MONOTONIC" }, { CLOCK_MONOTONIC_RAW, "MONOTONIC_RAW" },
		{ CLOCK_MONOTONIC_COARSE, "MONOTONIC_COARSE" }, { CLOCK_BOOTTIME, "BOOTTIME" },
		{ CLOCK_REALTIME, "REALTIME" }, { CLOCK_REALTIME_COARSE, "REALTIME_COARSE" },
		{ CLOCK_TAI, "TAI" }, { CLOCK_PROCESS_CPUTIME_ID, "PROCESS_CPUTIME_ID" },
		{ CLOCK_THREAD_CPUTIME_ID, "THREAD_CPUTIME_ID" },
	};
	for (unsigned i = 0; i < sizeof clocks / sizeof clocks[0]; i++)
		printf("%s: %s: %s\n", who, clocks[i].name,
		       monotonic(clocks[i].id, 2000) ? "ok, never goes back" : "FAILED");
	struct timespec ts;
	errno = 0;
	int r = clock_gettime(1234, &ts);
	printf("%s: clock 1234: %d %s\n", who, r, strerror(errno));

	struct timeval tv;
	struct timespec rt;
	clock_gettime(CLOCK_REALTIME, &rt);
	gettimeofday(&tv, NULL);
	time_t t = time(NULL);
	long long d1 = tv.tv_sec * 1000000LL + tv.tv_usec - ns(&rt) / 1000;
	printf("%s: gettimeofday agrees with CLOCK_REALTIME: %s\n", who,
	       d1 >= 0 && d1 < 1000000 ? "yes" : "no");
	printf("%s: time agrees: %s\n", who, t >= rt.tv_sec && t <= rt.tv_sec + 1 ? "yes" : "no");
	int cpu = sched_getcpu();
	printf("%s: sched_getcpu in range: %s\n", who,
	       cpu >= 0 && cpu < CPU_SETSIZE ? "yes" : "no");

	struct timespec c0, c1;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
	volatile unsigned long x = 0;
	for (unsigned long i = 0; i < 20000000; i++)
		x += i;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
	printf("%s: CPU time grows with work: %s\n", who, ns(&c1) > ns(&c0) ? "yes" : "no");
}

int main(int argc, char **argv)
{
	if (argc > 1) {	/* after exec */
		checks("exec'd");
		return 0;
	}
	printf("AT_SYSINFO_EHDR given: %s\n", getauxval(AT_SYSINFO_EHDR) ? "yes" : "no");
	checks("parent");
	pid_t pid = fork();
	if (pid == 0) {
		checks("child");
		fflush(stdout);
		execl("/proc/self/exe", argv[0], "again", (char *)NULL);
		_exit(127);
	}
	int st;
	waitpid(pid, &st, 0);
	printf("child status %d\n", WEXITSTATUS(st));
	return 0;
}
