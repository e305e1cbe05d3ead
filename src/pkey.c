/*
 * pkey.c - isolation between µprocesses with memory protection keys (MPK).
 *
 * The level is chosen with --isolation=none|fault|full (default none):
 *  - none: µprocesses and the runtime share every page, as today;
 *  - fault: each µprocess slot under its own protection key, PKRU switched
 *    on every entry to and exit from the runtime, executable code scanned
 *    for WRPKRU/XRSTOR, pointers passed to syscalls checked against the
 *    caller's slot;
 *  - full: fault, plus syscall in-arguments copied into runtime memory
 *    before they are checked and forwarded (no TOCTTOU).
 *
 * This file owns the level, the start-up check that the CPU and the kernel
 * provide protection keys, and (later) the key map.  Protection keys need
 * CPUID.(EAX=7,ECX=0):ECX.OSPKE (the CPU has PKU and the kernel set
 * CR4.PKE) and a working pkey_alloc(2); a host without them runs only at
 * level none, and asking for more fails at start-up with one line.
 *
 * Enforcement is not implemented yet: on a host with protection keys the
 * levels fault and full also fail at start-up, with a line that says so,
 * rather than run without the isolation they promise.
 */
#include "ufork.h"

#include <cpuid.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
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
	snprintf(err, errlen, "--isolation=%s is not implemented yet "
		 "(only --isolation=none runs)", isolation_name(isolation));
	return -1;
}

/*
 * The code scan (ERIM): a µprocess must not be able to execute an
 * instruction that changes PKRU.  Two do from user mode:
 *  - WRPKRU, 0F 01 EF;
 *  - XRSTOR / XRSTOR64, 0F AE /5 with a memory operand (ModRM mod != 3;
 *    mod = 3 with reg 5 is LFENCE), under any prefixes, REX.W included:
 *    with bit 9 of its mask it loads PKRU from memory.
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
	}
	return -1;
}
