/* pthread_misc: detach + semaphores, pthread_once, barriers, rwlocks,
 * thread-specific keys with destructors, pthread_exit, stack size attribute,
 * many short-lived threads. */
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int fails;
#define CHECK(c, name) do { if (c) printf("%s: ok\n", name); \
    else { printf("%s: FAIL (line %d)\n", name, __LINE__); fails++; } } while (0)

static sem_t done;
static int detached_ran;
static void *detached(void *arg)
{
    (void)arg;
    detached_ran = 1;
    sem_post(&done);
    return NULL;
}

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int once_count;
static void once_fn(void) { __atomic_fetch_add(&once_count, 1, __ATOMIC_SEQ_CST); }

static pthread_barrier_t bar;
static int serial_count, after_barrier;
static void *barrier_thread(void *arg)
{
    (void)arg;
    pthread_once(&once, once_fn);
    int r = pthread_barrier_wait(&bar);
    if (r == PTHREAD_BARRIER_SERIAL_THREAD)
        __atomic_fetch_add(&serial_count, 1, __ATOMIC_SEQ_CST);
    __atomic_fetch_add(&after_barrier, 1, __ATOMIC_SEQ_CST);
    return NULL;
}

static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static long shared_val;
static void *rw_writer(void *arg)
{
    (void)arg;
    for (int i = 0; i < 20000; i++) {
        pthread_rwlock_wrlock(&rw);
        shared_val++;
        pthread_rwlock_unlock(&rw);
    }
    return NULL;
}
static void *rw_reader(void *arg)
{
    long bad = 0, last = 0;
    (void)arg;
    for (int i = 0; i < 20000; i++) {
        pthread_rwlock_rdlock(&rw);
        if (shared_val < last) bad++;
        last = shared_val;
        pthread_rwlock_unlock(&rw);
    }
    return (void *)bad;
}

static pthread_key_t key;
static int destructor_calls;
static void destructor(void *p)
{
    if (p == (void *)0x1234)
        __atomic_fetch_add(&destructor_calls, 1, __ATOMIC_SEQ_CST);
}
static void *key_thread(void *arg)
{
    (void)arg;
    void *before = pthread_getspecific(key);
    pthread_setspecific(key, (void *)0x1234);
    return (void *)(intptr_t)(before == NULL && pthread_getspecific(key) == (void *)0x1234);
}

static void *exit_thread(void *arg)
{
    (void)arg;
    pthread_exit((void *)77);
    return NULL;
}

static void *big_stack(void *arg)
{
    volatile char buf[48 * 1024];
    (void)arg;
    memset((char *)buf, 3, sizeof buf);
    long s = 0;
    for (size_t i = 0; i < sizeof buf; i += 512) s += buf[i];
    return (void *)s;
}

static pthread_t main_self;
static void *self_thread(void *arg)
{
    (void)arg;
    return (void *)(intptr_t)(!pthread_equal(pthread_self(), main_self));
}

static void *short_lived(void *arg) { return (void *)((intptr_t)arg + 1); }

int main(void)
{
    sem_init(&done, 0, 0);
    pthread_t t;
    CHECK(pthread_create(&t, NULL, detached, NULL) == 0 && pthread_detach(t) == 0, "create+detach");
    sem_wait(&done);
    CHECK(detached_ran, "detached thread ran, semaphore posted");

    pthread_attr_t da;
    pthread_attr_init(&da);
    pthread_attr_setdetachstate(&da, PTHREAD_CREATE_DETACHED);
    CHECK(pthread_create(&t, &da, detached, NULL) == 0, "create detached via attr");
    sem_wait(&done);
    struct timespec ts = {0, 0};
    CHECK(sem_timedwait(&done, &ts) == -1 && errno == ETIMEDOUT, "sem_timedwait empty -> ETIMEDOUT");
    CHECK(sem_trywait(&done) == -1 && errno == EAGAIN, "sem_trywait empty -> EAGAIN");

    pthread_barrier_init(&bar, NULL, 5);
    pthread_t bt[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&bt[i], NULL, barrier_thread, NULL);
    pthread_once(&once, once_fn);
    int r = pthread_barrier_wait(&bar);
    if (r == PTHREAD_BARRIER_SERIAL_THREAD)
        __atomic_fetch_add(&serial_count, 1, __ATOMIC_SEQ_CST);
    for (int i = 0; i < 4; i++)
        pthread_join(bt[i], NULL);
    CHECK(once_count == 1, "pthread_once ran once for 5 callers");
    CHECK(serial_count == 1 && after_barrier == 4, "barrier: one serial thread");

    pthread_t w[2], rd[2];
    for (int i = 0; i < 2; i++) {
        pthread_create(&w[i], NULL, rw_writer, NULL);
        pthread_create(&rd[i], NULL, rw_reader, NULL);
    }
    long bad = 0;
    for (int i = 0; i < 2; i++) {
        void *b;
        pthread_join(w[i], NULL);
        pthread_join(rd[i], &b);
        bad += (long)b;
    }
    CHECK(shared_val == 40000 && bad == 0, "rwlock: 2 writers x 20000, readers monotonic");
    pthread_rwlock_rdlock(&rw);
    CHECK(pthread_rwlock_tryrdlock(&rw) == 0, "second rdlock while read-locked");
    CHECK(pthread_rwlock_trywrlock(&rw) == EBUSY, "trywrlock while read-locked -> EBUSY");
    pthread_rwlock_unlock(&rw);
    pthread_rwlock_unlock(&rw);

    pthread_key_create(&key, destructor);
    pthread_t kt[3];
    for (int i = 0; i < 3; i++)
        pthread_create(&kt[i], NULL, key_thread, NULL);
    int kok = 1;
    for (int i = 0; i < 3; i++) {
        void *v;
        pthread_join(kt[i], &v);
        kok &= v == (void *)1;
    }
    CHECK(kok && destructor_calls == 3, "thread-specific keys + 3 destructor calls");
    CHECK(pthread_getspecific(key) == NULL, "main thread key still NULL");

    void *rv;
    pthread_create(&t, NULL, exit_thread, NULL);
    pthread_join(t, &rv);
    CHECK(rv == (void *)77, "pthread_exit value 77");

    pthread_attr_t sa;
    pthread_attr_init(&sa);
    pthread_attr_setstacksize(&sa, 128 * 1024);
    size_t ss = 0;
    pthread_attr_getstacksize(&sa, &ss);
    CHECK(ss == 128 * 1024, "attr stacksize 128KiB");
    pthread_create(&t, &sa, big_stack, NULL);
    pthread_join(t, &rv);
    CHECK((long)rv == 3 * 96, "48KiB of locals on a 128KiB thread stack");

    main_self = pthread_self();
    pthread_create(&t, NULL, self_thread, NULL);
    pthread_join(t, &rv);
    CHECK(rv == (void *)1 && pthread_equal(main_self, pthread_self()), "pthread_self/equal");

    int many_ok = 1;
    for (int i = 0; i < 300; i++) {
        pthread_t x;
        if (pthread_create(&x, NULL, short_lived, (void *)(intptr_t)i)) { many_ok = 0; break; }
        pthread_join(x, &rv);
        if ((intptr_t)rv != i + 1) many_ok = 0;
    }
    CHECK(many_ok, "300 sequential create/join");
    pthread_t par[16];
    for (int i = 0; i < 16; i++)
        pthread_create(&par[i], NULL, short_lived, (void *)(intptr_t)i);
    for (int i = 0; i < 16; i++) {
        pthread_join(par[i], &rv);
        if ((intptr_t)rv != i + 1) many_ok = 0;
    }
    CHECK(many_ok, "16 concurrent threads");
    printf("pthread_misc: %s\n", fails ? "FAILED" : "all ok");
    return fails != 0;
}
