/*
 * proc.c - µprocesses: creation from an image, the initial stack, exit, and
 * the process table that the runtime's invisible init (the host main thread)
 * waits on.
 *
 * Slot layout of a µprocess (offsets from the slot base):
 *   0                  program image (text mapped from the sealed memfd)
 *   image end          brk heap, growing up to brk_max = slot_size / 4
 *   ...                mmap area, filled top-down
 *   size - STACK_SIZE  main thread stack, up to the end of the slot
 *
 * Lock order: proc_lock, then a µprocess's lock.
 */
#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <unistd.h>

#include "ufork.h"

int max_procs = 256;
size_t slot_size = 4UL << 30;

static pthread_mutex_t proc_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t proc_cond = PTHREAD_COND_INITIALIZER;
static int live_procs;
static int next_pid = 2;	/* pid 1 is the runtime's invisible init */
static int first_status = -1;
static int first_pid;

int pid_alloc(void)
{
	return __atomic_fetch_add(&next_pid, 1, __ATOMIC_RELAXED);
}

struct uproc *proc_create(struct image *img)
{
	struct uproc *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	if (slot_alloc(&p->slot) < 0) {
		free(p);
		return NULL;
	}
	pthread_mutex_init(&p->lock, NULL);
	p->img = *img;
	p->pid = pid_alloc();
	p->ppid = 1;
	uintptr_t b = p->slot.base;
	p->brk_start = p->brk_cur = b + img->span;
	p->brk_max = b + p->slot.size / 4;
	p->mmap_lo = p->brk_max;
	p->mmap_hi = b + p->slot.size - STACK_SIZE - PAGE_SIZE;
	return p;
}

/* Lays out argv, envp and auxv at the top of the main stack like Linux. */
static uintptr_t build_stack(struct uproc *p, char **argv, char **envp)
{
	uintptr_t top = p->slot.base + p->slot.size;
	char *sp = (char *)top;
	int argc = 0, envc = 0;
	while (argv[argc])
		argc++;
	while (envp[envc])
		envc++;
	uintptr_t *ustr = calloc(argc + envc + 1, sizeof *ustr);
	if (!ustr)
		return 0;
	sp -= strlen(p->img.path) + 1;
	strcpy(sp, p->img.path);
	char *execfn = sp;
	for (int i = envc - 1; i >= 0; i--) {
		sp -= strlen(envp[i]) + 1;
		strcpy(sp, envp[i]);
		ustr[argc + i] = (uintptr_t)sp;
	}
	for (int i = argc - 1; i >= 0; i--) {
		sp -= strlen(argv[i]) + 1;
		strcpy(sp, argv[i]);
		ustr[i] = (uintptr_t)sp;
	}
	sp -= sizeof "x86_64";
	strcpy(sp, "x86_64");
	char *platform = sp;
	sp = (char *)((uintptr_t)sp & ~15UL) - 16;
	char *random = sp;
	if (getrandom(random, 16, 0) != 16)
		memset(random, 0x5a, 16);

	uintptr_t b = p->slot.base;
	uint64_t aux[][2] = {
		{ AT_PHDR, b + p->img.phdr },
		{ AT_PHENT, sizeof(Elf64_Phdr) },
		{ AT_PHNUM, p->img.phnum },
		{ AT_PAGESZ, PAGE_SIZE },
		{ AT_BASE, 0 },
		{ AT_FLAGS, 0 },
		{ AT_ENTRY, b + p->img.entry },
		{ AT_UID, getuid() },
		{ AT_EUID, geteuid() },
		{ AT_GID, getgid() },
		{ AT_EGID, getegid() },
		{ AT_SECURE, 0 },
		{ AT_HWCAP, getauxval(AT_HWCAP) },
		{ AT_HWCAP2, getauxval(AT_HWCAP2) },
		{ AT_CLKTCK, sysconf(_SC_CLK_TCK) },
		{ AT_RANDOM, (uintptr_t)random },
		{ AT_PLATFORM, (uintptr_t)platform },
		{ AT_EXECFN, (uintptr_t)execfn },
		{ AT_MINSIGSTKSZ, getauxval(AT_MINSIGSTKSZ) },
		{ AT_NULL, 0 },
	};
	size_t words = 1 + argc + 1 + envc + 1 + 2 * (sizeof aux / sizeof aux[0]);
	uintptr_t *w = (uintptr_t *)(((uintptr_t)sp - words * 8) & ~15UL);
	uintptr_t *q = w;
	*q++ = argc;
	for (int i = 0; i < argc; i++)
		*q++ = ustr[i];
	*q++ = 0;
	for (int i = 0; i < envc; i++)
		*q++ = ustr[argc + i];
	*q++ = 0;
	memcpy(q, aux, sizeof aux);
	free(ustr);
	return (uintptr_t)w;
}

int proc_start(struct uproc *p, char **argv, char **envp)
{
	uintptr_t b = p->slot.base;
	int r = image_map(&p->img, b, &p->vmas);
	if (r < 0)
		return r;
	uintptr_t stack_lo = b + p->slot.size - STACK_SIZE;
	if (mmap((void *)stack_lo, STACK_SIZE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0) == MAP_FAILED)
		return -errno;
	vma_insert(&p->vmas, stack_lo, b + p->slot.size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, VMA_STACK);
	uintptr_t sp = build_stack(p, argv, envp);
	if (!sp)
		return -ENOMEM;

	struct uthread *t = thread_new(p, p->pid);
	if (!t)
		return -ENOMEM;
	t->new_fdctx = 1;
	t->start.gregs[REG_RIP] = b + p->img.entry;
	t->start.gregs[REG_RSP] = sp;
	t->start.gregs[REG_EFL] = 0x202;
	pthread_mutex_lock(&proc_lock);
	live_procs++;
	if (!first_pid)
		first_pid = p->pid;
	pthread_mutex_unlock(&proc_lock);
	r = thread_spawn(t);
	if (r < 0) {
		pthread_mutex_lock(&proc_lock);
		live_procs--;
		pthread_mutex_unlock(&proc_lock);
	}
	return r;
}

/* Marks p as dying with wait status `status` and kicks all its threads out
 * at their next exit point (the caller's own thread excepted). */
void proc_kill(struct uproc *p, int status)
{
	pthread_mutex_lock(&p->lock);
	if (!p->exiting) {
		p->exiting = 1;
		p->status = status;
		for (struct uthread *o = p->threads; o; o = o->next)
			thread_kick(o, 1);
	}
	pthread_mutex_unlock(&p->lock);
}

void proc_exit(struct uthread *t, int status)
{
	proc_kill(t->p, status);
	thread_exit(t);
}

long proc_signal_other(struct uthread *t, int pid, int sig)
{
	(void)t;
	(void)pid;
	(void)sig;
	return -ESRCH;	/* only one µprocess so far */
}

/* Called by the last thread of a µprocess on its way out. */
void proc_release(struct uproc *p)
{
	slot_free(&p->slot);
	vma_free(&p->vmas);
	image_close(&p->img);
	pthread_mutex_lock(&proc_lock);
	if (p->pid == first_pid)
		first_status = p->status;
	live_procs--;
	pthread_cond_broadcast(&proc_cond);
	pthread_mutex_unlock(&proc_lock);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

int proc_wait_all(void)
{
	pthread_mutex_lock(&proc_lock);
	while (live_procs > 0)
		pthread_cond_wait(&proc_cond, &proc_lock);
	int s = first_status;
	pthread_mutex_unlock(&proc_lock);
	return s;
}
