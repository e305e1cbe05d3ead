/* faults_caught: other synchronous faults caught with SA_SIGINFO handlers:
 * SIGFPE (integer divide by zero), SIGILL (ud2), SIGTRAP (int3), SIGBUS
 * (access past the end of a truncated file mapping); and a fault in a thread. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static __thread sigjmp_buf env;
static volatile int got_signo, got_code;
static void *volatile got_addr;

static void handler(int sig, siginfo_t *si, void *ctx)
{
    (void)ctx;
    got_signo = sig;
    got_code = si->si_code;
    got_addr = si->si_addr;
    siglongjmp(env, 1);
}

static const char *code_name(int sig, int c)
{
    switch (sig) {
    case SIGFPE: return c == FPE_INTDIV ? "FPE_INTDIV" : "other";
    case SIGILL: return c == ILL_ILLOPN ? "ILL_ILLOPN" : "other";
    case SIGBUS: return c == BUS_ADRERR ? "BUS_ADRERR" : "other";
    case SIGTRAP: return c == SI_KERNEL ? "SI_KERNEL" : "other";
    case SIGSEGV: return c == SEGV_MAPERR ? "SEGV_MAPERR" : "other";
    }
    return "?";
}

static volatile int zero = 0;

static void *thread_fault(void *arg)
{
    (void)arg;
    if (sigsetjmp(env, 1) == 0) {
        volatile int *volatile bad = (volatile int *)64;
        *bad = 1;
        return (void *)0;
    }
    return (void *)(long)(got_signo == SIGSEGV && got_code == SEGV_MAPERR && got_addr == (void *)64);
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = handler;
    sa.sa_flags = SA_SIGINFO;
    int sigs[] = {SIGFPE, SIGILL, SIGTRAP, SIGBUS, SIGSEGV};
    for (int i = 0; i < 5; i++)
        sigaction(sigs[i], &sa, NULL);

    if (sigsetjmp(env, 1) == 0) {
        volatile int r = 10 / zero;
        printf("div: no fault?! %d\n", r);
    } else {
        printf("10/0: signo=%d code=%s\n", got_signo, code_name(got_signo, got_code));
    }

    if (sigsetjmp(env, 1) == 0) {
        __asm__ volatile("ud2");
        printf("ud2: no fault?!\n");
    } else {
        printf("ud2: signo=%d code=%s\n", got_signo, code_name(got_signo, got_code));
    }

    if (sigsetjmp(env, 1) == 0) {
        __asm__ volatile("int3");
        printf("int3: no fault?!\n");
    } else {
        printf("int3: signo=%d code=%s\n", got_signo, code_name(got_signo, got_code));
    }

    int fd = open("f.bin", O_RDWR | O_CREAT | O_TRUNC, 0600);
    long pg = sysconf(_SC_PAGESIZE);
    ftruncate(fd, 2 * pg);
    char *m = mmap(NULL, 2 * pg, PROT_READ, MAP_SHARED, fd, 0);
    ftruncate(fd, 10); /* second page is now beyond EOF */
    if (sigsetjmp(env, 1) == 0) {
        volatile char c = m[pg + 5];
        printf("bus: no fault?! %d\n", c);
    } else {
        printf("read beyond EOF of mapping: signo=%d code=%s si_addr==bad: %d\n", got_signo,
               code_name(got_signo, got_code), got_addr == m + pg + 5);
    }
    volatile char first = m[3];
    printf("first page still readable: %d\n", first == 0);
    munmap(m, 2 * pg);
    close(fd);

    pthread_t t;
    void *rv;
    pthread_create(&t, NULL, thread_fault, NULL);
    pthread_join(t, &rv);
    printf("SIGSEGV caught in a thread (own sigjmp_buf): %d\n", rv == (void *)1);
    printf("main continues\n");
    return 0;
}
