/* posix_siglongjmp: handlers that leave with siglongjmp().
 *  - SIGALRM during a read() blocked on an empty pipe;
 *  - SIGSEGV from a write to an unmapped page, several times in a row;
 *  - sigsetjmp(env, 1) restores the mask saved at sigsetjmp time (the
 *    signal itself and the handler's sa_mask are unblocked again, a signal
 *    blocked at sigsetjmp time stays blocked); sigsetjmp(env, 0) does not
 *    (the signal stays blocked after the jump). */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <unistd.h>

static sigjmp_buf env;
static volatile sig_atomic_t in_handler_blocked_usr1, in_handler_blocked_self;
static volatile int handled;

static void jumper(int sig)
{
    sigset_t cur;
    sigprocmask(SIG_BLOCK, NULL, &cur);
    in_handler_blocked_self = sigismember(&cur, sig);
    in_handler_blocked_usr1 = sigismember(&cur, SIGUSR1);
    handled++;
    siglongjmp(env, sig);
}

static void install(int sig, int flags)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = jumper;
    sa.sa_flags = flags;
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGUSR1);     /* extra signal blocked in handler */
    sigaction(sig, &sa, NULL);
}

static void show_mask(const char *what)
{
    sigset_t cur;
    sigprocmask(SIG_BLOCK, NULL, &cur);
    printf("%s: blocked ALRM=%d SEGV=%d USR1=%d USR2=%d\n", what,
           sigismember(&cur, SIGALRM), sigismember(&cur, SIGSEGV),
           sigismember(&cur, SIGUSR1), sigismember(&cur, SIGUSR2));
}

static void unblock_all(void)
{
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
}

int main(void)
{
    int p[2];
    pipe(p);
    char buf[8];

    /* 1. SIGALRM out of a blocked read, savemask=1; SIGUSR2 blocked at
     *    sigsetjmp time must stay blocked */
    install(SIGALRM, SA_RESTART);
    sigset_t usr2;
    sigemptyset(&usr2);
    sigaddset(&usr2, SIGUSR2);
    sigprocmask(SIG_BLOCK, &usr2, NULL);
    handled = 0;
    int v = sigsetjmp(env, 1);
    if (v == 0) {
        struct itimerval it = {{0, 0}, {0, 50000}};
        setitimer(ITIMER_REAL, &it, NULL);
        ssize_t r = read(p[0], buf, sizeof buf);
        printf("read returned %zd (should not happen)\n", r);
    } else {
        printf("alarm/read savemask=1: sigsetjmp returned %d (SIGALRM=%d) handled=%d\n", v, SIGALRM, handled);
        printf("alarm/read: in handler blocked self=%d usr1=%d\n", in_handler_blocked_self, in_handler_blocked_usr1);
        show_mask("alarm/read savemask=1 after jump");
    }
    unblock_all();

    /* the pipe still works, and a second round works */
    write(p[1], "ok", 2);
    ssize_t r = read(p[0], buf, sizeof buf);
    printf("pipe after jump: read %zd '%.*s'\n", r, (int)(r > 0 ? r : 0), buf);

    /* 2. same with savemask=0: SIGALRM and SIGUSR1 stay blocked */
    handled = 0;
    v = sigsetjmp(env, 0);
    if (v == 0) {
        struct itimerval it = {{0, 0}, {0, 50000}};
        setitimer(ITIMER_REAL, &it, NULL);
        read(p[0], buf, sizeof buf);
        printf("read returned (should not happen)\n");
    } else {
        printf("alarm/read savemask=0: sigsetjmp returned %d handled=%d\n", v, handled);
        show_mask("alarm/read savemask=0 after jump");
    }
    unblock_all();

    /* 3. SIGSEGV three times, savemask=1 */
    install(SIGSEGV, 0);
    long pg = sysconf(_SC_PAGESIZE);
    char *bad = mmap(NULL, pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    volatile int jumps = 0;
    handled = 0;
    v = sigsetjmp(env, 1);
    if (v != 0) {
        jumps++;
        show_mask("segv savemask=1 after jump");
    }
    if (jumps < 3) {
        *(volatile char *)(bad + jumps) = 1;
        printf("store did not fault\n");
    }
    printf("segv: jumps=%d handled=%d last value=%d (SIGSEGV=%d) self blocked in handler=%d\n",
           jumps, handled, v, SIGSEGV, in_handler_blocked_self);

    /* 4. after the jumps, memory can be made accessible and used */
    mprotect(bad, pg, PROT_READ | PROT_WRITE);
    bad[0] = 42;
    printf("after mprotect: bad[0]=%d\n", bad[0]);

    /* 5. SIGSEGV with savemask=0: SIGSEGV stays blocked afterwards */
    mprotect(bad, pg, PROT_NONE);
    handled = 0;
    v = sigsetjmp(env, 0);
    if (v == 0) {
        *(volatile char *)bad = 1;
        printf("store did not fault\n");
    } else {
        printf("segv savemask=0: sigsetjmp returned %d handled=%d\n", v, handled);
        show_mask("segv savemask=0 after jump");
    }
    unblock_all();

    /* 6. nested: a jump from SIGALRM's handler back across a sigsetjmp
     *    made with SIGALRM blocked by sigprocmask restores that block */
    install(SIGALRM, 0);
    sigset_t alrm;
    sigemptyset(&alrm);
    sigaddset(&alrm, SIGALRM);
    handled = 0;
    v = sigsetjmp(env, 1);
    if (v == 0) {
        /* block after sigsetjmp: the jump restores the unblocked state */
        sigprocmask(SIG_BLOCK, &alrm, NULL);
        struct itimerval it = {{0, 0}, {0, 20000}};
        setitimer(ITIMER_REAL, &it, NULL);
        usleep(100000);                  /* signal is now pending */
        sigset_t pend;
        sigpending(&pend);
        printf("pending while blocked: %d\n", sigismember(&pend, SIGALRM));
        sigprocmask(SIG_UNBLOCK, &alrm, NULL);   /* delivered here */
        printf("unblock did not deliver\n");
    } else {
        printf("delivered on unblock: sigsetjmp returned %d handled=%d\n", v, handled);
        show_mask("after jump from unblock");
    }
    munmap(bad, pg);
    return 0;
}
