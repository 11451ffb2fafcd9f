/* check.h - the unit tests' assertions: a failed check says where and
 * what, counts in `failures`, and the test goes on so one run reports
 * every failure. main() returns failures != 0. */
#ifndef SONDE_TEST_CHECK_H
#define SONDE_TEST_CHECK_H

#include <stdio.h>

static int failures;

/* CHECK(cond): report the condition's text. */
#define CHECK(cond)                                                                      \
	do {                                                                             \
		if (!(cond)) {                                                           \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
			failures++;                                                      \
		}                                                                        \
	} while (0)

/* CHECKF(cond, fmt, ...): also say what was seen. */
#define CHECKF(cond, ...)                                                                \
	do {                                                                             \
		if (!(cond)) {                                                           \
			failures++;                                                      \
			fprintf(stderr, "%s:%d: CHECK(%s) failed: ", __FILE__, __LINE__, #cond); \
			fprintf(stderr, __VA_ARGS__);                                    \
			fputc('\n', stderr);                                             \
		}                                                                        \
	} while (0)


#endif
