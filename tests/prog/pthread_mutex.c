/* pthread_mutex: 4 threads increment shared counters under a mutex and with
 * atomics; join return values; __thread variables are per thread. */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>

#define NTHREADS 4
#define ITERS 100000

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long counter;          /* protected by lock */
static long atomic_counter;   /* __atomic builtins */
static __thread long tls_count;
static __thread int tls_init = 7;
static __thread char tls_buf[64] = "initial";
static int tls_init_ok[NTHREADS], tls_count_ok[NTHREADS], tls_buf_ok[NTHREADS];

static void *worker(void *arg)
{
    int id = (int)(intptr_t)arg;
    tls_init_ok[id] = tls_init == 7 && tls_buf[0] == 'i';
    tls_init = 100 + id;
    tls_buf[0] = (char)('A' + id);
    for (int i = 0; i < ITERS; i++) {
        pthread_mutex_lock(&lock);
        counter++;
        pthread_mutex_unlock(&lock);
        __atomic_fetch_add(&atomic_counter, 1, __ATOMIC_SEQ_CST);
        tls_count++;
        if ((i & 1023) == 0)
            sched_yield();
    }
    tls_count_ok[id] = tls_count == ITERS && tls_init == 100 + id;
    tls_buf_ok[id] = tls_buf[0] == 'A' + id;
    return (void *)(intptr_t)(id * 10 + 1);
}

int main(void)
{
    pthread_t t[NTHREADS];
    for (int i = 0; i < NTHREADS; i++)
        if (pthread_create(&t[i], NULL, worker, (void *)(intptr_t)i)) {
            printf("pthread_create failed\n");
            return 1;
        }
    int rv_ok = 1;
    for (int i = 0; i < NTHREADS; i++) {
        void *rv;
        pthread_join(t[i], &rv);
        printf("join thread %d -> %ld\n", i, (long)(intptr_t)rv);
        if ((intptr_t)rv != i * 10 + 1) rv_ok = 0;
    }
    for (int i = 0; i < NTHREADS; i++)
        printf("thread %d: tls initial values %s, tls count %s, tls buf %s\n", i,
               tls_init_ok[i] ? "ok" : "BAD", tls_count_ok[i] ? "ok" : "BAD",
               tls_buf_ok[i] ? "ok" : "BAD");
    printf("mutex: total=%ld %s\n", counter, counter == NTHREADS * ITERS ? "ok" : "BAD");
    printf("atomic: total=%ld %s\n", atomic_counter,
           atomic_counter == NTHREADS * ITERS ? "ok" : "BAD");
    printf("main tls untouched: %s\n",
           tls_count == 0 && tls_init == 7 && tls_buf[0] == 'i' ? "ok" : "BAD");

    /* trylock / recursive / errorcheck */
    pthread_mutex_lock(&lock);
    printf("trylock on locked mutex: %s\n", pthread_mutex_trylock(&lock) == EBUSY ? "EBUSY" : "other");
    pthread_mutex_unlock(&lock);
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_t rec;
    pthread_mutex_init(&rec, &a);
    int r = pthread_mutex_lock(&rec) | pthread_mutex_lock(&rec) | pthread_mutex_trylock(&rec);
    r |= pthread_mutex_unlock(&rec) | pthread_mutex_unlock(&rec) | pthread_mutex_unlock(&rec);
    printf("recursive mutex x3: %s\n", r == 0 ? "ok" : "BAD");
    pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK);
    pthread_mutex_t ec;
    pthread_mutex_init(&ec, &a);
    pthread_mutex_lock(&ec);
    printf("errorcheck relock: %s\n", pthread_mutex_lock(&ec) == EDEADLK ? "EDEADLK" : "other");
    pthread_mutex_unlock(&ec);
    printf("errorcheck unlock unlocked: %s\n", pthread_mutex_unlock(&ec) == EPERM ? "EPERM" : "other");

    int ok = rv_ok && counter == NTHREADS * ITERS && atomic_counter == NTHREADS * ITERS;
    for (int i = 0; i < NTHREADS; i++)
        ok &= tls_init_ok[i] && tls_count_ok[i] && tls_buf_ok[i];
    return ok ? 0 : 1;
}
