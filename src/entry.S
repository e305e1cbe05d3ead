/*
 * entry.S - every way into and out of the runtime from µprocess code.
 *
 * Kinds of entry, one stub each:
 *  - ufork_sigsys_entry: a trapped `syscall` (SIGSYS from Syscall User
 *    Dispatch).  Always interrupts µprocess code, never nests.
 *  - ufork_signal_entry: faults and asynchronous host signals.  May interrupt
 *    µprocess code or the runtime itself, and may nest.
 *  - ufork_fast_entry (--fast-syscalls): a rewritten syscall site, `call
 *    *%rax`, through the trampoline page at address 0.  It builds on the
 *    alternate stack the very frame the kernel would have built for SIGSYS
 *    and joins ufork_sigsys_entry, so everything after it is shared.
 * Both run on the host thread's aligned alternate signal stack; the stub finds
 * the thread's struct tblock by masking %rsp with ALTSTACK_SIZE, switches the
 * SUD selector to ALLOW and the FS base to the runtime's before any C code runs,
 * and puts both back before returning.  Under --isolation each stub first
 * loads the runtime's PKRU (PKRU_RUNTIME) and the way out loads the
 * µprocess's from its block (see pkey.c for the key map).  µprocess code
 * can jump to any instruction here: every WRPKRU and XRSTOR is followed by
 * checks against the block of the host thread that runs it, named by its
 * GS base (which µprocess code cannot move), so that such a jump gets at
 * most the thread's own µprocess PKRU.
 *
 * Two ways to switch the FS base, chosen at start-up (ufork_fsgsbase, set by
 * sud_check from AT_HWCAP2 and --no-fsgsbase):
 *  - FSGSBASE: rdfsbase/wrfsbase, a few nanoseconds;
 *  - without it: the real arch_prctl(ARCH_SET_FS), made from the stub once
 *    the selector says ALLOW.  The µprocess's FS base is then not read on a
 *    SIGSYS: without FSGSBASE it can only move FS through arch_prctl, which
 *    the runtime emulates into tblock.u_fs, so that value is the one in
 *    force.  The signal entry, which may interrupt anything, reads the FS
 *    base in force with arch_prctl(ARCH_GET_FS).
 * The branch on the flag is the same every time: the CPU predicts it.
 *
 * ufork_restorer is the only syscall site the kernel lets through while the
 * selector says BLOCK (the SUD allowed range is [ufork_restorer,
 * ufork_restorer_end)); the kernel checks the address after `syscall`, so the
 * range ends after the trailing ud2.
 *
 * Also here, because their fault and cancel handling depends on exact
 * instruction addresses: the cancellable forwarded syscall and the user-memory
 * copy primitives.
 */

#define ALTSTACK_MASK (-(1 << 18))
#define TB_SELECTOR 0
#define TB_RT_FS 8
#define TB_U_FS 16
#define TB_RECHECK 52
#define TB_UC 56
#define TB_SELF 64
#define TB_FAST_SP 72
#define TB_FAST_FP 80
#define TB_XMASK 88
#define TB_XSIZE 96
#define TB_SIGMASK 104
#define TB_SWBYTES 112
#define TB_BLOCK 160
#define TB_UPKRU 168
#define TB_FWD_RSP 176
#define ALTSTACK_SIZE (1 << 18)
/* Under isolation (pkey.c): the top FRAME_PART bytes of an alternate stack
 * carry the µprocess's key where the host writes signal frames under the
 * PKRU in force (6.1), only the EXIT_PAD page where it opens every key
 * while it writes them (6.12, ufork_frames_open); the rest is the
 * runtime's (key 0): the runtime's C code runs there, below FRAME_PART,
 * where µprocess code cannot write.  On 6.1 a forwarded call waits in the
 * kernel with rsp FWD_ROOM bytes above the frame part's start, so that a
 * signal landing meanwhile has µprocess-key memory below it. */
#define FRAME_PART (1 << 16)
#define FWD_ROOM (24 << 10)
/* The way out's pad (ufork.h: ALTSTACK_EXIT_PAD), a page on the µprocess's
 * key even where frames are on key 0 (pkey.c) */
#define EXIT_PAD (ALTSTACK_SIZE-FRAME_PART+FWD_ROOM)
#define SYS_ARCH_PRCTL 158
#define ARCH_SET_FS 0x1002
#define ARCH_GET_FS 0x1003

/* FS base := \src (a register or memory operand) through arch_prctl, for
 * the path without FSGSBASE.  The selector must say ALLOW.  Clobbers rax,
 * rcx, rsi, rdi, r11. */
.macro SYSCALL_SET_FS src
	mov \src, %rsi
	mov $ARCH_SET_FS, %edi
	mov $SYS_ARCH_PRCTL, %eax
	syscall
.endm

/* Selector := ALLOW, FS base := the runtime's, for a stub on the block at
 * %rax (rsp on its alternate stack, masked again after a syscall: rax is
 * kept).  Clobbers rcx, rsi, rdi, r11. */
.macro ENTER_RUNTIME
	movb $0, TB_SELECTOR(%rax)
	cmpb $0, ufork_fsgsbase(%rip)
	je 1f
	mov TB_RT_FS(%rax), %rcx
	wrfsbase %rcx
	jmp 2f
1:	SYSCALL_SET_FS TB_RT_FS(%rax)
	mov %rsp, %rax
	and $ALTSTACK_MASK, %rax
2:
.endm

/* The µprocess may have set RFLAGS.AC (alignment checking, allowed in user
 * mode); signal delivery keeps it, and runtime code must not run with it. */
.macro CLEAR_AC
	pushfq
	andl $~0x40000, (%rsp)
	popfq
.endm

/*
 * Under --isolation (ufork_pkru_on), the first thing every stub does: PKRU :=
 * 0, the runtime's (every key open).  A handler starts with the kernel's
 * init PKRU (key 0 only), under which the alternate stack (on the µprocess's
 * key) cannot be touched: nothing before this may use the stack.  Reading
 * ufork_pkru_on is fine (key 0).  The check after WRPKRU (ERIM): a jump
 * straight to the WRPKRU with another eax does not get past it.  Clobbers
 * rax, rcx, r8 and flags; rdx (the handler's third argument) survives.
 */
/* PKRU 0 (the runtime's), checked after the WRPKRU; clobbers rax, rcx, rdx */
.macro PKRU_ZERO
	xor %eax, %eax
	xor %ecx, %ecx
	xor %edx, %edx
	wrpkru
	test %eax, %eax
	jnz ufork_pkru_bad
.endm

/* The block at %rax (rsp masked) must be genuine - pointing at itself and
 * outside the arena (µprocesses write only slots, the shared area and the
 * frame part of alternate stacks, whose block page they cannot write) -
 * and this host thread's own: the one its GS base points at (set by the
 * runtime under isolation; µprocess code cannot move GS: no WRGSBASE in
 * its code, arch_prctl(ARCH_SET_GS) refused).  So a µprocess thread that
 * aims rsp at a sibling's alternate stack and jumps into a stub gets no
 * further.  Else ufork_pkru_bad.  Clobbers %rcx. */
.macro CHECK_BLOCK
	cmp %gs:TB_BLOCK, %rax
	jne ufork_pkru_bad
	CHECK_BLOCK_SELF
.endm
.macro CHECK_BLOCK_SELF
	cmp %rax, TB_BLOCK(%rax)
	jne ufork_pkru_bad
	movabs $0x200000000000, %rcx	/* ARENA_BASE */
	cmp %rcx, %rax
	jb 8f
	cmp arena_end(%rip), %rax
	jb ufork_pkru_bad
8:
.endm

.macro PKRU_RUNTIME
	cmpb $0, ufork_pkru_on(%rip)
	je 9f
	mov %rdx, %r8
	PKRU_ZERO
	mov %r8, %rdx
9:
.endm

	.text
	.globl ufork_entry_text, ufork_entry_text_end
ufork_entry_text:

/* void ufork_sigsys_entry(int sig, siginfo_t *si, void *uc) */
	.globl ufork_sigsys_entry, ufork_sigsys_return, ufork_sigsys_return_end
	.globl ufork_sigsys_reenter
	.type ufork_sigsys_entry, @function
ufork_sigsys_entry:
	PKRU_RUNTIME
	CLEAR_AC
	mov %rsp, %rax
	and $ALTSTACK_MASK, %rax
	cmpb $0, ufork_pkru_on(%rip)
	je 3f
	CHECK_BLOCK
	/* and the frame the kernel's: ucontext after the return address (a
	 * jump here with another rdx would have the runtime read and write a
	 * "frame" of the µprocess's choosing), above the exit pad (below it,
	 * the host wrote it where µprocess code pointed rsp: its own fault) */
	lea 8(%rsp), %rcx
	cmp %rcx, %rdx
	jne ufork_pkru_bad
	lea EXIT_PAD+4096(%rax), %rcx
	cmp %rcx, %rsp
	jb sigsys_bad_frame
3:	movb $0, TB_SELECTOR(%rax)
	cmpb $0, ufork_fsgsbase(%rip)
	je 1f
	rdfsbase %rcx
	mov %rcx, TB_U_FS(%rax)
	mov TB_RT_FS(%rax), %rcx
	wrfsbase %rcx
	jmp 2f
1:	mov %rdi, %r12			/* the handler's arguments survive */
	mov %rsi, %r13
	mov %rdx, %r14
	mov %rax, %r15
	SYSCALL_SET_FS TB_RT_FS(%rax)
	mov %r12, %rdi
	mov %r13, %rsi
	mov %r14, %rdx
	mov %r15, %rax
2:	mov %rdx, TB_UC(%rax)		/* the ucontext, for the way back */
	cmpb $0, ufork_pkru_on(%rip)
	je 4f
	/* isolation: C code on the runtime's part of the stack (the frame
	 * stays where the kernel wrote it); rsp as at a handler's entry */
	lea ALTSTACK_SIZE-FRAME_PART-8(%rax), %rsp
4:	push %rdx
	call ufork_sigsys		/* rsp is 16-aligned here: entry + push */
	pop %rdi
	/*
	 * Back to µprocess code without rt_sigreturn (one kernel entry less per
	 * syscall): SIGSYS is installed with SA_NODEFER and an empty mask, so
	 * the signal mask needs no restoring; the FPU state is reloaded from
	 * the frame with xrstor; iretq loads RIP, RFLAGS and RSP at once from an
	 * iretq frame built in the mcontext's reserved words (the gregs stay
	 * intact: the way back may be restarted).  rdi = ucontext, rsp = the
	 * handler's entry rsp (isolation: the runtime part's top).
	 *
	 * A kick (SIG_INTERRUPT) that lands in [ufork_sigsys_return,
	 * ufork_sigsys_return_end) is sent to ufork_sigsys_reenter, and one that
	 * landed just before sets TB_RECHECK: either way the thread looks at its
	 * signals again before it leaves (no delivery is put off).
	 */
ufork_sigsys_return:
	mov %rsp, %rax
	and $ALTSTACK_MASK, %rax
	cmpl $0, TB_RECHECK(%rax)
	jne ufork_sigsys_reenter
	cmpb $0, ufork_fsgsbase(%rip)
	je 1f
	mov TB_U_FS(%rax), %rcx
	wrfsbase %rcx
	jmp 2f
1:	mov %rdi, %r12
	SYSCALL_SET_FS TB_U_FS(%rax)
	mov %r12, %rdi
	mov %rsp, %rax
	and $ALTSTACK_MASK, %rax
2:	movb $1, TB_SELECTOR(%rax)
	mov %rax, %r8
	cmpb $0, ufork_pkru_on(%rip)
	jne isolated_way_out
	mov 224(%rdi), %rsi		/* uc_mcontext.fpregs */
	lea 40(%rdi), %rdi		/* gregs */
	mov 16*8(%rdi), %rax		/* rip */
	mov %rax, 24*8(%rdi)
	movq $0x33, 25*8(%rdi)		/* cs */
	mov 17*8(%rdi), %rax		/* eflags */
	mov %rax, 26*8(%rdi)
	mov 15*8(%rdi), %rax		/* rsp */
	mov %rax, 27*8(%rdi)
	movq $0x2b, 28*8(%rdi)		/* ss */
	mov $-1, %eax
	mov $-1, %edx
	xrstor (%rsi)
	mov %rdi, %rsp
	pop %r8
	pop %r9
	pop %r10
	pop %r11
	pop %r12
	pop %r13
	pop %r14
	pop %r15
	pop %rdi
	pop %rsi
	pop %rbp
	pop %rbx
	pop %rdx
	pop %rax
	pop %rcx
	add $9*8, %rsp			/* past rsp..fpregs to the iretq frame */
	iretq
	/*
	 * Isolation (r8 = the block, rdi = the ucontext, PKRU 0).  Under the
	 * µprocess's PKRU nothing but its own memory may be read, and the
	 * frame may be on key 0 (ufork_frames_open), so:
	 *  1. rax, rcx, rdx and an iretq frame go to this thread's exit pad
	 *     (EXIT_PAD, on the µprocess's key), every other register is
	 *     loaded from the frame;
	 *  2. the FPU state from the place the kernel writes this thread's
	 *     SIGSYS frames (tblock.fast_fp: the frame's own fpregs pointer
	 *     was the µprocess's to rewrite on 6.1), PKRU left out of the
	 *     xrstor;
	 *  3. rsp := the pad of this host thread's own block (%gs), then the
	 *     µprocess's PKRU from that block, checked after the WRPKRU; then
	 *     three pops and iretq from the pad.
	 * The one xrstor is followed by that WRPKRU with no memory access in
	 * between but through %gs, so a jump to it with a mask and an image of
	 * one's own choosing (PKRU 0 from memory) gains nothing.  A signal
	 * landing with rsp on the pad is written below it (the pad's top 64
	 * bytes are all that is used, so a frame never reaches the pad).
	 */
isolated_way_out:
	lea EXIT_PAD(%r8), %rsi
	lea 40(%rdi), %rdi		/* gregs */
	mov 13*8(%rdi), %rax
	mov %rax, 0(%rsi)		/* rax */
	mov 14*8(%rdi), %rax
	mov %rax, 8(%rsi)		/* rcx */
	mov 12*8(%rdi), %rax
	mov %rax, 16(%rsi)		/* rdx */
	mov 16*8(%rdi), %rax
	mov %rax, 24(%rsi)		/* rip */
	movq $0x33, 32(%rsi)		/* cs */
	mov 17*8(%rdi), %rax
	mov %rax, 40(%rsi)		/* eflags */
	mov 15*8(%rdi), %rax
	mov %rax, 48(%rsi)		/* rsp */
	movq $0x2b, 56(%rsi)		/* ss */
	mov TB_FAST_FP(%r8), %rcx
	mov 1*8(%rdi), %r9
	mov 2*8(%rdi), %r10
	mov 3*8(%rdi), %r11
	mov 4*8(%rdi), %r12
	mov 5*8(%rdi), %r13
	mov 6*8(%rdi), %r14
	mov 7*8(%rdi), %r15
	mov 9*8(%rdi), %rsi
	mov 10*8(%rdi), %rbp
	mov 11*8(%rdi), %rbx
	mov 0*8(%rdi), %r8
	mov 8*8(%rdi), %rdi
	mov $~0x200, %eax
	mov $-1, %edx
	xrstor (%rcx)
	mov %gs:TB_BLOCK, %rcx
	lea EXIT_PAD(%rcx), %rsp	/* one write of rsp: never off the altstack */
	.globl ufork_exit_pkru
ufork_exit_pkru:
	mov %gs:TB_BLOCK, %rcx
	mov TB_UPKRU(%rcx), %eax
	xor %ecx, %ecx
	xor %edx, %edx
	wrpkru
	mov %gs:TB_BLOCK, %rcx
	cmp TB_UPKRU(%rcx), %eax
	jne ufork_pkru_bad
	test $1, %eax			/* never key 0 open to µprocess code */
	jz ufork_pkru_bad
	pop %rax
	pop %rcx
	pop %rdx
	iretq
ufork_sigsys_return_end:
	.size ufork_sigsys_entry, .-ufork_sigsys_entry

/* A SIGSYS frame below the exit pad (rax = the block, checked; PKRU 0):
 * every signal is blocked here, so no ud2 (a blocked SIGILL would end the
 * runtime): ufork_sigsys_bad ends the µprocess, from the top of the
 * runtime's part of the stack (whatever lies there is not needed again). */
sigsys_bad_frame:
	ENTER_RUNTIME
	lea ALTSTACK_SIZE-FRAME_PART-16(%rax), %rsp
	call ufork_sigsys_bad
	ud2

/* Back into the runtime from the way out (see above): rsp is somewhere in
 * the SIGSYS frame on the alternate stack, so masking it finds the block. */
	.type ufork_sigsys_reenter, @function
ufork_sigsys_reenter:
	PKRU_RUNTIME			/* the kick's rt_sigreturn may have restored
					   the µprocess's */
	CLEAR_AC
	mov %rsp, %rax
	and $ALTSTACK_MASK, %rax
	cmpb $0, ufork_pkru_on(%rip)
	je 4f
	CHECK_BLOCK			/* this thread's own way out, not a sibling's */
4:	ENTER_RUNTIME
	mov TB_UC(%rax), %rdi
	lea -8(%rdi), %rsp		/* the handler's entry rsp */
	cmpb $0, ufork_pkru_on(%rip)
	je 3f
	lea ALTSTACK_SIZE-FRAME_PART-8(%rax), %rsp	/* isolation: as the entry */
3:	push %rdi
	call ufork_sigsys_again
	pop %rdi
	jmp ufork_sigsys_return
	.size ufork_sigsys_reenter, .-ufork_sigsys_reenter

/*
 * The fast syscall entry.  Reached from a rewritten site (`call *%rax`) through
 * the trampoline at address 0: µprocess stack with [rsp] = return address,
 * µprocess FS base, selector BLOCK, rax = syscall number; rcx is the µprocess's
 * and r11 holds this stub's address (`syscall` clobbers both anyway).
 *
 * It makes the frame the kernel makes for a SIGSYS from Syscall User
 * Dispatch, at the same place: the thread's first SIGSYS (the start trap)
 * recorded where that frame lies on the alternate stack (tblock.fast_sp:
 * &gregs[REG_CSGSFS], fast_fp: the XSAVE area, 64-byte aligned) and the
 * kernel's XSAVE software bytes (fastcall_arm).  Then it jumps into
 * ufork_sigsys_entry as the kernel would call the handler: rsp = frame,
 * rdi = SIGSYS, rsi = &siginfo, rdx = &ucontext.  The way back is the one of
 * every SIGSYS (xrstor + iretq) to RIP = the return address, RSP = rsp + 8.
 *
 * The thread's block is found through the GS base, which points at it (set by
 * tblock_setup; the µprocess stack cannot be masked): a segment-relative load
 * of tblock.block, which needs no FSGSBASE.  Until ufork_fast_checked, a fault means
 * the µprocess broke the entry (moved GS with wrgsbase, or unmapped the stack
 * under a sibling thread's call): ufork_signal kills it with SIGSEGV.  No
 * flag-changing instruction runs before pushfq, and nothing is written to the
 * µprocess stack (its page below rsp may not exist).  A host signal landing
 * here sees runtime code (selector ALLOW, or this stub's addresses): a kick
 * sets TB_RECHECK (in_user is still set), which the way out honours.
 */
	.globl ufork_fast_entry, ufork_fast_checked, ufork_fast_bad
	.type ufork_fast_entry, @function
ufork_fast_entry:
	mov %gs:TB_BLOCK, %r11
	mov %rsp, %rcx
fast_frame:				/* r11: the block; rcx: the caller's rsp */
	mov TB_FAST_SP(%r11), %rsp
	pushfq				/* gregs[REG_EFL] */
	pushq $0x202			/* DF, TF, AC clear from here on */
	popfq
	cmp %r11, TB_SELF(%r11)
	jne ufork_fast_bad
	movb $0, TB_SELECTOR(%r11)	/* ALLOW */
	mov (%rcx), %r11		/* the return address */
ufork_fast_checked:
	push %r11			/* RIP */
	lea 8(%rcx), %rcx
	push %rcx			/* RSP: as before the call */
	push %r11			/* RCX: what `syscall` leaves there */
	push %rax
	push %rdx
	push %rbx
	push %rbp
	push %rsi
	push %rdi
	push %r15
	push %r14
	push %r13
	push %r12
	pushq 13*8(%rsp)		/* R11: RFLAGS, as `syscall` leaves it */
	push %r10
	push %r9
	push %r8
	sub $48, %rsp			/* frame: pretcode, uc_flags, uc_link, uc_stack */
	mov %rsp, %rbx
	and $ALTSTACK_MASK, %rbx	/* the block again: the frame is on its stack */
	lea ufork_restorer(%rip), %rcx
	mov %rcx, 0(%rsp)		/* pretcode: sa_restorer */
	movq $7, 8(%rsp)		/* UC_FP_XSTATE|UC_SIGCONTEXT_SS|UC_STRICT_RESTORE_SS */
	movq $0, 16(%rsp)
	lea 4096(%rbx), %rcx
	mov %rcx, 24(%rsp)		/* uc_stack: the alternate stack, not on it */
	movq $0, 32(%rsp)
	movq $ALTSTACK_SIZE-4096, 40(%rsp)
	movabs $0x002b000000000033, %rcx
	mov %rcx, 48+18*8(%rsp)		/* CSGSFS: cs 0x33, ss 0x2b */
	movq $0, 48+19*8(%rsp)		/* err */
	movq $0, 48+20*8(%rsp)		/* trapno */
	mov TB_SIGMASK(%rbx), %rcx
	mov %rcx, 48+21*8(%rsp)		/* oldmask */
	movq $0, 48+22*8(%rsp)		/* cr2 */
	mov TB_FAST_FP(%rbx), %rsi
	mov %rsi, 48+23*8(%rsp)		/* fpregs */
	mov %rcx, 8+296(%rsp)		/* uc_sigmask */
	/* siginfo: SIGSYS, SYS_SECCOMP, call address, number, AUDIT_ARCH_X86_64 */
	lea 8+304(%rsp), %rdi
	mov $16, %ecx
	xor %eax, %eax
	rep stosq
	movq $31, 8+304(%rsp)		/* si_signo, si_errno 0 */
	movq $1, 8+304+8(%rsp)		/* si_code */
	mov 48+16*8(%rsp), %rcx
	mov %rcx, 8+304+16(%rsp)	/* si_call_addr */
	mov 48+13*8(%rsp), %rcx
	mov %ecx, 8+304+24(%rsp)	/* si_syscall */
	movl $0xc000003e, 8+304+28(%rsp)	/* si_arch */
	/* XSAVE image as the kernel writes it: header cleared, xsave64 with the
	 * kernel's feature mask, FP/SSE always marked present, the software
	 * bytes at 464 and FP_XSTATE_MAGIC2 after the image */
	xor %ecx, %ecx
	mov %rcx, 512(%rsi)
	mov %rcx, 520(%rsi)
	mov %rcx, 528(%rsi)
	mov %rcx, 536(%rsi)
	mov %rcx, 544(%rsi)
	mov %rcx, 552(%rsi)
	mov %rcx, 560(%rsi)
	mov %rcx, 568(%rsi)
	mov TB_XMASK(%rbx), %eax
	mov TB_XMASK+4(%rbx), %edx
	xsave64 (%rsi)
	orq $3, 512(%rsi)
	.irp i, 0, 8, 16, 24, 32, 40
	mov TB_SWBYTES+\i(%rbx), %rcx
	mov %rcx, 464+\i(%rsi)
	.endr
	mov TB_XSIZE(%rbx), %rcx
	movl $0x46505845, (%rsi,%rcx)	/* FP_XSTATE_MAGIC2 */
	mov $31, %edi
	lea 8+304(%rsp), %rsi
	lea 8(%rsp), %rdx
	jmp ufork_sigsys_entry
ufork_fast_bad:
	ud2
	.size ufork_fast_entry, .-ufork_fast_entry

/* void ufork_enter_direct(struct tblock *b): the start trap without a trap,
 * for a block armed by an earlier one (fastcall_arm; the host thread is the
 * same, so its SIGSYS frames go to the same place): the frame a SIGSYS
 * would have, built as the fast entry builds it (with runtime registers,
 * which the start handler replaces), then the SIGSYS handler. */
	.globl ufork_enter_direct
	.type ufork_enter_direct, @function
ufork_enter_direct:
	mov %rdi, %r11
	mov %rsp, %rcx
	jmp fast_frame
	.size ufork_enter_direct, .-ufork_enter_direct

/* void ufork_signal_entry(int sig, siginfo_t *si, void *uc)
 * Saves the interrupted selector and FS base on the stack; the C handler gets
 * a pointer to them as its 4th argument: saved[0] = FS base, saved[1] = selector. */
	.globl ufork_signal_entry
	.type ufork_signal_entry, @function
ufork_signal_entry:
	PKRU_RUNTIME			/* rt_sigreturn restores the interrupted one */
	CLEAR_AC
	mov %rsp, %rax
	and $ALTSTACK_MASK, %rax
	/* Isolation: a frame on the frame part (it interrupted µprocess code,
	 * the way out of a syscall or a forwarded call) is left there and the
	 * C code runs on the runtime part: from its top, or below the stack
	 * of the forwarded call that is waiting (TB_FWD_RSP).  A frame already
	 * on the runtime part interrupted runtime code: the C code runs below
	 * it.  The kernel's rsp is kept twice (16-byte parity as at entry)
	 * and put back before the ret. */
	mov %rsp, %r9
	cmpb $0, ufork_pkru_on(%rip)
	je 5f
	/* the block must be this thread's (%gs; a runtime thread without one
	 * has pkey_runtime_block there) and the frame the kernel's */
	mov %gs:TB_BLOCK, %rcx
	cmp %rcx, %rax
	je 6f
	lea pkey_runtime_block(%rip), %r10
	cmp %r10, %rcx
	jne ufork_pkru_bad
6:	CHECK_BLOCK_SELF
	lea 8(%rsp), %rcx
	cmp %rcx, %rdx
	jne ufork_pkru_bad
	lea ALTSTACK_SIZE-FRAME_PART(%rax), %rcx
	cmp %rcx, %rsp
	jb 5f
	lea -8(%rcx), %rsp
	mov TB_FWD_RSP(%rax), %rcx
	test %rcx, %rcx
	jz 5f
	and $-16, %rcx
	lea -8(%rcx), %rsp
5:	push %r9
	push %r9
	movzbl TB_SELECTOR(%rax), %ecx
	push %rcx
	movb $0, TB_SELECTOR(%rax)
	cmpb $0, ufork_fsgsbase(%rip)
	je 1f
	rdfsbase %rcx
	push %rcx
	mov TB_RT_FS(%rax), %rcx
	wrfsbase %rcx
	jmp 2f
1:	mov %rdi, %r12			/* the handler's arguments survive */
	mov %rsi, %r13
	mov %rdx, %r14
	sub $8, %rsp			/* saved[0]: the FS base in force */
	mov %rsp, %rsi
	mov $ARCH_GET_FS, %edi
	mov $SYS_ARCH_PRCTL, %eax
	syscall
	mov %rsp, %rax
	and $ALTSTACK_MASK, %rax
	SYSCALL_SET_FS TB_RT_FS(%rax)
	mov %r12, %rdi
	mov %r13, %rsi
	mov %r14, %rdx
2:	mov %rsp, %rcx
	sub $8, %rsp
	call ufork_signal
	add $8, %rsp
	pop %rcx
	cmpb $0, ufork_fsgsbase(%rip)
	je 3f
	wrfsbase %rcx
	jmp 4f
3:	SYSCALL_SET_FS %rcx
4:	mov %rsp, %rax
	and $ALTSTACK_MASK, %rax
	pop %rcx
	movb %cl, TB_SELECTOR(%rax)
	pop %rsp			/* the kernel's */
	ret
	.size ufork_signal_entry, .-ufork_signal_entry

/* A stub's check failed: µprocess code jumped into the middle of a stub.
 * PKRU := the thread's own µprocess PKRU, from the block its GS base names
 * (every key denied if that opens key 0: a runtime thread), then ud2: the
 * SIGILL is written on the frame part and ufork_signal delivers it to that
 * µprocess (µprocess code in the runtime's text: user_context), which dies
 * of it as Linux kills for an illegal instruction (a GS base of 0, set by
 * loading a null GS selector, faults at the load instead, under PKRU 0: a
 * SIGSEGV the same way).  Nothing here trusts the stack. */
	.globl ufork_pkru_bad
	.type ufork_pkru_bad, @function
ufork_pkru_bad:
	xor %eax, %eax
	xor %ecx, %ecx
	xor %edx, %edx
	wrpkru
	mov %gs:TB_BLOCK, %rcx
	mov TB_UPKRU(%rcx), %eax
	test $1, %eax
	jnz 1f
	mov $-1, %eax
1:	xor %ecx, %ecx
	xor %edx, %edx
	wrpkru
	ud2
	.size ufork_pkru_bad, .-ufork_pkru_bad

/* void ufork_pkru_open(void): PKRU 0 (every key open) for a runtime thread,
 * which starts with the kernel's init PKRU (key 0 only).  A WRPKRU followed
 * by a return is what µprocess code would jump to for every key: so after
 * it the thread's block (%gs; a runtime thread's until its first µprocess
 * is the static pkey_runtime_block) must say the runtime runs (selector
 * ALLOW), which it never says while µprocess code runs. */
	.globl ufork_pkru_open
	.type ufork_pkru_open, @function
ufork_pkru_open:
	PKRU_ZERO
	mov %gs:TB_BLOCK, %rax
	cmp %rax, TB_BLOCK(%rax)
	jne ufork_pkru_bad
	cmpb $0, TB_SELECTOR(%rax)	/* SUD_ALLOW */
	jne ufork_pkru_bad
	ret
	.size ufork_pkru_open, .-ufork_pkru_open

/* The signal restorer of every runtime handler. */
	.globl ufork_restorer, ufork_restorer_end
	.type ufork_restorer, @function
ufork_restorer:
	/* Under isolation the kernel loads PKRU from the frame: µprocess code
	 * jumping here with a frame of its own would choose it.  Runtime
	 * handlers return with key 0 open (PKRU 0, or a new thread's init
	 * PKRU), µprocess code never has it: this read of key-0 data faults
	 * for it (a SIGSEGV of that µprocess) and passes for them. */
	testb $0xff, ufork_pkru_on(%rip)
	mov $15, %eax
	syscall
	ud2
ufork_restorer_end:
	.size ufork_restorer, .-ufork_restorer

/* void ufork_enter_trap(struct tblock *b): block syscalls and make one; the
 * SIGSYS handler sees b->starting and rewrites the frame so that its
 * rt_sigreturn enters µprocess code with the thread's start registers. */
	.globl ufork_enter_trap
	.type ufork_enter_trap, @function
ufork_enter_trap:
	movb $1, TB_SELECTOR(%rdi)
	mov $39, %eax
	syscall
	ud2
	.size ufork_enter_trap, .-ufork_enter_trap

/* long ufork_cancellable_syscall(volatile int *cancel, long nr, const long *args,
 *                                 uint32_t pkru)
 * A host signal that lands in [ufork_cancel_begin, ufork_cancel_end) with
 * *cancel set moves %rip to ufork_cancel_out: the syscall is then either not
 * made (-EINTR) or, if it completed, its result is kept.  No check-then-block
 * race.
 *
 * pkru != 0 (isolation, a call forwarded with the µprocess's own arguments):
 * the syscall runs under the µprocess's PKRU, taken from the thread's own
 * block (%gs), so the host kernel's copies from and to user memory fault,
 * with EFAULT, on memory the µprocess may not touch (other slots, the
 * runtime).  Meanwhile rsp is on the frame part where the host writes
 * frames under the PKRU in force (6.1: a signal landing then must find
 * memory of that key), or stays on the runtime's stack where it opens every
 * key (ufork_frames_open), and only registers and the block (cancel,
 * read-only to µprocesses) are touched.  Before the WRPKRU back to 0, a
 * gadget a µprocess could jump to, rsp must be that landing place of the
 * %gs block and goes back to the runtime's stack saved in it (TB_FWD_RSP,
 * written here under PKRU 0, read-only to µprocesses, 0 whenever no
 * forwarded call of that thread runs), else ufork_pkru_bad.  Every
 * callee-saved register is kept on the runtime's stack. */
	.globl ufork_cancellable_syscall, ufork_cancel_begin, ufork_cancel_end, ufork_cancel_out
	.type ufork_cancellable_syscall, @function
ufork_cancellable_syscall:
	push %rbx
	push %rbp
	push %r12
	push %r13			/* under isolation a signal frame of the */
	push %r14			/* call lies where the µprocess can write it: */
	push %r15			/* no runtime register comes back from it */
	sub $8, %rsp
	mov %ecx, %ebx			/* pkru */
	mov %rdi, %r11			/* cancel */
	mov %rsi, %r12			/* nr */
	mov %rdx, %rcx
	mov 0(%rcx), %rdi
	mov 8(%rcx), %rsi
	mov 16(%rcx), %rbp
	mov 24(%rcx), %r10
	mov 32(%rcx), %r8
	mov 40(%rcx), %r9
	test %ebx, %ebx
	jz 1f
	mov %rsp, %rax
	and $ALTSTACK_MASK, %rax
	mov %rsp, TB_FWD_RSP(%rax)
	lea ALTSTACK_SIZE-FRAME_PART+FWD_ROOM(%rax), %r13
	cmpb $0, ufork_frames_open(%rip)
	je 4f
	mov %rsp, %r13			/* frames on key 0: rsp stays */
4:	mov %gs:TB_BLOCK, %rax		/* this thread's PKRU, whatever ebx says */
	mov TB_UPKRU(%rax), %eax
	xor %ecx, %ecx
	xor %edx, %edx
	wrpkru
	mov %r13, %rsp			/* on the frame part, under that PKRU */
1:	mov %rbp, %rdx
	mov %r12, %rax
ufork_cancel_begin:
	cmpl $0, (%r11)
	jnz ufork_cancel_out
	syscall
ufork_cancel_end:
2:	test %ebx, %ebx
	jz 3f
	/* back to the runtime's stack first, still under the µprocess's
	 * PKRU (the block is readable), from this thread's own block (%gs):
	 * a jump here from µprocess code finds its own block, whose fwd_rsp
	 * is 0 (no forwarded call of its own is waiting) */
	mov %rax, %r12
	mov %gs:TB_BLOCK, %rax
	cmp TB_FWD_RSP(%rax), %rsp	/* rsp stayed (ufork_frames_open) */
	je 5f
	lea ALTSTACK_SIZE-FRAME_PART+FWD_ROOM(%rax), %rcx
	cmp %rcx, %rsp
	jne ufork_pkru_bad
5:
	mov TB_FWD_RSP(%rax), %rsp
	test %rsp, %rsp
	jz ufork_pkru_bad
	PKRU_ZERO
	mov %gs:TB_BLOCK, %rax
	movq $0, TB_FWD_RSP(%rax)
	mov %r12, %rax
3:	add $8, %rsp
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbp
	pop %rbx
	ret
ufork_cancel_out:
	mov $-4, %rax
	jmp 2b
	.size ufork_cancellable_syscall, .-ufork_cancellable_syscall

/* User-memory copies.  A fault with %rip in [ufork_uaccess_begin,
 * ufork_uaccess_end) resumes at ufork_uaccess_fault, which returns -EFAULT. */
	.globl ufork_copy_user, ufork_strncpy_user
	.globl ufork_uaccess_begin, ufork_uaccess_end, ufork_uaccess_fault
ufork_uaccess_begin:
/* long ufork_copy_user(void *dst, const void *src, size_t n): 0 or -EFAULT */
	.type ufork_copy_user, @function
ufork_copy_user:
	mov %rdx, %rcx
	rep movsb
	xor %eax, %eax
	ret
	.size ufork_copy_user, .-ufork_copy_user

/* long ufork_strncpy_user(char *dst, const char *src, size_t n): length
 * copied without the NUL, n if no NUL in n bytes, or -EFAULT */
	.type ufork_strncpy_user, @function
ufork_strncpy_user:
	xor %eax, %eax
1:	cmp %rdx, %rax
	je 2f
	movzbl (%rsi,%rax), %ecx
	mov %cl, (%rdi,%rax)
	test %cl, %cl
	jz 2f
	inc %rax
	jmp 1b
2:	ret
	.size ufork_strncpy_user, .-ufork_strncpy_user
ufork_uaccess_end:
ufork_uaccess_fault:
	mov $-14, %rax
	ret
ufork_entry_text_end:

	.section .note.GNU-stack,"",@progbits
