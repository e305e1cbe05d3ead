/*
 * locks.c - naming the owner of POSIX record locks.
 *
 * The host kernel keeps fcntl locks with exact semantics, owned per fd table,
 * that is per µprocess.  But F_GETLK names the owner by host pid, which is
 * the runtime's for every µprocess.  This file keeps a shadow record of the
 * ranges each µprocess has locked (set on a successful F_SETLK/F_SETLKW,
 * cut on F_UNLCK, dropped when the process closes the file or exits) and,
 * when the host reports a conflict, answers with the µprocess pid whose
 * record overlaps it.  The shadow only names owners: the kernel decides.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ufork.h"

struct lockrec {
	dev_t dev;
	ino_t ino;
	int pid;
	uint64_t start, end;	/* [start, end), end UINT64_MAX: to EOF and beyond */
	struct lockrec *next;
};

static struct lockrec *recs;
static pthread_mutex_t locks_lock = PTHREAD_MUTEX_INITIALIZER;

/* Removes [s, e) of pid's records on (dev, ino); dev 0 and ino 0: all files. */
static void cut(int pid, dev_t dev, ino_t ino, uint64_t s, uint64_t e)
{
	for (struct lockrec **pp = &recs; *pp;) {
		struct lockrec *r = *pp;
		if (r->pid != pid || (ino && (r->dev != dev || r->ino != ino)) ||
		    r->end <= s || r->start >= e) {
			pp = &r->next;
			continue;
		}
		if (r->start < s && r->end > e) {	/* split in two */
			struct lockrec *tail = malloc(sizeof *tail);
			if (tail) {
				*tail = *r;
				tail->start = e;
				r->next = tail;
			}
			r->end = s;
			pp = &r->next;
		} else if (r->start < s) {
			r->end = s;
			pp = &r->next;
		} else if (r->end > e) {
			r->start = e;
			pp = &r->next;
		} else {
			*pp = r->next;
			free(r);
		}
	}
}

static int range_of(int fd, const struct flock *fl, struct stat *st, uint64_t *s, uint64_t *e)
{
	long base = 0;
	if (fstat(fd, st) < 0)
		return -1;
	if (fl->l_whence == SEEK_CUR)
		base = lseek(fd, 0, SEEK_CUR);
	else if (fl->l_whence == SEEK_END)
		base = st->st_size;
	long start = base + fl->l_start;
	if (fl->l_len > 0) {
		*s = start;
		*e = start + fl->l_len;
	} else if (fl->l_len < 0) {
		*s = start + fl->l_len;
		*e = start;
	} else {
		*s = start;
		*e = UINT64_MAX;
	}
	return 0;
}

/* fcntl(2) lock commands: forwarded, then the shadow is updated or the
 * reported owner translated. */
long locks_fcntl(struct sysctx *c, long a[6])
{
	struct uproc *p = c->t->p;
	struct flock fl;
	long r = sys_forward(c, a);
	if (r < 0 || copy_from_user(p, &fl, a[2], sizeof fl))
		return r;
	struct stat st;
	uint64_t s, e;
	if (a[1] == F_GETLK) {
		if (fl.l_type == F_UNLCK || fl.l_pid != getpid() ||
		    range_of(a[0], &(struct flock){ .l_whence = SEEK_SET, .l_start = fl.l_start,
						    .l_len = fl.l_len }, &st, &s, &e))
			return r;
		pthread_mutex_lock(&locks_lock);
		for (struct lockrec *q = recs; q; q = q->next)
			if (q->pid != p->pid && q->dev == st.st_dev && q->ino == st.st_ino &&
			    q->start < e && q->end > s) {
				fl.l_pid = q->pid;
				break;
			}
		pthread_mutex_unlock(&locks_lock);
		copy_to_user(p, a[2], &fl, sizeof fl);
		return r;
	}
	if (range_of(a[0], &fl, &st, &s, &e))
		return r;
	pthread_mutex_lock(&locks_lock);
	cut(p->pid, st.st_dev, st.st_ino, s, e);
	if (fl.l_type != F_UNLCK) {
		struct lockrec *q = malloc(sizeof *q);
		if (q) {
			*q = (struct lockrec){ st.st_dev, st.st_ino, p->pid, s, e, recs };
			recs = q;
		}
	}
	pthread_mutex_unlock(&locks_lock);
	return r;
}

/* close(2) of any fd of a file drops all of the process's locks on it. */
void locks_close(struct uproc *p, int fd)
{
	struct stat st;
	if (!recs || fstat(fd, &st) < 0)
		return;
	pthread_mutex_lock(&locks_lock);
	cut(p->pid, st.st_dev, st.st_ino, 0, UINT64_MAX);
	pthread_mutex_unlock(&locks_lock);
}

void locks_exit(struct uproc *p)
{
	pthread_mutex_lock(&locks_lock);
	cut(p->pid, 0, 0, 0, UINT64_MAX);
	pthread_mutex_unlock(&locks_lock);
}

/* Whether p holds a record lock (fork then copies its fd table: fdshare.c). */
int locks_held(const struct uproc *p)
{
	int held = 0;
	if (!__atomic_load_n(&recs, __ATOMIC_RELAXED))
		return 0;
	pthread_mutex_lock(&locks_lock);
	for (struct lockrec *q = recs; q && !held; q = q->next)
		held = q->pid == p->pid;
	pthread_mutex_unlock(&locks_lock);
	return held;
}
