/* Unit tests of elf_check: each kind of bad input gets its own message. */
#include <elf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <time.h>

#include "../../src/ufork.h"
#include "unit.h"

int runtime_fd(int fd) { return fd; }
int fast_syscalls, trace_syscalls, show_stats;
void ulog(const char *fmt, ...) { (void)fmt; }
void pkey_apply(uintptr_t addr, size_t len, int prot) { (void)addr; (void)len; (void)prot; }
unsigned char ufork_pkru_on;
long pkey_scan_code(const unsigned char *code, size_t n) { (void)code; (void)n; return -1; }

static unsigned char buf[4096];

static void make_static_pie(void)
{
	memset(buf, 0, sizeof buf);
	Elf64_Ehdr *eh = (Elf64_Ehdr *)buf;
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_type = ET_DYN;
	eh->e_machine = EM_X86_64;
	eh->e_entry = 0x100;
	eh->e_phoff = sizeof *eh;
	eh->e_phentsize = sizeof(Elf64_Phdr);
	eh->e_phnum = 2;
	Elf64_Phdr *ph = (Elf64_Phdr *)(buf + sizeof *eh);
	ph[0] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = PF_R | PF_X, .p_filesz = 4096,
			      .p_memsz = 4096 };
	ph[1] = (Elf64_Phdr){ .p_type = PT_DYNAMIC, .p_offset = 0x200, .p_vaddr = 0x200 };
}

static int check(size_t len, const char *want)
{
	char err[256] = "";
	int r = elf_check(buf, len, err, sizeof err);
	if (!want)
		return r == 0;
	if (r == 0 || !strstr(err, want)) {
		fprintf(stderr, "  got '%s', want '%s'\n", err, want);
		return 0;
	}
	return 1;
}

static void elf_accepts_static_pie(void)
{
	make_static_pie();
	CHECK(check(sizeof buf, NULL));
}

static void elf_rejects_bad_inputs(void)
{
	make_static_pie();
	CHECK(check(3, "not an ELF"));
	memcpy(buf, "#!/bin/sh\n", 10);
	CHECK(check(sizeof buf, "not an ELF"));
	make_static_pie();
	CHECK(check(40, "truncated"));
	CHECK(check(sizeof(Elf64_Ehdr) + 10, "truncated"));
	CHECK(check(2000, "truncated"));	/* segment beyond the file */
	((Elf64_Ehdr *)buf)->e_type = ET_EXEC;
	CHECK(check(sizeof buf, "position-independent"));
	make_static_pie();
	((Elf64_Ehdr *)buf)->e_machine = EM_AARCH64;
	CHECK(check(sizeof buf, "x86-64"));
	make_static_pie();
	Elf64_Phdr *ph = (Elf64_Phdr *)(buf + sizeof(Elf64_Ehdr));
	ph[1].p_type = PT_INTERP;
	CHECK(check(sizeof buf, "dynamically linked"));
	make_static_pie();
	ph[1].p_type = PT_NOTE;
	CHECK(check(sizeof buf, "static-PIE"));
	make_static_pie();
	((Elf64_Ehdr *)buf)->e_entry = 0x5000;
	CHECK(check(sizeof buf, "entry point"));
	make_static_pie();
	((Elf64_Ehdr *)buf)->e_phnum = 1000;
	CHECK(check(sizeof buf, "program headers"));
}

/* rewrite_syscalls on a stripped code segment: which sites become call *%rax */
static void rewrite_finds_safe_sites(void)
{
	static const unsigned char code[] = {
		0xb8, 0x27, 0, 0, 0, 0x0f, 0x05, 0xc3,		/* getpid: rewritten */
		0x48, 0x89, 0x7c, 0x24, 0xf8,			/* mov %rdi,-8(%rsp) */
		0xb8, 0x27, 0, 0, 0, 0x0f, 0x05, 0xc3,		/* red zone: left */
		0x48, 0xc7, 0xc0, 0x0f, 0, 0, 0, 0x0f, 0x05, 0x0f, 0x0b,	/* rt_sigreturn: left */
		0xb8, 0x0f, 0x05, 0, 0, 0xc3,			/* mov $0x50f: no site */
		0x48, 0x83, 0xec, 0x18, 0x48, 0x89, 0x7c, 0x24, 0x08,	/* sub $24; mov 8(%rsp) */
		0xb8, 0x27, 0, 0, 0, 0x0f, 0x05, 0x48, 0x83, 0xc4, 0x18, 0xc3,	/* rewritten */
	};
	make_static_pie();
	Elf64_Phdr *ph = (Elf64_Phdr *)(buf + sizeof(Elf64_Ehdr));
	ph[0].p_offset = ph[0].p_vaddr = 0x800;
	ph[0].p_filesz = ph[0].p_memsz = sizeof code;
	memcpy(buf + 0x800, code, sizeof code);
	struct rewrite_result r;
	CHECK(rewrite_syscalls(buf, sizeof buf, &r) == 0);
	CHECK(r.nsites == 2 && r.redzone == 1 && r.sigreturn == 1);
	CHECK(r.nsites == 2 && r.sites[0] == 0x805 && r.sites[1] == 0x800 + 52);
	CHECK(buf[0x805] == 0xff && buf[0x806] == 0xd0 && buf[0x834] == 0xff && buf[0x835] == 0xd0);
	CHECK(buf[0x812] == 0x0f && buf[0x81c] == 0x0f && buf[0x821] == 0x0f && buf[0x822] == 0x05);
	struct image img = { .sites = r.sites, .nsites = r.nsites };
	CHECK(rewrite_is_site(&img, 0x805) && rewrite_is_site(&img, 0x834));
	CHECK(!rewrite_is_site(&img, 0x812) && !rewrite_is_site(&img, 0x806));
	free(r.sites);
}

/* elf_dynsym on the host's vDSO (the test's own) and on non-ELF bytes */
static void elf_dynsym_finds_vdso_symbols(void)
{
	const void *vdso = (const void *)getauxval(AT_SYSINFO_EHDR);
	CHECK(vdso != NULL);
	if (!vdso)
		return;
	int (*cgt)(clockid_t, struct timespec *) = elf_dynsym(vdso, "__vdso_clock_gettime");
	CHECK(cgt != NULL);
	struct timespec a = { 0 }, b = { 0 };
	CHECK(cgt && cgt(CLOCK_MONOTONIC, &a) == 0 && clock_gettime(CLOCK_MONOTONIC, &b) == 0);
	CHECK(a.tv_sec > 0 && (a.tv_sec < b.tv_sec || (a.tv_sec == b.tv_sec && a.tv_nsec <= b.tv_nsec)));
	CHECK(elf_dynsym(vdso, "no_such_symbol") == NULL);
	static unsigned char junk[256];
	memset(junk, 0x41, sizeof junk);
	CHECK(elf_dynsym(junk, "__vdso_clock_gettime") == NULL);
}

int main(void)
{
	int any_failed = 0;
	RUN(elf_dynsym_finds_vdso_symbols);
	RUN(elf_accepts_static_pie);
	RUN(elf_rejects_bad_inputs);
	RUN(rewrite_finds_safe_sites);
	return any_failed;
}
