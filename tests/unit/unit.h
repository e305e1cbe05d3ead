/* unit.h - a tiny unit-test harness: CHECK records failures, each test
 * binary prints one "PASS name" or "FAIL name" line per test function. */
#ifndef UNIT_H
#define UNIT_H
#include <stdio.h>

static int unit_failed;
#define CHECK(cond)                                                              \
	do {                                                                     \
		if (!(cond)) {                                                   \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__,   \
				__LINE__, #cond);                                \
			unit_failed = 1;                                         \
		}                                                                \
	} while (0)
#define RUN(fn)                                                                  \
	do {                                                                     \
		unit_failed = 0;                                                 \
		fn();                                                            \
		printf("%s %s\n", unit_failed ? "FAIL" : "PASS", #fn);           \
		any_failed |= unit_failed;                                       \
	} while (0)
#endif
