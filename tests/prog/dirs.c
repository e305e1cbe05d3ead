/* dirs: mkdir/rmdir/chdir/fchdir/getcwd/opendir/readdir (sorted output),
 * *at() calls with a directory fd, rename of directories, errors. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int fails;
#define CHECK(c, name) do { if (c) printf("%s: ok\n", name); \
    else { printf("%s: FAIL (line %d, errno %d)\n", name, __LINE__, errno); fails++; } } while (0)

static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void touch(const char *p)
{
    int fd = open(p, O_WRONLY | O_CREAT, 0644);
    if (fd >= 0) { write(fd, p, strlen(p)); close(fd); }
}

/* print the sorted entries of a directory with their type */
static int list(const char *path)
{
    DIR *d = opendir(path);
    if (!d) { printf("opendir %s failed\n", path); return -1; }
    char *names[64];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 64) {
        char t = e->d_type == DT_DIR ? 'd' : e->d_type == DT_REG ? 'f' : e->d_type == DT_LNK ? 'l' : '?';
        char *s = malloc(strlen(e->d_name) + 3);
        sprintf(s, "%s %c", e->d_name, t);
        names[n++] = s;
    }
    closedir(d);
    qsort(names, n, sizeof *names, cmp);
    printf("listing %s:", path);
    for (int i = 0; i < n; i++) {
        printf(" [%s]", names[i]);
        free(names[i]);
    }
    printf("\n");
    return n;
}

int main(void)
{
    struct stat st;
    char top[4096], cwd[4096];
    umask(022);
    CHECK(getcwd(top, sizeof top) != NULL && top[0] == '/', "getcwd absolute");

    CHECK(mkdir("d", 0755) == 0, "mkdir d");
    CHECK(mkdir("d", 0755) == -1 && errno == EEXIST, "mkdir existing -> EEXIST");
    CHECK(mkdir("nope/x", 0755) == -1 && errno == ENOENT, "mkdir missing parent -> ENOENT");
    CHECK(stat("d", &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 0777) == 0755, "stat dir 0755");
    CHECK(mkdir("d/sub", 0700) == 0, "mkdir d/sub");
    touch("d/c.txt");
    touch("d/a.txt");
    touch("d/b.txt");
    symlink("a.txt", "d/link");
    CHECK(list("d") == 7, "readdir 7 entries (., .., 3 files, dir, symlink)");

    CHECK(chdir("d") == 0, "chdir d");
    CHECK(getcwd(cwd, sizeof cwd) && strlen(cwd) == strlen(top) + 2 &&
          !strncmp(cwd, top, strlen(top)) && !strcmp(cwd + strlen(top), "/d"), "getcwd == top + /d");
    CHECK(access("a.txt", R_OK) == 0, "relative access after chdir");
    CHECK(chdir("sub") == 0 && getcwd(cwd, sizeof cwd) && !strcmp(cwd + strlen(top), "/d/sub"), "chdir sub");
    CHECK(chdir("../..") == 0 && getcwd(cwd, sizeof cwd) && !strcmp(cwd, top), "chdir ../.. back");
    CHECK(chdir("missing") == -1 && errno == ENOENT, "chdir missing -> ENOENT");
    CHECK(chdir("d/a.txt") == -1 && errno == ENOTDIR, "chdir file -> ENOTDIR");
    char small[2];
    CHECK(getcwd(small, sizeof small) == NULL && errno == ERANGE, "getcwd small buffer -> ERANGE");

    int dfd = open("d", O_RDONLY | O_DIRECTORY);
    CHECK(dfd >= 0, "open O_DIRECTORY");
    CHECK(open("d/a.txt", O_RDONLY | O_DIRECTORY) == -1 && errno == ENOTDIR, "O_DIRECTORY on file -> ENOTDIR");
    CHECK(fchdir(dfd) == 0 && getcwd(cwd, sizeof cwd) && !strcmp(cwd + strlen(top), "/d"), "fchdir");
    chdir(top);
    CHECK(mkdirat(dfd, "made_at", 0755) == 0 && stat("d/made_at", &st) == 0 && S_ISDIR(st.st_mode), "mkdirat");
    int f = openat(dfd, "made_at/f", O_WRONLY | O_CREAT, 0644);
    CHECK(f >= 0, "openat in subdir");
    close(f);
    CHECK(fstatat(dfd, "made_at/f", &st, 0) == 0 && S_ISREG(st.st_mode), "fstatat");
    CHECK(renameat(dfd, "made_at", dfd, "renamed_at") == 0, "renameat dir");
    CHECK(unlinkat(dfd, "renamed_at", AT_REMOVEDIR) == -1 && errno == ENOTEMPTY, "rmdir non-empty -> ENOTEMPTY");
    CHECK(unlinkat(dfd, "renamed_at/f", 0) == 0 && unlinkat(dfd, "renamed_at", AT_REMOVEDIR) == 0, "unlinkat file + dir");

    /* fdopendir + rewinddir */
    DIR *dd = fdopendir(dup(dfd));
    int n1 = 0, n2 = 0;
    while (readdir(dd)) n1++;
    rewinddir(dd);
    while (readdir(dd)) n2++;
    closedir(dd);
    CHECK(n1 == 7 && n2 == 7, "fdopendir + rewinddir");
    close(dfd);

    CHECK(rename("d", "e") == 0 && stat("d", &st) == -1 && stat("e/b.txt", &st) == 0, "rename directory");
    CHECK(rmdir("e") == -1 && (errno == ENOTEMPTY || errno == EEXIST), "rmdir non-empty fails");
    CHECK(rmdir("e/a.txt") == -1 && errno == ENOTDIR, "rmdir file -> ENOTDIR");
    CHECK(unlink("e/sub") == -1 && errno == EISDIR, "unlink dir -> EISDIR");

    /* a directory with many entries (several getdents calls) */
    mkdir("many", 0755);
    char name[64];
    for (int i = 0; i < 400; i++) {
        snprintf(name, sizeof name, "many/file-with-a-longish-name-%03d", i);
        touch(name);
    }
    DIR *m = opendir("many");
    int cnt = 0, sum = 0;
    struct dirent *e;
    while ((e = readdir(m))) {
        int v;
        if (sscanf(e->d_name, "file-with-a-longish-name-%d", &v) == 1) { cnt++; sum += v; }
    }
    closedir(m);
    CHECK(cnt == 400 && sum == 399 * 400 / 2, "readdir 400 files");
    for (int i = 0; i < 400; i++) {
        snprintf(name, sizeof name, "many/file-with-a-longish-name-%03d", i);
        unlink(name);
    }
    CHECK(rmdir("many") == 0, "rmdir emptied dir");

    unlink("e/a.txt"); unlink("e/b.txt"); unlink("e/c.txt"); unlink("e/link");
    CHECK(rmdir("e/sub") == 0 && rmdir("e") == 0, "cleanup");
    CHECK(list(".") == 2, "temp dir left empty");
    printf("dirs: %s\n", fails ? "FAILED" : "all ok");
    return fails != 0;
}
