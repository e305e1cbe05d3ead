/*
 * vdso.c - the vDSO µprocesses get.  µprocesses never see the host's vDSO
 * (AT_SYSINFO_EHDR is the runtime's to give): they get ours, a tiny shared
 * object built from src/vdso/image.c, mapped once at start-up outside every
 * slot (one address for all µprocesses, so fork and exec keep it), whose
 * functions jump to the host vDSO's clock code.  A clock_gettime then costs
 * what it costs natively instead of a trapped syscall; what the host's code
 * cannot answer in user mode (CPU-time clocks, bad ids) it asks with a
 * `syscall`, which traps into the runtime as usual.
 *
 * Invariants: the page is filled before any µprocess runs and sealed
 * read+exec; vdso_base is 0 when there is none (AT_IGNORE in the auxv).
 * With protection keys, µprocesses could not run the host's code (the
 * runtime's key): the page would then need clock parameters of its own.
 */
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>

#include "ufork.h"

extern const unsigned char vdso_image[], vdso_image_end[];
uintptr_t vdso_base;

void vdso_init(void)
{
	static const char *names[] = { "__vdso_clock_gettime", "__vdso_gettimeofday",
				       "__vdso_time", "__vdso_getcpu" };
	size_t len = vdso_image_end - vdso_image, maplen = PAGE_UP(len);
	unsigned char *m = mmap(NULL, maplen, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return;
	memcpy(m, vdso_image, len);
	void **table = elf_dynsym(m, "ufork_vdso_table_export");
	const void *host = (const void *)getauxval(AT_SYSINFO_EHDR);
	if (!table) {
		munmap(m, maplen);
		return;
	}
	for (unsigned i = 0; i < sizeof names / sizeof names[0]; i++)
		table[i] = host ? elf_dynsym(host, names[i]) : NULL;
	if (mprotect(m, maplen, PROT_READ | PROT_EXEC) < 0) {
		munmap(m, maplen);
		return;
	}
	vdso_base = (uintptr_t)m;
}
