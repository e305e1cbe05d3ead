/* fork_file_offset: parent and child share the open file description of a
 * descriptor inherited across fork: writes from both advance one offset,
 * an lseek in the child moves the parent's offset, O_APPEND is shared, and
 * a file the child opens itself has its own offset; the child closing its
 * copy leaves the parent's descriptor open. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void wait_child(pid_t pid, const char *what)
{
    int st;
    waitpid(pid, &st, 0);
    printf("fork_file_offset: %s child exit %d\n", what, WEXITSTATUS(st));
}

static void show_file(const char *path)
{
    char buf[128] = "";
    int fd = open(path, O_RDONLY);
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    buf[n > 0 ? n : 0] = 0;
    printf("fork_file_offset: %s contains '%s'\n", path, buf);
}

int main(void)
{
    int fd = open("fork_offset.tmp", O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0)
        return 1;
    write(fd, "P1", 2);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        /* offset 2 from the parent's write */
        off_t at = lseek(fd, 0, SEEK_CUR);
        write(fd, "C1", 2);
        int own = open("fork_offset.tmp", O_RDWR);
        off_t own_at = lseek(own, 0, SEEK_CUR);
        write(own, "x", 1);              /* own description: at offset 0 */
        close(own);
        close(fd);
        _exit(at == 2 && own_at == 0 ? 0 : 1);
    }
    wait_child(pid, "first");
    printf("fork_file_offset: parent offset after child wrote: %lld\n",
           (long long)lseek(fd, 0, SEEK_CUR));
    write(fd, "P2", 2);
    printf("fork_file_offset: parent offset after its write: %lld\n",
           (long long)lseek(fd, 0, SEEK_CUR));
    show_file("fork_offset.tmp");

    /* the child seeks; the parent's next write lands there */
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        lseek(fd, 1, SEEK_SET);
        _exit(0);
    }
    wait_child(pid, "seeking");
    printf("fork_file_offset: parent offset after child lseek: %lld\n",
           (long long)lseek(fd, 0, SEEK_CUR));
    write(fd, "S", 1);
    show_file("fork_offset.tmp");

    /* O_APPEND and a dup()ed descriptor: alternating writes from both sides */
    int afd = open("fork_append.tmp", O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0600);
    int dfd = dup(afd);
    int go[2], back[2];
    pipe(go);
    pipe(back);
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        char c;
        for (int i = 0; i < 5; i++) {
            read(go[0], &c, 1);
            write(dfd, "c", 1);
            write(back[1], &c, 1);
        }
        _exit(0);
    }
    for (int i = 0; i < 5; i++) {
        char c = 'x';
        write(afd, "p", 1);
        write(go[1], &c, 1);
        read(back[0], &c, 1);
    }
    wait_child(pid, "append");
    printf("fork_file_offset: append fd offset %lld, dup offset %lld\n",
           (long long)lseek(afd, 0, SEEK_CUR), (long long)lseek(dfd, 0, SEEK_CUR));
    show_file("fork_append.tmp");
    printf("fork_file_offset: parent fd still usable after child closed it: %s\n",
           fcntl(fd, F_GETFD) >= 0 ? "yes" : "no");
    unlink("fork_offset.tmp");
    unlink("fork_append.tmp");
    return 0;
}
