/*
 * procfs.c - /proc as µprocesses should see it.
 *
 * /proc/self, /proc/thread-self and /proc/<pid> name host processes; for a
 * µprocess they must name µprocesses.  Paths under them are answered here:
 *   stat, statm, status, maps, smaps, cmdline, comm, oom_score_adj
 *       generated from the runtime's own records (pids, threads, the map
 *       list, resident pages counted with mincore) into a memfd opened in the
 *       µprocess's fd table;
 *   exe                 the program's path;
 *   task/<tid>/...      that thread's host thread's entry;
 *   everything else     (fd/, fdinfo/, cwd, limits, ...) the same entry of a
 *       host thread of that µprocess, whose fd table and cwd are its own,
 *       but for the runtime's fds (fd/N, fdinfo/N: ENOENT).
 * Other /proc paths (meminfo, sys/...) are the host's and pass unchanged.
 * Hooked into open, openat, openat2, creat, the stat family, access and
 * readlink.  Under isolation no open may give the host's /proc/<pid>/mem,
 * however reached (is_host_mem); --isolation=full forwards the runtime's
 * copy of every path it looked at and opens through a checked O_PATH fd
 * (open_full), so no sibling thread can race either check.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ufork.h"

enum { PROC_NONE, PROC_HOST, PROC_GEN, PROC_ENOENT, PROC_EACCES, PROC_UNREAD };

/* "N/" at *s (digits, then '/' or the end): N, and *s moved past it; or -1. */
static long number(const char **s)
{
	const char *q = *s;
	long n = 0;
	if (*q < '0' || *q > '9')
		return -1;
	while (*q >= '0' && *q <= '9' && n < 1L << 40)
		n = n * 10 + (*q++ - '0');
	if (*q && *q != '/')
		return -1;
	*s = *q ? q + 1 : q;
	return n;
}

/* What must not be reached through an entry rest of a µprocess's /proc
 * directory (also under task/<tid>/): the runtime's fds (fd/N, fdinfo/N:
 * ENOENT, as for an fd not open) and, under isolation, mem (EACCES): the
 * host's file reads and writes the whole address space as a debugger does,
 * protection keys ignored. */
static int forbidden_entry(const char *rest)
{
	if (!strncmp(rest, "task/", 5)) {
		rest += 5;
		if (number(&rest) < 0)
			return PROC_NONE;
	}
	if (!strcmp(rest, "mem"))
		return isolation != ISOLATION_NONE ? PROC_EACCES : PROC_NONE;
	if (!strncmp(rest, "fd/", 3))
		rest += 3;
	else if (!strncmp(rest, "fdinfo/", 7))
		rest += 7;
	else
		return PROC_NONE;
	long fd = number(&rest);
	return fd >= 0 && !*rest && is_runtime_fd(fd) ? PROC_ENOENT : PROC_NONE;
}

static const char *generated[] = { "stat", "statm", "status", "maps", "smaps", "cmdline",
				   "comm", "oom_score_adj", NULL };

/*
 * Classifies path.  PROC_HOST: host holds the host path to use instead.
 * PROC_GEN: *pid and entry name a generated file.  PROC_EACCES: a file not
 * to be opened (forbidden_entry), host filled as for PROC_HOST.  host is
 * always filled with the host equivalent (for stat and access).
 */
static int resolve(struct uthread *t, const char *path, char *host, size_t hostlen, int *pid,
		   const char **entry)
{
	if (strncmp(path, "/proc/", 6))
		return PROC_NONE;
	const char *who = path + 6, *rest = strchr(who, '/');
	size_t wlen = rest ? (size_t)(rest - who) : strlen(who);
	int self = (wlen == 4 && !strncmp(who, "self", 4)) ||
		   (wlen == 11 && !strncmp(who, "thread-self", 11));
	int target = t->p->pid;
	if (!self) {
		char num[16];
		if (!wlen || wlen >= sizeof num || strspn(who, "0123456789") != wlen)
			return PROC_NONE;	/* meminfo, sys/..., cpuinfo: the host's */
		memcpy(num, who, wlen);
		num[wlen] = 0;
		target = atoi(num);
	}
	int exists = proc_get_locked(target) != NULL;	/* a zombie too */
	proc_put_locked();
	if (!exists)
		return PROC_ENOENT;
	rest = rest ? rest + 1 : "";
	int deny = forbidden_entry(rest);
	if (deny == PROC_ENOENT)
		return deny;
	*pid = target;
	*entry = rest;
	if (!strncmp(rest, "task/", 5)) {	/* task/<tid>/...: that thread's host thread */
		const char *r = rest + 5;
		long tid = number(&r);
		if (tid > 0) {
			int host_tid = proc_host_tid(target, tid);
			if (!host_tid)
				return PROC_ENOENT;
			snprintf(host, hostlen, "/proc/%d/task/%d/%s", getpid(), host_tid, r);
			return deny == PROC_EACCES ? deny : PROC_HOST;
		}
	}
	for (int i = 0; generated[i]; i++)
		if (!strcmp(rest, generated[i])) {
			snprintf(host, hostlen, "/proc/thread-self/%s", rest);	/* for stat(2) */
			return PROC_GEN;
		}
	int host_tid = self && target == t->p->pid ? t->host_tid : proc_host_tid(target, 0);
	if (!host_tid)
		return PROC_ENOENT;	/* a zombie has no threads left */
	if (self && target == t->p->pid)
		snprintf(host, hostlen, "/proc/thread-self/%s", rest);
	else
		snprintf(host, hostlen, "/proc/%d/task/%d/%s", getpid(), host_tid, rest);
	if (!strcmp(rest, "exe"))
		return PROC_GEN;
	return deny == PROC_EACCES ? deny : PROC_HOST;
}

struct buf {
	char *s;
	size_t n, cap;
};

static void put(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	for (;;) {
		va_start(ap, fmt);
		int n = vsnprintf(b->s ? b->s + b->n : NULL, b->s ? b->cap - b->n : 0, fmt, ap);
		va_end(ap);
		if (n < 0)
			return;
		if (b->s && b->n + n < b->cap) {
			b->n += n;
			return;
		}
		size_t cap = (b->cap ? b->cap * 2 : 4096) + n;
		char *s = realloc(b->s, cap);
		if (!s)
			return;
		b->s = s;
		b->cap = cap;
	}
}

static size_t resident(uintptr_t start, uintptr_t end)
{
	size_t pages = (end - start) / PAGE_SIZE, n = 0;
	unsigned char vec[4096];
	for (size_t off = 0; off < pages; off += sizeof vec) {
		size_t k = pages - off < sizeof vec ? pages - off : sizeof vec;
		if (mincore((void *)(start + off * PAGE_SIZE), k * PAGE_SIZE, vec) < 0)
			return n;
		for (size_t i = 0; i < k; i++)
			n += vec[i] & 1;
	}
	return n;
}

static const char *vma_name(const struct uproc *p, const struct vma *v)
{
	switch (v->kind) {
	case VMA_IMAGE: return p->img ? p->img->path : "";
	case VMA_BRK: return "[heap]";
	case VMA_STACK: return "[stack]";
	case VMA_SHARED: return "/dev/zero (deleted)";
	default: return "";
	}
}

/* With proc_lock held: the text of entry for µprocess p. */
static void generate(struct uproc *p, const char *entry, struct buf *b)
{
	pthread_mutex_lock(&p->lock);
	size_t vsize = 0, rss = 0, total, data;
	vma_usage(&p->vmas, 0, UINTPTR_MAX, &total, &data);	/* VmData */
	for (int i = 0; i < p->vmas.n; i++) {
		vsize += p->vmas.v[i].end - p->vmas.v[i].start;
		if (p->vmas.v[i].prot & PROT_READ)
			rss += resident(p->vmas.v[i].start, p->vmas.v[i].end);
	}
	const char *comm = p->comm[0] ? p->comm : "?";
	if (!strcmp(entry, "stat")) {
		put(b, "%d (%s) %c %d %d %d 0 -1 4194304 0 0 0 0 0 0 0 0 20 0 %d 0 0 %zu %zu "
		       "18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n",
		    p->pid, comm, p->zombie ? 'Z' : 'S', p->ppid, p->pgid, p->sid, p->nthreads, vsize,
		    rss);
	} else if (!strcmp(entry, "statm")) {
		put(b, "%zu %zu 0 0 0 0 0\n", vsize / PAGE_SIZE, rss);
	} else if (!strcmp(entry, "status")) {
		put(b, "Name:\t%s\nState:\t%s\nTgid:\t%d\nPid:\t%d\nPPid:\t%d\n"
		       "Uid:\t%d\t%d\t%d\t%d\nGid:\t%d\t%d\t%d\t%d\n"
		       "VmSize:\t%8zu kB\nVmRSS:\t%8zu kB\nVmData:\t%8zu kB\nThreads:\t%d\n",
		    comm, p->zombie ? "Z (zombie)" : "S (sleeping)", p->pid, p->pid, p->ppid,
		    getuid(), geteuid(), geteuid(), geteuid(), getgid(), getegid(), getegid(),
		    getegid(), vsize >> 10, rss * (PAGE_SIZE >> 10), data >> 10, p->nthreads);
	} else if (!strcmp(entry, "maps") || !strcmp(entry, "smaps")) {
		for (int i = 0; i < p->vmas.n; i++) {
			const struct vma *v = &p->vmas.v[i];
			put(b, "%012lx-%012lx %c%c%c%c 00000000 00:00 0 %s%s\n", v->start, v->end,
			    v->prot & PROT_READ ? 'r' : '-', v->prot & PROT_WRITE ? 'w' : '-',
			    v->prot & PROT_EXEC ? 'x' : '-', v->kind == VMA_SHARED ? 's' : 'p',
			    *vma_name(p, v) ? "                   " : "", vma_name(p, v));
			if (entry[0] != 's')
				continue;
			size_t kb = (v->end - v->start) >> 10;
			size_t r = (v->prot & PROT_READ) ? resident(v->start, v->end) * 4 : 0;
			/* text mapped from the image is clean and shared by every slot
			 * running the program; shared-area memory is shared */
			int text = v->kind == VMA_IMAGE && !(v->prot & PROT_WRITE) &&
				   !(v->flags & MAP_ANONYMOUS);
			int shared = v->kind == VMA_SHARED;
			put(b, "Size:           %8zu kB\nKernelPageSize:        4 kB\n"
			       "MMUPageSize:           4 kB\nRss:            %8zu kB\n"
			       "Pss:            %8zu kB\nShared_Clean:   %8zu kB\n"
			       "Shared_Dirty:   %8zu kB\nPrivate_Clean:         0 kB\n"
			       "Private_Dirty:  %8zu kB\nReferenced:     %8zu kB\n"
			       "Anonymous:      %8zu kB\nSwap:                  0 kB\n",
			    kb, r, r, text ? r : 0, shared ? r : 0, shared || text ? 0 : r, r,
			    shared || text ? 0 : r);
		}
	} else if (!strcmp(entry, "cmdline")) {
		if (p->cmdline) {
			put(b, "%s", "");
			char *s = realloc(b->s, p->cmdline_len + 1);
			if (s) {
				memcpy(s, p->cmdline, p->cmdline_len);
				b->s = s;
				b->n = p->cmdline_len;
				b->cap = p->cmdline_len + 1;
			}
		}
	} else if (!strcmp(entry, "comm")) {
		put(b, "%s\n", comm);
	} else if (!strcmp(entry, "oom_score_adj")) {
		put(b, "%d\n", p->oom_score_adj);
	} else if (!strcmp(entry, "exe")) {
		put(b, "%s", p->img ? p->img->path : "");
	}
	pthread_mutex_unlock(&p->lock);
}

static int gen_text(int pid, const char *entry, struct buf *b)
{
	struct uproc *p = proc_get_locked(pid);
	if (!p) {
		proc_put_locked();
		return -ENOENT;
	}
	generate(p, entry, b);
	proc_put_locked();
	return 0;
}

/* The program's path of µprocess pid into out: 0, or -ENOENT. */
static int exe_path(int pid, char *out, size_t outlen)
{
	struct buf b = { 0 };
	if (gen_text(pid, "exe", &b) < 0)
		return -ENOENT;
	snprintf(out, outlen, "%s", b.s ? b.s : "");
	free(b.s);
	return 0;
}

/* Opens a generated entry: a memfd holding the text, in the caller's fd
 * table.  Writes (oom_score_adj) are accepted and remembered. */
static long open_generated(struct uthread *t, int pid, const char *entry, int flags)
{
	struct buf b = { 0 };
	if (!strcmp(entry, "exe")) {	/* opening the executable itself */
		int r = gen_text(pid, entry, &b);
		if (r < 0)
			return r;
		int fd = open(b.s ? b.s : "", flags & ~(O_CREAT | O_TRUNC));
		free(b.s);
		return fd < 0 ? -errno : fd;
	}
	if ((flags & O_ACCMODE) != O_RDONLY && strcmp(entry, "oom_score_adj"))
		return -EACCES;
	int r = gen_text(pid, entry, &b);
	if (r < 0)
		return r;
	int fd = memfd_create(entry, (flags & O_CLOEXEC) ? MFD_CLOEXEC : 0);
	if (fd < 0) {
		free(b.s);
		return -errno;
	}
	if (b.n && write(fd, b.s, b.n) != (ssize_t)b.n) {
		free(b.s);
		close(fd);
		return -EIO;
	}
	free(b.s);
	lseek(fd, 0, SEEK_SET);
	if ((flags & O_ACCMODE) != O_RDONLY && pid == t->p->pid)
		t->p->oom_fd = fd;	/* read back at close (sys_close) */
	return fd;
}

/* Reads the path argument a[idx] into path (PATH_BUF bytes; *entry points
 * into it) and classifies it: PROC_NONE when it is not under /proc,
 * PROC_UNREAD (path "", *pid the error: EFAULT, ENAMETOOLONG) when it
 * cannot be read. */
#define PATH_BUF 4096
static int classify(struct sysctx *c, long a[6], int idx, char *path, char *host, size_t hostlen,
		    int *pid, const char **entry)
{
	long n = strncpy_from_user(c->t->p, path, a[idx], PATH_BUF);
	if (n < 0) {
		path[0] = 0;
		*pid = n;
		return PROC_UNREAD;
	}
	if (strncmp(path, "/proc/", 6))
		return PROC_NONE;
	return resolve(c->t, path, host, hostlen, pid, entry);
}

/* The call with its path argument replaced by a runtime string (its
 * out-buffers are still the caller's, and checked). */
static long forward_path(struct sysctx *c, long a[6], int idx, const char *path)
{
	if (forward_args_check(c->t->p, c->nr, a))
		return -EFAULT;
	long b[6] = { a[0], a[1], a[2], a[3], a[4], a[5] };
	b[idx] = (long)path;
	return host_syscall_cancellable(c->t, c->nr, b);
}

/* Is fd the host's /proc/<pid>/mem or a task's (forbidden_entry)?  Asked
 * of every file opened under isolation: a symlink, a /proc dirfd or a
 * sibling thread rewriting the path reach it without naming it. */
static int is_host_mem(long fd)
{
	struct statfs s;
	char link[48], name[64];
	if (fstatfs(fd, &s) < 0)
		return 1;	/* cannot tell: refuse */
	if (s.f_type != PROC_SUPER_MAGIC)
		return 0;
	snprintf(link, sizeof link, "/proc/thread-self/fd/%ld", fd);
	ssize_t n = readlink(link, name, sizeof name);
	if (n < 0)
		return 1;
	return n >= 4 && n < (ssize_t)sizeof name && !memcmp(name + n - 4, "/mem", 4);
}

/* The open call c->nr as the caller made it, but for its path if path is
 * not NULL (the runtime's copy; then for openat2 also how, the runtime's
 * copy of its struct open_how). */
static long open_as(struct sysctx *c, const long a[6], int idx, const char *path,
		    const struct open_how *how)
{
	long b[6] = { a[0], a[1], a[2], a[3], a[4], a[5] };
	if (!path)
		return sys_forward(c, b);
	if (how)
		b[2] = (long)how, b[3] = sizeof *how;
	return forward_path(c, b, idx, path);
}

/*
 * --isolation=full: the file is resolved first to an O_PATH fd (which can
 * neither read nor write), checked, then opened through it
 * (/proc/thread-self/fd/N, on the same fd number), so an fd to the host's
 * mem never exists, even for a moment.  A file that does not exist is
 * created with O_EXCL (anything that appears meanwhile - a symlink to mem -
 * is looked at again).  One case is left to fault's check after the open:
 * O_CREAT through a dangling symlink, which creates the link's target.
 * path is the runtime's copy; flags as the caller gave them.
 */
/* Is path (from dirfd) a symlink to nothing? */
static int dangling(struct sysctx *c, long dirfd, const char *path)
{
	long b[6] = { dirfd, (long)path, O_PATH | O_NOFOLLOW | O_CLOEXEC, 0, 0, 0 };
	long fd = host_syscall_cancellable(c->t, SYS_openat, b);
	struct stat st;
	int r = fd >= 0 && fstat(fd, &st) == 0 && S_ISLNK(st.st_mode);
	if (fd >= 0)
		close(fd);
	return r;
}

static long open_full(struct sysctx *c, const long a[6], int idx, const char *path, long flags,
		      const struct open_how *how)
{
	long dirfd = c->nr == SYS_open || c->nr == SYS_creat ? AT_FDCWD : a[0];
	long mode = how ? (long)how->mode : a[c->nr == SYS_creat ? 1 : idx + 2];
	/* openat2 for openat2 (it is strict about flags and mode), else openat */
	struct open_how h = { .resolve = how ? how->resolve : 0 };
	long b[6] = { dirfd, (long)path, 0, 0, 0, 0 };
	int nr = how ? SYS_openat2 : SYS_openat, tries;
	for (tries = 0; tries < 8; tries++) {
		h.flags = O_PATH | O_CLOEXEC | (flags & (O_NOFOLLOW | O_DIRECTORY));
		h.mode = 0;
		b[2] = how ? (long)&h : (long)h.flags, b[3] = how ? (long)sizeof h : 0;
		long pfd = host_syscall_cancellable(c->t, nr, b);
		if (pfd == -ENOENT && (flags & O_CREAT)) {
			h.flags = flags | O_EXCL;
			h.mode = mode;
			b[2] = how ? (long)&h : (long)h.flags, b[3] = how ? (long)sizeof h : mode;
			long r = host_syscall_cancellable(c->t, nr, b);
			if (r != -EEXIST || (flags & O_EXCL))
				return r;
			if (dangling(c, dirfd, path))
				break;	/* O_CREAT makes its target: checked after */
			continue;	/* it appeared meanwhile */
		}
		if (pfd < 0)
			return pfd;
		struct stat st;
		long err = is_host_mem(pfd) ? -EACCES
			   : (flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL) ? -EEXIST
			   : fstat(pfd, &st) < 0 ? -errno
			   : S_ISLNK(st.st_mode) ? -ELOOP : 0;	/* O_NOFOLLOW met a symlink */
		if (err) {
			close(pfd);
			return err;
		}
		char link[48];
		snprintf(link, sizeof link, "/proc/thread-self/fd/%ld", pfd);
		/* openat2's own checks of flags and mode apply here */
		h.flags = flags & ~(O_CREAT | O_EXCL | O_NOFOLLOW);
		h.mode = flags & O_CREAT ? 0 : mode;
		h.resolve = 0;
		long ra[6] = { AT_FDCWD, (long)link, how ? (long)&h : (long)h.flags, how ? (long)sizeof h : 0,
			       0, 0 };
		long r = host_syscall_cancellable(c->t, nr, ra);
		if (r < 0) {
			close(pfd);
			return r;
		}
		/* onto the number the caller would have had */
		long d = dup3(r, pfd, flags & O_CLOEXEC) < 0 ? -errno : pfd;
		close(r);
		if (d < 0)
			close(pfd);
		return d;
	}
	if (tries == 8)
		return -EEXIST;
	long r = open_as(c, a, idx, path, how);
	if (r >= 0 && is_host_mem(r)) {
		close(r);
		return -EACCES;
	}
	return r;
}

/* Opens a file the caller may have (path: the runtime's copy, or NULL for
 * the caller's own string).  Under isolation not the host's mem: fault
 * looks at the new fd and closes it if it is (a sibling thread could use it
 * for the few microseconds until then); full never makes it (open_full). */
static long open_host(struct sysctx *c, const long a[6], int idx, const char *path, long flags,
		      const struct open_how *how)
{
	if (flags & O_PATH)	/* an fd that can neither read nor write; */
		return open_as(c, a, idx, path, how);	/* opening it again is checked */
	if (isolation == ISOLATION_FULL && path)
		return open_full(c, a, idx, path, flags, how);
	long r = open_as(c, a, idx, path, how);
	if (r >= 0 && isolation != ISOLATION_NONE && is_host_mem(r)) {
		close(r);
		return -EACCES;
	}
	return r;
}

/* A call whose path is none of /proc's business: under --isolation=full
 * forwarded with the runtime's copy (what the kernel resolves is what was
 * classified), else as the caller made it. */
static long forward_plain(struct sysctx *c, long a[6], int idx, int kind, const char *path)
{
	if (isolation == ISOLATION_FULL && kind == PROC_NONE)
		return forward_path(c, a, idx, path);
	return sys_forward(c, a);
}

/* open/openat/openat2/creat: path at a[idx], flags given (for openat2 with
 * how, the runtime's copy of its struct open_how).  A terminal opened may
 * become the caller's controlling terminal, and /dev/tty is the caller's
 * (tty.c). */
static long open_common(struct sysctx *c, long a[6], int idx, long flags, const struct open_how *how)
{
	char path[PATH_BUF], host[4200];
	int pid;
	const char *entry;
	long r;
	switch (classify(c, a, idx, path, host, sizeof host, &pid, &entry)) {
	case PROC_ENOENT:
		return -ENOENT;
	case PROC_EACCES:
		return -EACCES;
	case PROC_GEN:
		fd_sync(c->t);
		return open_generated(c->t, pid, entry, flags);
	case PROC_HOST:
		r = open_host(c, a, idx, host, flags, how);
		break;
	case PROC_UNREAD:
		return pid;
	default:
		if (!strcmp(path, "/dev/tty") && !how)
			return tty_open_current(c, a, idx);
		/* openat2 always goes with the copies: its flags decide the check */
		r = open_host(c, a, idx, isolation == ISOLATION_FULL || how ? path : NULL, flags, how);
	}
	if (r >= 0)
		tty_opened(c->t, r, flags);
	return r;
}

long sys_open(struct sysctx *c, long a[6])
{
	return open_common(c, a, 0, a[1], NULL);
}

long sys_openat(struct sysctx *c, long a[6])
{
	return open_common(c, a, 1, a[2], NULL);
}

long sys_creat(struct sysctx *c, long a[6])
{
	return open_common(c, a, 0, O_CREAT | O_WRONLY | O_TRUNC, NULL);
}

/* openat2: its struct open_how copied once (a larger one must end in
 * zeros, as the kernel checks). */
long sys_openat2(struct sysctx *c, long a[6])
{
	unsigned char buf[PAGE_SIZE];
	struct open_how how;
	size_t size = a[3];
	if (size < sizeof how)
		return -EINVAL;
	if (size > sizeof buf)
		return -E2BIG;
	if (copy_from_user(c->t->p, buf, a[2], size))
		return -EFAULT;
	for (size_t i = sizeof how; i < size; i++)
		if (buf[i])
			return -E2BIG;
	memcpy(&how, buf, sizeof how);
	return open_common(c, a, 1, how.flags, &how);
}

/* The stat family and access: the host equivalent of the path (for exe, the
 * program itself). */
static long path_common(struct sysctx *c, long a[6], int idx)
{
	char path[PATH_BUF], host[4200];
	int pid;
	const char *entry;
	int kind = classify(c, a, idx, path, host, sizeof host, &pid, &entry);
	if (kind == PROC_ENOENT)
		return -ENOENT;
	if (kind == PROC_NONE || kind == PROC_UNREAD)
		return forward_plain(c, a, idx, kind, path);
	if (kind == PROC_GEN && !strcmp(entry, "exe") && exe_path(pid, host, sizeof host) < 0)
		return -ENOENT;
	return forward_path(c, a, idx, host);
}

long sys_stat(struct sysctx *c, long a[6]) { return path_common(c, a, 0); }
long sys_lstat(struct sysctx *c, long a[6]) { return path_common(c, a, 0); }
long sys_access(struct sysctx *c, long a[6]) { return path_common(c, a, 0); }
long sys_newfstatat(struct sysctx *c, long a[6]) { return path_common(c, a, 1); }
long sys_statx(struct sysctx *c, long a[6]) { return path_common(c, a, 1); }
long sys_faccessat(struct sysctx *c, long a[6]) { return path_common(c, a, 1); }
long sys_faccessat2(struct sysctx *c, long a[6]) { return path_common(c, a, 1); }

/* readlink /proc/<pid>/exe: the program's path; other links: the host's. */
static long readlink_common(struct sysctx *c, long a[6], int idx)
{
	char path[PATH_BUF], host[4200];
	int pid;
	const char *entry;
	int kind = classify(c, a, idx, path, host, sizeof host, &pid, &entry);
	if (kind == PROC_ENOENT)
		return -ENOENT;
	if (kind == PROC_NONE || kind == PROC_UNREAD)
		return forward_plain(c, a, idx, kind, path);
	if (kind != PROC_GEN)
		return forward_path(c, a, idx, host);
	if (strcmp(entry, "exe"))
		return -EINVAL;	/* not a link */
	if (exe_path(pid, host, sizeof host) < 0)
		return -ENOENT;
	size_t len = strlen(host) < (size_t)a[idx + 2] ? strlen(host) : (size_t)a[idx + 2];
	long r = copy_to_user(c->t->p, a[idx + 1], host, len);
	return r < 0 ? r : (long)len;
}

long sys_readlink(struct sysctx *c, long a[6]) { return readlink_common(c, a, 0); }
long sys_readlinkat(struct sysctx *c, long a[6]) { return readlink_common(c, a, 1); }

/* exec of /proc/self/exe and the like: the program's own path. */
int procfs_exec_path(struct uthread *t, const char *path, char *out, size_t outlen)
{
	char host[4200];
	int pid;
	const char *entry;
	if (resolve(t, path, host, sizeof host, &pid, &entry) != PROC_GEN || strcmp(entry, "exe"))
		return 0;
	return exe_path(pid, out, outlen) == 0;
}

/* Reads a host /proc/.../stat file into buf and returns the fields after
 * "(comm) " (the state first), or NULL.  comm may hold spaces and parens:
 * the last ')' ends it. */
const char *host_stat_fields(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, size - 1);
	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return NULL;
	buf[n] = 0;
	char *q = strrchr(buf, ')');
	return q && q[1] == ' ' ? q + 2 : NULL;
}
