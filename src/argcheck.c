/*
 * argcheck.c - the buffers a forwarded syscall makes the host kernel write.
 *
 * The host kernel writes wherever a forwarded call's out-pointers point; in
 * one address space that could be the runtime's memory or another
 * µprocess's.  Before forwarding, every such buffer must lie in the caller's
 * own memory (its slot or the shared area), or the call answers EFAULT as
 * Linux does for an unmapped buffer.  Without protection keys this is what
 * keeps a wild pointer from corrupting the runtime through the kernel (the
 * µprocess's own loads and stores are the isolation issue's).  Buffers the
 * kernel only reads are not checked here.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <time.h>

#include "ufork.h"

/* One out-buffer: a[ptr] of a[len] * mult + size bytes (len < 0: size only).
 * A socklen/int pointer given as "lenptr" holds the buffer's length. */
struct outbuf {
	short nr;
	signed char ptr, len;
	short mult;
	int size;
};

#define B(n, p, l, m, s) { SYS_##n, p, l, m, s }
static const struct outbuf outbufs[] = {
	B(read, 1, 2, 1, 0), B(pread64, 1, 2, 1, 0), B(recvfrom, 1, 2, 1, 0),
	B(getdents, 1, 2, 1, 0), B(getdents64, 1, 2, 1, 0), B(getcwd, 0, 1, 1, 0),
	B(readlink, 1, 2, 1, 0), B(readlinkat, 2, 3, 1, 0), B(getrandom, 0, 1, 1, 0),
	B(getxattr, 2, 3, 1, 0), B(lgetxattr, 2, 3, 1, 0), B(fgetxattr, 2, 3, 1, 0),
	B(listxattr, 1, 2, 1, 0), B(llistxattr, 1, 2, 1, 0), B(flistxattr, 1, 2, 1, 0),
	B(getgroups, 1, 0, 4, 0), B(sched_getaffinity, 2, 1, 1, 0),
	B(epoll_wait, 1, 2, sizeof(struct epoll_event), 0),
	B(epoll_pwait, 1, 2, sizeof(struct epoll_event), 0),
	B(poll, 0, 1, sizeof(struct pollfd), 0), B(ppoll, 0, 1, sizeof(struct pollfd), 0),
	B(stat, 1, -1, 0, sizeof(struct stat)), B(lstat, 1, -1, 0, sizeof(struct stat)),
	B(fstat, 1, -1, 0, sizeof(struct stat)), B(newfstatat, 2, -1, 0, sizeof(struct stat)),
	B(statx, 4, -1, 0, 256), B(statfs, 1, -1, 0, 120), B(fstatfs, 1, -1, 0, 120),
	B(uname, 0, -1, 0, sizeof(struct utsname)), B(sysinfo, 0, -1, 0, 112),
	B(pipe, 0, -1, 0, 8), B(pipe2, 0, -1, 0, 8), B(socketpair, 3, -1, 0, 8),
	B(getresuid, 0, -1, 0, 4), B(getresuid, 1, -1, 0, 4), B(getresuid, 2, -1, 0, 4),
	B(getresgid, 0, -1, 0, 4), B(getresgid, 1, -1, 0, 4), B(getresgid, 2, -1, 0, 4),
	B(sched_getparam, 1, -1, 0, 4), B(getcpu, 0, -1, 0, 4), B(getcpu, 1, -1, 0, 4),
	B(nanosleep, 1, -1, 0, sizeof(struct timespec)),
	B(clock_nanosleep, 3, -1, 0, sizeof(struct timespec)),
	B(timerfd_gettime, 1, -1, 0, 32), B(timerfd_settime, 3, -1, 0, 32),
	B(sendfile, 2, -1, 0, 8), B(splice, 1, -1, 0, 8), B(splice, 3, -1, 0, 8),
	B(copy_file_range, 1, -1, 0, 8), B(copy_file_range, 3, -1, 0, 8),
	B(getsockname, 2, -1, 0, 4), B(getpeername, 2, -1, 0, 4),
	B(accept, 2, -1, 0, 4), B(accept4, 2, -1, 0, 4), B(recvfrom, 5, -1, 0, 4),
	B(getsockopt, 4, -1, 0, 4), B(select, 1, -1, 0, 128), B(select, 2, -1, 0, 128),
	B(select, 3, -1, 0, 128), B(select, 4, -1, 0, 16), B(pselect6, 1, -1, 0, 128),
	B(pselect6, 2, -1, 0, 128), B(pselect6, 3, -1, 0, 128), B(pselect6, 4, -1, 0, 16),
	B(ppoll, 2, -1, 0, sizeof(struct timespec)), B(recvmsg, 1, -1, 0, 56),
	B(recvmmsg, 1, 2, 64, 0), B(sendmmsg, 1, 2, 64, 0),
};

/* socket addresses whose room is given by a socklen_t in memory */
static const struct {
	short nr;
	signed char addr, lenptr;
} sockaddrs[] = {
	{ SYS_getsockname, 1, 2 }, { SYS_getpeername, 1, 2 }, { SYS_accept, 1, 2 },
	{ SYS_accept4, 1, 2 }, { SYS_recvfrom, 4, 5 }, { SYS_getsockopt, 3, 4 },
};

static int mine(struct uproc *p, long ptr, size_t len)
{
	return !ptr || !len || user_range_ok(p, ptr, len);
}

/* readv/preadv/recvmsg's buffers: an iovec array in the caller's memory */
static int iov_ok(struct uproc *p, long uiov, long n)
{
	if (n < 0 || n > 1024)
		return 0;
	for (long i = 0; i < n; i++) {
		struct iovec v;
		if (copy_from_user(p, &v, uiov + i * sizeof v, sizeof v))
			return 0;
		if (!mine(p, (long)v.iov_base, v.iov_len))
			return 0;
	}
	return 1;
}

/* 0 if the call may go to the host, -EFAULT if an out-buffer is not the
 * caller's. */
long forward_args_check(struct uproc *p, int nr, const long a[6])
{
	for (unsigned i = 0; i < sizeof outbufs / sizeof outbufs[0]; i++) {
		const struct outbuf *o = &outbufs[i];
		if (o->nr != nr)
			continue;
		size_t len = o->size;
		if (o->len >= 0)
			len += (size_t)a[(int)o->len] * o->mult;
		if (o->len >= 0 && o->mult && (unsigned long)a[(int)o->len] > (1UL << 40))
			return -EFAULT;	/* a length no buffer can have */
		if (!mine(p, a[(int)o->ptr], len))
			return -EFAULT;
	}
	for (unsigned i = 0; i < sizeof sockaddrs / sizeof sockaddrs[0]; i++) {
		if (sockaddrs[i].nr != nr || !a[(int)sockaddrs[i].lenptr])
			continue;
		unsigned int room;
		if (copy_from_user(p, &room, a[(int)sockaddrs[i].lenptr], sizeof room))
			return -EFAULT;
		if (!mine(p, a[(int)sockaddrs[i].addr], room))
			return -EFAULT;
	}
	switch (nr) {
	case SYS_readv: case SYS_preadv: case SYS_preadv2:
		return iov_ok(p, a[1], a[2]) ? 0 : -EFAULT;
	case SYS_recvmsg: {
		struct msghdr m;
		if (copy_from_user(p, &m, a[1], sizeof m))
			return -EFAULT;
		if (!mine(p, (long)m.msg_name, m.msg_namelen) ||
		    !mine(p, (long)m.msg_control, m.msg_controllen) ||
		    !iov_ok(p, (long)m.msg_iov, m.msg_iovlen))
			return -EFAULT;
		return 0;
	}
	case SYS_fcntl:
		if (a[1] == F_GETLK || a[1] == F_OFD_GETLK)
			return mine(p, a[2], 32) ? 0 : -EFAULT;
		if (a[1] == F_GETOWN_EX)
			return mine(p, a[2], 8) ? 0 : -EFAULT;
		return 0;
	case SYS_ioctl:	/* an int or a pointer: a pointer must at least start in ours */
		return (unsigned long)a[2] >= 0x10000 && (unsigned long)a[2] < (1UL << 47) &&
				       !mine(p, a[2], 8)
			       ? -EFAULT : 0;
	case SYS_futex: {
		int op = a[1] & FUTEX_CMD_MASK;
		if (op == FUTEX_WAKE_OP || op == FUTEX_REQUEUE || op == FUTEX_CMP_REQUEUE ||
		    op == FUTEX_CMP_REQUEUE_PI)
			return mine(p, a[4], 4) ? 0 : -EFAULT;
		return 0;
	}
	}
	return 0;
}
