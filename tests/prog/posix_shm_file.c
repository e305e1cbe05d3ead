/* posix_shm_file: shared file-backed memory across fork.
 *  - MAP_SHARED mapping of a temp file in the cwd: the child writes, the
 *    parent reads after waitpid (through the mapping and with pread); the
 *    parent writes after fork and the child sees it; a fresh mapping of
 *    the same file made by the child sees the parent's data;
 *  - memfd_create + MAP_SHARED: same, both directions;
 *  - MAP_PRIVATE file mapping: the child's changes are seen neither by the
 *    parent nor in the file; the parent's changes after fork are not seen
 *    by the child;
 *  - a MAP_SHARED mapping created by the child after fork does not exist in
 *    the parent. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define SZ 8192

static void wait_child(pid_t c, const char *what)
{
    int st;
    waitpid(c, &st, 0);
    printf("%s: child exit=%d\n", what, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

/* shared-memory test on fd: child writes at 0 and at 4096 (second page),
 * waits for the parent's write (via pipe), checks it, remaps the fd */
static void shared_test(int fd, const char *name)
{
    char *m = mmap(NULL, SZ, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (m == MAP_FAILED) {
        printf("%s: mmap failed errno=%d\n", name, errno);
        return;
    }
    strcpy(m, "initial");
    int to_child[2], to_parent[2];
    pipe(to_child);
    pipe(to_parent);
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        int ok = 1;
        ok &= strcmp(m, "initial") == 0;
        strcpy(m, "written by child");
        strcpy(m + 4096, "page two");
        write(to_parent[1], "w", 1);
        char ch;
        read(to_child[0], &ch, 1);       /* parent has written m+100 */
        ok &= strcmp(m + 100, "parent after fork") == 0;
        /* a second, independent mapping of the same object */
        char *m2 = mmap(NULL, SZ, PROT_READ, MAP_SHARED, fd, 0);
        ok &= m2 != MAP_FAILED && strcmp(m2 + 100, "parent after fork") == 0 &&
              strcmp(m2, "written by child") == 0;
        _exit(ok ? 0 : 1);
    }
    char ch;
    read(to_parent[0], &ch, 1);
    printf("%s: parent sees child's write before exit: \"%s\"\n", name, m);
    strcpy(m + 100, "parent after fork");
    write(to_child[1], "p", 1);
    wait_child(c, name);
    printf("%s: after waitpid: \"%s\" / \"%s\"\n", name, m, m + 4096);
    char buf[32] = {0};
    pread(fd, buf, 16, 0);
    printf("%s: pread: \"%s\"\n", name, buf);
    msync(m, SZ, MS_SYNC);
    munmap(m, SZ);
    memset(buf, 0, sizeof buf);
    pread(fd, buf, 8, 4096);
    printf("%s: pread page two after munmap: \"%s\"\n", name, buf);
    close(to_child[0]);
    close(to_child[1]);
    close(to_parent[0]);
    close(to_parent[1]);
}

int main(void)
{
    /* 1. file in the cwd */
    const char *path = "posix_shm_file.tmp";
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || ftruncate(fd, SZ) < 0) {
        perror("open/ftruncate");
        return 1;
    }
    shared_test(fd, "file MAP_SHARED");

    /* 2. memfd */
    int mfd = memfd_create("posix_shm_file", MFD_CLOEXEC);
    if (mfd < 0 || ftruncate(mfd, SZ) < 0) {
        perror("memfd_create");
        return 1;
    }
    shared_test(mfd, "memfd MAP_SHARED");

    /* 3. MAP_PRIVATE of the file: copy-on-write, private to each process */
    pwrite(fd, "file-content", 13, 0);
    char *p = mmap(NULL, SZ, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    printf("private: initial \"%s\"\n", p);
    memcpy(p, "parent-priv", 12);
    int sync_p[2], sync_c[2];
    pipe(sync_p);
    pipe(sync_c);
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        int ok = strcmp(p, "parent-priv") == 0;   /* inherited copy */
        memcpy(p, "child-priv!", 12);
        write(sync_p[1], "c", 1);
        char ch;
        read(sync_c[0], &ch, 1);
        ok &= strcmp(p, "child-priv!") == 0;     /* parent's later write not seen */
        ok &= strcmp(p + 200, "") == 0;
        _exit(ok ? 0 : 1);
    }
    char ch;
    read(sync_p[0], &ch, 1);
    printf("private: parent after child's write: \"%s\"\n", p);
    strcpy(p + 200, "parent-later");
    write(sync_c[1], "p", 1);
    wait_child(c, "private");
    printf("private: parent after waitpid: \"%s\"\n", p);
    char buf[32] = {0};
    pread(fd, buf, 13, 0);
    printf("private: file still: \"%s\"\n", buf);
    munmap(p, SZ);

    /* 4. a shared mapping made by the child does not appear in the parent
     *    (mincore on its address fails with ENOMEM while the child lives
     *    and after it exited); its writes to the file do */
    int addr_pipe[2], hold[2];
    pipe(addr_pipe);
    pipe(hold);
    fflush(stdout);
    c = fork();
    if (c == 0) {
        close(hold[1]);
        char *m = mmap(NULL, SZ, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (m == MAP_FAILED)
            _exit(2);
        strcpy(m + 300, "child-own-mapping");
        unsigned long a = (unsigned long)m;
        write(addr_pipe[1], &a, sizeof a);
        read(hold[0], &ch, 1);           /* until the parent has looked */
        _exit(0);
    }
    close(hold[0]);
    unsigned long a = 0;
    read(addr_pipe[0], &a, sizeof a);
    unsigned char vec[SZ / 4096];
    errno = 0;
    int r = mincore((void *)a, SZ, vec);
    printf("child-made mapping: mincore in parent while child lives=%d errno ENOMEM=%d\n",
           r, r < 0 && errno == ENOMEM);
    close(hold[1]);
    wait_child(c, "child-made mapping");
    errno = 0;
    r = mincore((void *)a, SZ, vec);
    printf("child-made mapping: mincore in parent after exit=%d errno ENOMEM=%d\n",
           r, r < 0 && errno == ENOMEM);
    memset(buf, 0, sizeof buf);
    pread(fd, buf, 17, 300);
    printf("child-made mapping: file has \"%s\"\n", buf);

    close(fd);
    close(mfd);
    unlink(path);
    return 0;
}
