/*
 * rewrite.c - turning the `syscall` instructions of an executable into
 * `call *%rax` for the fast syscall entry (--fast-syscalls, see fastcall.c).
 *
 * `syscall` (0f 05) and `call *%rax` (ff d0) are both two bytes: the call
 * jumps to the address equal to the syscall number, into the trampoline page
 * at address 0, and pushes its return address at rsp-8.  A site is rewritten
 * only when that push is harmless:
 *  - the bytes are a real instruction: found by linear-sweep disassembly
 *    (capstone) from the start of the enclosing function (STT_FUNC symbols of
 *    .symtab), or from the nearest symbol before it, or from the start of the
 *    segment in a stripped file;
 *  - the function keeps no data below %rsp (the red zone): no memory operand
 *    at a negative displacement from %rsp, nor from %rbp beyond what a
 *    `sub $N,%rsp` of the function reserves.  Without function bounds
 *    (assembly without .size, stripped files) the instructions from the last
 *    control-flow end (ret, jmp, hlt, ud2, int3) before the site to the first
 *    one after it are checked instead;
 *  - it is not an rt_sigreturn (the previous instruction loads 15 into the
 *    number): that call returns through a signal frame at %rsp and is rare.
 * Every other site stays a `syscall`, which Syscall User Dispatch traps as
 * before.  The ELF headers at the start of a segment are never swept.  In a
 * stripped file the sweep runs over the whole segment: data placed among the
 * code could desynchronise it (x86-64 compilers put none there).  Nothing here trusts the file beyond what elf_check verified: every
 * offset is bounds-checked, and a file that cannot be analysed is left as is.
 *
 * Invariant: only bytes 0f 05 that the sweep decoded as a `syscall`
 * instruction are changed, and each change is recorded in the sorted site
 * list, which the fault path uses to recognise a rewritten site (fastcall.c).
 */
#include <capstone/capstone.h>
#include <elf.h>
#include <stdlib.h>
#include <string.h>

#include "ufork.h"

/* What one decoded instruction tells the red-zone check. */
enum {
	R_SYSCALL = 1,		/* a syscall instruction */
	R_REDZONE = 2,		/* memory operand below %rsp */
	R_END = 4,		/* control flow does not fall through */
	R_SET15 = 8,		/* mov $15 into eax/rax: rt_sigreturn follows */
};

struct insn_rec {
	uint64_t addr;
	uint32_t rbp_neg;	/* largest negative %rbp displacement used */
	uint32_t rsp_sub;	/* N of a `sub $N,%rsp` */
	uint8_t len, flags;
};

struct func {
	uint64_t start, end;	/* end == start: size unknown */
};

struct region {			/* one swept range of code */
	uint64_t start, end;
	struct insn_rec *r;
	size_t n;
};

struct rewriter {
	csh cs;
	cs_insn *insn;
	const unsigned char *seg;	/* file bytes of the segment */
	uint64_t seg_vaddr, seg_len;
	uint64_t skip;			/* leading bytes that are ELF headers */
	struct func *funcs;
	size_t nfuncs;
};

static uint8_t classify(const cs_insn *in, uint32_t *rbp_neg, uint32_t *rsp_sub)
{
	uint8_t f = 0;
	const cs_x86 *x = &in->detail->x86;
	*rbp_neg = *rsp_sub = 0;
	switch (in->id) {
	case X86_INS_SYSCALL:
		f |= R_SYSCALL;
		break;
	case X86_INS_RET: case X86_INS_JMP: case X86_INS_HLT: case X86_INS_UD2:
	case X86_INS_INT3: case X86_INS_LJMP: case X86_INS_RETF:
		f |= R_END;
		break;
	case X86_INS_MOV:
		if (x->op_count == 2 && x->operands[0].type == X86_OP_REG &&
		    (x->operands[0].reg == X86_REG_EAX || x->operands[0].reg == X86_REG_RAX) &&
		    x->operands[1].type == X86_OP_IMM && x->operands[1].imm == 15)
			f |= R_SET15;
		break;
	case X86_INS_SUB:
		if (x->op_count == 2 && x->operands[0].type == X86_OP_REG &&
		    x->operands[0].reg == X86_REG_RSP && x->operands[1].type == X86_OP_IMM &&
		    x->operands[1].imm > 0 && x->operands[1].imm < (1L << 31))
			*rsp_sub = x->operands[1].imm;
		break;
	}
	for (int i = 0; i < x->op_count; i++) {
		const cs_x86_op *o = &x->operands[i];
		if (o->type != X86_OP_MEM || o->mem.disp >= 0)
			continue;
		if (o->mem.base == X86_REG_RSP || o->mem.base == X86_REG_ESP)
			f |= R_REDZONE;
		else if (o->mem.base == X86_REG_RBP && -o->mem.disp < (1L << 31) &&
			 (uint32_t)-o->mem.disp > *rbp_neg)
			*rbp_neg = -o->mem.disp;
	}
	return f;
}

/* Decodes [start, end) of the segment into g->r; undecodable bytes are
 * stepped over one at a time (they end any window, see unsafe_window). */
static int sweep(struct rewriter *w, uint64_t start, uint64_t end, struct region *g)
{
	free(g->r);
	memset(g, 0, sizeof *g);
	g->start = start;
	g->end = end;
	size_t cap = 0;
	uint64_t a = start;
	while (a < end) {
		const uint8_t *code = w->seg + (a - w->seg_vaddr);
		size_t size = end - a;
		uint64_t addr = a;
		struct insn_rec rec = { .addr = a, .len = 1, .flags = R_END };
		if (cs_disasm_iter(w->cs, &code, &size, &addr, w->insn)) {
			rec.len = w->insn->size;
			rec.flags = classify(w->insn, &rec.rbp_neg, &rec.rsp_sub);
		}
		if (g->n == cap) {
			cap = cap ? cap * 2 : 256;
			struct insn_rec *n = realloc(g->r, cap * sizeof *n);
			if (!n)
				return -1;
			g->r = n;
		}
		g->r[g->n++] = rec;
		a += rec.len;
	}
	return 0;
}

static int cmp_func(const void *a, const void *b)
{
	const struct func *x = a, *y = b;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->end > y->end ? -1 : x->end < y->end;	/* largest first */
}

/* STT_FUNC symbols inside the segment, sorted; none if the file has no
 * (sane) .symtab. */
static void load_funcs(struct rewriter *w, const unsigned char *buf, size_t len)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)buf;
	if (!eh->e_shoff || eh->e_shentsize != sizeof(Elf64_Shdr) || eh->e_shoff > len ||
	    (len - eh->e_shoff) / sizeof(Elf64_Shdr) < eh->e_shnum)
		return;
	const Elf64_Shdr *sh = (const Elf64_Shdr *)(buf + eh->e_shoff);
	for (int i = 0; i < eh->e_shnum; i++) {
		if (sh[i].sh_type != SHT_SYMTAB || sh[i].sh_entsize != sizeof(Elf64_Sym) ||
		    sh[i].sh_offset > len || len - sh[i].sh_offset < sh[i].sh_size)
			continue;
		const Elf64_Sym *s = (const Elf64_Sym *)(buf + sh[i].sh_offset);
		size_t n = sh[i].sh_size / sizeof *s;
		struct func *f = malloc((n ? n : 1) * sizeof *f);
		if (!f)
			return;
		size_t k = 0;
		for (size_t j = 0; j < n; j++) {
			if (ELF64_ST_TYPE(s[j].st_info) != STT_FUNC || s[j].st_shndx == SHN_UNDEF)
				continue;
			uint64_t a = s[j].st_value, e = a + s[j].st_size;
			if (a < w->seg_vaddr || e < a || e > w->seg_vaddr + w->seg_len)
				continue;
			f[k++] = (struct func){ a, e };
		}
		qsort(f, k, sizeof *f, cmp_func);
		w->funcs = f;
		w->nfuncs = k;
		return;
	}
}

/* The function symbol whose body holds a, else the last one starting
 * before a (NULL if none). */
static const struct func *func_before(const struct rewriter *w, uint64_t a)
{
	size_t lo = 0, hi = w->nfuncs;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (w->funcs[mid].start <= a)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return NULL;
	for (size_t i = lo, k = 0; i-- > 0 && k < 8; k++)	/* aliases, nesting */
		if (w->funcs[i].end > a)
			return &w->funcs[i];
	return &w->funcs[lo - 1];
}

static size_t rec_index(const struct region *g, uint64_t a)
{
	size_t lo = 0, hi = g->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (g->r[mid].addr < a)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Whole-function check: any red-zone use makes every site of it unsafe. */
static int unsafe_function(const struct region *g)
{
	uint32_t sub = 0, rbp = 0;
	for (size_t i = 0; i < g->n; i++) {
		if (g->r[i].flags & R_REDZONE)
			return 1;
		if (g->r[i].rsp_sub > sub)
			sub = g->r[i].rsp_sub;
		if (g->r[i].rbp_neg > rbp)
			rbp = g->r[i].rbp_neg;
	}
	return rbp > sub;
}

/* Without function bounds: the straight-line code around site i. */
static int unsafe_window(const struct region *g, size_t i)
{
	size_t lo = i, hi = i;
	while (lo > 0 && !(g->r[lo - 1].flags & R_END))
		lo--;
	while (hi + 1 < g->n && !(g->r[hi].flags & R_END))
		hi++;
	struct region win = { .r = g->r + lo, .n = hi - lo + 1 };
	return unsafe_function(&win);
}

/* Rewrites the executable segment at buf + off (file bytes, writable copy). */
static int rewrite_segment(struct rewriter *w, unsigned char *seg, struct rewrite_result *res)
{
	struct region fn = { 0 }, whole = { 0 };
	int ret = 0;
	for (uint64_t o = w->skip; o + 1 < w->seg_len; o++) {
		if (seg[o] != 0x0f || seg[o + 1] != 0x05)
			continue;
		uint64_t a = w->seg_vaddr + o;
		const struct func *f = func_before(w, a);
		struct region *g;
		int sized = f && f->end > a;
		if (sized || (f && a - f->start < (1UL << 16))) {
			uint64_t end = sized ? f->end : a + 2;
			if (!sized) {	/* up to the next symbol or a little past */
				end = a + 4096;
				if (f + 1 < w->funcs + w->nfuncs && f[1].start > a && f[1].start < end)
					end = f[1].start;
				if (end > w->seg_vaddr + w->seg_len)
					end = w->seg_vaddr + w->seg_len;
			}
			if (fn.start != f->start || fn.end != end || !fn.r)
				if (sweep(w, f->start, end, &fn) < 0)
					goto oom;
			g = &fn;
		} else {
			if (!whole.r && sweep(w, w->seg_vaddr + w->skip, w->seg_vaddr + w->seg_len,
					      &whole) < 0)
				goto oom;
			g = &whole;
		}
		size_t i = rec_index(g, a);
		if (i >= g->n || g->r[i].addr != a || !(g->r[i].flags & R_SYSCALL))
			continue;	/* bytes inside another instruction */
		if (i > 0 && (g->r[i - 1].flags & R_SET15)) {
			res->sigreturn++;
			continue;
		}
		if (sized ? unsafe_function(g) : unsafe_window(g, i)) {
			res->redzone++;
			continue;
		}
		if (res->nsites % 64 == 0) {
			uint32_t *n = realloc(res->sites, (res->nsites + 64) * sizeof *n);
			if (!n)
				goto oom;
			res->sites = n;
		}
		res->sites[res->nsites++] = a;
		seg[o] = 0xff;
		seg[o + 1] = 0xd0;
		o++;
	}
out:
	free(fn.r);
	free(whole.r);
	return ret;
oom:
	ret = -1;
	goto out;
}

int rewrite_syscalls(unsigned char *buf, size_t len, struct rewrite_result *res)
{
	memset(res, 0, sizeof *res);
	struct rewriter w = { 0 };
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &w.cs) != CS_ERR_OK)
		return -1;
	cs_option(w.cs, CS_OPT_DETAIL, CS_OPT_ON);
	w.insn = cs_malloc(w.cs);
	int ret = w.insn ? 0 : -1;
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)buf;
	const Elf64_Phdr *ph = (const Elf64_Phdr *)(buf + eh->e_phoff);
	/* a segment may start with the ELF and program headers: never code */
	uint64_t hdr_end = eh->e_phoff + (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr);
	if (hdr_end < sizeof *eh)
		hdr_end = sizeof *eh;
	for (int i = 0; !ret && i < eh->e_phnum; i++) {
		if (ph[i].p_type != PT_LOAD || !(ph[i].p_flags & PF_X))
			continue;
		w.seg = buf + ph[i].p_offset;	/* in the file: checked by elf_check */
		w.seg_vaddr = ph[i].p_vaddr;
		w.seg_len = ph[i].p_filesz;
		w.skip = ph[i].p_offset < hdr_end ? hdr_end - ph[i].p_offset : 0;
		if (w.skip >= w.seg_len)
			continue;
		free(w.funcs);
		w.funcs = NULL;
		w.nfuncs = 0;
		load_funcs(&w, buf, len);
		ret = rewrite_segment(&w, buf + ph[i].p_offset, res);
	}
	free(w.funcs);
	if (w.insn)
		cs_free(w.insn, 1);
	cs_close(&w.cs);
	return ret;
}

int rewrite_is_site(const struct image *img, uintptr_t off)
{
	size_t n = img->nsites > 0 ? (size_t)img->nsites : 0, lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (img->sites[mid] < off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && img->sites[lo] == off;
}
