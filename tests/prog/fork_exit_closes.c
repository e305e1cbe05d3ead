/*
 * fork_exit_closes: a child's exit closes every fd it holds, however it got
 * it and whatever its number - dup2/dup3/F_DUPFD to high numbers, plain dup
 * above many open files, an fd received with SCM_RIGHTS, fds inherited
 * from its parent - so the parent reads end-of-file on each pipe whose
 * write end only the dead child still held.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define N 6
static const char *how[N] = { "dup2 to 900", "dup3 to 800", "F_DUPFD from 700",
			       "dup above 300 open files", "received by SCM_RIGHTS",
			       "inherited at 950" };

static int send_fd(int sock, int fd)
{
	char c = 'x';
	struct iovec iov = { &c, 1 };
	char ctl[CMSG_SPACE(sizeof(int))];
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
			    .msg_controllen = sizeof ctl };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof fd);
	return sendmsg(sock, &m, 0) == 1 ? 0 : -1;
}

static int recv_fd(int sock)
{
	char c;
	struct iovec iov = { &c, 1 };
	char ctl[CMSG_SPACE(sizeof(int))];
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
			    .msg_controllen = sizeof ctl };
	if (recvmsg(sock, &m, 0) != 1)
		return -1;
	int fd;
	memcpy(&fd, CMSG_DATA(CMSG_FIRSTHDR(&m)), sizeof fd);
	return fd;
}

static void child(int w[N], int sv[2])
{
	if (dup2(w[0], 900) < 0 || dup3(w[1], 800, O_CLOEXEC) < 0 ||
	    fcntl(w[2], F_DUPFD, 700) < 0)
		_exit(10);
	int filler;
	do
		filler = open("/dev/null", O_RDONLY);
	while (filler >= 0 && filler < 300);
	if (filler < 0 || dup(w[3]) < 0)
		_exit(11);
	if (send_fd(sv[1], w[4]) < 0 || recv_fd(sv[0]) < 0)
		_exit(12);
	/* close the low copies: only the high or received ones remain */
	for (int i = 0; i < 5; i++)
		close(w[i]);
	_exit(0);
}

/* One child: returns a bit set of the ways whose pipe was still open when
 * waitpid returned. */
static int one_round(int sv[2], int *status)
{
	int r[N], w[N], go[2];
	for (int i = 0; i < N; i++) {
		int p[2];
		if (pipe(p) < 0)
			return -1;
		r[i] = p[0];
		w[i] = p[1];
	}
	if (dup2(w[5], 950) < 0 || pipe(go) < 0)	/* 950: held by the parent, inherited */
		return -1;
	close(w[5]);
	w[5] = 950;
	pid_t pid = fork();
	if (pid == 0) {
		char c;
		close(go[1]);
		if (read(go[0], &c, 1) != 0)	/* until the parent closed its ends */
			_exit(13);
		child(w, sv);
	}
	close(go[0]);
	for (int i = 0; i < N; i++)	/* now only the child holds the write ends */
		close(w[i]);
	close(go[1]);
	waitpid(pid, status, 0);
	/* at once: Linux closes a process's files before its parent can reap it */
	struct pollfd pf[N];
	for (int i = 0; i < N; i++)
		pf[i] = (struct pollfd){ .fd = r[i], .events = POLLIN };
	poll(pf, N, 0);
	int open_ones = 0;
	for (int i = 0; i < N; i++) {
		if (!(pf[i].revents & POLLHUP))
			open_ones |= 1 << i;
		close(r[i]);
	}
	return open_ones;
}

int main(void)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return 1;
	/* the child's host thread may end just after it is reaped: many rounds
	 * make a missed close show up (later rounds also use the parent's spare
	 * thread and a kept slot) */
	int bad = 0, st = 0;
	for (int round = 0; round < 30; round++) {
		int o = one_round(sv, &st);
		if (o < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			printf("round %d failed: %d, status %#x\n", round, o, st);
			return 1;
		}
		bad |= o;
	}
	for (int i = 0; i < N; i++)
		printf("%s: %s when the child is reaped\n", how[i], bad & (1 << i) ? "still open" : "closed");
	return 0;
}
