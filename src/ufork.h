/*
 * ufork.h - the runtime's shared types: µprocesses, their threads, the
 * per-host-thread entry block, and the interfaces between the files.
 *
 * Vocabulary: "user" or "µprocess" code is the guest program; "runtime" is
 * this process's own code (statically linked glibc + ufork).  Every µprocess
 * thread runs on its own host thread.  A host thread that runs µprocess code
 * owns an aligned alternate signal stack whose first page holds its
 * struct tblock; the entry stubs (entry.S) find the block by masking the
 * stack pointer, never by trusting FS, GS or the µprocess stack.
 */
#ifndef UFORK_H
#define UFORK_H

#include <pthread.h>
#include <semaphore.h>
#include <setjmp.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <ucontext.h>

#ifndef SS_AUTODISARM
#define SS_AUTODISARM (1U << 31)
#endif
#ifndef SA_RESTORER
#define SA_RESTORER 0x04000000
#endif

#define UFORK_VERSION "0.1.0"

#define PAGE_SIZE 4096UL
#define PAGE_DOWN(x) ((uintptr_t)(x) & ~(PAGE_SIZE - 1))
#define PAGE_UP(x) (((uintptr_t)(x) + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1))

/* ---- memory layout (arena.c) ---------------------------------------- */

#define ARENA_BASE (1UL << 45)     /* above 2^44 (ms timestamps) and ASan's shadow */
#define SLOT_ALIGN (1UL << 32)     /* slot distance keeps low 32 pointer bits */
#define SHARED_AREA_SIZE (256UL << 30)
#define STACK_SIZE (8UL << 20)     /* main thread stack at the top of the slot */

struct slot {
	uintptr_t base;
	size_t size;
	int index;
};

extern uintptr_t arena_end;	/* the arena is [ARENA_BASE, arena_end) */
int arena_init(size_t slot_size, int max_slots);
struct image;
struct vma_list;
int slot_alloc(struct slot *s, struct image *img, struct vma_list *prev);
void slot_free(struct slot *s, struct image *img, struct vma_list *vmas, size_t bytes);
extern size_t keep_budget;	/* --keep-slots: bytes freed slots may keep resident */
int arena_reserve(uintptr_t addr, size_t len);	/* back to PROT_NONE */
int slot_index_of(uintptr_t addr);		/* -1: not in a slot */
uintptr_t shared_alloc(size_t len);		/* address in the shared area */
void shared_ref(uintptr_t start, uintptr_t end, int delta);
int shared_users(uintptr_t start, uintptr_t end);
void shared_claim(uintptr_t start, uintptr_t end);
struct uproc;
void proc_drop_shared(struct uproc *p);
int in_shared_area(uintptr_t addr, size_t len);

/* ---- regions of a µprocess (vma.c) ----------------------------------- */

enum vma_kind { VMA_IMAGE, VMA_BRK, VMA_STACK, VMA_ANON, VMA_FILE, VMA_SHARED };

struct vma {
	uintptr_t start, end;
	int prot, flags;	/* flags: host MAP_* of the mapping, and VMA_* below */
	enum vma_kind kind;
};

#define VMA_DONTFORK (1 << 30)	/* madvise(MADV_DONTFORK): not in children */
#define VMA_WIPEONFORK (1 << 29)	/* madvise(MADV_WIPEONFORK): zero in children */

struct vma_list {
	struct vma *v;
	int n, cap;
};

int vma_insert(struct vma_list *l, uintptr_t start, uintptr_t end, int prot,
	       int flags, enum vma_kind kind);
void vma_remove(struct vma_list *l, uintptr_t start, uintptr_t end);
int vma_protect(struct vma_list *l, uintptr_t start, uintptr_t end, int prot);
int vma_set_flags(struct vma_list *l, uintptr_t start, uintptr_t end, int set, int clear);
struct vma *vma_find(struct vma_list *l, uintptr_t addr);
struct vma *vma_next(struct vma_list *l, uintptr_t addr);
int vma_covered(struct vma_list *l, uintptr_t start, uintptr_t end);
uintptr_t vma_find_gap(struct vma_list *l, uintptr_t lo, uintptr_t hi, size_t len);
/* The same at a multiple of align (a power of two). */
uintptr_t vma_find_gap_aligned(struct vma_list *l, uintptr_t lo, uintptr_t hi, size_t len,
				size_t align);
/* Bytes mapped in [start, end), and of those, "data" (private, writable, not
 * the stack: what Linux counts against RLIMIT_DATA). */
void vma_usage(struct vma_list *l, uintptr_t start, uintptr_t end, size_t *total, size_t *data);
int vma_is_data(int prot, int flags, enum vma_kind kind);
void vma_free(struct vma_list *l);

/* ---- ELF images (elf.c) ---------------------------------------------- */

struct image {
	int refs;		/* µprocesses running it (proc_lock) */
	int memfd;		/* sealed copy of the executable (runtime fd) */
	uintptr_t entry;	/* offsets from the load base */
	uintptr_t phdr;
	int phnum;
	size_t span;		/* page-rounded end of the highest segment */
	size_t data_size;	/* end_data - start_data as Linux counts them (brk) */
	char *path;
	uint32_t *sites;	/* --fast-syscalls: rewritten sites, sorted offsets */
	int nsites;
};

/* --fast-syscalls (fastcall.c): syscall sites rewritten at load (rewrite.c). */
extern int fast_syscalls;
struct rewrite_result {
	uint32_t *sites;	/* offsets of the rewritten sites, ascending */
	int nsites;
	int redzone;		/* left as `syscall`: data below %rsp near them */
	int sigreturn;		/* left as `syscall`: rt_sigreturn */
};
/* Rewrites the syscall sites of a checked ELF file in buf; -1 if it ran out
 * of memory (what was rewritten is in res and stays valid). */
int rewrite_syscalls(unsigned char *buf, size_t len, struct rewrite_result *res);
int rewrite_is_site(const struct image *img, uintptr_t off);

/* Checks a file and loads it into a sealed memfd.  On error returns -1 and
 * writes a one-line message into err. */
int image_open(const char *path, struct image *img, char *err, size_t errlen);
/* Pure validation of an ELF header block (unit tested). */
int elf_check(const unsigned char *buf, size_t len, char *err, size_t errlen);
void *elf_dynsym(const void *image, const char *name);

/* ---- the µprocesses' vDSO (vdso.c) ------------------------------------ */
extern uintptr_t vdso_base;	/* their AT_SYSINFO_EHDR; 0: none */
void vdso_init(void);
enum { IMAGE_ALL, IMAGE_TEXT };	/* image_map: every segment, or the read-only ones */
int image_map(struct image *img, uintptr_t base, struct vma_list *vmas, int what);
void image_put(struct image *img);	/* drops a reference; the last closes */

/* ---- µprocesses and threads (proc.c, thread.c) ----------------------- */

struct ksigaction {		/* the kernel's layout of struct sigaction */
	uintptr_t handler;
	unsigned long flags;
	uintptr_t restorer;
	uint64_t mask;
};

struct kstack {			/* the kernel's stack_t */
	uintptr_t ss_sp;
	int ss_flags;
	size_t ss_size;
};

/* Pending signals: one instance of a standard signal, a queue of real-time
 * ones (signal.c: sigpend_add / sigpend_take). */
struct sigq;
struct sigpending {
	uint64_t set;
	siginfo_t info[65];
	struct sigq *more[65];
};

struct kucontext {		/* the kernel's ucontext (8-byte sigset) */
	unsigned long uc_flags;
	uintptr_t uc_link;
	struct kstack uc_stack;
	mcontext_t uc_mcontext;
	uint64_t uc_sigmask;
};

struct uproc {
	int pid, ppid, pgid, sid;	/* ppid, pgid, sid: under proc_lock */
	int zombie;			/* all threads gone; waiting to be reaped */
	int borrowed;			/* vfork child: runs in its parent's slot */
	struct uthread *vfork_parent;	/* released when this one execs or exits */
	struct uproc *next_all;		/* process table (proc_lock) */
	struct slot slot;
	struct image *img;
	struct vma_list vmas;
	struct vma_list recycled;	/* fork: what a kept slot still maps */
	size_t resident_hint;		/* bytes fork copied in; 0: unknown */
	uintptr_t brk_start, brk_cur, brk_max;
	uintptr_t mmap_lo, mmap_hi;	/* where unhinted mmaps go */

	pthread_mutex_t lock;		/* guards everything below and vmas */
	struct ksigaction act[65];
	struct sigpending pend;		/* process-directed pending signals */
	struct uthread *threads;
	int nthreads;
	int exiting;			/* exit_group or fatal signal began */
	int status;			/* wait status once exiting */
	struct sigfd *sigfds;		/* signalfds (sys_signalfd.c) */
	char comm[16];			/* /proc/<pid>/comm */
	char *cmdline;			/* /proc/<pid>/cmdline: argv, NUL-separated */
	size_t cmdline_len;
	int oom_score_adj;
	int oom_fd;			/* an open oom_score_adj being written, or -1 */
	int fork_stop;			/* a fork is copying: threads park */
	int stopped;			/* stopped by this signal (job control) */
	int wait_report;		/* a stop/continue for the parent's wait */
	int cont_pending;		/* continued: init is to tell the parent */
	struct rlimit rlim[RLIM_NLIMITS];	/* its own resource limits (lock) */
	int lim_watch;			/* LIM_* checks its limits need (rlimit.c) */
	int fd_top;			/* its fds below fd_floor are <= this (sys_file.c) */
	uid_t ruid;			/* real uid, for RLIMIT_NPROC (rlimit.c) */
	struct timeval ut, st;		/* CPU time of its exited threads */
	struct timeval cut, cst;	/* ... and of its reaped children (proc_lock) */
	struct term *ctty;		/* controlling terminal (tty.c; proc_lock) */
	pthread_cond_t fork_cv;
	struct spare *spare;		/* the next child's host thread (spare.c) */
	int want_spare;			/* forked: make a spare when idle */
	unsigned host_gen;		/* bumped when host-thread state changes */
	struct fdshare *fdshare;	/* fd table shared since a fork (fdshare.c) */
	int parents_table;		/* that table is its parent's: it has not
					   taken its own since its fork */
	int lazy;			/* sides of copy-on-access sets it is (fork_lazy.c) */
};

struct start_regs {		/* register state a thread enters with */
	greg_t gregs[NGREG];
	uintptr_t fs;
	void *fpstate;			/* XSAVE image to install, or NULL */
	size_t fpsize;
};

struct uthread {
	struct tblock *blk;
	struct uproc *p;
	int tid;
	pid_t host_tid;
	uint64_t mask;			/* blocked signals */
	struct sigpending pend;		/* thread-directed pending signals */
	struct kstack altstack;
	uintptr_t clear_child_tid;
	uintptr_t robust_list;
	size_t robust_len;
	struct start_regs start;
	uint64_t saved_mask;		/* sigsuspend: mask to restore */
	int restore_mask;
	int exit_code;			/* SYS_exit of the last thread */
	int waiting;			/* in wait4/waitid: kick on child exit */
	sem_t *ready;			/* fork: posted once the fd table is copied */
	sem_t fdsem;			/* children of this thread post `ready` here */
	sem_t vfork_done;		/* a vfork child exec'd or exited */
	int fd_pending;			/* ... and this many have not yet */
	int new_fdctx;			/* first thread of a µprocess: unshare */
	struct timeval ru_base[2];	/* host user/system time of its host thread
					   before it was this thread's (a spare's) */
	/* a fork child's first thread: its host thread was made from thread
	 * from_tid of the parent (on CPU from_cpu) at the parent's host_gen
	 * from_gen, and may be the parent's next spare (spare_donor) */
	unsigned from_gen;
	int from_tid, from_cpu;
	sigjmp_buf exit_jmp;
	struct uthread *next;
};

/*
 * The entry block.  Offsets 0..31 are used by entry.S: keep them in sync.
 * selector: the SUD selector byte (0 = allow, 1 = block).
 */
struct tblock {
	volatile uint8_t selector;	/* 0 */
	uint8_t pad0[7];
	uintptr_t rt_fs;		/* 8: runtime FS base */
	uintptr_t u_fs;			/* 16: µprocess FS base */
	struct uthread *ut;		/* 24 */
	volatile int cancel;		/* 32: interrupt forwarded syscalls */
	int starting;			/* next SIGSYS is the start trap */
	volatile int kill;		/* thread must leave at next exit point */
	volatile int in_user;		/* about to run or running µprocess code */
	volatile int sleeping;		/* in thread_sleep: a futex wake kicks it */
	volatile int recheck;		/* 52: kicked on its way out: look again */
	void *uc;			/* 56: the SIGSYS frame being returned from */
	/* the fast syscall entry (fastcall_arm): where and how the kernel
	 * writes this thread's SIGSYS frame */
	struct tblock *self;		/* 64: set once armed */
	uintptr_t fast_sp;		/* 72: &gregs[REG_CSGSFS] of that frame */
	uintptr_t fast_fp;		/* 80: its XSAVE area */
	uint64_t xmask;			/* 88: the kernel's XSAVE feature mask */
	uint64_t xsize;			/* 96: offset of FP_XSTATE_MAGIC2 */
	uint64_t sigmask;		/* 104: the host mask, for uc_sigmask */
	uint64_t swbytes[6];		/* 112: XSAVE software-reserved bytes */
	struct tblock *block;		/* 160: this block, read GS-relative by
					   the fast entry (fastcall_thread) */
	uint32_t upkru;			/* 168: PKRU of µprocess code (isolation) */
	int ukey;			/* protection key of the alternate stack's
					   frame part (0 until a µprocess ran) */
	uintptr_t fwd_rsp;		/* 176: rsp of a forwarded call made under
					   the µprocess's PKRU, 0 when none runs */
};
_Static_assert(offsetof(struct tblock, recheck) == 52 && offsetof(struct tblock, uc) == 56 &&
	       offsetof(struct tblock, self) == 64 && offsetof(struct tblock, sigmask) == 104 &&
	       offsetof(struct tblock, swbytes) == 112 && offsetof(struct tblock, block) == 160 &&
	       offsetof(struct tblock, upkru) == 168 && offsetof(struct tblock, fwd_rsp) == 176,
	       "entry.S knows these offsets");

#define SUD_ALLOW 0
#define SUD_BLOCK 1
#define ALTSTACK_SIZE (1UL << 18)
/* Under isolation, the part of an alternate stack (its top) that carries the
 * µprocess's key; the runtime's C code runs below it (entry.S: FRAME_PART). */
#define ALTSTACK_FRAME_PART (1UL << 16)
/* The page of the way out of a syscall under isolation (entry.S: EXIT_PAD):
 * the last registers and the iretq frame, read under the µprocess's PKRU. */
#define ALTSTACK_EXIT_PAD (ALTSTACK_SIZE - ALTSTACK_FRAME_PART + (24UL << 10))

/* The host signal used to interrupt a µprocess thread (exit, signals). */
#define SIG_INTERRUPT (SIGRTMAX)

extern int max_procs;
extern size_t slot_size;

struct uproc *proc_new(struct image *img, struct uproc *parent);
struct uproc *proc_new_borrowed(struct uproc *parent);
void exec_vfork_exit(struct uproc *p);
void proc_add(struct uproc *p);
void proc_discard(struct uproc *p);
int proc_count_ok(void);
int proc_wait(struct uthread *t, int idtype, int id, int options, int *status,
	      siginfo_t *info, struct timeval child_time[2]);
void usage_thread_exit(struct uthread *t);
void user_return(struct uthread *t, ucontext_t *uc, long restart_nr);
void fork_park(struct uthread *t);
void proc_stop_notify(struct uproc *p, int status);
void proc_cont_later(struct uproc *p);
extern int show_stats;
void fork_init(void);
extern char *exec_shell;
void fork_stats_print(void);
int proc_start(struct uproc *p, char **argv, char **envp);
long proc_load(struct uproc *p, char **argv, char **envp);
void proc_layout(struct uproc *p);
void proc_exit(struct uthread *t, int status) __attribute__((noreturn));
void proc_kill(struct uproc *p, int status);
long proc_signal_other(struct uthread *t, int pid, int sig, const siginfo_t *si);
void itimer_cancel(struct uproc *p);
void thread_exit(struct uthread *t) __attribute__((noreturn));
int thread_spawn(struct uthread *t);
struct spare *thread_run(struct uthread *t, struct tblock *blk);

/* A fork's memory copy, which the child's thread, awake as the parent's
 * spare, helps with - heap regions first, then from the top down - while
 * the forking thread works up (fork.c); it lives in the spare, which
 * outlives the fork. */
#define FORK_JOB_MAX 64
struct fork_job {
	struct uproc *p, *child;
	struct vma_list *kept;		/* the kept slot's map, or NULL: fresh */
	int users;			/* -2: not open yet, -1: closed, n: helpers in it */
	int err;
	unsigned char claimed[FORK_JOB_MAX];	/* p's regions taken, by either side */
	int next_chunk[FORK_JOB_MAX];	/* a large region's next chunk, for both */
	size_t bytes, words;		/* the helper's share of the copy */
};
void fork_help(struct fork_job *j);

/* Copy-on-access fork, --copy=coa (fork_lazy.c): large private regions are
 * staged at fork and copied page by page when either side touches them. */
enum { COPY_FULL, COPY_COA };
extern int copy_mode;
enum { LAZY_DROP, LAZY_FILL, LAZY_KEEP };
struct lz_set;
int lazy_init(char *err, size_t errlen);
int lazy_start(void);
int lazy_ok(const struct vma *v);
size_t lazy_align(size_t len);
struct lz_set *lazy_begin(struct uproc *p, struct uproc *child);
int lazy_stage(struct lz_set *s, const struct vma *v);
int lazy_join(struct uproc *p, struct uproc *child, const struct vma *v, uintptr_t *end);
void lazy_end(struct uproc *p, struct lz_set *s);
void lazy_settle(struct uproc *p, struct uproc *child);
void lazy_touch(struct uproc *p, uintptr_t a, size_t len, int how);
void lazy_exit(struct uproc *p);
void lazy_stats_print(void);
struct fork_job *spare_job(struct spare *s);
int host_thread_create(void *(*fn)(void *), void *arg);
void spare_make(struct uthread *t);
int spare_wanted(struct uproc *p);
struct spare *spare_take(struct uthread *forker, int shared);
int spare_run(struct spare *s, struct uthread *t, int forker_waits);
void spare_drop(struct uproc *p);
void spare_ring(int pid);
struct spare *spare_donor(const struct uthread *t, struct tblock *blk);
int spare_offer(struct uproc *parent, struct spare *s);
void spare_serve(struct spare *s);
int fdshare_fork(struct uproc *p, struct uproc *child);
long fdshare_own(struct uthread *t);
int fdshare_leave(struct uproc *p);
int fdshare_shared(struct uproc *p);
int fdshare_writes(int nr, const long a[6]);
void fd_sync(struct uthread *t);
long thread_sleep(struct uthread *t, const struct timespec *deadline);
extern long spin_ns;
int spin_while(const volatile int *word, int value, long ns);
void thread_spawn_cancel(struct uthread *t);
struct uthread *thread_new(struct uproc *p, int tid);
int pid_alloc(void);
int proc_wait_all(void);	/* returns the first µprocess's wait status */
void init_setup(void);
/* rlimit.c */
void rlimits_init(struct uproc *p);			/* the first µprocess */
void rlimits_copy(struct uproc *to, struct uproc *from);	/* fork, vfork */
int rlimit_vm_ok(struct uproc *p, uintptr_t start, size_t len, int data);	/* p->lock held */
int rlimit_brk_ok(struct uproc *p, uintptr_t want);
int rlimit_mprotect_ok(struct uproc *p, uintptr_t start, uintptr_t end, int prot);
int proc_tasks_of_uid(uid_t uid);
void proc_for_each(void (*fn)(struct uproc *));
void first_exited(int status, int last);	/* main.c: tell the front process */
void first_stopped(int status);
int proc_host_tid(int pid, int tid);	/* tid 0: any of its threads */
void proc_host_changed(int pid);
struct uproc *proc_get_locked(int pid);	/* takes the table lock; NULL if none */
void proc_put_locked(void);			/* releases it */
void proc_table_lock(void);
void proc_table_unlock(void);
struct uproc *proc_table_first(void);		/* table lock held; then next_all */
void proc_set_cmdline(struct uproc *p, char **argv);
int procfs_exec_path(struct uthread *t, const char *path, char *out, size_t outlen);
const char *host_stat_fields(const char *path, char *buf, size_t size);

/* ---- isolation (pkey.c) ---------------------------------------------- */

enum { ISOLATION_NONE, ISOLATION_FAULT, ISOLATION_FULL };
extern int isolation;		/* --isolation: one of the above */
const char *isolation_name(int level);
int isolation_parse(const char *s);	/* the level, or -1 */
int pkey_supported(char *err, size_t errlen);
int isolation_check(char *err, size_t errlen);	/* 0, or -1 with err */
long pkey_scan_code(const unsigned char *code, size_t n);	/* WRPKRU/XRSTOR offset or -1 */
int pkey_exec_prot_ok(int prot, int shared);	/* W^X under isolation: 0 or -EACCES */
struct uproc;
int pkey_code_ok(struct uproc *p, uintptr_t addr, size_t len);	/* scanned: 0 or -EACCES */
extern unsigned char ufork_pkru_on;	/* keys in force: the stubs switch PKRU */
extern unsigned char ufork_frames_open;	/* the host writes signal frames with all keys open */
int isolation_init(char *err, size_t errlen);	/* the keys; runtime PKRU */
void pkey_apply(uintptr_t addr, size_t len, int prot);	/* the key addr's memory gets */
struct tblock;
void pkey_thread(struct tblock *b, int slot);	/* b about to run code of that slot */
void pkey_runtime_thread(void);	/* first thing in every new host thread */
void pkey_runtime_gs(void);	/* GS base := pkey_runtime_block (isolation) */
void ufork_pkru_open(void);	/* entry.S: the checked WRPKRU 0 */
void pkey_handler_mask(void *uc, uint64_t extra);	/* the handler's host mask back */

/* ---- entry and host threads (sud.c, entry.S) ------------------------- */

/* The entry stubs switch FS with rdfsbase/wrfsbase (1) or with the real
 * arch_prctl (0): from AT_HWCAP2, or 0 by --no-fsgsbase (entry.S). */
extern unsigned char ufork_fsgsbase;
int sud_check(int allow_fsgsbase, char *err, size_t errlen);
uintptr_t host_fs_base(void);
int host_signals_init(void);
void block_outside_signals(void);
void outside_signal(int sig, int from_terminal);	/* async-signal-safe */
struct tblock *tblock_setup(struct uthread *t, int arm);
void tblock_teardown(struct tblock *b);
struct tblock *tblock_reuse(struct tblock *b);
void enter_user(struct tblock *b) __attribute__((noreturn));
static inline struct tblock *current_block(void)
{
	uintptr_t sp = (uintptr_t)__builtin_frame_address(0);
	return (struct tblock *)(sp & ~(ALTSTACK_SIZE - 1));
}

/* The XSAVE area of uc, a SIGSYS or fault frame of this thread's µprocess
 * code.  Under isolation the frame lies on the µprocess's key and its
 * fpregs pointer is the µprocess's to rewrite (at a runtime address, the
 * runtime would copy its own memory out): the place where the kernel
 * writes this thread's frames, recorded by fastcall_arm, is used instead. */
static inline void *frame_fpregs(const ucontext_t *uc)
{
	struct tblock *b = current_block();
	if (ufork_pkru_on && b->fast_fp)
		return (void *)b->fast_fp;
	return uc->uc_mcontext.fpregs;
}

/* fastcall.c */
int fastcall_init(char *err, size_t errlen);
void fastcall_thread(struct tblock *b);
void fastcall_arm(struct tblock *b, ucontext_t *uc);
int fastcall_fault(struct uthread *t, int sig, ucontext_t *uc);
int fastcall_broken(uintptr_t ip);

/* entry.S */
void ufork_fast_entry(void);
extern char ufork_fast_checked[], ufork_fast_bad[];
void ufork_sigsys_entry(int, siginfo_t *, void *);
void ufork_signal_entry(int, siginfo_t *, void *);
void ufork_restorer(void);
extern char ufork_restorer_end[];
void ufork_enter_trap(struct tblock *b) __attribute__((noreturn));
void ufork_enter_direct(struct tblock *b) __attribute__((noreturn));
long ufork_cancellable_syscall(volatile int *cancel, long nr, const long *args, uint32_t pkru);
extern char ufork_cancel_begin[], ufork_cancel_end[], ufork_cancel_out[];
long ufork_copy_user(void *dst, const void *src, size_t n);
long ufork_strncpy_user(char *dst, const char *src, size_t n);
extern char ufork_uaccess_begin[], ufork_uaccess_end[], ufork_uaccess_fault[];

/* ---- user memory access (uaccess.c) ---------------------------------- */

int user_range_ok(struct uproc *p, uintptr_t addr, size_t len);
int copy_from_user(struct uproc *p, void *dst, uintptr_t src, size_t n);
int copy_to_user(struct uproc *p, uintptr_t dst, const void *src, size_t n);
long strncpy_from_user(struct uproc *p, char *dst, uintptr_t src, size_t n);

/* ---- syscalls (syscall.c and sys_*.c) -------------------------------- */

struct sysctx {
	struct uthread *t;
	ucontext_t *uc;		/* the host SIGSYS frame: µprocess registers */
	int nr;
	int keep_regs;		/* handler set all registers (rt_sigreturn) */
};

typedef long (*sys_fn)(struct sysctx *c, long a[6]);

struct syscall_desc {
	const char *name;
	sys_fn fn;
	unsigned char limit;	/* LIM_*: which per-µprocess limit may apply */
};

/* Limits checked on the syscall path (rlimit.c), a bit in both a table entry
 * and the µprocess's lim_watch; LIM_MEM is checked in sys_mem.c. */
#define LIM_NOFILE 1	/* creates fds; watched while the soft limit is below the host's */
#define LIM_FSIZE 2	/* writes or sizes a file; watched while RLIMIT_FSIZE is finite */
#define LIM_NPROC 4	/* creates a task; watched while the soft limit is below the host's */
#define LIM_CRED 8	/* may change the real uid; always watched */
#define LIM_MEM 16	/* RLIMIT_AS or RLIMIT_DATA is finite */
long rlimit_call(struct sysctx *c, long a[6], sys_fn fn);

extern const struct syscall_desc syscall_table[];
extern const int syscall_table_size;
extern int trace_syscalls;
void ufork_sigsys(int sig, siginfo_t *si, void *uc);
void ufork_sigsys_bad(void);	/* a SIGSYS frame out of place: the µprocess dies */
void syscall_run(struct uthread *t, ucontext_t *uc);
void ufork_sigsys_again(void *uc);
extern char ufork_sigsys_return[], ufork_sigsys_return_end[], ufork_sigsys_reenter[];

long sys_forward(struct sysctx *c, long a[6]);
long forward_args_check(struct uproc *p, int nr, const long a[6]);
long host_syscall_cancellable(struct uthread *t, long nr, const long a[6]);
long host_syscall_user(struct uthread *t, long nr, const long a[6]);	/* under its PKRU */

/* Handlers, grouped by family. */
#define SYS(name) long sys_##name(struct sysctx *c, long a[6])
SYS(brk); SYS(mmap); SYS(munmap); SYS(mprotect); SYS(mremap); SYS(madvise);
SYS(mem_range); SYS(pid_arg); SYS(setcred); SYS(capget);
SYS(clone); SYS(clone3); SYS(exit); SYS(exit_group); SYS(set_tid_address);
SYS(set_robust_list); SYS(get_robust_list); SYS(gettid); SYS(arch_prctl);
SYS(rseq); SYS(futex);
SYS(rt_sigaction); SYS(rt_sigprocmask); SYS(sigaltstack); SYS(rt_sigreturn);
SYS(kill); SYS(tkill); SYS(tgkill); SYS(rt_sigpending); SYS(rt_sigsuspend);
SYS(getpid); SYS(getppid); SYS(clock_gettime); SYS(gettimeofday); SYS(time);
SYS(clock_getres); SYS(close); SYS(dup2); SYS(dup3); SYS(close_range);
SYS(fcntl); SYS(prctl); SYS(ppoll); SYS(pselect6); SYS(epoll_pwait);
SYS(prlimit64); SYS(wait4); SYS(fork); SYS(execve);
SYS(getpgid); SYS(getsid); SYS(setpgid); SYS(getpgrp); SYS(setsid); SYS(pause);
SYS(waitid); SYS(setitimer); SYS(getitimer); SYS(alarm);
SYS(rt_sigtimedwait); SYS(rt_sigqueueinfo); SYS(rt_tgsigqueueinfo);
SYS(signalfd); SYS(signalfd4); SYS(read); SYS(vfork); SYS(execveat);
SYS(open); SYS(openat); SYS(openat2); SYS(creat); SYS(stat); SYS(lstat); SYS(access); SYS(newfstatat);
SYS(statx); SYS(faccessat); SYS(faccessat2); SYS(readlink); SYS(readlinkat);
SYS(getrusage); SYS(times); SYS(getrlimit); SYS(setrlimit); SYS(timer_create); SYS(timer_settime);
SYS(timer_gettime); SYS(timer_getoverrun); SYS(timer_delete); SYS(ioctl);
#undef SYS

/* ---- signals (signal.c) ---------------------------------------------- */

/* Sizes of the XSAVE image in a host signal frame (from the kernel's
 * software-reserved bytes): with the trailing magic (extended) or without. */
size_t xstate_size(const void *fpregs);
size_t xstate_extended_size(const void *fpregs);

int signal_raise(struct uproc *p, int tid, int sig, const siginfo_t *si);
int signal_pending_for(struct uthread *t);
void sigpend_add(struct sigpending *sp, int sig, const siginfo_t *si);
void sigpend_take(struct sigpending *sp, int sig, siginfo_t *out);
void sigpend_clear(struct sigpending *sp, int sig);	/* sig 0: all */
void thread_kick(struct uthread *o, int kill);
void thread_wake(struct uthread *o);
void signalfd_update(struct uproc *p, struct uthread *t);
void signalfd_forget(struct uproc *p, long fd);
int signalfd_fork(struct uproc *parent, struct uproc *child);
void signalfd_free(struct uproc *p);
long locks_fcntl(struct sysctx *c, long a[6]);
void locks_close(struct uproc *p, int fd);
void locks_exit(struct uproc *p);
int locks_held(const struct uproc *p);
/* Delivers every deliverable pending signal by building frames on the
 * µprocess stack over the register state in uc.  May not return. */
void signal_deliver(struct uthread *t, ucontext_t *uc, long restart_nr);
void signal_fault(struct uthread *t, int sig, siginfo_t *si, ucontext_t *uc);
void ufork_signal(int sig, siginfo_t *si, void *uc, uintptr_t *saved);
int sig_default_kills(int sig, int *core);

/* ---- terminals (tty.c) ---------------------------------------------- */

void tty_init(struct uproc *first);
void tty_opened(struct uthread *t, long fd, int flags);
long tty_open_current(struct sysctx *c, long a[6], int idx);
void tty_leader_exit_locked(struct uproc *p);
int tty_host_fg_locked(void);

/* ---- misc ------------------------------------------------------------- */

extern int log_fd;		/* runtime-owned dup of stderr */
extern int fd_floor;		/* runtime fds live in [fd_floor, fd_floor + RUNTIME_FDS) */
#define RUNTIME_FDS 24
void fd_note(struct sysctx *c, const long a[6], long ret);
int fd_top_scan(void);
int is_runtime_fd(long fd);
int runtime_fd_arg(long nr, const long a[6]);	/* an fd argument is a runtime fd */
int runtime_fd(int fd);		/* moves fd up into the runtime range */
void ulog(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void trace_enter(struct sysctx *c, long a[6]);
void trace_exit(struct sysctx *c, long ret);
const char *syscall_name(int nr);

#endif
