/*
 * exec.c - execve and vfork.
 *
 * execve replaces the µprocess's image in its own slot, same pid: arguments
 * are copied out of the old image first, the new file is checked (ELF
 * static-PIE, or a `#!` script whose interpreter is one) before the point of
 * no return, then other threads are ended, the slot is emptied, the new image
 * and stack are mapped, close-on-exec fds are closed (close_on_exec: from
 * /proc/thread-self/fd, or by trying each fd number where that cannot be
 * listed; never skipped), handled signals go back to SIG_DFL (ignored ones
 * and the mask stay), and the calling thread enters the new program through
 * its SIGSYS frame.  A dynamically linked program
 * cannot run in a µprocess: execve answers ENOEXEC (documented).  /bin/sh is
 * the static-PIE shell given by --shell (default: apps/dash next to the
 * ufork binary, built by `make dash`), since Debian's is dynamic.
 *
 * vfork (and clone with CLONE_VM|CLONE_VFORK, as musl's posix_spawn does):
 * the child is a µprocess that borrows its parent's slot - same memory, its
 * own pid, fd table, signal actions and thread - until it execs (it then gets
 * a slot of its own) or exits; the parent's thread waits until then.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ufork.h"

#define ARG_MAX_BYTES (2UL << 20)
#define MAX_ARGS 65536

struct strv {
	char **v;
	int n, cap;
	size_t bytes;
};

static int strv_push(struct strv *s, const char *str, size_t len)
{
	if (s->n + 2 > s->cap) {
		int cap = s->cap ? s->cap * 2 : 16;
		char **v = realloc(s->v, cap * sizeof *v);
		if (!v)
			return -ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	s->bytes += len + 1;
	if (s->bytes > ARG_MAX_BYTES || s->n >= MAX_ARGS)
		return -E2BIG;
	if (!(s->v[s->n] = strndup(str, len)))
		return -ENOMEM;
	s->v[++s->n] = NULL;
	return 0;
}

static void strv_free(struct strv *s)
{
	for (int i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	memset(s, 0, sizeof *s);
}

static int strv_init(struct strv *s)
{
	memset(s, 0, sizeof *s);
	s->cap = 16;
	s->v = calloc(s->cap, sizeof *s->v);
	return s->v ? 0 : -ENOMEM;
}

/* Copies a NULL-terminated array of strings out of µprocess memory (a NULL
 * array is an empty one, as Linux takes it). */
static int copy_strv(struct uproc *p, uintptr_t uv, struct strv *out)
{
	char buf[4096];
	for (; uv; uv += sizeof(uintptr_t)) {
		uintptr_t up;
		if (copy_from_user(p, &up, uv, sizeof up))
			return -EFAULT;
		if (!up)
			break;
		long n = strncpy_from_user(p, buf, up, sizeof buf);
		if (n == -ENAMETOOLONG) {	/* a long argument */
			char *big = malloc(ARG_MAX_BYTES);
			if (!big)
				return -ENOMEM;
			n = strncpy_from_user(p, big, up, ARG_MAX_BYTES);
			int r = n < 0 ? (n == -ENAMETOOLONG ? -E2BIG : (int)n) : strv_push(out, big, n);
			free(big);
			if (r < 0)
				return r;
			continue;
		}
		if (n < 0)
			return n;
		int r = strv_push(out, buf, n);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Opens path as a runnable image, following `#!` (depth-limited) and
 * rewriting argv for the interpreter.  Errors are -errno as execve gives. */
char *exec_shell;	/* --shell: what µprocesses get for /bin/sh */

static int open_image(const char *path, struct strv *argv, struct image **out, int depth)
{
	if (exec_shell && (!strcmp(path, "/bin/sh") || !strcmp(path, "/usr/bin/sh")))
		path = exec_shell;	/* Debian's /bin/sh is dynamically linked */
	if (access(path, F_OK) < 0)
		return -errno;
	if (access(path, X_OK) < 0)
		return -errno;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	char head[256];
	ssize_t n = read(fd, head, sizeof head - 1);
	close(fd);
	if (n < 0)
		return -EIO;
	head[n] = 0;
	if (n >= 2 && head[0] == '#' && head[1] == '!') {
		if (depth >= 4)
			return -ELOOP;
		char *nl = memchr(head, '\n', n);
		if (!nl)
			return -ENOEXEC;
		*nl = 0;
		char *interp = head + 2;
		while (*interp == ' ' || *interp == '\t')
			interp++;
		char *end = interp;
		while (*end && *end != ' ' && *end != '\t')
			end++;
		char *arg = NULL;
		if (*end) {
			*end++ = 0;
			while (*end == ' ' || *end == '\t')
				end++;
			char *tail = end + strlen(end);
			while (tail > end && (tail[-1] == ' ' || tail[-1] == '\t'))
				*--tail = 0;
			if (*end)
				arg = end;
		}
		if (!*interp)
			return -ENOEXEC;
		/* argv becomes: interp [arg] path argv[1..] */
		struct strv nv;
		int r = strv_init(&nv);
		if (!r)
			r = strv_push(&nv, interp, strlen(interp));
		if (!r && arg)
			r = strv_push(&nv, arg, strlen(arg));
		if (!r)
			r = strv_push(&nv, path, strlen(path));
		for (int i = 1; !r && i < argv->n; i++)
			r = strv_push(&nv, argv->v[i], strlen(argv->v[i]));
		if (r) {
			strv_free(&nv);
			return r;
		}
		char ipath[256];
		snprintf(ipath, sizeof ipath, "%s", interp);
		strv_free(argv);
		*argv = nv;
		return open_image(ipath, argv, out, depth + 1);
	}
	struct image *img = calloc(1, sizeof *img);
	char err[256];
	if (!img)
		return -ENOMEM;
	int r = image_open(path, img, err, sizeof err);
	if (r < 0) {
		free(img);
		if (trace_syscalls)
			ulog("ufork: execve: %s\n", err);
		/* refused under isolation (pkey.c), else not ELF, dynamic, not
		 * PIE, truncated... */
		return r == -EACCES ? -EACCES : -ENOEXEC;
	}
	*out = img;
	return 0;
}

/* Ends every thread of p but t and waits until they are gone. */
static void other_threads_exit(struct uthread *t)
{
	struct uproc *p = t->p;
	pthread_mutex_lock(&p->lock);
	for (struct uthread *o = p->threads; o; o = o->next)
		if (o != t)
			thread_kick(o, 1);
	pthread_mutex_unlock(&p->lock);
	for (;;) {
		pthread_mutex_lock(&p->lock);
		int n = p->nthreads;
		pthread_mutex_unlock(&p->lock);
		if (n == 1)
			break;
		sched_yield();
	}
}

/*
 * Close-on-exec.  The host kernel never execs (the µprocess's host thread
 * goes on running the runtime), so the runtime closes the flagged fds of
 * the calling thread's table, which is the µprocess's own (exec took its own
 * copy first if it shared its parent's: fdshare.c).  Spared: the runtime's
 * fds (is_runtime_fd) and the new image's memfd, which stays below fd_floor
 * when the runtime's range is full.
 *
 * Fast: list /proc/thread-self/fd, closing as the listing goes (the kernel
 * resumes a listing after the last fd it returned, so closing those behind
 * is safe, and there is no bound on how many).  Listing needs a free fd and
 * procfs: with a full table (EMFILE), no /proc, or a listing that fails
 * part-way, every fd number the µprocess can have is tried with F_GETFD
 * instead - [0, fd_top] and, above the runtime's range, up to the host's
 * RLIMIT_NOFILE (which only ever grows: lowered limits are the runtime's).
 * Nothing is skipped silently.
 */
static int cloexec_spared(struct uproc *p, int fd)
{
	return is_runtime_fd(fd) || (p->img && fd == p->img->memfd);
}

static void cloexec_close(struct uproc *p, int fd)
{
	if (p->sigfds)
		signalfd_forget(p, fd);
	locks_close(p, fd);
	close(fd);
}

static void cloexec_try(struct uproc *p, int fd)
{
	if (cloexec_spared(p, fd))
		return;
	int fl = fcntl(fd, F_GETFD);
	if (fl >= 0 && (fl & FD_CLOEXEC))
		cloexec_close(p, fd);
}

static void close_on_exec_walk(struct uproc *p)
{
	int top = __atomic_load_n(&p->fd_top, __ATOMIC_RELAXED);
	if (top >= fd_floor)
		top = fd_floor - 1;
	for (int fd = 0; fd <= top; fd++)
		cloexec_try(p, fd);
	struct rlimit rl;
	long end = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < INT_MAX ? (long)rl.rlim_cur
									      : INT_MAX;
	for (long fd = fd_floor + RUNTIME_FDS; fd < end; fd++)
		cloexec_try(p, (int)fd);
}

static void close_on_exec(struct uproc *p)
{
	DIR *d = opendir("/proc/thread-self/fd");
	if (!d) {
		if (trace_syscalls)
			ulog("ufork: execve: /proc/thread-self/fd: %s; trying each fd\n", strerror(errno));
		close_on_exec_walk(p);
		return;
	}
	int dfd = dirfd(d);
	struct dirent *e;
	for (;;) {
		errno = 0;
		if (!(e = readdir(d)))
			break;
		if (e->d_name[0] == '.')
			continue;
		int fd = atoi(e->d_name);
		if (fd != dfd)
			cloexec_try(p, fd);
	}
	int err = errno;
	closedir(d);
	if (err) {	/* the listing failed part-way: try every fd */
		if (trace_syscalls)
			ulog("ufork: execve: reading /proc/thread-self/fd: %s; trying each fd\n",
			     strerror(err));
		close_on_exec_walk(p);
	}
}

static void release_vfork_parent(struct uproc *p)
{
	if (p->vfork_parent) {
		sem_post(&p->vfork_parent->vfork_done);
		p->vfork_parent = NULL;
	}
}

/* On exit of a vfork child that never exec'd. */
void exec_vfork_exit(struct uproc *p)
{
	release_vfork_parent(p);
}

static long do_execve(struct sysctx *c, const char *path, uintptr_t uargv, uintptr_t uenvp)
{
	struct uthread *t = c->t;
	struct uproc *p = t->p;
	struct strv argv = { 0 }, envp = { 0 };
	struct image *img = NULL;
	int r = strv_init(&argv);
	if (!r)
		r = strv_init(&envp);
	if (!r)
		r = copy_strv(p, uargv, &argv);
	if (!r)
		r = copy_strv(p, uenvp, &envp);
	if (!r) {
		fd_sync(t);
		r = open_image(path, &argv, &img, 0);
	}
	if (r < 0)
		goto out;

	/* the point of no return */
	other_threads_exit(t);
	struct image *old = p->img;
	proc_drop_shared(p);
	pthread_mutex_lock(&p->lock);
	if (p->borrowed) {	/* a vfork child: leave the parent's memory alone */
		struct slot s;
		if (slot_alloc(&s, NULL, NULL) < 0) {
			pthread_mutex_unlock(&p->lock);
			image_put(img);
			r = -EAGAIN;
			goto out;
		}
		p->slot = s;
		p->borrowed = 0;
	} else {
		lazy_exit(p);
		arena_reserve(p->slot.base, p->slot.size);
	}
	vma_free(&p->vmas);
	p->img = img;
	p->resident_hint = 0;
	for (int s = 1; s <= 64; s++) {
		struct ksigaction *ka = &p->act[s];
		if (ka->handler != (uintptr_t)SIG_IGN)
			ka->handler = (uintptr_t)SIG_DFL;
		ka->flags = 0;
		ka->restorer = 0;
		ka->mask = 0;
	}
	pthread_mutex_unlock(&p->lock);
	image_put(old);
	long sp = proc_load(p, argv.v, envp.v);
	release_vfork_parent(p);
	if (sp < 0)
		proc_exit(t, SIGSEGV);
	close_on_exec(p);
	t->altstack = (struct kstack){ 0, SS_DISABLE, 0 };
	t->clear_child_tid = 0;
	t->robust_list = 0;

	/* enter the new program: fresh registers, FPU in its initial state */
	greg_t *g = c->uc->uc_mcontext.gregs;
	greg_t csgsfs = g[REG_CSGSFS];
	memset(g, 0, sizeof(greg_t) * NGREG);
	g[REG_CSGSFS] = csgsfs;
	g[REG_RIP] = p->slot.base + p->img->entry;
	g[REG_RSP] = sp;
	g[REG_EFL] = 0x202;
	unsigned char *fp = (unsigned char *)frame_fpregs(c->uc);
	memset(fp, 0, 464);			/* legacy area, before sw_reserved */
	*(uint16_t *)fp = 0x37f;		/* FCW */
	*(uint32_t *)(fp + 24) = 0x1f80;	/* MXCSR */
	if (xstate_size(fp) > 512)
		memset(fp + 512, 0, 64);	/* XSAVE header: every component initial */
	t->blk->u_fs = 0;
	c->keep_regs = 1;
	r = 0;
out:
	strv_free(&argv);
	strv_free(&envp);
	return r;
}

long sys_execve(struct sysctx *c, long a[6])
{
	char path[4096];
	long n = strncpy_from_user(c->t->p, path, a[0], sizeof path);
	if (n < 0)
		return n;
	if (!n)
		return -ENOENT;
	procfs_exec_path(c->t, path, path, sizeof path);	/* /proc/self/exe */
	return do_execve(c, path, a[1], a[2]);
}

long sys_execveat(struct sysctx *c, long a[6])
{
	char rel[4096], path[4200];
	long n = strncpy_from_user(c->t->p, rel, a[1], sizeof rel);
	if (n < 0)
		return n;
	int fd = a[0], flags = a[4];
	if (flags & ~(AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW))
		return -EINVAL;
	if (!n && (flags & AT_EMPTY_PATH))
		snprintf(path, sizeof path, "/proc/thread-self/fd/%d", fd);
	else if (rel[0] == '/' || fd == AT_FDCWD)
		snprintf(path, sizeof path, "%s", rel);
	else
		snprintf(path, sizeof path, "/proc/thread-self/fd/%d/%s", fd, rel);
	if (!path[0])
		return -ENOENT;
	return do_execve(c, path, a[2], a[3]);
}

/*
 * vfork: SYS_vfork, or clone(CLONE_VM|CLONE_VFORK[, stack]).  The child runs
 * on its own host thread in the parent's memory; the parent's thread waits
 * until the child execs or exits.
 */
long sys_vfork(struct sysctx *c, long a[6])
{
	struct uthread *t = c->t;
	struct uproc *p = t->p;
	uintptr_t stack = c->nr == SYS_clone ? (uintptr_t)a[1] : 0;
	if (!proc_count_ok())
		return -EAGAIN;
	struct uproc *child = proc_new_borrowed(p);
	if (!child)
		return -EAGAIN;
	pthread_mutex_lock(&p->lock);
	memcpy(child->act, p->act, sizeof child->act);
	pthread_mutex_unlock(&p->lock);
	struct uthread *ct = thread_new(child, child->pid);
	if (!ct) {
		proc_discard(child);
		return -EAGAIN;
	}
	greg_t *g = c->uc->uc_mcontext.gregs;
	memcpy(ct->start.gregs, g, sizeof ct->start.gregs);
	ct->start.gregs[REG_RAX] = 0;
	if (stack)
		ct->start.gregs[REG_RSP] = stack;
	ct->start.fs = t->blk->u_fs;
	ct->mask = t->mask;
	ct->new_fdctx = 1;
	ct->ready = &t->fdsem;
	child->vfork_parent = t;
	int pid = child->pid;
	proc_add(child);
	if (thread_spawn(ct) < 0)
		return -EAGAIN;
	t->fd_pending++;
	fd_sync(t);
	while (sem_wait(&t->vfork_done) < 0 && errno == EINTR)
		;
	return pid;
}
