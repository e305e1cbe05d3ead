/* fork_stdio: stdio buffers are copied by fork.  Text printed but not
 * flushed before fork is flushed by both processes, so it appears twice
 * (natively too).  Also: a fully buffered FILE with a user buffer from
 * setvbuf (on the heap), a file written by fopen with unflushed data, an
 * open_memstream and an fmemopen stream created before fork and used by
 * the child. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
    /* fully buffered whatever stdout is (musl would flush a first line
     * written before it noticed stdout is not a terminal) */
    setvbuf(stdout, NULL, _IOFBF, BUFSIZ);
    printf("fork_stdio: unflushed line printed before fork (expect it twice)\n");

    FILE *f = fopen("fork_stdio.tmp", "w+");
    if (!f)
        return 1;
    char *ubuf = malloc(4096);
    setvbuf(f, ubuf, _IOFBF, 4096);
    fprintf(f, "before-fork;");          /* stays in ubuf */

    char *mbuf = NULL;
    size_t msize = 0;
    FILE *ms = open_memstream(&mbuf, &msize);
    fprintf(ms, "memstream:");
    fflush(ms);

    static char fixed[64] = "fmemopen contents 12345";
    FILE *fm = fmemopen(fixed, strlen(fixed), "r");
    char word[16];
    fscanf(fm, "%15s", word);            /* reads "fmemopen", buffer set up */

    pid_t pid = fork();
    if (pid < 0)
        return 1;
    if (pid == 0) {
        printf("fork_stdio: child adds a line to the same buffer\n");
        fprintf(f, "child;");
        fclose(f);                       /* writes "before-fork;child;" */
        for (int i = 0; i < 5; i++)
            fprintf(ms, " c%d", i);
        fclose(ms);
        printf("fork_stdio: child memstream '%s' size=%zu\n", mbuf, msize);
        char w2[16];
        int n = fscanf(fm, "%15s", w2);
        printf("fork_stdio: child fmemopen next word '%s' (%d)\n", n == 1 ? w2 : "?", n);
        exit(0);                         /* flushes stdout: the early line again */
    }
    int st;
    waitpid(pid, &st, 0);
    fprintf(f, "parent;");
    fflush(f);
    rewind(f);
    char buf[256] = "";
    fgets(buf, sizeof buf, f);
    fclose(f);
    unlink("fork_stdio.tmp");
    fprintf(ms, " p");
    fclose(ms);
    printf("fork_stdio: parent sees child status %d\n", st);
    printf("fork_stdio: file contents '%s'\n", buf);
    printf("fork_stdio: parent memstream '%s' size=%zu\n", mbuf, msize);
    char w2[16];
    fscanf(fm, "%15s", w2);
    printf("fork_stdio: parent fmemopen next word '%s'\n", w2);
    return 0;
}
