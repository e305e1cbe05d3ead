/* time: clocks move forward, sleeps last at least as long as asked,
 * getrandom returns bytes. Only properties are printed, never values. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/time.h>
#include <sys/times.h>
#include <time.h>
#include <unistd.h>

static int fails;
#define CHECK(c, name) do { if (c) printf("%s: ok\n", name); \
    else { printf("%s: FAIL (line %d, errno %d)\n", name, __LINE__, errno); fails++; } } while (0)

static long long ns(clockid_t c)
{
    struct timespec t;
    clock_gettime(c, &t);
    return t.tv_sec * 1000000000LL + t.tv_nsec;
}

int main(void)
{
    struct timespec ts;
    CHECK(clock_gettime(CLOCK_MONOTONIC, &ts) == 0, "clock_gettime MONOTONIC");
    long long prev = ns(CLOCK_MONOTONIC);
    int mono = 1;
    for (int i = 0; i < 10000; i++) {
        long long now = ns(CLOCK_MONOTONIC);
        if (now < prev) mono = 0;
        prev = now;
    }
    CHECK(mono, "monotonic never goes back (10000 reads)");
    long long a = ns(CLOCK_MONOTONIC);
    long long b = 0;
    for (int i = 0; i < 100000000 && (b = ns(CLOCK_MONOTONIC)) == a; i++) ;
    CHECK(b > a, "monotonic advances");

    CHECK(clock_gettime(CLOCK_REALTIME, &ts) == 0 && ts.tv_sec > 1577836800, "realtime after 2020");
    struct timeval tv;
    CHECK(gettimeofday(&tv, NULL) == 0 && tv.tv_sec - ts.tv_sec <= 2 && tv.tv_sec >= ts.tv_sec &&
          tv.tv_usec >= 0 && tv.tv_usec < 1000000, "gettimeofday agrees with realtime");
    time_t t = time(NULL);
    CHECK(t >= ts.tv_sec && t - ts.tv_sec <= 2, "time() agrees");
    CHECK(clock_gettime(CLOCK_BOOTTIME, &ts) == 0 && ts.tv_sec >= 0, "CLOCK_BOOTTIME");
    CHECK(clock_gettime(CLOCK_MONOTONIC_COARSE, &ts) == 0, "CLOCK_MONOTONIC_COARSE");
    CHECK(clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) == 0 && ts.tv_sec >= 0, "CLOCK_PROCESS_CPUTIME_ID");
    CHECK(clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) == 0 && ts.tv_sec >= 0, "CLOCK_THREAD_CPUTIME_ID");
    CHECK(clock_getres(CLOCK_MONOTONIC, &ts) == 0 && ts.tv_sec == 0 && ts.tv_nsec > 0 &&
          ts.tv_nsec <= 1000000, "clock_getres MONOTONIC <= 1ms");
    CHECK(clock_gettime((clockid_t)12345, &ts) == -1 && errno == EINVAL, "bad clock -> EINVAL");

    long long t0 = ns(CLOCK_MONOTONIC);
    struct timespec req = {0, 20 * 1000000}, rem;
    CHECK(nanosleep(&req, &rem) == 0, "nanosleep 20ms");
    long long el = ns(CLOCK_MONOTONIC) - t0;
    CHECK(el >= 20000000LL && el < 5000000000LL, "slept >= 20ms");
    t0 = ns(CLOCK_MONOTONIC);
    CHECK(clock_nanosleep(CLOCK_MONOTONIC, 0, &req, NULL) == 0, "clock_nanosleep relative");
    el = ns(CLOCK_MONOTONIC) - t0;
    CHECK(el >= 20000000LL, "clock_nanosleep >= 20ms");
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_nsec += 15 * 1000000;
    if (ts.tv_nsec >= 1000000000) { ts.tv_sec++; ts.tv_nsec -= 1000000000; }
    CHECK(clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == 0 &&
          ns(CLOCK_MONOTONIC) >= ts.tv_sec * 1000000000LL + ts.tv_nsec, "clock_nanosleep absolute");
    t0 = ns(CLOCK_MONOTONIC);
    usleep(5000);
    CHECK(ns(CLOCK_MONOTONIC) - t0 >= 5000000LL, "usleep 5ms");
    struct timespec bad = {0, 1000000000};
    CHECK(nanosleep(&bad, NULL) == -1 && errno == EINVAL, "nanosleep bad nsec -> EINVAL");

    volatile double x = 0;
    for (int i = 0; i < 3000000; i++) x += i * 0.5;
    struct tms tm;
    CHECK(times(&tm) != (clock_t)-1, "times()");
    CHECK(clock() >= 0, "clock() >= 0");

    unsigned char r1[64], r2[64];
    memset(r1, 0, sizeof r1);
    memset(r2, 0, sizeof r2);
    CHECK(getrandom(r1, sizeof r1, 0) == 64, "getrandom 64 bytes");
    CHECK(getrandom(r2, sizeof r2, GRND_NONBLOCK) == 64, "getrandom GRND_NONBLOCK");
    int nonzero = 0;
    for (int i = 0; i < 64; i++) nonzero += r1[i] != 0;
    CHECK(nonzero > 32, "random bytes mostly non-zero");
    CHECK(memcmp(r1, r2, 64) != 0, "two calls differ");
    CHECK(getentropy(r1, 32) == 0, "getentropy");
    int fd = open("/dev/urandom", O_RDONLY);
    CHECK(fd >= 0 && read(fd, r1, 16) == 16, "read /dev/urandom");
    close(fd);
    printf("time: %s\n", fails ? "FAILED" : "all ok");
    return fails != 0;
}
