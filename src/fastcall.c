/*
 * fastcall.c - the fast syscall entry (--fast-syscalls): the trampoline page
 * at address 0, arming each host thread for it, and the faults of rewritten
 * sites.
 *
 * rewrite.c turns `syscall` sites into `call *%rax`, which jumps to the
 * address equal to the syscall number.  Page 0 holds a sled that carries
 * every number below TRAMP_JMP to the code at TRAMP_STUB, a jump to
 * ufork_fast_entry (entry.S), which builds the kernel's SIGSYS frame itself
 * and joins the trapped path: about 10 times cheaper than a SIGSYS.  Syscall
 * User Dispatch stays armed for every site that was not rewritten.
 *
 * Invariants:
 *  - page 0 is mapped read+exec before any µprocess runs and never changes;
 *    writes to NULL still fault, reads of [0, 4096) do not (no execute-only
 *    memory without protection keys): why the option is opt-in;
 *  - every host thread that runs µprocess code has its GS base at its
 *    tblock (fastcall_thread) and is armed (fastcall_arm) by its start trap,
 *    before any µprocess instruction runs; µprocesses cannot move GS through
 *    arch_prctl (sys_thread.c);
 *  - a rewritten site that cannot make its call (no stack below rsp, a
 *    number that is no address of the sled) faults; fastcall_fault runs the
 *    syscall then as if it had trapped.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <asm/prctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ufork.h"

int fast_syscalls;

/*
 * The page.  [0, TRAMP_JMP) is the sled, which carries every syscall number
 * (Linux has fewer than 480) to a `jmp` at TRAMP_JMP, and that to the code
 * at the end of the page, TRAMP_STUB: `movabs $ufork_fast_entry, %r11;
 * jmp *%r11`.  Everything between is hlt, which faults in user mode:
 * fastcall_fault answers ENOSYS for those numbers.  The jmp's displacement
 * bytes (numbers TRAMP_JMP+1 to +4) are fb 0d 00 00: sti, `or $imm,%eax`,
 * `add %al,(%rax)`, `add %dh,%ah` - each faults at once or runs into hlt,
 * so those numbers end in ENOSYS too.  Only numbers TRAMP_STUB+1 to +12
 * (4081-4092) land inside the code's bytes: far from any syscall.
 * A plain nop sled would make `read` (number 0) run ~500 nops.  Instead
 * [0, TRAMP_HOPS) repeats the two bytes eb 48: entered on eb, it is
 * `jmp .+74`; entered on 48, it is `rex.W jmp .+75` (48 eb 48).  Either way
 * it lands on an eb again, until it lands in the nops of
 * [TRAMP_HOPS, TRAMP_JMP), at least 80 bytes long so that no hop jumps past
 * them.  Flags and registers are untouched throughout.
 */
#define TRAMP_JMP 496
#define TRAMP_HOPS 400
#define TRAMP_STUB (PAGE_SIZE - 16)

static void tramp_fill(unsigned char *pg)
{
	memset(pg, 0xf4, PAGE_SIZE);	/* hlt: faults in user mode */
	for (unsigned i = 0; i < TRAMP_HOPS; i += 2) {
		pg[i] = 0xeb;
		pg[i + 1] = 0x48;
	}
	memset(pg + TRAMP_HOPS, 0x90, TRAMP_JMP - TRAMP_HOPS);
	int32_t rel = TRAMP_STUB - (TRAMP_JMP + 5);	/* 0xdfb: fb 0d 00 00 */
	pg[TRAMP_JMP] = 0xe9;		/* jmp rel32 */
	memcpy(pg + TRAMP_JMP + 1, &rel, 4);
	unsigned char *c = pg + TRAMP_STUB;
	uint64_t stub = (uintptr_t)ufork_fast_entry;
	*c++ = 0x49;			/* movabs $ufork_fast_entry, %r11 */
	*c++ = 0xbb;
	memcpy(c, &stub, 8);
	c += 8;
	*c++ = 0x41;			/* jmp *%r11 */
	*c++ = 0xff;
	*c++ = 0xe3;
}

/* Moves the filled page tmp to address 0, where nothing may be mapped yet:
 * reserved first (the step the kernel checks against vm.mmap_min_addr), then
 * replaced.  Returns the new address (0) or MAP_FAILED. */
static void *map_page0(void *tmp)
{
	void *r = mmap(NULL, PAGE_SIZE, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (r == MAP_FAILED)
		return r;
	if (r != NULL) {	/* an old kernel ignoring NOREPLACE */
		munmap(r, PAGE_SIZE);
		errno = EEXIST;
		return MAP_FAILED;
	}
	return mremap(tmp, PAGE_SIZE, PAGE_SIZE, MREMAP_MAYMOVE | MREMAP_FIXED, r);
}

int fastcall_init(char *err, size_t errlen)
{
	unsigned char *tmp = mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (tmp == MAP_FAILED) {
		snprintf(err, errlen, "--fast-syscalls: mmap: %s", strerror(errno));
		return -1;
	}
	tramp_fill(tmp);
	mprotect(tmp, PAGE_SIZE, PROT_READ | PROT_EXEC);
	/* Below vm.mmap_min_addr only with CAP_SYS_RAWIO, which writing that
	 * sysctl needs too: nothing to lower on the user's behalf. */
	if (map_page0(tmp) == MAP_FAILED) {
		snprintf(err, errlen, "--fast-syscalls: cannot map the syscall trampoline at "
			 "address 0 (%s): needs root (CAP_SYS_RAWIO) or vm.mmap_min_addr = 0",
			 strerror(errno));
		munmap(tmp, PAGE_SIZE);
		return -1;
	}
	fast_syscalls = 1;
	return 0;
}

/* On the host thread itself, before it runs µprocess code: the GS base at
 * the block.  With arch_prctl(ARCH_SET_GS), never wrgsbase: the runtime's
 * text holds no WRGSBASE that µprocess code could jump to (under isolation
 * the stubs trust the GS base: entry.S, CHECK_BLOCK). */
void fastcall_thread(struct tblock *b)
{
	syscall(SYS_arch_prctl, ARCH_SET_GS, (uintptr_t)b);
}

/* From the thread's start trap: a real SIGSYS frame of the kernel, made from
 * off the alternate stack, exactly where every later one goes. */
void fastcall_arm(struct tblock *b, ucontext_t *uc)
{
	const unsigned char *fp = (const unsigned char *)uc->uc_mcontext.fpregs;
	uint32_t magic1, xsize;
	uintptr_t part = (uintptr_t)b + ALTSTACK_SIZE - ALTSTACK_FRAME_PART;
	if ((uintptr_t)fp < part || (uintptr_t)fp % 64 ||
	    (uintptr_t)fp + 576 > (uintptr_t)b + ALTSTACK_SIZE)
		return;		/* not where the kernel writes frames */
	memcpy(&magic1, fp + 464, 4);
	memcpy(&xsize, fp + 464 + 16, 4);
	if (magic1 != 0x46505853U || xsize < 576 || (uintptr_t)fp + xsize > (uintptr_t)b + ALTSTACK_SIZE)
		return;		/* not armed: ufork_fast_entry refuses (SIGSEGV) */
	memcpy(b->swbytes, fp + 464, sizeof b->swbytes);
	memcpy(&b->xmask, fp + 464 + 8, 8);
	b->xsize = xsize;
	b->fast_fp = (uintptr_t)fp;
	b->fast_sp = (uintptr_t)&uc->uc_mcontext.gregs[REG_CSGSFS];
	b->sigmask = ((struct kucontext *)uc)->uc_sigmask;
	b->self = b;
}

/* Did the µprocess break ufork_fast_entry (see entry.S)? */
int fastcall_broken(uintptr_t ip)
{
	return fast_syscalls &&
	       ((ip >= (uintptr_t)ufork_fast_entry && ip < (uintptr_t)ufork_fast_checked) ||
		ip == (uintptr_t)ufork_fast_bad);
}

static int is_site(struct uproc *p, uintptr_t addr)
{
	uintptr_t off = addr - p->slot.base;
	return p->img && off < p->img->span && rewrite_is_site(p->img, off);
}

/*
 * A fault of µprocess code that is a rewritten site failing to make its call:
 *  - at the site itself: the call could not push its return address (the
 *    stack below rsp is gone, as after musl's __unmapself) or its target is
 *    not canonical (a number >= 2^47);
 *  - at the target: the number is no address of the sled (past TRAMP_JMP,
 *    below 2^47, not mapped executable); [rsp] is then the return address.
 * Either way the call is finished as the trapped `syscall` would have been.
 * Returns 0 if the fault is something else.
 */
int fastcall_fault(struct uthread *t, int sig, ucontext_t *uc)
{
	if (!fast_syscalls || (sig != SIGSEGV && sig != SIGILL))
		return 0;
	struct uproc *p = t->p;
	greg_t *g = uc->uc_mcontext.gregs;
	uintptr_t rip = g[REG_RIP], ret;
	if (sig == SIGILL && rip >= PAGE_SIZE)
		return 0;	/* only the trampoline's bytes count */
	if (is_site(p, rip)) {
		g[REG_RIP] = rip + 2;
	} else {
		if (rip >= PAGE_SIZE && rip != (uintptr_t)g[REG_RAX])
			return 0;
		if (copy_from_user(p, &ret, g[REG_RSP], sizeof ret) || !is_site(p, ret - 2))
			return 0;
		if (rip < PAGE_SIZE)	/* ran into the trampoline's code: no number */
			g[REG_RAX] = -1;
		g[REG_RIP] = ret;
		g[REG_RSP] += 8;
	}
	g[REG_RCX] = g[REG_RIP];
	g[REG_R11] = g[REG_EFL];
	syscall_run(t, uc);
	return 1;
}
