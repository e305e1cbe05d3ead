/*
 * uaccess.c - the only way the runtime reads or writes µprocess memory.
 *
 * A range must lie inside the µprocess's slot or the shared area; the copy
 * itself runs in entry.S (ufork_copy_user), whose faults the runtime's fault
 * handler turns into -EFAULT by instruction pointer.  A range check alone
 * would race with a sibling thread's munmap.
 */
#include <errno.h>

#include "ufork.h"

int user_range_ok(struct uproc *p, uintptr_t addr, size_t len)
{
	uintptr_t lo = p->slot.base, hi = p->slot.base + p->slot.size;
	if (addr + len < addr)
		return 0;
	if (addr >= lo && addr + len <= hi)
		return 1;
	return in_shared_area(addr, len);
}

int copy_from_user(struct uproc *p, void *dst, uintptr_t src, size_t n)
{
	if (!user_range_ok(p, src, n))
		return -EFAULT;
	return ufork_copy_user(dst, (const void *)src, n);
}

int copy_to_user(struct uproc *p, uintptr_t dst, const void *src, size_t n)
{
	if (!user_range_ok(p, dst, n))
		return -EFAULT;
	return ufork_copy_user((void *)dst, src, n);
}

/* Copies a NUL-terminated string of at most n-1 bytes; -ENAMETOOLONG if longer. */
long strncpy_from_user(struct uproc *p, char *dst, uintptr_t src, size_t n)
{
	size_t avail = p->slot.base + p->slot.size - src;
	if (!user_range_ok(p, src, 1))
		return -EFAULT;
	if (src >= p->slot.base && src < p->slot.base + p->slot.size && avail < n)
		n = avail;
	long r = ufork_strncpy_user(dst, (const char *)src, n);
	if (r < 0)
		return r;
	if ((size_t)r == n)
		return n == avail ? -EFAULT : -ENAMETOOLONG;
	return r;
}
