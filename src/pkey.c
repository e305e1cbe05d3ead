/*
 * pkey.c - isolation between µprocesses with memory protection keys (MPK).
 *
 * The level is chosen with --isolation=none|fault|full (default none):
 *  - none: µprocesses and the runtime share every page, as today;
 *  - fault: each µprocess slot under its own protection key, PKRU switched
 *    on every entry to and exit from the runtime, executable code scanned
 *    for WRPKRU/XRSTOR, pointers passed to syscalls checked against the
 *    caller's slot;
 *  - full: fault, plus no window between what the runtime checks and what
 *    the kernel uses: a path the runtime looked at is forwarded from its
 *    copy, and a file is opened through an O_PATH fd checked first
 *    (procfs.c), where fault checks the new fd after the open.
 *
 * This file owns the level, the start-up check that the CPU and the kernel
 * provide protection keys, and (later) the key map.  Protection keys need
 * CPUID.(EAX=7,ECX=0):ECX.OSPKE (the CPU has PKU and the kernel set
 * CR4.PKE) and a working pkey_alloc(2); a host without them runs only at
 * level none, and asking for more fails at start-up with one line.
 *
 * The key map (fault and full):
 *  - key 0: the runtime (its static data, heap, thread stacks, text);
 *    µprocess code runs with key 0 access-disabled;
 *  - key_ro: the first page of every alternate signal stack (struct tblock:
 *    the SUD selector the kernel reads under the µprocess's PKRU);
 *    µprocesses may read it, not write it;
 *  - key_shared: the shared area (MAP_SHARED mappings), open to all;
 *  - slot keys, the rest: slot i carries slot_keys[i % nslot_keys], and so
 *    does part of the alternate stack of each host thread while it runs
 *    that slot's code:
 *     - where the host writes signal frames under the PKRU in force (6.1):
 *       the frame part, its top ALTSTACK_FRAME_PART bytes, where those
 *       frames land;
 *     - where it opens every key while it writes them (6.12 and later,
 *       ufork_frames_open, probed at start-up): only the exit pad page
 *       (ALTSTACK_EXIT_PAD), from which the way out of a syscall pops the
 *       last registers under the µprocess's PKRU; every frame is then on
 *       key 0, out of reach of the µprocess and of its sibling threads.
 *    The rest of the alternate stack stays key 0: the runtime's C code runs
 *    there (entry.S), so a sibling thread cannot rewrite its return
 *    addresses.  Slots whose indexes agree modulo nslot_keys share a key
 *    and are not isolated from each other.
 * The runtime runs with PKRU 0 (every key open); the entry stubs load it
 * first, the way out loads tblock.upkru after an xrstor that leaves PKRU
 * out (entry.S).  pkey_apply gives a new mapping of slot or shared memory
 * its key: mmap gives every new mapping key 0, mprotect and mremap keep it.
 */
#include "ufork.h"

#include <asm/prctl.h>
#include <cpuid.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/rseq.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <signal.h>
#include <unistd.h>

int isolation = ISOLATION_NONE;

const char *isolation_name(int level)
{
	switch (level) {
	case ISOLATION_FAULT: return "fault";
	case ISOLATION_FULL: return "full";
	default: return "none";
	}
}

int isolation_parse(const char *s)
{
	if (!strcmp(s, "none"))
		return ISOLATION_NONE;
	if (!strcmp(s, "fault"))
		return ISOLATION_FAULT;
	if (!strcmp(s, "full"))
		return ISOLATION_FULL;
	return -1;
}

/* 1 if the CPU has PKU, the kernel enabled it and lets us allocate a key;
 * else 0 with the reason in err. */
int pkey_supported(char *err, size_t errlen)
{
	unsigned a, b, c, d;
	if (!__get_cpuid_count(7, 0, &a, &b, &c, &d) || !(c & (1u << 3))) {
		snprintf(err, errlen, "the CPU has no memory protection keys (pku)");
		return 0;
	}
	if (!(c & (1u << 4))) {
		snprintf(err, errlen, "the kernel did not enable memory protection keys (no ospke)");
		return 0;
	}
	long k = syscall(SYS_pkey_alloc, 0UL, 0UL);
	if (k < 0) {
		snprintf(err, errlen, "pkey_alloc: %s", strerror(errno));
		return 0;
	}
	syscall(SYS_pkey_free, k);
	return 1;
}

int isolation_check(char *err, size_t errlen)
{
	if (isolation == ISOLATION_NONE)
		return 0;
	char why[256];
	if (!pkey_supported(why, sizeof why)) {
		snprintf(err, errlen, "--isolation=%s needs memory protection keys: %s",
			 isolation_name(isolation), why);
		return -1;
	}
	return 0;
}

#define MAX_SLOT_KEYS 16
unsigned char ufork_pkru_on;
unsigned char ufork_frames_open;
static int key_ro, key_shared;
static int slot_keys[MAX_SLOT_KEYS], nslot_keys;

/* The block the GS base of a runtime thread names until it runs µprocess
 * code (and again after): selector ALLOW, for ufork_pkru_open's check. */
struct tblock pkey_runtime_block = { .selector = SUD_ALLOW, .block = &pkey_runtime_block };

void pkey_runtime_gs(void)
{
	if (ufork_pkru_on)
		syscall(SYS_arch_prctl, ARCH_SET_GS, (uintptr_t)&pkey_runtime_block);
}

/* glibc registers an rseq area in each thread's TLS (key 0).  The kernel
 * writes it on the way back to user mode after a preemption or a signal,
 * under the PKRU in force: from µprocess code that is a failed write and a
 * forced SIGSEGV.  Under isolation host threads have none (sched_getcpu
 * falls back to getcpu). */
static void no_rseq(void)
{
	if (!__rseq_size)
		return;
	/* registered with the whole struct rseq (32 bytes), not __rseq_size */
	char *area = (char *)__builtin_thread_pointer() + __rseq_offset;
	if (syscall(SYS_rseq, area, 32, 1 /* RSEQ_FLAG_UNREGISTER */, 0x53053053) < 0)
		syscall(SYS_rseq, area, __rseq_size, 1, 0x53053053);	/* (EINVAL: none) */
}

/*
 * µprocess code can jump anywhere in the runtime's text (protection keys
 * do not guard instruction fetch), so every WRPKRU, XRSTOR or WRGSBASE
 * there is a way to another PKRU.  Those of entry.S are followed by checks
 * that leave a µprocess thread nothing (entry.S: CHECK_BLOCK, exit_pkru,
 * ufork_pkru_open, ufork_pkru_bad); any other one (glibc's lazy-binding
 * trampolines _dl_runtime_resolve_xsave*, which a static runtime never
 * runs, restore with XRSTOR then jump through a register) makes its page
 * not executable.  A page the runtime did need would then fault at once,
 * with ufork's internal-error line.
 */
extern char __executable_start[], etext[], ufork_entry_text[], ufork_entry_text_end[];
static int hide_stray_gadgets(void)
{
	const unsigned char *t = (const unsigned char *)__executable_start;
	size_t n = (size_t)(etext - __executable_start);
	long at;
	for (size_t off = 0; off < n && (at = pkey_scan_code(t + off, n - off)) >= 0;
	     off += at + 1) {
		uintptr_t a = (uintptr_t)t + off + at;
		if (a >= (uintptr_t)ufork_entry_text && a < (uintptr_t)ufork_entry_text_end)
			continue;
		uintptr_t lo = PAGE_DOWN(a), hi = PAGE_UP(a + 3);
		if (mprotect((void *)lo, hi - lo, PROT_READ) < 0)
			return -1;
		if (trace_syscalls)
			ulog("ufork: --isolation: runtime page %#lx not executable (a PKRU-changing "
			     "instruction at %#lx)\n", lo, a);
	}
	return 0;
}

/*
 * Does the host write signal frames with every key open (Linux 6.12: "enable
 * all pkeys before XSAVE")?  A child whose alternate stack is on a key its
 * PKRU denies (pkey_alloc with PKEY_DISABLE_ACCESS denies it to the caller,
 * no WRPKRU needed) raises a signal whose handler leaves at once without
 * touching the stack: delivered, it exits 0; on older kernels the frame
 * cannot be written and the child dies of SIGSEGV.
 */
void ufork_probe_exit(int sig);
__asm__(".text\n.type ufork_probe_exit, @function\nufork_probe_exit:\n"
	"\tmov $231, %eax\n\txor %edi, %edi\n\tsyscall\n\tud2\n"	/* exit_group(0) */
	".size ufork_probe_exit, .-ufork_probe_exit\n");
static int host_writes_frames_open(void)
{
	pid_t c = fork();
	if (c < 0)
		return 0;
	if (c == 0) {
		/* (every key is taken: this copy gives one back first) */
		syscall(SYS_pkey_free, (long)key_shared);
		long k = syscall(SYS_pkey_alloc, 0UL, 1UL /* PKEY_DISABLE_ACCESS */);
		size_t len = 1 << 16;
		void *alt = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (k < 0 || alt == MAP_FAILED ||
		    syscall(SYS_pkey_mprotect, alt, len, PROT_READ | PROT_WRITE, k) < 0)
			_exit(2);
		stack_t ss = { .ss_sp = alt, .ss_size = len };
		struct sigaction sa = { .sa_handler = ufork_probe_exit, .sa_flags = SA_ONSTACK };
		sigset_t usr1;
		sigemptyset(&usr1);
		sigaddset(&usr1, SIGUSR1);
		if (sigaltstack(&ss, NULL) < 0 || sigaction(SIGUSR1, &sa, NULL) < 0 ||
		    sigprocmask(SIG_UNBLOCK, &usr1, NULL) < 0)
			_exit(2);
		syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), SIGUSR1);
		_exit(3);
	}
	int st = -1;
	while (waitpid(c, &st, 0) < 0 && errno == EINTR)
		;
	return st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

/* At start-up, in the main thread before any other thread exists (each
 * later one opens the keys itself: pkey_runtime_thread). */
int isolation_init(char *err, size_t errlen)
{
	if (isolation == ISOLATION_NONE)
		return 0;
	key_ro = syscall(SYS_pkey_alloc, 0UL, 0UL);
	key_shared = syscall(SYS_pkey_alloc, 0UL, 0UL);
	long k;
	while (nslot_keys < MAX_SLOT_KEYS && (k = syscall(SYS_pkey_alloc, 0UL, 0UL)) >= 0)
		slot_keys[nslot_keys++] = k;
	if (key_ro < 0 || key_shared < 0 || nslot_keys < 1) {
		snprintf(err, errlen, "--isolation=%s: too few protection keys",
			 isolation_name(isolation));
		return -1;
	}
	/* pkey_alloc with access rights 0 opened each key to this thread:
	 * its PKRU is the runtime's already (no WRPKRU needed) */
	if (hide_stray_gadgets() < 0) {
		snprintf(err, errlen, "--isolation=%s: cannot make the runtime's stray "
			 "PKRU-changing code unexecutable: %s", isolation_name(isolation),
			 strerror(errno));
		return -1;
	}
	no_rseq();
	ufork_frames_open = host_writes_frames_open();
	if (trace_syscalls)
		ulog("ufork: --isolation: the host writes signal frames %s\n", ufork_frames_open ?
		     "with every key open: they stay on key 0" : "under the PKRU in force: the "
		     "frame part of each alternate stack is on the µprocess's key");
	ufork_pkru_on = 1;
	pkey_runtime_gs();
	return 0;
}

/* A new host thread: PKRU 0, the runtime's (6.1 starts threads with the
 * kernel's init PKRU, under which the SUD selector's key is denied and every
 * syscall would end in SIGSEGV). */
void pkey_runtime_thread(void)
{
	if (!ufork_pkru_on)
		return;
	pkey_runtime_gs();
	ufork_pkru_open();	/* the checked WRPKRU 0 (entry.S) */
	no_rseq();
}

/* In a runtime handler, PKRU already the runtime's: the host signal mask
 * the handler would have had without isolation (sud.c blocks all while it
 * starts), i.e. the interrupted one plus extra. */
void pkey_handler_mask(void *ucv, uint64_t extra)
{
	if (!ufork_pkru_on)
		return;
	ucontext_t *uc = ucv;
	uint64_t m;
	memcpy(&m, &uc->uc_sigmask, sizeof m);
	m |= extra;
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &m, NULL, 8);
}

static int pkey_of_slot(int slot)
{
	return slot_keys[slot % nslot_keys];
}

/* PKRU of code of a slot with key k: k and the shared key open, the block
 * key read-only, every other key (0 included) access-disabled. */
static uint32_t upkru_of(int k)
{
	uint32_t v = 0xffffffffu;
	v &= ~(3u << (2 * k));
	v &= ~(3u << (2 * key_shared));
	v &= ~(1u << (2 * key_ro));	/* AD clear, WD kept */
	return v;
}

static void set_key(uintptr_t a, size_t len, int prot, int key)
{
	if (syscall(SYS_pkey_mprotect, a, len, prot, key) < 0)
		ulog("ufork: pkey_mprotect %#lx+%#zx key %d: %s\n", a, len, key, strerror(errno));
}

void pkey_apply(uintptr_t addr, size_t len, int prot)
{
	if (!ufork_pkru_on || !len)
		return;
	int slot = slot_index_of(addr);
	if (slot >= 0)
		set_key(addr, len, prot, pkey_of_slot(slot));
	else if (in_shared_area(addr, len))
		set_key(addr, len, prot, key_shared);
	else if (!(addr & (ALTSTACK_SIZE - 1)) && len == PAGE_SIZE)
		set_key(addr, len, prot, key_ro);	/* a struct tblock (sud.c) */
}

void pkey_thread(struct tblock *b, int slot)
{
	if (!ufork_pkru_on)
		return;
	int k = pkey_of_slot(slot);
	b->upkru = upkru_of(k);
	if (b->ukey != k) {
		if (ufork_frames_open)
			set_key((uintptr_t)b + ALTSTACK_EXIT_PAD, PAGE_SIZE, PROT_READ | PROT_WRITE, k);
		else
			set_key((uintptr_t)b + ALTSTACK_SIZE - ALTSTACK_FRAME_PART,
				ALTSTACK_FRAME_PART, PROT_READ | PROT_WRITE, k);
		b->ukey = k;
	}
}

/*
 * The code scan (ERIM): a µprocess must not be able to execute an
 * instruction that changes PKRU.  Two do from user mode:
 *  - WRPKRU, 0F 01 EF;
 *  - XRSTOR / XRSTOR64, 0F AE /5 with a memory operand (ModRM mod != 3;
 *    mod = 3 with reg 5 is LFENCE), under any prefixes, REX.W included:
 *    with bit 9 of its mask it loads PKRU from memory.
 * Nor one that moves the GS base, through which the entry stubs find the
 * block of the host thread they run on (entry.S: a block a µprocess could
 * name would give it another thread's PKRU):
 *  - WRGSBASE, F3 0F AE /3 with a register operand (ModRM D8-DF; without
 *    the F3 prefix the encoding is undefined, so any 0F AE D8-DF counts).
 * Loading a GS selector can only set the base to 0 (no LDT or TLS
 * descriptors: modify_ldt and set_thread_area are not given to µprocesses),
 * and a stub reading %gs:block then faults.
 * (XRSTORS, 0F C7 /3, faults outside ring 0.)  x86 code can be entered at
 * any byte, so the scan looks at every offset, not at a disassembly: an
 * occurrence inside another instruction's immediate counts, since a jump
 * into it would run it.  Returns the offset of the first occurrence in
 * [code, code + n), or -1.  An instruction split over two mappings is seen
 * only when the caller scans them as one range.
 */
long pkey_scan_code(const unsigned char *code, size_t n)
{
	for (size_t i = 0; i + 3 <= n; i++) {
		if (code[i] != 0x0f)
			continue;
		unsigned char op = code[i + 1], modrm = code[i + 2];
		if (op == 0x01 && modrm == 0xef)
			return i;
		if (op == 0xae && ((modrm >> 3) & 7) == 5 && (modrm >> 6) != 3)
			return i;
		if (op == 0xae && modrm >= 0xd8 && modrm <= 0xdf)
			return i;	/* WRGSBASE */
	}
	return -1;
}

/*
 * Where the scan is applied, under isolation (ufork_pkru_on); a refusal is
 * EACCES, the answer of Linux under a W^X policy (SELinux execmem, PaX):
 *  - the image, at start and at execve: every executable PT_LOAD segment
 *    of the file (elf.c; a sealed memfd copy is what gets mapped, so the
 *    bytes scanned are the bytes run); a segment both writable and
 *    executable is refused too;
 *  - mmap and mprotect with PROT_EXEC (sys_mem.c): writable and executable
 *    at once is refused (W^X), so is PROT_EXEC on shared memory (another
 *    mapping could write it after the scan); otherwise the bytes are scanned
 *    after the mapping exists and before it is executable (mprotect goes
 *    through PROT_READ first), and a hit undoes it.
 * pkey_exec_prot_ok: 0 or -EACCES for the protection alone;
 * pkey_code_ok: 0 or -EACCES for the bytes of [addr, addr + len) of p's
 * memory (read through copy_from_user; memory that cannot be read is refused).
 */
int pkey_exec_prot_ok(int prot, int shared)
{
	if (!ufork_pkru_on || !(prot & PROT_EXEC))
		return 0;
	return (prot & PROT_WRITE) || shared ? -EACCES : 0;
}

int pkey_code_ok(struct uproc *p, uintptr_t addr, size_t len)
{
	if (!ufork_pkru_on)
		return 0;
	unsigned char buf[4096 + 2];
	size_t keep = 0;	/* the last 2 bytes of the previous chunk */
	for (size_t off = 0; off < len;) {
		size_t n = len - off < 4096 ? len - off : 4096;
		if (copy_from_user(p, buf + keep, addr + off, n))
			return -EACCES;
		if (pkey_scan_code(buf, keep + n) >= 0) {
			if (trace_syscalls)
				ulog("ufork: --isolation: WRPKRU, XRSTOR or WRGSBASE in code at "
				     "%#lx+%#zx: refused\n", addr, len);
			return -EACCES;
		}
		off += n;
		size_t have = keep + n;	/* bytes in buf; keep the last 2 */
		keep = have < 2 ? have : 2;
		memmove(buf, buf + have - keep, keep);
	}
	return 0;
}
