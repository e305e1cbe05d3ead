/* segv_caught: SIGSEGV handlers for bad pointer dereferences (SEGV_MAPERR,
 * SEGV_ACCERR, si_addr), siglongjmp out and continue, repeatedly (the mask
 * must be restored); then stack overflow caught on a sigaltstack. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static sigjmp_buf env;
static volatile int got_signo, got_code;
static void *volatile got_addr;
static volatile int on_altstack;
static char *alt_lo, *alt_hi;

static void handler(int sig, siginfo_t *si, void *ctx)
{
    (void)ctx;
    got_signo = sig == si->si_signo ? sig : -1;
    got_code = si->si_code;
    got_addr = si->si_addr;
    char here;
    on_altstack = alt_lo && &here >= alt_lo && &here < alt_hi;
    siglongjmp(env, 1);
}

static const char *code_name(int c)
{
    return c == SEGV_MAPERR ? "SEGV_MAPERR" : c == SEGV_ACCERR ? "SEGV_ACCERR" : "other";
}

static void try_read(const char *what, volatile int *p)
{
    got_signo = 0;
    if (sigsetjmp(env, 1) == 0) {
        int v = *p;
        printf("%s: no fault?! read %d\n", what, v);
    } else {
        printf("%s: caught signo=%d code=%s si_addr==bad: %d\n", what, got_signo,
               code_name(got_code), got_addr == (void *)p);
    }
}

static void try_write(const char *what, volatile int *p)
{
    got_signo = 0;
    if (sigsetjmp(env, 1) == 0) {
        *p = 1;
        printf("%s: no fault?!\n", what);
    } else {
        printf("%s: caught signo=%d code=%s si_addr==bad: %d\n", what, got_signo,
               code_name(got_code), got_addr == (void *)p);
    }
}

static volatile long depth, limit = 1L << 40;
__attribute__((noinline)) static long recurse(long n)
{
    volatile char pad[1024];
    pad[0] = (char)n;
    depth = n;
    if (n > limit)
        return 0;
    return recurse(n + 1) + pad[0];
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = handler;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, NULL);

    try_read("read NULL+16", (volatile int *)16);
    try_read("read again (mask restored)", (volatile int *)16);
    try_write("write 0x1000", (volatile int *)0x1000);
    try_read("read high kernel address", (volatile int *)0xffff800000000000ull);

    long pg = sysconf(_SC_PAGESIZE);
    char *m = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    mprotect(m + pg, pg, PROT_NONE);
    try_read("read PROT_NONE page", (volatile int *)(m + pg + 64));
    mprotect(m, pg, PROT_READ);
    try_write("write PROT_READ page", (volatile int *)(m + 128));
    munmap(m, 2 * pg);
    try_read("read unmapped page", (volatile int *)(m + 256));

    for (int i = 0; i < 100; i++) {
        if (sigsetjmp(env, 1) == 0)
            *(volatile int *)(uintptr_t)(8 + i) = i;
    }
    printf("100 faults in a row: last code=%s\n", code_name(got_code));

    /* without the sigsetjmp mask save, SIGSEGV stays blocked: check mask */
    sigset_t cur;
    sigprocmask(SIG_BLOCK, NULL, &cur);
    printf("SIGSEGV blocked after siglongjmp: %d\n", sigismember(&cur, SIGSEGV));

    /* stack overflow: only catchable on an alternate stack */
    static char alt[64 * 1024];
    stack_t ss = {.ss_sp = alt, .ss_size = sizeof alt, .ss_flags = 0};
    printf("sigaltstack: %d\n", sigaltstack(&ss, NULL));
    stack_t q;
    sigaltstack(NULL, &q);
    printf("sigaltstack query: size ok %d, not on it: %d\n", q.ss_size == sizeof alt, !(q.ss_flags & SS_ONSTACK));
    alt_lo = alt;
    alt_hi = alt + sizeof alt;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigaction(SIGSEGV, &sa, NULL);
    try_read("fault with SA_ONSTACK", (volatile int *)24);
    printf("handler ran on the alternate stack: %d\n", on_altstack);
    got_signo = 0;
    if (sigsetjmp(env, 1) == 0) {
        recurse(0);
        printf("stack overflow: no fault?!\n");
    } else {
        printf("stack overflow caught: signo=%d on altstack=%d deep=%d\n", got_signo, on_altstack,
               depth > 1000);
    }
    /* and the program keeps working */
    char buf[64];
    snprintf(buf, sizeof buf, "%d", 12345);
    printf("continuing after overflow: %s\n", buf);
    return 0;
}
