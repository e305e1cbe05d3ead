/* Unit tests of pkey.c: the --isolation levels and the code scan for
 * instructions that change PKRU (WRPKRU, XRSTOR in every encoding). */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "../../src/ufork.h"
#include "unit.h"

int slot_index_of(uintptr_t a) { (void)a; return -1; }
int in_shared_area(uintptr_t a, size_t n) { (void)a; (void)n; return 0; }
void ulog(const char *fmt, ...) { (void)fmt; }
void ufork_pkru_open(void) {}
char ufork_entry_text[1], ufork_entry_text_end[1];
int trace_syscalls;
/* pkey_code_ok reads "user" memory through this: here plain memory */
int copy_from_user(struct uproc *p, void *dst, uintptr_t src, size_t n)
{
	(void)p;
	memcpy(dst, (const void *)src, n);
	return 0;
}

static long scan(const char *bytes, size_t n)
{
	return pkey_scan_code((const unsigned char *)bytes, n);
}

static void pkey_levels(void)
{
	CHECK(isolation_parse("none") == ISOLATION_NONE);
	CHECK(isolation_parse("fault") == ISOLATION_FAULT);
	CHECK(isolation_parse("full") == ISOLATION_FULL);
	CHECK(isolation_parse("") < 0 && isolation_parse("Full") < 0 && isolation_parse("fault ") < 0);
	CHECK(!strcmp(isolation_name(ISOLATION_FULL), "full"));
}

static void pkey_scan_finds_wrpkru(void)
{
	CHECK(scan("\x0f\x01\xef", 3) == 0);
	CHECK(scan("\x90\x90\x0f\x01\xef\xc3", 6) == 2);
	/* inside another instruction: mov $0xef010f, %eax */
	CHECK(scan("\xb8\x0f\x01\xef\x00", 5) == 1);
	CHECK(scan("\x0f\x01\xee", 3) == -1);		/* rdpkru is harmless */
	CHECK(scan("\x0f\x01", 2) == -1);		/* cut short */
	CHECK(scan("\x0f\x01\xef", 2) == -1);		/* the range ends first */
}

static void pkey_scan_finds_xrstor(void)
{
	CHECK(scan("\x0f\xae\x2e", 3) == 0);		/* xrstor (%rsi) */
	CHECK(scan("\x48\x0f\xae\x2e", 4) == 1);	/* xrstor64 (%rsi): REX.W */
	CHECK(scan("\x41\x0f\xae\x28", 4) == 1);	/* xrstor (%r8): REX.B */
	CHECK(scan("\x0f\xae\x6c\x24\x08", 5) == 0);	/* xrstor 8(%rsp): mod 1 */
	CHECK(scan("\x0f\xae\xac\x24\x00\x01\x00\x00", 8) == 0);	/* mod 2 */
	CHECK(scan("\x0f\xae\xe8", 3) == -1);		/* lfence: mod 3 */
	CHECK(scan("\x0f\xae\x26", 3) == -1);		/* xsave (%rsi): /4 */
	CHECK(scan("\x0f\xae\x36", 3) == -1);		/* xsaveopt: /6 */
	CHECK(scan("\x0f\xae\x16", 3) == -1);		/* ldmxcsr: /2 */
}

static void pkey_scan_finds_wrgsbase(void)
{
	CHECK(scan("\xf3\x48\x0f\xae\xdf", 5) == 2);	/* wrgsbase %rdi */
	CHECK(scan("\xf3\x0f\xae\xd8", 4) == 1);	/* wrgsbase %eax */
	CHECK(scan("\xf3\x48\x0f\xae\xcf", 5) == -1);	/* rdgsbase %rdi: /1 */
	CHECK(scan("\xf3\x48\x0f\xae\xd7", 5) == -1);	/* wrfsbase %rdi: /2 */
}

static void pkey_scan_plain_code(void)
{
	/* push %rbp; mov %rsp,%rbp; syscall; cpuid; pop %rbp; ret */
	CHECK(scan("\x55\x48\x89\xe5\x0f\x05\x0f\xa2\x5d\xc3", 10) == -1);
	unsigned char big[8192];
	memset(big, 0x90, sizeof big);
	CHECK(pkey_scan_code(big, sizeof big) == -1);
	big[8189] = 0x0f, big[8190] = 0x01, big[8191] = 0xef;
	CHECK(pkey_scan_code(big, sizeof big) == 8189);
}

/* pkey_code_ok reads in 4 KiB chunks: an instruction across two chunks
 * is found too; with isolation off nothing is refused; W^X */
static void pkey_code_ok_chunks(void)
{
	static unsigned char big[3 * 4096];
	memset(big, 0x90, sizeof big);
	ufork_pkru_on = 1;
	CHECK(pkey_code_ok(NULL, (uintptr_t)big, sizeof big) == 0);
	for (size_t at = 4094; at <= 4096; at++) {
		memset(big, 0x90, sizeof big);
		big[at] = 0x0f, big[at + 1] = 0x01, big[at + 2] = 0xef;
		CHECK(pkey_code_ok(NULL, (uintptr_t)big, sizeof big) == -EACCES);
	}
	CHECK(pkey_exec_prot_ok(PROT_READ | PROT_EXEC, 0) == 0);
	CHECK(pkey_exec_prot_ok(PROT_READ | PROT_WRITE | PROT_EXEC, 0) == -EACCES);
	CHECK(pkey_exec_prot_ok(PROT_READ | PROT_EXEC, 1) == -EACCES);
	CHECK(pkey_exec_prot_ok(PROT_READ | PROT_WRITE, 1) == 0);
	ufork_pkru_on = 0;
	CHECK(pkey_code_ok(NULL, (uintptr_t)big, sizeof big) == 0);
	CHECK(pkey_exec_prot_ok(PROT_READ | PROT_WRITE | PROT_EXEC, 0) == 0);
}

int main(void)
{
	int any_failed = 0;
	RUN(pkey_levels);
	RUN(pkey_scan_finds_wrpkru);
	RUN(pkey_scan_finds_xrstor);
	RUN(pkey_scan_finds_wrgsbase);
	RUN(pkey_scan_plain_code);
	RUN(pkey_code_ok_chunks);
	return any_failed;
}
