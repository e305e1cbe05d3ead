/* pthread_cond: bounded-buffer producer/consumer (2 producers, 2 consumers)
 * with a mutex and two condition variables; broadcast; timedwait timeout. */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#define CAP 8
#define PER_PRODUCER 20000

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t not_full = PTHREAD_COND_INITIALIZER;
static pthread_cond_t not_empty = PTHREAD_COND_INITIALIZER;
static long buf[CAP];
static int head, count;

static void put(long v)
{
    pthread_mutex_lock(&m);
    while (count == CAP)
        pthread_cond_wait(&not_full, &m);
    buf[(head + count) % CAP] = v;
    count++;
    pthread_cond_signal(&not_empty);
    pthread_mutex_unlock(&m);
}

static long get(void)
{
    pthread_mutex_lock(&m);
    while (count == 0)
        pthread_cond_wait(&not_empty, &m);
    long v = buf[head];
    head = (head + 1) % CAP;
    count--;
    pthread_cond_signal(&not_full);
    pthread_mutex_unlock(&m);
    return v;
}

static void *producer(void *arg)
{
    long base = (long)(intptr_t)arg;
    for (long i = 1; i <= PER_PRODUCER; i++)
        put(base + i);
    return NULL;
}

struct result { long sum, items; };
static void *consumer(void *arg)
{
    struct result *r = arg;
    for (;;) {
        long v = get();
        if (v < 0)
            break;
        r->sum += v;
        r->items++;
    }
    return NULL;
}

/* broadcast */
static pthread_mutex_t bm = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t bc = PTHREAD_COND_INITIALIZER;
static int go, waiting, woke;
static void *waiter(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&bm);
    waiting++;
    pthread_cond_broadcast(&bc); /* tell main */
    while (!go)
        pthread_cond_wait(&bc, &bm);
    woke++;
    pthread_mutex_unlock(&bm);
    return NULL;
}

int main(void)
{
    pthread_t p[2], c[2];
    struct result r[2] = {{0, 0}, {0, 0}};
    pthread_create(&c[0], NULL, consumer, &r[0]);
    pthread_create(&c[1], NULL, consumer, &r[1]);
    pthread_create(&p[0], NULL, producer, (void *)(intptr_t)0);
    pthread_create(&p[1], NULL, producer, (void *)(intptr_t)1000000);
    pthread_join(p[0], NULL);
    pthread_join(p[1], NULL);
    put(-1);
    put(-1);
    pthread_join(c[0], NULL);
    pthread_join(c[1], NULL);
    long sum = r[0].sum + r[1].sum, items = r[0].items + r[1].items;
    long expect = 2L * PER_PRODUCER * (PER_PRODUCER + 1) / 2 + 1000000L * PER_PRODUCER;
    printf("producer/consumer: items=%ld sum=%ld %s\n", items, sum,
           items == 2 * PER_PRODUCER && sum == expect ? "ok" : "BAD");

    pthread_t w[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&w[i], NULL, waiter, NULL);
    pthread_mutex_lock(&bm);
    while (waiting < 4)
        pthread_cond_wait(&bc, &bm);
    go = 1;
    pthread_cond_broadcast(&bc);
    pthread_mutex_unlock(&bm);
    for (int i = 0; i < 4; i++)
        pthread_join(w[i], NULL);
    printf("broadcast woke %d of 4 %s\n", woke, woke == 4 ? "ok" : "BAD");

    /* timed wait that times out (realtime and monotonic clocks) */
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += 30 * 1000000;
    if (ts.tv_nsec >= 1000000000) { ts.tv_sec++; ts.tv_nsec -= 1000000000; }
    pthread_mutex_lock(&bm);
    int rc = pthread_cond_timedwait(&not_empty, &bm, &ts);
    pthread_mutex_unlock(&bm);
    printf("timedwait realtime: %s\n", rc == ETIMEDOUT ? "ETIMEDOUT" : "other");

    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_t mc;
    pthread_cond_init(&mc, &ca);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ts = t0;
    ts.tv_nsec += 30 * 1000000;
    if (ts.tv_nsec >= 1000000000) { ts.tv_sec++; ts.tv_nsec -= 1000000000; }
    pthread_mutex_lock(&bm);
    rc = pthread_cond_timedwait(&mc, &bm, &ts);
    pthread_mutex_unlock(&bm);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    printf("timedwait monotonic: %s waited>=29ms: %d\n", rc == ETIMEDOUT ? "ETIMEDOUT" : "other", ms >= 29);
    return !(items == 2 * PER_PRODUCER && sum == expect && woke == 4);
}
