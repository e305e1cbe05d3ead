/*
 * sys_mem.c - memory system calls, confined to the µprocess's slot.
 *
 * Private memory lives only inside the slot; MAP_SHARED mappings go to the
 * shared area (one address for every sharer, never copied by fork).  Every
 * change is made on the host with MAP_FIXED over the arena's PROT_NONE
 * reservation and recorded in the µprocess's vma list; an unmapped range goes
 * back to PROT_NONE, never to a hole (a hole could receive runtime memory).
 * A request outside the slot is refused as Linux refuses an unmappable
 * address.  Caller-visible errors follow mmap(2).  RLIMIT_AS and RLIMIT_DATA
 * are checked (rlimit.c) where Linux checks them: mmap, brk, growing mremap,
 * mprotect making private memory writable.
 */
#include <errno.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/mman.h>

#include "ufork.h"

static int in_slot(struct uproc *p, uintptr_t a, size_t len)
{
	return a >= p->slot.base && a + len >= a && a + len <= p->slot.base + p->slot.size;
}

static int in_user(struct uproc *p, uintptr_t a, size_t len)
{
	return in_slot(p, a, len) || in_shared_area(a, len);
}

void drop_shared_range(struct uproc *p, uintptr_t start, uintptr_t end);

/* Does p itself map every page of [addr, addr+len)?  (The shared area also
 * holds other µprocesses' mappings.) */
static int own_range(struct uproc *p, uintptr_t addr, size_t len)
{
	pthread_mutex_lock(&p->lock);
	int mine = vma_covered(&p->vmas, addr, addr + len);
	pthread_mutex_unlock(&p->lock);
	return mine;
}

static long host_mmap(uintptr_t a, size_t len, int prot, int flags, int fd, long off)
{
	if (syscall(SYS_mmap, a, len, prot, flags, fd, off) == -1)
		return -errno;
	pkey_apply(a, len, prot);	/* a new mapping is on key 0 */
	return (long)a;
}

long sys_mmap(struct sysctx *c, long a[6])
{
	struct uproc *p = c->t->p;
	if (p->borrowed)
		return -ENOMEM;	/* a vfork child must not remap its parent */
	uintptr_t addr = a[0];
	size_t len = PAGE_UP(a[1]);
	int prot = a[2], flags = a[3], fd = a[4];
	long off = a[5];
	int type = flags & MAP_TYPE;
	int fixed = flags & (MAP_FIXED | MAP_FIXED_NOREPLACE);

	if (!a[1] || len < (size_t)a[1] || (off & (PAGE_SIZE - 1)))
		return -EINVAL;
	if (type != MAP_PRIVATE && type != MAP_SHARED && type != MAP_SHARED_VALIDATE)
		return -EINVAL;
	if (flags & MAP_ANONYMOUS)
		fd = -1, off = 0;
	if (fixed && (addr & (PAGE_SIZE - 1)))
		return -EINVAL;
	if (fixed && !in_user(p, addr, len))
		return -ENOMEM;
	int shared = type != MAP_PRIVATE;
	if (pkey_exec_prot_ok(prot, shared))
		return -EACCES;	/* W^X under isolation (pkey.c) */
	int hflags = (flags & ~(MAP_FIXED_NOREPLACE | MAP_32BIT | MAP_GROWSDOWN)) | MAP_FIXED;

	if (fixed && in_shared_area(addr, len) &&
	    (!shared || shared_users(addr, addr + len) > 1))
		return -ENOMEM;	/* would replace memory other µprocesses map */
	pthread_mutex_lock(&p->lock);
	uintptr_t at = 0;
	if (fixed) {
		at = addr;
		if ((flags & MAP_FIXED_NOREPLACE) && !(flags & MAP_FIXED)) {
			for (uintptr_t q = at; q < at + len; q += PAGE_SIZE)
				if (vma_find(&p->vmas, q)) {
					pthread_mutex_unlock(&p->lock);
					return -EEXIST;
				}
		}
	} else if (addr && !shared && in_slot(p, PAGE_DOWN(addr), len) &&
		   vma_find_gap(&p->vmas, PAGE_DOWN(addr), PAGE_DOWN(addr) + len, len)) {
		at = PAGE_DOWN(addr);	/* the hint is free */
	} else if (shared) {
		at = shared_alloc(len);
	} else {
		at = vma_find_gap_aligned(&p->vmas, p->mmap_lo, p->mmap_hi, len,
					  fd < 0 ? lazy_align(len) : PAGE_SIZE);
	}
	if (!at) {
		pthread_mutex_unlock(&p->lock);
		return -ENOMEM;
	}
	if (!rlimit_vm_ok(p, at, len, vma_is_data(prot, hflags, shared ? VMA_SHARED : VMA_ANON) &&
					  !(flags & MAP_GROWSDOWN))) {
		if (!fixed && shared)
			shared_ref(at, at + len, -1);	/* give the fresh range back */
		pthread_mutex_unlock(&p->lock);
		return -ENOMEM;	/* RLIMIT_AS or RLIMIT_DATA */
	}
	int in_area = in_shared_area(at, len);
	if (fixed && in_area)
		drop_shared_range(p, at, at + len);	/* this process's own, replaced */
	else if (fixed)
		lazy_touch(p, at, len, LAZY_DROP);
	long r;
	if ((prot & PROT_EXEC) && ufork_pkru_on) {
		/* scanned before it is executable: mapped readable, then made so */
		r = host_mmap(at, len, PROT_READ, hflags, fd, off);
		if (r >= 0 && fd >= 0) {
			struct stat st;
			size_t n = fstat(fd, &st) ? 0 : st.st_size <= off ? 0
				   : st.st_size - off < (long)len ? (size_t)(st.st_size - off) : len;
			if (pkey_code_ok(p, at, n))
				r = -EACCES;
		}
		if (r >= 0 && syscall(SYS_mprotect, at, len, prot))
			r = -errno;
		if (r >= 0)
			pkey_apply(at, len, prot);
		else if (r == -EACCES && !fixed)
			arena_reserve(at, len);
	} else {
		r = host_mmap(at, len, prot, hflags, fd, off);
	}
	if (r >= 0) {
		vma_insert(&p->vmas, at, at + len, prot, hflags & ~MAP_FIXED,
			   shared ? VMA_SHARED : fd >= 0 ? VMA_FILE : VMA_ANON);
		if (fixed && in_area)
			shared_claim(at, at + len);	/* a new range of its own */
	} else if (fixed) {
		vma_remove(&p->vmas, at, at + len);	/* MAP_FIXED may have unmapped */
	} else if (shared) {
		shared_ref(at, at + len, -1);		/* give the fresh range back */
	}
	pthread_mutex_unlock(&p->lock);
	if (r < 0 && fixed)
		arena_reserve(at, len);
	return r;
}

long sys_munmap(struct sysctx *c, long a[6])
{
	struct uproc *p = c->t->p;
	if (p->borrowed)
		return -ENOMEM;	/* a vfork child must not remap its parent */
	uintptr_t addr = a[0];
	size_t len = PAGE_UP(a[1]);
	if ((addr & (PAGE_SIZE - 1)) || !a[1] || len < (size_t)a[1])
		return -EINVAL;
	if (!in_user(p, addr, len))
		return -EINVAL;
	pthread_mutex_lock(&p->lock);
	int r = 0;
	if (in_shared_area(addr, len))
		drop_shared_range(p, addr, addr + len);	/* others may still map it */
	else {
		lazy_touch(p, addr, len, LAZY_DROP);
		if (!(r = arena_reserve(addr, len)))
			vma_remove(&p->vmas, addr, addr + len);
	}
	pthread_mutex_unlock(&p->lock);
	return r;
}

/* With p->lock held: p stops mapping its shared-area pages in [start, end). */
void drop_shared_range(struct uproc *p, uintptr_t start, uintptr_t end)
{
	for (int i = 0; i < p->vmas.n; i++) {
		struct vma *v = &p->vmas.v[i];
		if (v->kind != VMA_SHARED || v->end <= start || v->start >= end ||
		    !in_shared_area(v->start, v->end - v->start))
			continue;
		uintptr_t s = v->start > start ? v->start : start;
		uintptr_t e = v->end < end ? v->end : end;
		shared_ref(s, e, -1);
	}
	vma_remove(&p->vmas, start, end);
}

/* Exit, exec: drop every shared-area mapping of p. */
void proc_drop_shared(struct uproc *p)
{
	pthread_mutex_lock(&p->lock);
	drop_shared_range(p, ARENA_BASE, ARENA_BASE + SHARED_AREA_SIZE);
	pthread_mutex_unlock(&p->lock);
}

long sys_mprotect(struct sysctx *c, long a[6])
{
	struct uproc *p = c->t->p;
	if (p->borrowed)
		return -ENOMEM;	/* a vfork child must not remap its parent */
	uintptr_t addr = a[0];
	size_t len = PAGE_UP(a[1]);
	if ((addr & (PAGE_SIZE - 1)) || len < (size_t)a[1])
		return -EINVAL;
	if (!len)
		return 0;
	if (!in_user(p, addr, len))
		return -ENOMEM;
	/* one address space, one set of page protections: a shared mapping that
	 * other µprocesses map too cannot change for this one alone */
	if (in_shared_area(addr, len) && shared_users(addr, addr + len) > 1)
		return -EACCES;
	if (pkey_exec_prot_ok(a[2], in_shared_area(addr, len)))
		return -EACCES;	/* W^X under isolation (pkey.c) */
	pthread_mutex_lock(&p->lock);
	long r = -ENOMEM;
	if (vma_covered(&p->vmas, addr, addr + len) &&
	    rlimit_mprotect_ok(p, addr, addr + len, a[2])) {
		r = 0;
		if ((a[2] & PROT_EXEC) && ufork_pkru_on) {
			/* no longer writable, then scanned, then executable; a
			 * range refused stays read-only */
			r = syscall(SYS_mprotect, addr, len, PROT_READ) ? -errno : 0;
			if (!r && pkey_code_ok(p, addr, len)) {
				r = -EACCES;
				vma_protect(&p->vmas, addr, addr + len, PROT_READ);
				pkey_apply(addr, len, PROT_READ);
			}
		}
		if (!r)
			r = syscall(SYS_mprotect, addr, len, a[2]) ? -errno : 0;
		lazy_touch(p, addr, len, LAZY_KEEP);
		if (!r) {
			vma_protect(&p->vmas, addr, addr + len, a[2]);
			/* PROT_EXEC alone would move it to the kernel's execute-only key */
			pkey_apply(addr, len, a[2]);
		}
	}
	pthread_mutex_unlock(&p->lock);
	return r;
}

long sys_madvise(struct sysctx *c, long a[6])
{
	struct uproc *p = c->t->p;
	if ((a[0] & (PAGE_SIZE - 1)) || a[1] < 0)
		return -EINVAL;
	if (!in_user(p, a[0], PAGE_UP(a[1])))
		return -ENOMEM;
	if (!own_range(p, a[0], PAGE_UP(a[1])))
		return -ENOMEM;
	long r = syscall(SYS_madvise, a[0], a[1], a[2]) ? -errno : 0;
	if (r == 0 && (a[2] == MADV_DONTNEED || a[2] == MADV_FREE || a[2] == MADV_REMOVE ||
		       a[2] == 24 /* MADV_DONTNEED_LOCKED */))
		lazy_touch(p, a[0], PAGE_UP(a[1]), LAZY_DROP);	/* they read as zero now */
	int set = 0, clear = 0;
	switch (a[2]) {	/* what our fork must honour */
	case MADV_DONTFORK: set = VMA_DONTFORK; break;
	case MADV_DOFORK: clear = VMA_DONTFORK; break;
	case MADV_WIPEONFORK: set = VMA_WIPEONFORK; break;
	case MADV_KEEPONFORK: clear = VMA_WIPEONFORK; break;
	}
	if (r == 0 && (set || clear)) {
		pthread_mutex_lock(&p->lock);
		vma_set_flags(&p->vmas, a[0], a[0] + PAGE_UP(a[1]), set, clear);
		pthread_mutex_unlock(&p->lock);
	}
	return r;
}

/*
 * mremap without ever leaving a hole: growing in place maps the extension
 * over the reservation; moving uses MREMAP_DONTUNMAP (the old range stays
 * mapped, empty) and then re-reserves the old range.  Growing works for
 * private anonymous memory; other mappings can shrink or keep their size.
 */
/*
 * Growing a private file mapping: more of the file must appear, so the host
 * kernel does it.  In place (the range after it is free in our map), our
 * reservation there is released first so that the host can extend into it;
 * moved (to `to` in the slot, 0: no room), the host replaces the
 * reservation there.  What fails puts the reservation back.  Caller holds
 * p->lock.
 */
static long mremap_file(struct uproc *p, const struct vma *cur, uintptr_t old, size_t osz,
			size_t nsz, int in_place, uintptr_t to)
{
	if (in_place) {
		munmap((void *)(old + osz), nsz - osz);
		if (syscall(SYS_mremap, old, osz, nsz, 0) == -1) {
			int e = errno;
			arena_reserve(old + osz, nsz - osz);
			return -e;
		}
		vma_insert(&p->vmas, old + osz, old + nsz, cur->prot, cur->flags, VMA_FILE);
		return old;
	}
	if (!to || (to < old + osz && old < to + nsz))
		return to ? -EINVAL : -ENOMEM;
	if (syscall(SYS_mremap, old, osz, nsz, MREMAP_MAYMOVE | MREMAP_FIXED, to) == -1)
		return -errno;
	arena_reserve(old, osz);
	vma_remove(&p->vmas, old, old + osz);
	vma_insert(&p->vmas, to, to + nsz, cur->prot, cur->flags, VMA_FILE);
	return to;
}

/*
 * mremap of a shared-area mapping, which other µprocesses may map too at the
 * same address: it must not change under them.  Shrinking drops the tail
 * from this µprocess's map only.  Growing or moving makes a new mapping of
 * the same pages for this µprocess alone (mremap with an old size of 0): at
 * a fresh shared-area range, or at a MREMAP_FIXED address in its slot; then
 * it stops mapping the old range, which its other sharers keep.  Without
 * MREMAP_MAYMOVE a shared mapping cannot grow (ENOMEM), even where Linux
 * would find the next addresses free.
 */
static long mremap_shared(struct uproc *p, uintptr_t old, size_t osz, size_t nsz, int flags,
			  uintptr_t want)
{
	long r;
	pthread_mutex_lock(&p->lock);
	struct vma *v = vma_find(&p->vmas, old);
	if (!v || v->kind != VMA_SHARED || !vma_covered(&p->vmas, old, old + osz)) {
		r = -EFAULT;
		goto out;
	}
	struct vma cur = *v;
	if (!(flags & MREMAP_FIXED) && nsz <= osz) {
		if (nsz < osz)
			drop_shared_range(p, old + nsz, old + osz);
		r = old;
		goto out;
	}
	if (!(flags & MREMAP_MAYMOVE)) {
		r = -ENOMEM;
		goto out;
	}
	if (!rlimit_vm_ok(p, 0, nsz > osz ? nsz - osz : 0, 0)) {
		r = -ENOMEM;
		goto out;
	}
	uintptr_t to = (flags & MREMAP_FIXED) ? want : shared_alloc(nsz);
	if (!to) {
		r = -ENOMEM;
		goto out;
	}
	if (syscall(SYS_mremap, old, 0, nsz, MREMAP_MAYMOVE | MREMAP_FIXED, to) != -1)
		pkey_apply(to, nsz, cur.prot);	/* the copy keeps the old key */
	else {
		r = -errno;
		if (flags & MREMAP_FIXED)
			arena_reserve(to, nsz);
		else
			shared_ref(to, to + nsz, -1);	/* give the fresh range back */
		goto out;
	}
	drop_shared_range(p, old, old + osz);
	vma_insert(&p->vmas, to, to + nsz, cur.prot, cur.flags, VMA_SHARED);
	r = to;
out:
	pthread_mutex_unlock(&p->lock);
	return r;
}

long sys_mremap(struct sysctx *c, long a[6])
{
	struct uproc *p = c->t->p;
	if (p->borrowed)
		return -ENOMEM;	/* a vfork child must not remap its parent */
	uintptr_t old = a[0], want = a[4];
	size_t osz = PAGE_UP(a[1]), nsz = PAGE_UP(a[2]);
	int flags = a[3];
	if ((old & (PAGE_SIZE - 1)) || !nsz || nsz < (size_t)a[2] ||
	    (flags & ~(MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP)) ||
	    ((flags & MREMAP_FIXED) && !(flags & MREMAP_MAYMOVE)) || (flags & MREMAP_DONTUNMAP))
		return -EINVAL;
	if (!osz || !in_user(p, old, osz))
		return -EFAULT;
	if ((flags & MREMAP_FIXED) && ((want & (PAGE_SIZE - 1)) || !in_slot(p, want, nsz)))
		return -EINVAL;
	if (in_shared_area(old, osz))
		return mremap_shared(p, old, osz, nsz, flags, want);

	long r;
	pthread_mutex_lock(&p->lock);
	lazy_touch(p, old, osz, LAZY_FILL);	/* the host moves what is there */
	/* Linux wants one vma; ours are not merged, the host's are: accept a run
	 * of regions alike in kind and protection */
	struct vma *v = vma_find(&p->vmas, old);
	int alike = v && vma_covered(&p->vmas, old, old + osz);
	for (uintptr_t at = v ? v->end : 0; alike && at < old + osz;) {
		struct vma *w = vma_find(&p->vmas, at);
		alike = w->prot == v->prot && w->kind == v->kind && w->flags == v->flags;
		at = w->end;
	}
	if (!alike) {
		r = -EFAULT;
		goto out;
	}
	struct vma cur = *v;
	int anon = cur.kind == VMA_ANON || cur.kind == VMA_BRK || cur.kind == VMA_STACK ||
		   cur.kind == VMA_IMAGE;
	if (nsz > osz && !rlimit_vm_ok(p, 0, nsz - osz, vma_is_data(cur.prot, cur.flags, cur.kind))) {
		r = -ENOMEM;	/* RLIMIT_AS or RLIMIT_DATA, before moving (vma_to_resize) */
		goto out;
	}
	if (!(flags & MREMAP_FIXED) && nsz <= osz) {
		if (nsz < osz) {
			arena_reserve(old + nsz, osz - nsz);
			vma_remove(&p->vmas, old + nsz, old + osz);
		}
		r = old;
		goto out;
	}
	if (!anon && cur.kind != VMA_FILE) {
		r = -ENOMEM;	/* MAP_SHARED inside the slot */
		goto out;
	}
	int room = !(flags & MREMAP_FIXED) && in_slot(p, old, nsz) &&
		   vma_find_gap(&p->vmas, old + osz, old + nsz, nsz - osz) == old + osz;
	if (!anon) {	/* a private file mapping: the host grows or moves it */
		if (room)
			r = mremap_file(p, &cur, old, osz, nsz, 1, 0);
		else if (!(flags & MREMAP_MAYMOVE))
			r = -ENOMEM;
		else
			r = mremap_file(p, &cur, old, osz, nsz, 0, (flags & MREMAP_FIXED) ? want
				: vma_find_gap(&p->vmas, p->mmap_lo, p->mmap_hi, nsz));
		goto out;
	}
	if (room) {
		r = host_mmap(old + osz, nsz - osz, cur.prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
			      -1, 0);
		if (r >= 0) {
			vma_insert(&p->vmas, old + osz, old + nsz, cur.prot,
				   MAP_PRIVATE | MAP_ANONYMOUS, VMA_ANON);
			r = old;
		}
		goto out;
	}
	if (!(flags & MREMAP_MAYMOVE)) {
		r = -ENOMEM;
		goto out;
	}
	uintptr_t to = (flags & MREMAP_FIXED) ? want
		       : vma_find_gap(&p->vmas, p->mmap_lo, p->mmap_hi, nsz);
	if (!to || (to < old + osz && old < to + nsz)) {
		r = to ? -EINVAL : -ENOMEM;
		goto out;
	}
	size_t keep = osz < nsz ? osz : nsz;
	lazy_touch(p, to, nsz, LAZY_DROP);	/* what was there is replaced */
	if (syscall(SYS_mremap, old, keep, keep, MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP,
		    to) == -1) {
		r = -errno;
		goto out;
	}
	if (nsz > keep)
		host_mmap(to + keep, nsz - keep, cur.prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
			  -1, 0);
	arena_reserve(old, osz);
	vma_remove(&p->vmas, old, old + osz);
	vma_insert(&p->vmas, to, to + nsz, cur.prot, MAP_PRIVATE | MAP_ANONYMOUS, VMA_ANON);
	r = to;
out:
	pthread_mutex_unlock(&p->lock);
	return r;
}

long sys_brk(struct sysctx *c, long a[6])
{
	struct uproc *p = c->t->p;
	uintptr_t want = a[0];
	pthread_mutex_lock(&p->lock);
	if (want < p->brk_start || want > p->brk_max || !rlimit_brk_ok(p, want))
		goto out;
	uintptr_t oend = PAGE_UP(p->brk_cur), nend = PAGE_UP(want);
	if (nend > oend) {
		if (vma_find_gap(&p->vmas, oend, nend, nend - oend) != oend)
			goto out;	/* something is mapped in the way */
		if (!rlimit_vm_ok(p, 0, nend - oend, 1))
			goto out;	/* RLIMIT_AS or RLIMIT_DATA */
		if (host_mmap(oend, nend - oend, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) < 0)
			goto out;
		vma_insert(&p->vmas, oend, nend, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, VMA_BRK);
	} else if (nend < oend) {
		lazy_touch(p, nend, oend - nend, LAZY_DROP);
		arena_reserve(nend, oend - nend);
		vma_remove(&p->vmas, nend, oend);
	}
	p->brk_cur = want;
out:
	want = p->brk_cur;
	pthread_mutex_unlock(&p->lock);
	return want;
}

/* msync, mincore, mlock, munlock, mlock2: forwarded once the range is the
 * caller's own. */
long sys_mem_range(struct sysctx *c, long a[6])
{
	struct uproc *p = c->t->p;
	if (a[0] & (PAGE_SIZE - 1))
		return -EINVAL;
	if (!in_user(p, a[0], PAGE_UP(a[1])))
		return -ENOMEM;
	return own_range(p, a[0], PAGE_UP(a[1])) ? sys_forward(c, a) : -ENOMEM;
}
