/* intlit.c - integer literals as bpftrace writes them.
 *
 * The forms of the latest bpftrace (docs/language.md "Literals"):
 *   decimal 123, octal 0123 (a leading 0), hex 0x7B;
 *   '_' between digits as a separator: 1_000_000 (not at the end);
 *   scientific D e N = D * 10^N with one digit D of 1-9 (integers only:
 *   2e3 is 2000, 1e-3 is not a literal);
 *   C suffixes u, l, ll, ul, ull in either case: they do not size the
 *   value, `u` only makes it unsigned;
 *   duration suffixes ns, us, ms, s, m, h, d after a decimal, octal or
 *   scientific number: the value in nanoseconds (1ms = 1000000).
 * Beyond bpftrace 0.26 (harmless, and as bpftrace's development tree or C
 * does): '_' and C suffixes in hex literals, and 1e0. */
#include <stdio.h>
#include <string.h>

#include "intlit.h"

struct intlit_scale {
	const char *suffix;
	uint64_t ns;
};

static const struct intlit_scale durations[] = {
	{ "ns", 1ull },
	{ "us", 1000ull },
	{ "ms", 1000000ull },
	{ "s", 1000000000ull },
	{ "m", 60000000000ull },
	{ "h", 3600000000000ull },
	{ "d", 86400000000000ull },
};

struct cursor {
	const char *p, *end;
	char *why;
	size_t whylen;
};

static enum intlit_status invalid(struct cursor *c, const char *reason)
{
	snprintf(c->why, c->whylen, "%s", reason);
	return INTLIT_INVALID;
}

static char no_reason[1]; /* where reasons go when the caller wants none */

static int digit_value(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return 99;
}

static bool mul_overflows(uint64_t a, uint64_t b, uint64_t *out)
{
	if (b && a > UINT64_MAX / b)
		return true;
	*out = a * b;
	return false;
}

/* Digits of `base` with '_' separators. Octal stops at nothing but 0-9 so
 * that "08" is reported rather than read as 0 followed by junk. */
static enum intlit_status read_digits(struct cursor *c, int base, uint64_t *value, bool *overflow)
{
	int ndigits = 0;
	const char *start = c->p;
	*value = 0;
	for (; c->p < c->end; c->p++) {
		char ch = *c->p;
		if (ch == '_')
			continue;
		int d = digit_value(ch);
		if (d >= (base == 8 ? 10 : base))
			break;
		if (d >= base) {
			snprintf(c->why, c->whylen, "'%c' is not an octal digit (a leading 0 means octal)", ch);
			return INTLIT_INVALID;
		}
		uint64_t shifted = 0;
		if (mul_overflows(*value, (uint64_t)base, &shifted) || shifted > UINT64_MAX - (uint64_t)d)
			*overflow = true;
		*value = shifted + (uint64_t)d;
		ndigits++;
	}
	if (ndigits == 0)
		return invalid(c, base == 16 ? "no digits after '0x'" : "no digits");
	if (c->p > start && c->p[-1] == '_')
		return invalid(c, "'_' may only separate digits, not end them");
	return INTLIT_OK;
}

/* "e N" after the coefficient: value = coefficient * 10^N. */
static enum intlit_status read_exponent(struct cursor *c, uint64_t *value, bool *overflow)
{
	if (*value < 1 || *value > 9)
		return invalid(c, "the part before 'e' must be one digit, 1 to 9 (2e3 is 2000)");
	c->p++; /* 'e' */
	uint64_t exponent;
	bool exp_overflow = false;
	enum intlit_status st = read_digits(c, 10, &exponent, &exp_overflow);
	if (st != INTLIT_OK)
		return st;
	for (uint64_t i = 0; i < exponent && !*overflow; i++)
		*overflow = exp_overflow || mul_overflows(*value, 10, value);
	return INTLIT_OK;
}

static bool is_c_suffix(const char *s, size_t len, bool *is_unsigned)
{
	size_t i = 0;
	*is_unsigned = false;
	if (i < len && (s[i] == 'u' || s[i] == 'U')) {
		*is_unsigned = true;
		i++;
	}
	size_t ls = 0;
	while (i < len && (s[i] == 'l' || s[i] == 'L') && ls < 2) {
		i++;
		ls++;
	}
	return len > 0 && i == len;
}

static const struct intlit_scale *find_duration(const char *s, size_t len)
{
	for (size_t i = 0; i < sizeof(durations) / sizeof(durations[0]); i++)
		if (strlen(durations[i].suffix) == len && memcmp(durations[i].suffix, s, len) == 0)
			return &durations[i];
	return NULL;
}

static enum intlit_status read_suffix(struct cursor *c, int base, struct intlit *out, bool *overflow)
{
	const char *s = c->p;
	size_t len = (size_t)(c->end - c->p);
	if (len == 0)
		return INTLIT_OK;
	bool is_unsigned;
	if (is_c_suffix(s, len, &is_unsigned)) {
		out->is_unsigned = is_unsigned;
		return INTLIT_OK;
	}
	const struct intlit_scale *scale = base == 16 ? NULL : find_duration(s, len);
	if (scale) {
		if (mul_overflows(out->value, scale->ns, &out->value))
			*overflow = true;
		return INTLIT_OK;
	}
	if ((s[0] == 'e' || s[0] == 'E') && base != 16)
		return invalid(c, "'e' must be followed by the exponent's digits (1e-3 is not an integer)");
	snprintf(c->why, c->whylen, "unknown suffix '%.*s' (%s)", (int)(len > 16 ? 16 : len), s,
		 base == 16 ? "a hex literal takes u, l, ll, ul or ull"
			    : "u, l, ll, ul, ull, or a duration: ns, us, ms, s, m, h, d");
	return INTLIT_INVALID;
}

enum intlit_status intlit_parse(const char *text, size_t len, bool allow_suffix, struct intlit *out,
				char *why, size_t whylen)
{
	struct cursor c = { text, text + len, why ? why : no_reason, why ? whylen : sizeof(no_reason) };
	int base = 10;
	bool overflow = false;
	memset(out, 0, sizeof(*out));
	c.why[0] = '\0';
	if (len >= 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
		base = 16;
		c.p += 2;
	} else if (len >= 2 && text[0] == '0' && ((text[1] >= '0' && text[1] <= '9') || text[1] == '_')) {
		base = 8;
	}
	enum intlit_status st = read_digits(&c, base, &out->value, &overflow);
	if (st == INTLIT_OK && base != 16 && c.p + 1 < c.end && (*c.p == 'e' || *c.p == 'E') &&
	    c.p[1] >= '0' && c.p[1] <= '9')
		st = read_exponent(&c, &out->value, &overflow);
	if (st == INTLIT_OK && c.p < c.end && !allow_suffix)
		st = invalid(&c, "only digits are allowed here");
	if (st == INTLIT_OK)
		st = read_suffix(&c, base, out, &overflow);
	if (st == INTLIT_OK && overflow)
		return INTLIT_RANGE;
	return st;
}
