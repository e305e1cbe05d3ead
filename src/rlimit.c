/*
 * rlimit.c - resource limits per µprocess: the table (getrlimit, setrlimit,
 * prlimit64) and the enforcement of the limits Linux enforces.
 *
 * Each µprocess has its own table, filled from the host's at start-up,
 * copied by fork and vfork, kept by exec.  The host kernel enforces its own
 * limits once for the whole runtime: a raised limit is raised on the host
 * too, a lowered one never lowers the host's (other µprocesses may need it).
 * So the runtime enforces the µprocess's lower values itself, only where they
 * are lower, keeping the common path free of extra work:
 *
 *   p->lim_watch says which checks p needs (LIM_* in ufork.h); a syscall
 *   table entry says which limit may apply to it.  Only when both share a bit
 *   does the dispatcher call rlimit_call instead of the handler.
 *
 * RLIMIT_NOFILE  watched while p's soft limit is below the host's.  Linux
 *     gives the lowest free fd, so "the result is >= the limit" is exactly
 *     Linux's EMFILE: the new fd is closed again.  Calls with side effects or
 *     that block before the fd would exist (open with O_CREAT/O_TRUNC, a FIFO,
 *     accept) first probe the lowest free fd.  dup2/dup3 to newfd >= limit:
 *     EBADF; F_DUPFD from >= limit: EINVAL; pipe/socketpair: both fds;
 *     recvmsg, recvmmsg: SCM_RIGHTS fds past the limit are dropped with
 *     MSG_CTRUNC.
 *     Runtime fds (at fd_floor) are never handed out: a limit below fd_floor
 *     has them above it, a higher one sees them as taken numbers.
 * RLIMIT_FSIZE  watched while finite: writes to regular files are checked
 *     against the file position as Linux's generic_write_checks does (at or
 *     past the limit: SIGXFSZ and EFBIG; across it: a short write), growing
 *     truncate/ftruncate/fallocate as inode_newsize_ok does.  The host's own
 *     SIGXFSZ is ignored and its soft limit raised to the hard one.
 * RLIMIT_NPROC  watched while below the host's (which the host enforces on
 *     the runtime's threads): fork/vfork/clone fail with EAGAIN when
 *     the tasks (threads; zombies count one until reaped) of µprocesses with
 *     the caller's real uid reach the limit, unless the caller is uid 0 or
 *     has CAP_SYS_RESOURCE or CAP_SYS_ADMIN in the initial user namespace.
 *     Real uids are noted after each successful setuid/setreuid/setresuid
 *     (LIM_CRED, always watched).
 * RLIMIT_AS, RLIMIT_DATA  (LIM_MEM) checked by sys_mem.c through
 *     rlimit_vm_ok / rlimit_brk_ok / rlimit_mprotect_ok, Linux's
 *     may_expand_vm and check_data_rlimit over the µprocess's region list.
 * RLIMIT_CORE decides the core flag of a death status (signal.c).
 *
 * Locks: p->lock guards p->rlim; lim_watch is recomputed under watch_lock
 * (a leaf lock) after every change, so the last recomputation sees the last
 * values.  Only "self" is accepted by prlimit64.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <linux/falloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "ufork.h"

static pthread_mutex_t watch_lock = PTHREAD_MUTEX_INITIALIZER;
static int in_init_userns(void);
static rlim_t host_nofile, host_nproc;	/* the host's soft limits (they only grow) */

static void watch_update(struct uproc *p)
{
	pthread_mutex_lock(&watch_lock);
	int w = LIM_CRED;
	if (p->rlim[RLIMIT_NOFILE].rlim_cur < host_nofile)
		w |= LIM_NOFILE;
	if (p->rlim[RLIMIT_FSIZE].rlim_cur != RLIM_INFINITY)
		w |= LIM_FSIZE;
	if (p->rlim[RLIMIT_NPROC].rlim_cur < host_nproc)
		w |= LIM_NPROC;
	if (p->rlim[RLIMIT_AS].rlim_cur != RLIM_INFINITY ||
	    p->rlim[RLIMIT_DATA].rlim_cur != RLIM_INFINITY)
		w |= LIM_MEM;
	__atomic_store_n(&p->lim_watch, w, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&watch_lock);
}

void rlimits_init(struct uproc *p)
{
	for (int r = 0; r < RLIM_NLIMITS; r++)
		getrlimit(r, &p->rlim[r]);
	host_nofile = p->rlim[RLIMIT_NOFILE].rlim_cur;
	host_nproc = p->rlim[RLIMIT_NPROC].rlim_cur;
	p->ruid = getuid();
	in_init_userns();	/* read once, at start-up */
	/* file sizes are the runtime's to check: the host must neither kill the
	 * runtime with its SIGXFSZ nor cut writes below a µprocess's limit */
	signal(SIGXFSZ, SIG_IGN);
	struct rlimit fs = p->rlim[RLIMIT_FSIZE];
	if (fs.rlim_cur != fs.rlim_max) {
		fs.rlim_cur = fs.rlim_max;
		setrlimit(RLIMIT_FSIZE, &fs);
	}
	watch_update(p);
}

/* from->lock held */
void rlimits_copy(struct uproc *to, struct uproc *from)
{
	memcpy(to->rlim, from->rlim, sizeof to->rlim);
	to->ruid = from->ruid;
	to->lim_watch = from->lim_watch;
}

static long rlimit_op(struct uthread *t, int res, uintptr_t unew, uintptr_t uold)
{
	struct uproc *p = t->p;
	struct rlimit nv, old;
	if (res < 0 || res >= RLIM_NLIMITS)
		return -EINVAL;
	if (unew && copy_from_user(p, &nv, unew, sizeof nv))
		return -EFAULT;
	if (unew && nv.rlim_cur > nv.rlim_max)
		return -EINVAL;
	int host_up = 0;
	pthread_mutex_lock(&p->lock);
	old = p->rlim[res];
	long r = 0;
	if (unew && nv.rlim_max > old.rlim_max && geteuid() != 0)
		r = -EPERM;	/* raising a hard limit needs CAP_SYS_RESOURCE */
	if (!r && unew) {
		struct rlimit host;
		getrlimit(res, &host);
		if (nv.rlim_max > host.rlim_max || nv.rlim_cur > host.rlim_cur) {
			struct rlimit up = { nv.rlim_cur > host.rlim_cur ? nv.rlim_cur : host.rlim_cur,
					     nv.rlim_max > host.rlim_max ? nv.rlim_max : host.rlim_max };
			if (setrlimit(res, &up) < 0)
				r = -errno;
			else if ((res == RLIMIT_NOFILE || res == RLIMIT_NPROC) &&
				 up.rlim_cur > host.rlim_cur)
				host_up = 1;
		}
		if (!r)
			p->rlim[res] = nv;
	}
	pthread_mutex_unlock(&p->lock);
	if (!r && unew) {
		if (host_up) {	/* others may now pass their limits on the host */
			pthread_mutex_lock(&watch_lock);
			struct rlimit host;
			getrlimit(res, &host);
			rlim_t *h = res == RLIMIT_NOFILE ? &host_nofile : &host_nproc;
			if (host.rlim_cur > *h)
				*h = host.rlim_cur;
			pthread_mutex_unlock(&watch_lock);
			proc_for_each(watch_update);
		}
		watch_update(p);
	}
	if (!r && uold && copy_to_user(p, uold, &old, sizeof old))
		return -EFAULT;
	return r;
}

long sys_prlimit64(struct sysctx *c, long a[6])
{
	if (a[0] != 0 && a[0] != c->t->p->pid)
		return -ESRCH;
	return rlimit_op(c->t, a[1], a[2], a[3]);
}

long sys_getrlimit(struct sysctx *c, long a[6])
{
	return rlimit_op(c->t, a[0], 0, a[1]);
}

long sys_setrlimit(struct sysctx *c, long a[6])
{
	return rlimit_op(c->t, a[0], a[1], 0);
}

static rlim_t soft(struct uproc *p, int res)
{
	return __atomic_load_n(&p->rlim[res].rlim_cur, __ATOMIC_RELAXED);
}

/* ---- RLIMIT_NOFILE ----------------------------------------------------- */

/* Closes a new fd the µprocess may not have, with the runtime's records. */
static void drop_fd(struct uproc *p, int fd)
{
	if (p->sigfds)
		signalfd_forget(p, fd);
	if (fd == p->oom_fd)
		p->oom_fd = -1;
	close(fd);
}

/* The lowest free fd of the calling thread's table (the µprocess's), or -1:
 * a duplicate of a runtime fd, which every µprocess table holds. */
static int lowest_free_fd(void)
{
	int fd = fcntl(log_fd, F_DUPFD, 0);
	if (fd >= 0)
		close(fd);
	return fd;
}

/* recvmsg: SCM_RIGHTS fds at or past the limit are not the µprocess's.  The
 * host installed them lowest first, so they are a tail: Linux would have
 * stopped there, shortened the message and set MSG_CTRUNC. */
static void scm_rights_trim(struct uproc *p, uintptr_t umsg, rlim_t lim)
{
	struct msghdr m;
	if (copy_from_user(p, &m, umsg, sizeof m) || !m.msg_control ||
	    m.msg_controllen < sizeof(struct cmsghdr) || m.msg_controllen > 65536)
		return;
	char *buf = malloc(m.msg_controllen);
	if (!buf || copy_from_user(p, buf, (uintptr_t)m.msg_control, m.msg_controllen)) {
		free(buf);
		return;
	}
	struct msghdr k = { .msg_control = buf, .msg_controllen = m.msg_controllen };
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&k); cm; cm = CMSG_NXTHDR(&k, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		int *fds = (int *)CMSG_DATA(cm);
		size_t n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int), keep = 0;
		while (keep < n && (rlim_t)fds[keep] < lim)
			keep++;
		if (keep == n)
			continue;
		for (size_t i = keep; i < n; i++)
			drop_fd(p, fds[i]);
		size_t at = (char *)cm - buf;
		if (keep) {
			cm->cmsg_len = CMSG_LEN(keep * sizeof(int));
			m.msg_controllen = at + CMSG_SPACE(keep * sizeof(int));
			if (m.msg_controllen > k.msg_controllen)
				m.msg_controllen = k.msg_controllen;
		} else {
			m.msg_controllen = at;
		}
		m.msg_flags |= MSG_CTRUNC;
		copy_to_user(p, (uintptr_t)m.msg_control + at, cm, sizeof *cm);
		copy_to_user(p, umsg + offsetof(struct msghdr, msg_controllen),
			     &m.msg_controllen, sizeof m.msg_controllen);
		copy_to_user(p, umsg + offsetof(struct msghdr, msg_flags), &m.msg_flags,
			     sizeof m.msg_flags);
		break;	/* the kernel puts the fds last */
	}
	free(buf);
}

static long nofile_call(struct sysctx *c, long a[6], sys_fn fn)
{
	struct uproc *p = c->t->p;
	rlim_t lim = soft(p, RLIMIT_NOFILE);
	long r;
	switch (c->nr) {
	case SYS_dup2:
	case SYS_dup3:
		if (c->nr == SYS_dup3 && ((a[2] & ~O_CLOEXEC) || a[0] == a[1]))
			return fn(c, a);	/* the host says EINVAL */
		if (a[0] != a[1] && (unsigned int)a[1] >= lim)
			return -EBADF;
		return fn(c, a);
	case SYS_fcntl:
		if (a[1] != F_DUPFD && a[1] != F_DUPFD_CLOEXEC)
			return fn(c, a);
		if ((unsigned int)a[2] >= lim)
			return is_runtime_fd(a[0]) || fcntl((int)a[0], F_GETFD) < 0 ? -EBADF
										    : -EINVAL;
		break;
	case SYS_signalfd:
	case SYS_signalfd4:
		if (a[0] != -1)
			return fn(c, a);	/* changes an existing one */
		break;
	case SYS_open: case SYS_openat: case SYS_openat2: case SYS_creat:
	case SYS_accept: case SYS_accept4: {
		/* would create or truncate a file, or block, before Linux's EMFILE */
		int low = lowest_free_fd();
		if (low >= 0 && (rlim_t)low >= lim)
			return -EMFILE;
		break;
	}
	case SYS_pipe: case SYS_pipe2: case SYS_socketpair: {
		/* two fds written to memory: take them here, check, then copy */
		int at = c->nr == SYS_socketpair ? 3 : 0;
		r = forward_args_check(p, c->nr, a);
		if (r)
			return r;
		int fds[2];
		long b[6] = { a[0], a[1], a[2], a[3], a[4], a[5] };
		b[at] = (long)fds;
		r = host_syscall_cancellable(c->t, c->nr, b);
		if (r < 0)
			return r;
		if ((rlim_t)fds[0] >= lim || (rlim_t)fds[1] >= lim)
			r = -EMFILE;
		else if (copy_to_user(p, a[at], fds, sizeof fds))
			r = -EFAULT;
		if (r < 0) {
			close(fds[0]);
			close(fds[1]);
		}
		return r;
	}
	case SYS_recvmsg:
		r = fn(c, a);
		if (r >= 0)
			scm_rights_trim(p, a[1], lim);
		return r;
	case SYS_recvmmsg:	/* each message's header leads its struct mmsghdr */
		r = fn(c, a);
		for (long i = 0; i < r; i++)
			scm_rights_trim(p, a[1] + i * sizeof(struct mmsghdr), lim);
		return r;
	}
	r = fn(c, a);
	if (r >= 0 && (rlim_t)r >= lim) {
		drop_fd(p, r);
		r = -EMFILE;
	}
	return r;
}

/* ---- RLIMIT_FSIZE ------------------------------------------------------ */

static long xfsz(struct uproc *p)
{
	siginfo_t si;
	memset(&si, 0, sizeof si);
	si.si_signo = SIGXFSZ;
	si.si_code = SI_USER;
	si.si_pid = p->pid;
	si.si_uid = getuid();
	signal_raise(p, 0, SIGXFSZ, &si);	/* to the process, as Linux's send_sig */
	return -EFBIG;
}

/* The file behind fd if it is a regular file open for writing: its size and
 * status flags; 0 if the call is not one Linux checks (the host answers). */
static int writable_regular(int fd, struct stat *st, int *fl)
{
	if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode))
		return 0;
	*fl = fcntl(fd, F_GETFL);
	return *fl >= 0 && (*fl & O_ACCMODE) != O_RDONLY;
}

static long fsize_call(struct sysctx *c, long a[6], sys_fn fn)
{
	struct uproc *p = c->t->p;
	rlim_t lim = soft(p, RLIMIT_FSIZE);
	struct stat st;
	int fl, fd = a[0], cidx = 2, vec = 0, append_ok = 1;
	long pos = -1;		/* -1: the file position */
	uintptr_t posp = 0;	/* an loff_t in memory, if not 0 */

	switch (c->nr) {
	case SYS_truncate: {
		char path[4096];
		if (a[1] < 0 || (rlim_t)a[1] <= lim ||
		    strncpy_from_user(p, path, a[0], sizeof path) < 0 ||
		    stat(path, &st) < 0 || !S_ISREG(st.st_mode) || a[1] <= st.st_size ||
		    faccessat(AT_FDCWD, path, W_OK, AT_EACCESS) < 0)
			return fn(c, a);
		return xfsz(p);
	}
	case SYS_ftruncate:
		if (a[1] < 0 || (rlim_t)a[1] <= lim || !writable_regular(fd, &st, &fl) ||
		    a[1] <= st.st_size)
			return fn(c, a);
		return xfsz(p);
	case SYS_fallocate: {
		long end = a[2] + a[3];
		if ((a[1] & FALLOC_FL_KEEP_SIZE) || a[2] < 0 || a[3] <= 0 || end < a[2] ||
		    (rlim_t)end <= lim || !writable_regular(fd, &st, &fl) || end <= st.st_size)
			return fn(c, a);
		return xfsz(p);
	}
	case SYS_write: break;
	case SYS_pwrite64: pos = a[3]; break;
	case SYS_writev: vec = 1; break;
	case SYS_pwritev: vec = 1; pos = a[3]; break;
	case SYS_pwritev2:
		vec = 1;
		pos = a[3];
		if (a[5] & RWF_APPEND)
			pos = -2;
		break;
	case SYS_sendfile: cidx = 3; append_ok = 0; break;
	case SYS_copy_file_range: fd = a[2]; posp = a[3]; cidx = 4; append_ok = 0; break;
	case SYS_splice: fd = a[2]; posp = a[3]; cidx = 4; append_ok = 0; break;
	default:
		return fn(c, a);
	}
	if (pos < -2 || !writable_regular(fd, &st, &fl))
		return fn(c, a);
	if (fl & O_APPEND) {
		if (!append_ok)
			return fn(c, a);	/* EINVAL or EBADF from the host */
		pos = st.st_size;
	} else if (pos == -2) {
		pos = st.st_size;
	} else if (posp) {
		if (copy_from_user(p, &pos, posp, sizeof pos) || pos < 0)
			return fn(c, a);
	} else if (pos == -1) {
		pos = lseek(fd, 0, SEEK_CUR);
		if (pos < 0)
			return fn(c, a);
	}

	long b[6] = { a[0], a[1], a[2], a[3], a[4], a[5] };
	if (!vec) {
		size_t count = a[cidx];
		if (!count)
			return fn(c, a);
		if ((rlim_t)pos >= lim)
			return xfsz(p);
		if (count > lim - pos)
			b[cidx] = lim - pos;
		return fn(c, b);
	}
	/* vectors: a short copy of the iovec array */
	if (a[2] <= 0 || a[2] > IOV_MAX)
		return fn(c, a);
	struct iovec iov[a[2]];
	if (copy_from_user(p, iov, a[1], a[2] * sizeof *iov))
		return -EFAULT;
	size_t total = 0;
	for (long i = 0; i < a[2]; i++)
		total += iov[i].iov_len;
	if (!total)
		return fn(c, a);
	if ((rlim_t)pos >= lim)
		return xfsz(p);
	size_t room = lim - pos;
	if (total <= room)
		return fn(c, a);
	long n = 0;
	for (; n < a[2] && room; n++) {
		if (iov[n].iov_len > room)
			iov[n].iov_len = room;
		room -= iov[n].iov_len;
	}
	b[1] = (long)iov;
	b[2] = n;
	return fn(c, b);
}

/* ---- RLIMIT_NPROC ------------------------------------------------------ */

static int has_cap(int cap)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];
	if (syscall(SYS_capget, &h, d) < 0)
		return 0;
	return (d[cap / 32].effective >> (cap % 32)) & 1;
}

/* Linux exempts the initial user namespace's root user and holders of
 * CAP_SYS_RESOURCE or CAP_SYS_ADMIN there; inside another user namespace
 * (a container's) nobody is exempt. */
static int init_userns = -1;

static int in_init_userns(void)
{
	if (init_userns < 0) {
		char buf[128] = "";
		int fd = open("/proc/self/uid_map", O_RDONLY | O_CLOEXEC);
		ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
		if (fd >= 0)
			close(fd);
		unsigned long in, out, len;
		init_userns = n > 0 && sscanf(buf, "%lu %lu %lu", &in, &out, &len) == 3 && in == 0 &&
			      out == 0 && len == 4294967295UL;
	}
	return init_userns;
}

static long nproc_check(struct uproc *p)
{
	rlim_t lim = soft(p, RLIMIT_NPROC);
	uid_t uid = getuid();	/* this host thread's: the caller's */
	if (lim == RLIM_INFINITY || (uid == 0 && in_init_userns()))
		return 0;
	if ((rlim_t)proc_tasks_of_uid(uid) < lim)
		return 0;
	if (in_init_userns() && (has_cap(CAP_SYS_RESOURCE) || has_cap(CAP_SYS_ADMIN)))
		return 0;
	return -EAGAIN;
}

/* ---- the slow path of the dispatcher ------------------------------------ */

long rlimit_call(struct sysctx *c, long a[6], sys_fn fn)
{
	struct uproc *p = c->t->p;
	int w = syscall_table[c->nr].limit & __atomic_load_n(&p->lim_watch, __ATOMIC_RELAXED);
	if (w & LIM_NPROC) {
		long r = nproc_check(p);
		if (r)
			return r;
	}
	if (w & LIM_FSIZE)
		return fsize_call(c, a, fn);
	if (w & LIM_NOFILE)
		return nofile_call(c, a, fn);
	long r = fn(c, a);
	if ((w & LIM_CRED) && r == 0)
		p->ruid = getuid();
	in_init_userns();	/* read once, at start-up */
	return r;
}

/* ---- RLIMIT_AS and RLIMIT_DATA (called by sys_mem.c, p->lock held) ----- */

/* Linux's may_expand_vm: may p map len bytes (of data if data) at start,
 * replacing what it maps there (start 0: a range known to be new)? */
int rlimit_vm_ok(struct uproc *p, uintptr_t start, size_t len, int data)
{
	if (!(p->lim_watch & LIM_MEM))
		return 1;
	size_t total, dvm, old = 0, old_data;
	vma_usage(&p->vmas, 0, UINTPTR_MAX, &total, &dvm);
	if (start)
		vma_usage(&p->vmas, start, start + len, &old, &old_data);
	size_t grow = len - old;
	if (total + grow > p->rlim[RLIMIT_AS].rlim_cur)
		return 0;
	struct rlimit d = p->rlim[RLIMIT_DATA];
	if (data && dvm + grow > d.rlim_cur)
		return d.rlim_cur == 0 && dvm + grow <= d.rlim_max;	/* Linux's valgrind rule */
	return 1;
}

/* Linux's check_data_rlimit for brk: heap plus initialised data. */
int rlimit_brk_ok(struct uproc *p, uintptr_t want)
{
	rlim_t lim = p->rlim[RLIMIT_DATA].rlim_cur;
	if (!(p->lim_watch & LIM_MEM) || lim == RLIM_INFINITY)
		return 1;
	return (want - p->brk_start) + (p->img ? p->img->data_size : 0) <= lim;
}

/* mprotect: pages that turn into data must fit RLIMIT_DATA (mprotect_fixup). */
int rlimit_mprotect_ok(struct uproc *p, uintptr_t start, uintptr_t end, int prot)
{
	if (!(p->lim_watch & LIM_MEM) || !(prot & PROT_WRITE))
		return 1;
	size_t turn = 0;
	for (uintptr_t at = start; at < end;) {
		struct vma *v = vma_find(&p->vmas, at);
		if (!v)
			break;
		uintptr_t e = v->end < end ? v->end : end;
		if (!vma_is_data(v->prot, v->flags, v->kind) && vma_is_data(prot, v->flags, v->kind))
			turn += e - at;
		at = e;
	}
	if (!turn)
		return 1;
	size_t total, dvm;
	vma_usage(&p->vmas, 0, UINTPTR_MAX, &total, &dvm);
	if (total + turn > p->rlim[RLIMIT_AS].rlim_cur)
		return 1;	/* Linux: fails the old flags too, so no error */
	struct rlimit d = p->rlim[RLIMIT_DATA];
	return dvm + turn <= d.rlim_cur || (d.rlim_cur == 0 && dvm + turn <= d.rlim_max);
}
