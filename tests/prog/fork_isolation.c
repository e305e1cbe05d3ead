/* fork_isolation: after fork, changes the child makes to globals, heap and
 * stack are invisible to the parent, and changes the parent makes are
 * invisible to the child. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int global = 100;
static char gbuf[64] = "global-original";
static long bss_arr[1024];

static void check(const char *who, const char *what, long got, long want)
{
    printf("fork_isolation: %s %s=%ld %s\n", who, what, got, got == want ? "ok" : "WRONG");
}

int main(void)
{
    int stackv = 7;
    int *heap = malloc(256 * sizeof *heap);
    for (int i = 0; i < 256; i++)
        heap[i] = i;
    for (int i = 0; i < 1024; i++)
        bss_arr[i] = i * 3;
    int go[2], done[2];
    if (pipe(go) || pipe(done))
        return 1;
    fflush(stdout);

    pid_t pid = fork();
    if (pid < 0)
        return 1;
    if (pid == 0) {
        /* the child's changes */
        global = 200;
        strcpy(gbuf, "child-wrote-this");
        stackv = 70;
        for (int i = 0; i < 256; i++)
            heap[i] = -i;
        bss_arr[1000] = -1;
        /* let the parent check and then make its own changes */
        char c = 'c';
        write(done[1], &c, 1);
        read(go[0], &c, 1);
        /* the parent has changed everything by now: the child sees none of it */
        long hs = 0;
        for (int i = 0; i < 256; i++)
            hs += heap[i];
        check("child", "global", global, 200);
        check("child", "gbuf-is-child", strcmp(gbuf, "child-wrote-this") == 0, 1);
        check("child", "stack", stackv, 70);
        check("child", "heap-sum", hs, -32640);
        check("child", "bss", bss_arr[1000], -1);
        check("child", "bss-untouched", bss_arr[999], 2997);
        fflush(stdout);
        _exit(0);
    }
    char c;
    read(done[0], &c, 1);
    long hs = 0;
    for (int i = 0; i < 256; i++)
        hs += heap[i];
    check("parent", "global", global, 100);
    check("parent", "gbuf-is-original", strcmp(gbuf, "global-original") == 0, 1);
    check("parent", "stack", stackv, 7);
    check("parent", "heap-sum", hs, 32640);
    check("parent", "bss", bss_arr[1000], 3000);
    /* now the parent changes things; the child must not see them */
    global = 300;
    strcpy(gbuf, "parent-wrote-this");
    stackv = 700;
    for (int i = 0; i < 256; i++)
        heap[i] = 1000;
    bss_arr[1000] = 12345;
    fflush(stdout);
    write(go[1], &c, 1);
    int st;
    if (waitpid(pid, &st, 0) != pid)
        return 1;
    printf("fork_isolation: child exited %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    check("parent", "global-after", global, 300);
    check("parent", "stack-after", stackv, 700);
    free(heap);
    return 0;
}
