/* Unit tests of elf_check: each kind of bad input gets its own message. */
#include <elf.h>
#include <string.h>

#include "../../src/ufork.h"
#include "unit.h"

int runtime_fd(int fd) { return fd; }
int fast_syscalls, trace_syscalls, show_stats;
void ulog(const char *fmt, ...) { (void)fmt; }

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

int main(void)
{
	int any_failed = 0;
	RUN(elf_accepts_static_pie);
	RUN(elf_rejects_bad_inputs);
	return any_failed;
}
