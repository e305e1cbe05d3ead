/*
 * trace.c - --trace: one line per µprocess syscall, strace-style, written to
 * the runtime's own copy of stderr (the µprocess may close or redirect fd 2).
 * Each line is built in a buffer and written with one write(2), so lines of
 * concurrent threads do not interleave.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ufork.h"

int log_fd = 2;

void ulog(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof buf - 1)
		n = sizeof buf - 1;
	if (write(log_fd, buf, n) < 0) {
	}
}

static __thread long args[6];

void trace_enter(struct sysctx *c, long a[6])
{
	memcpy(args, a, sizeof args);
	if (c->nr == SYS_exit || c->nr == SYS_exit_group)	/* they do not return */
		ulog("[%d] %s(%ld) = ?\n", c->t->tid, syscall_name(c->nr), a[0]);
}

void trace_exit(struct sysctx *c, long ret)
{
	char name[24];
	const char *n = syscall_name(c->nr);
	if (!n) {
		snprintf(name, sizeof name, "syscall_%d", c->nr);
		n = name;
	}
	if (c->keep_regs)
		ulog("[%d] %s() = ?\n", c->t->tid, n);
	else if (ret == -512)	/* interrupted: restarted or EINTR on the way out */
		ulog("[%d] %s(%#lx, %#lx, %#lx, %#lx, %#lx, %#lx) = ? ERESTARTSYS\n", c->t->tid, n,
		     args[0], args[1], args[2], args[3], args[4], args[5]);
	else if (ret < 0 && ret > -4096)
		ulog("[%d] %s(%#lx, %#lx, %#lx, %#lx, %#lx, %#lx) = -1 %s (%ld)\n", c->t->tid,
		     n, args[0], args[1], args[2], args[3], args[4], args[5],
		     strerrorname_np(-ret) ? strerrorname_np(-ret) : "E?", ret);
	else
		ulog("[%d] %s(%#lx, %#lx, %#lx, %#lx, %#lx, %#lx) = %#lx\n", c->t->tid, n,
		     args[0], args[1], args[2], args[3], args[4], args[5], ret);
}
