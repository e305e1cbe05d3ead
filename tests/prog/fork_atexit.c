/* fork_atexit: atexit handlers registered before fork run in the child's
 * exit() (in reverse order, seeing the child's data), plus one the child
 * registers itself; a destructor function runs too.  _exit() runs none.
 * The parent's own exit runs its handlers once. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *who = "parent";
static char *heap_msg;
static int counter;

static void h1(void) { printf("fork_atexit: %s h1 counter=%d\n", who, counter++); }
static void h2(void) { printf("fork_atexit: %s h2 msg=%s\n", who, heap_msg); }
static void h3(void) { printf("fork_atexit: %s h3 counter=%d\n", who, counter++); }
static void child_only(void) { printf("fork_atexit: %s child-only handler\n", who); }
__attribute__((destructor)) static void dtor(void)
{
    printf("fork_atexit: %s destructor counter=%d\n", who, counter);
}

int main(void)
{
    heap_msg = strdup("registered-before-fork");
    atexit(h1);
    atexit(h2);
    atexit(h3);
    fflush(stdout);

    pid_t pid = fork();
    if (pid == 0) {
        who = "child";
        counter = 100;
        strcpy(heap_msg, "changed-by-child");
        atexit(child_only);
        exit(3);
    }
    int st;
    waitpid(pid, &st, 0);
    printf("fork_atexit: parent: child 1 exit status %d\n", WEXITSTATUS(st));
    fflush(stdout);

    pid = fork();
    if (pid == 0) {
        who = "child2";
        _exit(4);                        /* no handlers */
    }
    waitpid(pid, &st, 0);
    printf("fork_atexit: parent: child 2 (_exit) status %d\n", WEXITSTATUS(st));
    printf("fork_atexit: parent returns from main, heap_msg=%s\n", heap_msg);
    return 0;
}
