/* intlit.h - integer literals as bpftrace writes them (src/intlit.c).
 *
 * One parser for every place a script writes a number: expression literals
 * (the lexer), interval/profile rates and positional parameters used in
 * attach points, so `1e3` or `1_000` mean the same everywhere. */
#ifndef SONDE_INTLIT_H
#define SONDE_INTLIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum intlit_status {
	INTLIT_OK,
	INTLIT_INVALID, /* not an integer literal; `why` says what is wrong */
	INTLIT_RANGE,   /* well formed, but the value needs more than 64 bits */
};

struct intlit {
	uint64_t value;
	bool is_unsigned; /* written with a `u` suffix */
};

/* Parse all of text[0, len). With allow_suffix false only digits (and '_',
 * an exponent) are accepted: no C or duration suffix. On INTLIT_INVALID,
 * why (NULL, or whylen bytes; 96 hold any reason) gets a short reason such
 * as "'8' is not an octal digit (a leading 0 means octal)". */
enum intlit_status intlit_parse(const char *text, size_t len, bool allow_suffix, struct intlit *out,
				char *why, size_t whylen);

#endif
