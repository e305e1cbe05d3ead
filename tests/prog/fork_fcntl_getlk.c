/* fork_fcntl_getlk: F_GETLK names the process that holds a conflicting
 * POSIX record lock: in the child, a lock the parent holds reports
 * l_pid == getppid(); in the parent, a lock the child holds reports the pid
 * fork returned. */
#include <fcntl.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

static struct flock getlk(int fd, off_t start)
{
    struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = start, .l_len = 1 };
    fcntl(fd, F_GETLK, &fl);
    return fl;
}

int main(void)
{
    int fd = open("fork_getlk.tmp", O_RDWR | O_CREAT | O_TRUNC, 0600);
    struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 10 };
    fcntl(fd, F_SETLK, &fl);
    int ready[2], go[2];
    pipe(ready);
    pipe(go);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        struct flock g = getlk(fd, 5);
        printf("fork_fcntl_getlk: child: lock on 5 is %s, l_pid==getppid() %d, l_start=%lld l_len=%lld\n",
               g.l_type == F_WRLCK ? "F_WRLCK" : "not F_WRLCK", g.l_pid == getppid(),
               (long long)g.l_start, (long long)g.l_len);
        fflush(stdout);
        struct flock mine = { .l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 100, .l_len = 5 };
        fcntl(fd, F_SETLK, &mine);
        char c = 'r';
        write(ready[1], &c, 1);
        read(go[0], &c, 1);
        _exit(0);
    }
    char c;
    read(ready[0], &c, 1);
    struct flock g = getlk(fd, 102);
    printf("fork_fcntl_getlk: parent: lock on 102 is %s, l_pid==child %d, l_start=%lld l_len=%lld\n",
           g.l_type == F_RDLCK ? "F_RDLCK" : "not F_RDLCK", g.l_pid == pid, (long long)g.l_start,
           (long long)g.l_len);
    write(go[1], &c, 1);
    waitpid(pid, NULL, 0);
    unlink("fork_getlk.tmp");
    return 0;
}
