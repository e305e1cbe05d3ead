/*
 * sys_signalfd.c - signalfd over virtual signals.  A signalfd is a host
 * eventfd (so poll/epoll/select see it with a real fd number) that the
 * runtime makes readable whenever a signal of its mask is pending for the
 * µprocess; read(2) on it is intercepted and dequeues those signals as
 * struct signalfd_siginfo records.  close(2) forgets it.  Children inherit
 * the registrations with the fds.
 *
 * Invariants: the list is guarded by the µprocess lock; an fd in the list is
 * always the eventfd the runtime created.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ufork.h"

#define BIT(sig) (1UL << ((sig) - 1))

struct sigfd {
	int fd;
	uint64_t mask;
	struct sigfd *next;
};

static struct sigfd *find(struct uproc *p, long fd)
{
	for (struct sigfd *s = p->sigfds; s; s = s->next)
		if (s->fd == fd)
			return s;
	return NULL;
}

/* Empties an eventfd without blocking: the µprocess may have made it
 * blocking (a signalfd without SFD_NONBLOCK). */
static void drain(int fd)
{
	struct pollfd pf = { .fd = fd, .events = POLLIN };
	uint64_t v;
	if (poll(&pf, 1, 0) > 0 && read(fd, &v, 8) < 0) {
	}
}

/* With p->lock held: make each signalfd readable iff a signal of its mask
 * is pending for the process or for thread t (NULL: process only). */
void signalfd_update(struct uproc *p, struct uthread *t)
{
	for (struct sigfd *s = p->sigfds; s; s = s->next) {
		uint64_t pend = (p->pend.set | (t ? t->pend.set : 0)) & s->mask;
		drain(s->fd);
		if (pend) {	/* keep the counter at exactly 1 */
			uint64_t v = 1;
			if (write(s->fd, &v, 8) < 0) {
			}
		}
	}
}

long sys_signalfd4(struct sysctx *c, long a[6])
{
	struct uproc *p = c->t->p;
	uint64_t mask;
	int flags = c->nr == SYS_signalfd ? 0 : a[3];
	if (a[2] != 8 || (flags & ~(SFD_NONBLOCK | SFD_CLOEXEC)))
		return -EINVAL;
	if (copy_from_user(p, &mask, a[1], sizeof mask))
		return -EFAULT;
	mask &= ~(BIT(SIGKILL) | BIT(SIGSTOP));
	fd_sync(c->t);
	pthread_mutex_lock(&p->lock);
	struct sigfd *s = a[0] == -1 ? NULL : find(p, a[0]);
	long r;
	if (a[0] != -1 && !s) {
		r = -EINVAL;
	} else if (s) {
		s->mask = mask;
		r = s->fd;
	} else if (!(s = calloc(1, sizeof *s))) {
		r = -ENOMEM;
	} else {
		/* the µprocess's O_NONBLOCK lives on the fd; ours are non-blocking */
		r = eventfd(0, EFD_NONBLOCK | ((flags & SFD_CLOEXEC) ? EFD_CLOEXEC : 0));
		if (r < 0) {
			r = -errno;
			free(s);
		} else {
			if (!(flags & SFD_NONBLOCK))
				fcntl(r, F_SETFL, fcntl(r, F_GETFL) & ~O_NONBLOCK);
			s->fd = r;
			s->mask = mask;
			s->next = p->sigfds;
			p->sigfds = s;
		}
	}
	if (r >= 0)
		signalfd_update(p, c->t);
	pthread_mutex_unlock(&p->lock);
	return r;
}

long sys_signalfd(struct sysctx *c, long a[6])
{
	return sys_signalfd4(c, a);
}

/* read(2): signalfds are answered here, everything else is forwarded. */
long sys_read(struct sysctx *c, long a[6])
{
	struct uthread *t = c->t;
	struct uproc *p = t->p;
	if (!p->sigfds)
		return sys_forward(c, a);
	pthread_mutex_lock(&p->lock);
	struct sigfd *s = find(p, a[0]);
	pthread_mutex_unlock(&p->lock);
	if (!s)
		return sys_forward(c, a);
	if ((size_t)a[2] < sizeof(struct signalfd_siginfo))
		return -EINVAL;
	for (;;) {
		size_t done = 0;
		pthread_mutex_lock(&p->lock);
		while (done + sizeof(struct signalfd_siginfo) <= (size_t)a[2]) {
			uint64_t hit = (t->pend.set | p->pend.set) & s->mask;
			if (!hit)
				break;
			int sig = __builtin_ctzl(hit) + 1;
			siginfo_t si;
			sigpend_take((t->pend.set & BIT(sig)) ? &t->pend : &p->pend, sig, &si);
			struct signalfd_siginfo ss;
			memset(&ss, 0, sizeof ss);
			ss.ssi_signo = sig;
			ss.ssi_errno = si.si_errno;
			ss.ssi_code = si.si_code;
			ss.ssi_pid = si.si_pid;
			ss.ssi_uid = si.si_uid;
			ss.ssi_status = si.si_status;
			ss.ssi_int = si.si_int;
			ss.ssi_ptr = (uintptr_t)si.si_ptr;
			ss.ssi_addr = (uintptr_t)si.si_addr;
			if (copy_to_user(p, a[1] + done, &ss, sizeof ss))
				break;
			done += sizeof ss;
		}
		signalfd_update(p, t);
		pthread_mutex_unlock(&p->lock);
		if (done)
			return done;
		/* nothing pending: wait on the eventfd as the µprocess asked */
		uint64_t v;
		long args[6] = { s->fd, (long)&v, 8 };
		long r = host_syscall_cancellable(t, SYS_read, args);
		if (r < 0)
			return r;
	}
}

void signalfd_forget(struct uproc *p, long fd)
{
	pthread_mutex_lock(&p->lock);
	for (struct sigfd **pp = &p->sigfds; *pp; pp = &(*pp)->next) {
		if ((*pp)->fd == fd) {
			struct sigfd *dead = *pp;
			*pp = dead->next;
			free(dead);
			break;
		}
	}
	pthread_mutex_unlock(&p->lock);
}

/* fork: the child has the same fds, so the same signalfds. */
int signalfd_fork(struct uproc *parent, struct uproc *child)
{
	for (struct sigfd *s = parent->sigfds; s; s = s->next) {
		struct sigfd *n = malloc(sizeof *n);
		if (!n)
			return -ENOMEM;
		*n = *s;
		n->next = child->sigfds;
		child->sigfds = n;
	}
	return 0;
}

void signalfd_free(struct uproc *p)
{
	while (p->sigfds) {
		struct sigfd *s = p->sigfds;
		p->sigfds = s->next;
		free(s);
	}
}
