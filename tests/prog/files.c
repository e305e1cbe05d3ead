/* files: open/read/write/lseek/pread/pwrite/ftruncate/fstat/rename/unlink,
 * O_APPEND/O_EXCL/O_CLOEXEC, dup/dup2/dup3, fcntl, readv/writev, links,
 * stdio on files. Runs in a private temp dir; relative names only. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

static int fails;
#define CHECK(c, name) do { if (c) printf("%s: ok\n", name); \
    else { printf("%s: FAIL (line %d, errno %d)\n", name, __LINE__, errno); fails++; } } while (0)

static int readall(const char *path, char *buf, size_t n)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0) return -1;
    int r = (int)read(fd, buf, n);
    close(fd);
    return r;
}

int main(void)
{
    char buf[256];
    struct stat st;
    umask(022);

    int fd = open("a.txt", O_RDWR | O_CREAT | O_EXCL, 0666);
    CHECK(fd >= 0, "open O_CREAT|O_EXCL");
    CHECK(open("a.txt", O_RDWR | O_CREAT | O_EXCL, 0666) == -1 && errno == EEXIST, "O_EXCL again -> EEXIST");
    CHECK(write(fd, "hello world\n", 12) == 12, "write 12 bytes");
    CHECK(lseek(fd, 0, SEEK_CUR) == 12, "lseek SEEK_CUR == 12");
    CHECK(lseek(fd, 6, SEEK_SET) == 6, "lseek SEEK_SET 6");
    memset(buf, 0, sizeof buf);
    CHECK(read(fd, buf, 100) == 6 && !strcmp(buf, "world\n"), "read rest");
    CHECK(read(fd, buf, 100) == 0, "read at EOF returns 0");
    CHECK(lseek(fd, -3, SEEK_END) == 9, "lseek SEEK_END -3");
    CHECK(lseek(fd, -100, SEEK_SET) == -1 && errno == EINVAL, "lseek negative -> EINVAL");
    CHECK(pwrite(fd, "WORLD", 5, 6) == 5 && lseek(fd, 0, SEEK_CUR) == 9, "pwrite keeps offset");
    memset(buf, 0, sizeof buf);
    CHECK(pread(fd, buf, 5, 6) == 5 && !strcmp(buf, "WORLD"), "pread");

    CHECK(fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 12, "fstat regular size 12");
    CHECK((st.st_mode & 0777) == 0644, "mode 0666 & ~umask 022 = 0644");
    CHECK(st.st_nlink == 1, "nlink 1");
    CHECK(ftruncate(fd, 5) == 0 && fstat(fd, &st) == 0 && st.st_size == 5, "ftruncate shrink to 5");
    CHECK(ftruncate(fd, 10000) == 0 && fstat(fd, &st) == 0 && st.st_size == 10000, "ftruncate extend to 10000");
    CHECK(pread(fd, buf, 10, 5000) == 10 && buf[0] == 0 && buf[9] == 0, "extended area reads zeros");
    CHECK(lseek(fd, 100000, SEEK_SET) == 100000 && write(fd, "x", 1) == 1 &&
          fstat(fd, &st) == 0 && st.st_size == 100001, "write past EOF makes a hole");

    /* writev / readv */
    struct iovec iov[3] = {{"ab", 2}, {"cde", 3}, {"f\n", 2}};
    CHECK(lseek(fd, 0, SEEK_SET) == 0 && writev(fd, iov, 3) == 7, "writev 3 iovecs");
    char x1[3] = {0}, x2[5] = {0};
    struct iovec riov[2] = {{x1, 2}, {x2, 4}};
    CHECK(lseek(fd, 0, SEEK_SET) == 0 && readv(fd, riov, 2) == 6 &&
          !strcmp(x1, "ab") && !strcmp(x2, "cdef"), "readv 2 iovecs");

    /* dup shares the offset; dup2 onto an existing fd */
    int d = dup(fd);
    CHECK(d > fd, "dup returns a new higher fd");
    CHECK(lseek(fd, 3, SEEK_SET) == 3 && lseek(d, 0, SEEK_CUR) == 3, "dup shares offset");
    int fd2 = open("b.txt", O_WRONLY | O_CREAT | O_TRUNC, 0600);
    CHECK(dup2(fd, fd2) == fd2 && lseek(fd2, 0, SEEK_CUR) == 3, "dup2 onto open fd");
    CHECK(dup2(fd, fd) == fd, "dup2 same fd");
    CHECK(dup3(fd, fd2, O_CLOEXEC) == fd2 && (fcntl(fd2, F_GETFD) & FD_CLOEXEC), "dup3 O_CLOEXEC");
    CHECK(dup3(fd, fd, 0) == -1 && errno == EINVAL, "dup3 same fd -> EINVAL");
    close(d);
    close(fd2);
    CHECK(close(fd2) == -1 && errno == EBADF, "double close -> EBADF");
    CHECK(read(12345, buf, 1) == -1 && errno == EBADF, "read bad fd -> EBADF");

    /* fcntl flags */
    int fl = fcntl(fd, F_GETFL);
    CHECK((fl & O_ACCMODE) == O_RDWR && !(fl & O_APPEND), "F_GETFL O_RDWR");
    CHECK(fcntl(fd, F_SETFL, fl | O_APPEND) == 0 && (fcntl(fd, F_GETFL) & O_APPEND), "F_SETFL O_APPEND");
    CHECK(lseek(fd, 0, SEEK_SET) == 0 && write(fd, "END", 3) == 3 && lseek(fd, 0, SEEK_CUR) == 100004,
          "append writes at end");
    CHECK(fcntl(fd, F_GETFD) == 0, "F_GETFD no cloexec");
    CHECK(fcntl(fd, F_SETFD, FD_CLOEXEC) == 0 && fcntl(fd, F_GETFD) == FD_CLOEXEC, "F_SETFD FD_CLOEXEC");
    int hi = fcntl(fd, F_DUPFD_CLOEXEC, 100);
    CHECK(hi >= 100 && fcntl(hi, F_GETFD) == FD_CLOEXEC, "F_DUPFD_CLOEXEC >= 100");
    close(hi);
    int c = open("a.txt", O_RDONLY | O_CLOEXEC);
    CHECK(c >= 0 && fcntl(c, F_GETFD) == FD_CLOEXEC, "open O_CLOEXEC");
    CHECK(write(c, "x", 1) == -1 && errno == EBADF, "write on O_RDONLY -> EBADF");
    close(c);
    CHECK(fsync(fd) == 0 && fdatasync(fd) == 0, "fsync/fdatasync");
    close(fd);

    /* O_APPEND at open, O_TRUNC */
    fd = open("log.txt", O_WRONLY | O_CREAT | O_APPEND, 0644);
    write(fd, "one\n", 4);
    close(fd);
    fd = open("log.txt", O_WRONLY | O_APPEND);
    write(fd, "two\n", 4);
    close(fd);
    memset(buf, 0, sizeof buf);
    CHECK(readall("log.txt", buf, sizeof buf) == 8 && !strcmp(buf, "one\ntwo\n"), "O_APPEND log");
    fd = open("log.txt", O_WRONLY | O_TRUNC);
    CHECK(fd >= 0 && fstat(fd, &st) == 0 && st.st_size == 0, "O_TRUNC empties");
    close(fd);

    /* rename / link / symlink / unlink */
    CHECK(rename("a.txt", "renamed.txt") == 0, "rename");
    CHECK(stat("a.txt", &st) == -1 && errno == ENOENT, "old name gone -> ENOENT");
    CHECK(stat("renamed.txt", &st) == 0 && st.st_size == 100004, "new name has data");
    CHECK(link("renamed.txt", "hard.txt") == 0 && stat("renamed.txt", &st) == 0 && st.st_nlink == 2, "hard link nlink 2");
    CHECK(symlink("renamed.txt", "sym.txt") == 0, "symlink");
    ssize_t rl = readlink("sym.txt", buf, sizeof buf);
    CHECK(rl == 11 && !memcmp(buf, "renamed.txt", 11), "readlink");
    CHECK(lstat("sym.txt", &st) == 0 && S_ISLNK(st.st_mode), "lstat sees symlink");
    CHECK(stat("sym.txt", &st) == 0 && S_ISREG(st.st_mode), "stat follows symlink");
    CHECK(rename("hard.txt", "renamed.txt") == 0, "rename onto hard link of itself");
    CHECK(unlink("renamed.txt") == 0 && unlink("hard.txt") == 0 && unlink("sym.txt") == 0 &&
          unlink("b.txt") == 0 && unlink("log.txt") == 0, "unlink all");
    CHECK(unlink("renamed.txt") == -1 && errno == ENOENT, "unlink missing -> ENOENT");
    CHECK(open("missing", O_RDONLY) == -1 && errno == ENOENT, "open missing -> ENOENT");
    CHECK(access("missing", F_OK) == -1 && errno == ENOENT, "access missing -> ENOENT");

    /* unlinked file stays usable while open */
    fd = open("tmp.bin", O_RDWR | O_CREAT, 0600);
    unlink("tmp.bin");
    CHECK(write(fd, "still here", 10) == 10 && pread(fd, buf, 10, 0) == 10 && !memcmp(buf, "still here", 10),
          "unlinked open file usable");
    CHECK(fstat(fd, &st) == 0 && st.st_nlink == 0, "unlinked nlink 0");
    close(fd);

    /* openat / fstatat / unlinkat relative to AT_FDCWD */
    fd = openat(AT_FDCWD, "at.txt", O_WRONLY | O_CREAT, 0640);
    CHECK(fd >= 0, "openat AT_FDCWD");
    close(fd);
    CHECK(fstatat(AT_FDCWD, "at.txt", &st, 0) == 0 && (st.st_mode & 0777) == 0640, "fstatat mode 0640");
    CHECK(fchmodat(AT_FDCWD, "at.txt", 0600, 0) == 0 && stat("at.txt", &st) == 0 && (st.st_mode & 0777) == 0600, "fchmodat");
    CHECK(faccessat(AT_FDCWD, "at.txt", R_OK | W_OK, 0) == 0, "faccessat");
    CHECK(unlinkat(AT_FDCWD, "at.txt", 0) == 0, "unlinkat");

    /* stdio on files */
    FILE *f = fopen("stdio.txt", "w");
    for (int i = 0; i < 1000; i++)
        fprintf(f, "line %d\n", i);
    CHECK(fclose(f) == 0, "fopen/fprintf/fclose");
    f = fopen("stdio.txt", "r");
    int lines = 0;
    long sum = 0;
    while (fgets(buf, sizeof buf, f)) {
        int v;
        if (sscanf(buf, "line %d", &v) == 1) sum += v;
        lines++;
    }
    CHECK(lines == 1000 && sum == 499500, "fgets 1000 lines");
    CHECK(fseek(f, 0, SEEK_END) == 0 && ftell(f) == 8890, "fseek/ftell size 8890");
    rewind(f);
    CHECK(fgetc(f) == 'l', "rewind + fgetc");
    fclose(f);
    remove("stdio.txt");

    printf("files: %s\n", fails ? "FAILED" : "all ok");
    return fails != 0;
}
