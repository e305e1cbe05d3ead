/* fork_fcntl_lock: POSIX record locks (fcntl F_SETLK) are per process and
 * not inherited by fork: the child cannot take a range the parent holds
 * (F_SETLK fails with EAGAIN or EACCES) and F_GETLK reports it write-locked,
 * the child can lock another range (which the parent then cannot take), and
 * the child's locks are gone once wait has returned its status.  (Which pid
 * F_GETLK reports: fork_fcntl_getlk.) */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

static int setlk(int fd, short type, off_t start, off_t len)
{
    struct flock fl = { .l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len };
    return fcntl(fd, F_SETLK, &fl);
}

static const char *try_lock(int fd, short type, off_t start, off_t len)
{
    if (setlk(fd, type, start, len) == 0)
        return "locked";
    if (errno == EAGAIN || errno == EACCES)
        return "locked by other";
    return "error";
}

int main(void)
{
    int fd = open("fork_lock.tmp", O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0)
        return 1;
    write(fd, "0123456789", 10);
    printf("fork_fcntl_lock: parent write lock 0..99: %s\n", try_lock(fd, F_WRLCK, 0, 100));
    int go[2], back[2];
    pipe(go);
    pipe(back);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        printf("fork_fcntl_lock: child write lock 0..99: %s\n", try_lock(fd, F_WRLCK, 0, 100));
        printf("fork_fcntl_lock: child read lock 50..59: %s\n", try_lock(fd, F_RDLCK, 50, 10));
        struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1 };
        fcntl(fd, F_GETLK, &fl);
        printf("fork_fcntl_lock: child F_GETLK: type=%s\n",
               fl.l_type == F_WRLCK ? "F_WRLCK" : fl.l_type == F_UNLCK ? "F_UNLCK" : "other");
        printf("fork_fcntl_lock: child write lock 200..299: %s\n",
               try_lock(fd, F_WRLCK, 200, 100));
        fflush(stdout);
        char c = 'r';
        write(back[1], &c, 1);
        read(go[0], &c, 1);             /* the parent looks at our lock */
        /* the parent released 0..99 meanwhile */
        printf("fork_fcntl_lock: child write lock 0..99 after parent unlock: %s\n",
               try_lock(fd, F_WRLCK, 0, 100));
        fflush(stdout);
        write(back[1], &c, 1);
        read(go[0], &c, 1);
        _exit(0);                        /* releases the child's locks */
    }
    char c;
    read(back[0], &c, 1);
    struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 250, .l_len = 1 };
    fcntl(fd, F_GETLK, &fl);
    printf("fork_fcntl_lock: parent F_GETLK 250: type=%s\n",
           fl.l_type == F_WRLCK ? "F_WRLCK" : fl.l_type == F_UNLCK ? "F_UNLCK" : "other");
    printf("fork_fcntl_lock: parent write lock 200..299: %s\n", try_lock(fd, F_WRLCK, 200, 100));
    setlk(fd, F_UNLCK, 0, 100);
    fflush(stdout);
    write(go[1], &c, 1);
    read(back[0], &c, 1);
    printf("fork_fcntl_lock: parent write lock 0..99 while child holds it: %s\n",
           try_lock(fd, F_WRLCK, 0, 100));
    fflush(stdout);
    write(go[1], &c, 1);
    int st;
    waitpid(pid, &st, 0);
    printf("fork_fcntl_lock: child exit %d\n", WEXITSTATUS(st));
    printf("fork_fcntl_lock: parent write lock 0..299 after child exit: %s\n",
           try_lock(fd, F_WRLCK, 0, 300));
    unlink("fork_lock.tmp");
    return 0;
}
