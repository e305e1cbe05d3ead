/* fork_mmap: mappings across fork.  MAP_SHARED anonymous memory and a
 * MAP_SHARED file mapping are shared (the child's writes show in the
 * parent); MAP_PRIVATE anonymous and file mappings are copied (the child's
 * writes do not); a read-only region full of pointers is readable in the
 * child; a PROT_NONE guard page still faults in the child; mappings made
 * by the child are its own.  (madvise fork flags: fork_madvise.) */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define PG 4096

static int run_child(void (*fn)(void *), void *arg)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        fn(arg);
        _exit(0);
    }
    int st;
    waitpid(pid, &st, 0);
    return st;
}

static char *shared_anon, *private_anon, *shared_file, *private_file;
static long **ro_ptrs;
static long ro_target[16];

static void child_writes(void *arg)
{
    (void)arg;
    strcpy(shared_anon, "child wrote shared anon");
    strcpy(private_anon, "child wrote private anon");
    strcpy(shared_file, "child wrote shared file");
    strcpy(private_file + PG, "child wrote private file");
}

static void child_reads(void *arg)
{
    int *out = arg;
    long sum = 0;
    for (int i = 0; i < 16; i++)
        sum += *ro_ptrs[i];
    out[0] = sum == 120;
    out[1] = strcmp(private_file + 2 * PG, "page two of the file") == 0;
    char *mine = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    strcpy(mine, "child's own mapping");
    out[3] = strcmp(mine, "child's own mapping") == 0;
    munmap(mine, PG);
}

static void child_touches_guard(void *arg)
{
    *(volatile char *)arg = 1;
}

int main(void)
{
    shared_anon = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    private_anon = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    strcpy(shared_anon, "parent's shared anon");
    strcpy(private_anon, "parent's private anon");

    int fd = open("fork_mmap.tmp", O_RDWR | O_CREAT | O_TRUNC, 0600);
    char page[PG];
    for (int i = 0; i < 4; i++) {
        memset(page, 0, PG);
        snprintf(page, PG, i == 2 ? "page two of the file" : "file page %d", i);
        write(fd, page, PG);
    }
    shared_file = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    private_file = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);

    ro_ptrs = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    for (int i = 0; i < 16; i++) {
        ro_target[i] = i;
        ro_ptrs[i] = &ro_target[i];
    }
    mprotect(ro_ptrs, PG, PROT_READ);

    char *guarded = mmap(NULL, 3 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    mprotect(guarded + PG, PG, PROT_NONE);

    int st = run_child(child_writes, NULL);
    printf("fork_mmap: writer child status %d\n", st);
    printf("fork_mmap: shared anon now: %s\n", shared_anon);
    printf("fork_mmap: private anon now: %s\n", private_anon);
    printf("fork_mmap: shared file map now: %s\n", shared_file);
    printf("fork_mmap: private file map page 1 now: %s\n", private_file + PG);
    char buf[64] = "";
    pread(fd, buf, sizeof buf - 1, 0);
    printf("fork_mmap: file page 0 on disk: %s\n", buf);
    pread(fd, buf, sizeof buf - 1, PG);
    printf("fork_mmap: file page 1 on disk: %s\n", buf);

    int *res = (int *)shared_anon;
    memset(res, 0, 16);
    st = run_child(child_reads, res);
    printf("fork_mmap: reader child status %d: ro pointers ok=%d, private file page ok=%d, "
           "own mapping ok=%d\n", st, res[0], res[1], res[3]);

    st = run_child(child_touches_guard, guarded + PG);
    printf("fork_mmap: child touching the guard page: %s\n",
           WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV ? "SIGSEGV" : "no fault");
    st = run_child(child_touches_guard, guarded + 2 * PG);
    printf("fork_mmap: child touching the page after it: status %d\n", st);
    unlink("fork_mmap.tmp");
    return 0;
}
