/*
 * tty.c - terminals as µprocesses see them: each µprocess's controlling
 * terminal, and each terminal's controlling session and foreground process
 * group, in µprocess ids, with Linux's job-control rules (tcgetpgrp,
 * tcsetpgrp, tcgetsid, TIOCSCTTY, TIOCNOTTY, TIOCSIG, taking a terminal by
 * opening it, letting go of it when the session leader exits, /dev/tty).
 *
 * The host kernel cannot keep this state: it sees one process (the runtime),
 * which is never a session leader, with host ids.  So the runtime keeps a
 * record per terminal (struct term), named by the slave's device number: an
 * fd of a pty master (/dev/ptmx, 5:2) names its slave (TIOCGPTN), and an fd
 * of /dev/tty (5:0) opened on the host names the runtime's own controlling
 * terminal.  Everything else about terminals (termios, window size, reads
 * and writes) stays with the host.
 *
 * The runtime's own controlling terminal, if it has one (ufork started from
 * a shell), belongs to the first program's session (init's, sid 1) with the
 * first program's group in the foreground, as a shell shows it to a program
 * it starts; what that terminal sends (Ctrl-C, Ctrl-Z) goes to the group in
 * its foreground (proc.c: pass_on).
 *
 * Invariant: uproc.ctty is a µprocess's controlling terminal only while that
 * terminal's session is the µprocess's (term_of); setsid, TIOCNOTTY and the
 * end of a session clear it.  Records are never freed (few terminals), so a
 * stale pointer is harmless.  All of it is guarded by the process-table lock.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <termios.h>
#include <unistd.h>

#include "ufork.h"

struct term {
	dev_t dev;		/* the slave's (or the terminal's) device number */
	int sid;		/* controlling session, 0: none */
	int pgrp;		/* foreground process group, 0: none */
	char *path;		/* where a µprocess opens it again (/dev/tty) */
	struct term *next;
};

static struct term *terms;	/* table lock */
static dev_t host_tty;		/* the runtime's controlling terminal, 0: none */

#define DEV_TTY makedev(5, 0)
#define DEV_CONSOLE makedev(5, 1)
#define DEV_PTMX makedev(5, 2)
#define PTS_MAJOR 136		/* Unix98 pty slaves: 136:N for /dev/pts/N */
#define SIGBIT(sig) (1UL << ((sig) - 1))

static struct term *term_find(dev_t dev)
{
	for (struct term *tm = terms; tm; tm = tm->next)
		if (tm->dev == dev)
			return tm;
	return NULL;
}

static struct term *term_get(dev_t dev)
{
	struct term *tm = term_find(dev);
	if (!tm && (tm = calloc(1, sizeof *tm))) {
		tm->dev = dev;
		tm->next = terms;
		terms = tm;
	}
	return tm;
}

/* p's controlling terminal, or NULL (table lock held). */
static struct term *term_of(struct uproc *p)
{
	struct term *tm = p->ctty;
	return tm && tm->sid && tm->sid == p->sid ? tm : NULL;
}

/*
 * Which terminal fd is: its key and whether fd is a pty master.  -EBADF,
 * or -ENOTTY for anything that is not a terminal.  raw gets the device
 * number the fd itself names (5:0 for /dev/tty).
 */
static long term_identify(long fd, dev_t *key, int *master, dev_t *raw)
{
	struct stat st;
	struct termios tio;
	if (fd < 0 || fd > INT_MAX || is_runtime_fd(fd))
		return -EBADF;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISCHR(st.st_mode) || ioctl(fd, TCGETS, &tio) < 0)
		return -ENOTTY;
	*raw = *key = st.st_rdev;
	*master = 0;
	if (st.st_rdev == DEV_PTMX) {
		unsigned int n;
		if (ioctl(fd, TIOCGPTN, &n) < 0)
			return -ENOTTY;
		*key = makedev(PTS_MAJOR, n);
		*master = 1;
	} else if (st.st_rdev == DEV_TTY) {
		if (!host_tty)
			return -ENOTTY;	/* another process's terminal: unknown */
		*key = host_tty;	/* the runtime's: only it opens the host's /dev/tty */
	}
	return 0;
}

/* Where fd's terminal can be opened again (for /dev/tty), malloc'ed. */
static char *term_path(long fd, int master, dev_t key)
{
	char link[64], buf[PATH_MAX];
	if (master) {
		snprintf(buf, sizeof buf, "/dev/pts/%u", minor(key));
		return strdup(buf);
	}
	snprintf(link, sizeof link, "/proc/thread-self/fd/%ld", fd);
	ssize_t n = readlink(link, buf, sizeof buf - 1);
	if (n <= 0)
		return NULL;
	buf[n] = 0;
	return strdup(buf);
}

/* p's session takes tm, with p's group in the foreground (table lock). */
static void term_take(struct uproc *p, struct term *tm, char *path)
{
	tm->sid = p->sid;
	tm->pgrp = p->pgid;
	if (path) {
		free(tm->path);
		tm->path = path;
	}
	p->ctty = tm;
}

/* Sends sig to every live member of group pgid (table lock). */
static void signal_group(int pgid, int sig, int code, int from)
{
	siginfo_t si;
	memset(&si, 0, sizeof si);
	si.si_signo = sig;
	si.si_code = code;
	if (code == SI_USER) {
		si.si_pid = from;
		si.si_uid = getuid();
	}
	for (struct uproc *q = proc_table_first(); q; q = q->next_all)
		if (!q->zombie && q->pgid == pgid)
			signal_raise(q, 0, sig, &si);
}

/* The session lets go of tm: nobody in it has it any more (table lock). */
static void term_release(struct term *tm)
{
	for (struct uproc *q = proc_table_first(); q; q = q->next_all)
		if (q->sid == tm->sid && q->ctty == tm)
			q->ctty = NULL;
	tm->sid = 0;
	tm->pgrp = 0;
}

/* Would group pgid be orphaned: no member has a parent in another group of
 * the same session (parents that are init do not count)?  Table lock. */
static int group_orphaned(int pgid)
{
	struct uproc *all = proc_table_first();
	for (struct uproc *q = all; q; q = q->next_all) {
		if (q->zombie || q->pgid != pgid || q->ppid == 1)
			continue;
		for (struct uproc *parent = all; parent; parent = parent->next_all)
			if (parent->pid == q->ppid) {
				if (parent->pgid != pgid && parent->sid == q->sid)
					return 0;
				break;
			}
	}
	return 1;
}

/* The session of process group (or, failing that, process) n; -ESRCH when
 * neither exists.  Zombies still count, as on Linux. */
static int session_of(int n)
{
	int by_pid = -ESRCH;
	for (struct uproc *q = proc_table_first(); q; q = q->next_all) {
		if (q->pgid == n)
			return q->sid;
		if (q->pid == n)
			by_pid = q->sid;
	}
	return by_pid;
}

/* CAP_SYS_ADMIN in the calling thread's effective set (credentials are per
 * host thread, i.e. per µprocess). */
static int cap_sys_admin(void)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];
	if (syscall(SYS_capget, &h, d) < 0)
		return 0;
	return !!(d[0].effective & (1U << CAP_SYS_ADMIN));
}

/*
 * tcsetpgrp from a background group of the terminal's session: allowed when
 * the caller blocks or ignores SIGTTOU; refused (ENOTTY, Linux's EIO) from an
 * orphaned group; otherwise the caller's group gets SIGTTOU and the call is
 * restarted or fails with EINTR once the signal is handled.  Table lock.
 */
static long background_check(struct uthread *t, struct term *tm)
{
	struct uproc *p = t->p;
	if (!tm->pgrp || tm->pgrp == p->pgid)
		return 0;
	pthread_mutex_lock(&p->lock);
	int ignored = (t->mask & SIGBIT(SIGTTOU)) ||
		      p->act[SIGTTOU].handler == (uintptr_t)SIG_IGN;
	pthread_mutex_unlock(&p->lock);
	if (ignored)
		return 0;
	if (group_orphaned(p->pgid))
		return -ENOTTY;
	signal_group(p->pgid, SIGTTOU, SI_KERNEL, 0);
	return -512;	/* ERESTARTSYS */
}

static long tiocspgrp(struct uthread *t, dev_t key, uintptr_t arg)
{
	struct uproc *p = t->p;
	struct term *tm;
	long r = 0;
	int pgrp;
	proc_table_lock();
	if ((tm = term_of(p)) && tm->dev == key)
		r = background_check(t, tm);
	proc_table_unlock();
	if (r)
		return r;
	if (copy_from_user(p, &pgrp, arg, sizeof pgrp))
		return -EFAULT;
	if (pgrp < 0)
		return -EINVAL;
	proc_table_lock();
	if (!(tm = term_of(p)) || tm->dev != key) {
		r = -ENOTTY;
	} else {
		int sid = session_of(pgrp);
		r = sid < 0 ? sid : sid != p->sid ? -EPERM : 0;
		if (!r)
			tm->pgrp = pgrp;
	}
	proc_table_unlock();
	return r;
}

static long tiocsctty(struct uthread *t, long fd, dev_t key, int master, long arg)
{
	struct uproc *p = t->p;
	int admin = cap_sys_admin();
	int flags = fcntl(fd, F_GETFL);
	int readable = flags >= 0 && ((flags & O_ACCMODE) == O_RDONLY ||
				      (flags & O_ACCMODE) == O_RDWR);
	char *path = term_path(fd, master, key);
	long r = 0;
	proc_table_lock();
	struct term *tm = term_find(key);
	int leader = p->sid == p->pid;
	if (leader && tm && tm->sid == p->sid)
		goto out;	/* already ours */
	if (!leader || term_of(p)) {
		r = -EPERM;
		goto out;
	}
	if (tm && tm->sid) {	/* another session's */
		if (arg != 1 || !admin) {
			r = -EPERM;
			goto out;
		}
		term_release(tm);
	}
	if (!readable && !admin) {
		r = -EPERM;
		goto out;
	}
	if (!tm && !(tm = term_get(key))) {
		r = -ENOMEM;
		goto out;
	}
	term_take(p, tm, path);
	path = NULL;
out:
	proc_table_unlock();
	free(path);
	return r;
}

/* TIOCNOTTY: a session leader gives the terminal up for its whole session
 * (its foreground group gets SIGHUP and SIGCONT); anyone else only for
 * itself. */
static long tiocnotty(struct uproc *p, dev_t key, int master)
{
	long r = 0;
	proc_table_lock();
	struct term *tm = term_of(p);
	if (master || !tm || tm->dev != key) {
		r = -ENOTTY;
	} else if (p->sid == p->pid) {
		if (tm->pgrp) {
			signal_group(tm->pgrp, SIGHUP, SI_USER, p->pid);
			signal_group(tm->pgrp, SIGCONT, SI_USER, p->pid);
		}
		term_release(tm);
	}
	p->ctty = r ? p->ctty : NULL;
	proc_table_unlock();
	return r;
}

static long job_control(struct sysctx *c, long a[6])
{
	struct uthread *t = c->t;
	struct uproc *p = t->p;
	unsigned int cmd = a[1];
	dev_t key, raw;
	int master, v = 0;
	long r = term_identify((unsigned int)a[0], &key, &master, &raw);
	if (r < 0)
		return r;
	switch (cmd) {
	case TIOCSPGRP:
		return tiocspgrp(t, key, a[2]);
	case TIOCSCTTY:
		return tiocsctty(t, (unsigned int)a[0], key, master, a[2]);
	case TIOCNOTTY:
		return tiocnotty(p, key, master);
	}
	/* TIOCGPGRP, TIOCGSID: of the caller's controlling terminal, or of any
	 * pty through its master */
	proc_table_lock();
	struct term *tm = term_of(p);
	if (!master && (!tm || tm->dev != key))
		r = -ENOTTY;
	else if (!(tm = term_find(key)) || !tm->sid)
		r = cmd == TIOCGSID ? -ENOTTY : 0;	/* no foreground group: 0 */
	else
		v = cmd == TIOCGSID ? tm->sid : tm->pgrp;
	proc_table_unlock();
	if (r < 0)
		return r;
	return copy_to_user(p, a[2], &v, sizeof v);
}

/* TIOCSIG on a pty master: the host checks the signal and flushes input, but
 * knows no foreground group; the runtime sends the signal to its own. */
static long tiocsig(struct sysctx *c, long a[6])
{
	dev_t key, raw;
	int master, sig = a[2];
	long r = sys_forward(c, a);
	if (r < 0 || sig < 1 || sig > 64 ||
	    term_identify((unsigned int)a[0], &key, &master, &raw) < 0 || !master)
		return r;
	proc_table_lock();
	struct term *tm = term_find(key);
	if (tm && tm->sid && tm->pgrp)
		signal_group(tm->pgrp, sig, SI_KERNEL, 0);
	proc_table_unlock();
	return r;
}

/* ioctl: job-control requests are answered here, everything else goes to
 * the host unchanged. */
long sys_ioctl(struct sysctx *c, long a[6])
{
	switch ((unsigned int)a[1]) {
	case TIOCGPGRP: case TIOCSPGRP: case TIOCGSID: case TIOCSCTTY: case TIOCNOTTY:
		return job_control(c, a);
	case TIOCSIG:
		return tiocsig(c, a);
	case TIOCGPTPEER: {	/* opens the slave: may make it the controlling tty */
		long r = sys_forward(c, a);
		if (r >= 0)
			tty_opened(c->t, r, a[2]);
		return r;
	}
	}
	return sys_forward(c, a);
}

/*
 * After a successful open of fd with flags: a session leader without a
 * controlling terminal that opens one (not O_NOCTTY, with read access, not a
 * pty master, /dev/tty or /dev/console) takes it, if no session has it.
 */
void tty_opened(struct uthread *t, long fd, int flags)
{
	struct uproc *p = t->p;
	int acc = flags & O_ACCMODE;
	if ((flags & (O_NOCTTY | O_PATH)) || (acc != O_RDONLY && acc != O_RDWR) ||
	    p->sid != p->pid || __atomic_load_n(&p->ctty, __ATOMIC_RELAXED))
		return;
	dev_t key, raw;
	int master;
	if (term_identify(fd, &key, &master, &raw) < 0 || master || raw == DEV_TTY ||
	    raw == DEV_CONSOLE || raw == makedev(4, 0))
		return;
	char *path = term_path(fd, 0, key);
	proc_table_lock();
	struct term *tm = term_find(key);
	if (p->sid == p->pid && !term_of(p) && (!tm || !tm->sid) && (tm || (tm = term_get(key)))) {
		term_take(p, tm, path);
		path = NULL;
	}
	proc_table_unlock();
	free(path);
}

/* open("/dev/tty") (the path at a[idx]): the caller's controlling terminal,
 * or ENXIO.  Only the runtime's own terminal is the host's /dev/tty; others
 * are opened again by the path they were taken with. */
long tty_open_current(struct sysctx *c, long a[6], int idx)
{
	char *path = NULL;
	proc_table_lock();
	struct term *tm = term_of(c->t->p);
	int host = tm && tm->dev == host_tty;
	if (tm && !host && tm->path)
		path = strdup(tm->path);
	proc_table_unlock();
	if (!tm)
		return -ENXIO;
	if (host)
		return sys_forward(c, a);
	if (!path)
		return -ENXIO;
	long b[6] = { a[0], a[1], a[2], a[3], a[4], a[5] };
	b[idx] = (long)path;
	long r = host_syscall_cancellable(c->t, c->nr, b);
	free(path);
	return r;
}

/* An exiting session leader: its terminal's foreground group gets SIGHUP
 * and the session loses the terminal (as Linux does for a pty).  Table
 * lock held. */
void tty_leader_exit_locked(struct uproc *p)
{
	struct term *tm = term_of(p);
	if (!tm)
		return;
	if (tm->pgrp)
		signal_group(tm->pgrp, SIGHUP, SI_KERNEL, 0);
	term_release(tm);
}

/* The foreground group of the runtime's own terminal, 0 if none (table
 * lock held): where what that terminal sends goes. */
int tty_host_fg_locked(void)
{
	struct term *tm = host_tty ? term_find(host_tty) : NULL;
	return tm && tm->sid ? tm->pgrp : 0;
}

/* At start-up: the runtime's controlling terminal (tty_nr in its
 * /proc/self/stat) becomes the first program's, in init's session. */
void tty_init(struct uproc *first)
{
	char buf[1024];
	const char *f = host_stat_fields("/proc/self/stat", buf, sizeof buf);
	unsigned int tty_nr = 0;
	if (!f || sscanf(f, "%*c %*d %*d %*d %u", &tty_nr) != 1 || !tty_nr)
		return;
	host_tty = tty_nr;	/* the kernel's encoding is dev_t's low 32 bits */
	proc_table_lock();
	struct term *tm = term_get(host_tty);
	if (tm) {
		tm->sid = first->sid;
		tm->pgrp = first->pgid;
		first->ctty = tm;
	}
	proc_table_unlock();
}
