/* printf.c - formatting printf() records the way bpftrace does.
 *
 * The user's format string is never handed to printf(3). Each conversion is
 * parsed here; a conversion we accept is rebuilt as a one-conversion format
 * from validated parts (flags, bounded width and precision, our own length
 * modifier) and printed with exactly one argument of the matching C type.
 * Anything we do not accept is copied to the output literally, so no format
 * can read a missing argument or overflow anything.
 *
 * Semantics (bpftrace, 0.17 and the latest alike): the length modifier
 * picks the C type the 64-bit value is converted to, as printf(3) would
 * read it: none = int / unsigned int, `h` = short, `hh` = char, `l`, `ll`,
 * `j`, `z`, `t` = 64 bits. So `%d` of a syscall's `int` argument held in a
 * zero-extended 8-byte slot prints -1, not 4294967295, and `%d` of a value
 * above 32 bits prints its low half (use `%ld`). `%p` prints like glibc
 * ("0x41", "(nil)"); `%%` prints "%"; unknown conversions stay as written
 * ("%f" prints "%f"). */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime.h"
#include "util.h"

/* Widths and precisions above this are not conversions (printf(3) would
 * fail with EOVERFLOW near INT_MAX; nobody needs a megabyte of padding). */
#define FMT_MAX_WIDTH 100000

enum fmt_length { LEN_NONE, LEN_HH, LEN_H, LEN_WIDE };

struct fmt_spec {
	char flags[6];  /* subset of "-+ #0", NUL-terminated */
	int width;      /* -1 = none */
	int precision;  /* -1 = none */
	enum fmt_length length;
	char conv;      /* one of "diuoxXcsp%", or RT_CONV_BUF* */
	size_t len;     /* bytes of the spec in the format, from the '%' */
};

static bool parse_number(const char **p, int *out)
{
	long v = 0;
	while (**p >= '0' && **p <= '9') {
		v = v * 10 + (**p - '0');
		if (v > FMT_MAX_WIDTH)
			return false;
		(*p)++;
	}
	*out = (int)v;
	return true;
}

/* Parse the conversion starting at fmt[0] == '%'. False if it is not one we
 * format (the caller then copies the '%' literally). */
static bool parse_spec(const char *fmt, struct fmt_spec *s)
{
	const char *p = fmt + 1;
	int nflags = 0;

	memset(s, 0, sizeof(*s));
	s->width = -1;
	s->precision = -1;
	if (*p == '%') {
		s->conv = '%';
		s->len = 2;
		return true;
	}
	while (*p && strchr("-+ #0", *p)) {
		if (!strchr(s->flags, *p)) {
			if (nflags == 5)
				return false;
			s->flags[nflags++] = *p;
		}
		p++;
	}
	if (*p >= '0' && *p <= '9' && !parse_number(&p, &s->width))
		return false;
	if (*p == '.') {
		p++;
		if (!parse_number(&p, &s->precision)) /* "%.d" = precision 0, as C */
			return false;
	}
	if (p[0] == 'h' && p[1] == 'h') {
		s->length = LEN_HH;
		p += 2;
	} else if (p[0] == 'h') {
		s->length = LEN_H;
		p++;
	} else if (p[0] == 'l' && p[1] == 'l') {
		s->length = LEN_WIDE;
		p += 2;
	} else if (p[0] && strchr("ljzt", p[0])) {
		s->length = LEN_WIDE;
		p++;
	}
	if (p[0] == 'g' && p[1] == 'r') {
		s->conv = RT_CONV_GFP;
		s->len = (size_t)(p + 2 - fmt);
		return true;
	}
	if (p[0] == 'r') {
		s->conv = p[1] == 'x' ? RT_CONV_BUF_HEX : p[1] == 'h' ? RT_CONV_BUF_SPACED : RT_CONV_BUF;
		p += s->conv == RT_CONV_BUF ? 1 : 2;
		s->len = (size_t)(p - fmt);
		return true;
	}
	if (!*p || !strchr("diuoxXcsp", *p))
		return false;
	s->conv = *p++;
	s->len = (size_t)(p - fmt);
	return true;
}

int rt_printf_conversions(const char *fmt, char *convs, int max)
{
	int n = 0;
	for (const char *p = fmt; *p; p++) {
		struct fmt_spec s;
		if (*p != '%' || !parse_spec(p, &s))
			continue;
		p += s.len - 1;
		if (s.conv == '%')
			continue;
		if (convs && n < max)
			convs[n] = s.conv;
		n++;
	}
	return n;
}

/* Build "%<flags><width>.<precision><len><conv>" from validated parts. */
static void build_format(char *buf, size_t size, const struct fmt_spec *s,
			 const char *len, char conv, bool keep_precision)
{
	char width[16] = "", prec[16] = "";
	if (s->width >= 0)
		snprintf(width, sizeof(width), "%d", s->width);
	if (keep_precision && s->precision >= 0)
		snprintf(prec, sizeof(prec), ".%d", s->precision);
	snprintf(buf, size, "%%%s%s%s%s%c", s->flags, width, prec, len, conv);
}

static void print_string(FILE *out, const struct fmt_spec *s, const char *str)
{
	char f[64];
	build_format(f, sizeof(f), s, "", 's', true);
	fprintf(out, f, str);
}

static void print_integer(FILE *out, const struct fmt_spec *s, uint64_t bits)
{
	char f[64];
	bool is_signed = s->conv == 'd' || s->conv == 'i';

	switch (s->conv) {
	case 'c':
		build_format(f, sizeof(f), s, "", 'c', false);
		fprintf(out, f, (int)(unsigned char)bits);
		return;
	case 'p':
		build_format(f, sizeof(f), s, "", 'p', true);
		fprintf(out, f, (void *)(uintptr_t)bits);
		return;
	case 's': {
		/* sema rejects %s of an integer; print its value rather than garbage */
		char num[32];
		snprintf(num, sizeof(num), "%" PRId64, (int64_t)bits);
		print_string(out, s, num);
		return;
	}
	}
	if (s->length == LEN_HH) {
		build_format(f, sizeof(f), s, "hh", s->conv, true);
		if (is_signed)
			fprintf(out, f, (int)(signed char)bits);
		else
			fprintf(out, f, (unsigned)(unsigned char)bits);
	} else if (s->length == LEN_H) {
		build_format(f, sizeof(f), s, "h", s->conv, true);
		if (is_signed)
			fprintf(out, f, (int)(short)bits);
		else
			fprintf(out, f, (unsigned)(unsigned short)bits);
	} else if (s->length == LEN_NONE) {
		build_format(f, sizeof(f), s, "", s->conv, true);
		if (is_signed)
			fprintf(out, f, (int)(int32_t)bits);
		else
			fprintf(out, f, (unsigned)(uint32_t)bits);
	} else {
		build_format(f, sizeof(f), s, "ll", s->conv, true);
		if (is_signed)
			fprintf(out, f, (long long)(int64_t)bits);
		else
			fprintf(out, f, (unsigned long long)bits);
	}
}

/* %r, %rx, %rh of n bytes (a buffer, or a string's characters), then
 * padded as a string. */
static void print_buffer(FILE *out, const struct fmt_spec *s, const unsigned char *p, size_t n)
{
	struct xtext t;
	FILE *mem = xtext_open(&t);
	for (size_t i = 0; i < n; i++) {
		if (s->conv == RT_CONV_BUF_SPACED)
			fprintf(mem, i ? " %02x" : "%02x", p[i]);
		else if (s->conv == RT_CONV_BUF && p[i] >= 32 && p[i] <= 126)
			fputc(p[i], mem);
		else
			fprintf(mem, "\\x%02x", p[i]);
	}
	char *text = xtext_close(&t, NULL);
	struct fmt_spec as_s = *s;
	as_s.precision = -1;
	print_string(out, &as_s, text);
	free(text);
}

static void print_value_text(FILE *out, const struct fmt_spec *s, const struct type *t,
			     const unsigned char *at)
{
	struct xtext buf;
	struct rt_arena *a = rt_arena_new();
	rt_value_text(xtext_open(&buf), rt_decode(a, t, at));
	char *text = xtext_close(&buf, NULL);
	print_string(out, s, text);
	free(text);
	rt_arena_free(a);
}

/* The kernel's GFP bits (include/linux/gfp_types.h, 6.x numbering) and the
 * names the latest bpftrace gives them; compound masks first, as the
 * kernel's own tracepoint output (mmflags.h) matches them. */
#define GFP_BIT(n) (1ull << (n))
enum {
	G_DMA = 0, G_HIGHMEM, G_DMA32, G_MOVABLE, G_RECLAIMABLE, G_HIGH, G_IO, G_FS, G_ZERO,
	G_UNUSED, G_DIRECT_RECLAIM, G_KSWAPD_RECLAIM, G_WRITE, G_NOWARN, G_RETRY_MAYFAIL,
	G_NOFAIL, G_NORETRY, G_MEMALLOC, G_COMP, G_NOMEMALLOC, G_HARDWALL, G_THISNODE,
	G_ACCOUNT, G_ZEROTAGS, G_SKIP_ZERO, G_SKIP_KASAN, G_NO_OBJ_EXT,
};
#define GFP_RECLAIM (GFP_BIT(G_DIRECT_RECLAIM) | GFP_BIT(G_KSWAPD_RECLAIM))
#define GFP_KERNEL_M (GFP_RECLAIM | GFP_BIT(G_IO) | GFP_BIT(G_FS))
#define GFP_NOFS_M (GFP_RECLAIM | GFP_BIT(G_IO))
#define GFP_USER_M (GFP_NOFS_M | GFP_BIT(G_FS) | GFP_BIT(G_HARDWALL))
#define GFP_HIGHUSER_M (GFP_USER_M | GFP_BIT(G_HIGHMEM))
#define GFP_HIGHUSER_MOVABLE_M (GFP_HIGHUSER_M | GFP_BIT(G_MOVABLE) | GFP_BIT(G_SKIP_KASAN))
#define GFP_TRANSHUGE_LIGHT_M ((GFP_HIGHUSER_MOVABLE_M | GFP_BIT(G_COMP) | GFP_BIT(G_NOMEMALLOC) | \
				GFP_BIT(G_NOWARN)) & ~GFP_RECLAIM)

static const struct {
	uint64_t mask;
	const char *name;
} gfp_names[] = {
	{ GFP_TRANSHUGE_LIGHT_M | GFP_BIT(G_DIRECT_RECLAIM), "GFP_TRANSHUGE" },
	{ GFP_TRANSHUGE_LIGHT_M, "GFP_TRANSHUGE_LIGHT" },
	{ GFP_HIGHUSER_MOVABLE_M, "GFP_HIGHUSER_MOVABLE" },
	{ GFP_HIGHUSER_M, "GFP_HIGHUSER" },
	{ GFP_USER_M, "GFP_USER" },
	{ GFP_KERNEL_M | GFP_BIT(G_ACCOUNT), "GFP_KERNEL_ACCOUNT" },
	{ GFP_KERNEL_M, "GFP_KERNEL" },
	{ GFP_NOFS_M, "GFP_NOFS" },
	{ GFP_BIT(G_HIGH) | GFP_BIT(G_KSWAPD_RECLAIM), "GFP_ATOMIC" },
	{ GFP_RECLAIM, "GFP_NOIO" },
	{ GFP_BIT(G_KSWAPD_RECLAIM) | GFP_BIT(G_NOWARN), "GFP_NOWAIT" },
	{ GFP_BIT(G_DMA), "GFP_DMA" },
	{ GFP_BIT(G_HIGHMEM), "__GFP_HIGHMEM" },
	{ GFP_BIT(G_DMA32), "GFP_DMA32" },
	{ GFP_BIT(G_HIGH), "__GFP_HIGH" },
	{ GFP_BIT(G_IO), "__GFP_IO" },
	{ GFP_BIT(G_FS), "__GFP_FS" },
	{ GFP_BIT(G_ZERO), "__GFP_ZERO" },
	{ GFP_BIT(G_DIRECT_RECLAIM), "__GFP_DIRECT_RECLAIM" },
	{ GFP_BIT(G_KSWAPD_RECLAIM), "__GFP_KSWAPD_RECLAIM" },
	{ GFP_BIT(G_WRITE), "__GFP_WRITE" },
	{ GFP_BIT(G_NOWARN), "__GFP_NOWARN" },
	{ GFP_BIT(G_RETRY_MAYFAIL), "__GFP_RETRY_MAYFAIL" },
	{ GFP_BIT(G_NOFAIL), "__GFP_NOFAIL" },
	{ GFP_BIT(G_NORETRY), "__GFP_NORETRY" },
	{ GFP_BIT(G_MEMALLOC), "__GFP_MEMALLOC" },
	{ GFP_BIT(G_COMP), "__GFP_COMP" },
	{ GFP_BIT(G_NOMEMALLOC), "__GFP_NOMEMALLOC" },
	{ GFP_BIT(G_HARDWALL), "__GFP_HARDWALL" },
	{ GFP_BIT(G_THISNODE), "__GFP_THISNODE" },
	{ GFP_BIT(G_ACCOUNT), "__GFP_ACCOUNT" },
	{ GFP_BIT(G_ZEROTAGS), "__GFP_ZEROTAGS" },
	{ GFP_BIT(G_SKIP_ZERO), "__GFP_SKIP_ZERO" },
	{ GFP_BIT(G_SKIP_KASAN), "__GFP_SKIP_KASAN" },
	{ GFP_BIT(G_NO_OBJ_EXT), "__GFP_NO_OBJ_EXT" },
};

/* %gr: the names of the masks the value holds, each taken out of it in
 * turn, then what is left in hex ("0" for no flags). */
static void print_gfp(FILE *out, const struct fmt_spec *s, uint64_t flags)
{
	char text[1024] = "0";
	size_t len = 0;
	uint64_t left = flags;
	for (size_t i = 0; flags && i < sizeof(gfp_names) / sizeof(gfp_names[0]); i++) {
		if ((left & gfp_names[i].mask) != gfp_names[i].mask)
			continue;
		len += (size_t)snprintf(text + len, sizeof(text) - len, "%s%s", len ? "|" : "", gfp_names[i].name);
		left &= ~gfp_names[i].mask;
	}
	if (left)
		snprintf(text + len, sizeof(text) - len, "%s0x%" PRIx64, len ? "|" : "", left);
	struct fmt_spec as_s = *s;
	as_s.precision = -1;
	print_string(out, &as_s, text);
}

static bool is_buffer_conv(char conv)
{
	return conv == RT_CONV_BUF || conv == RT_CONV_BUF_HEX || conv == RT_CONV_BUF_SPACED;
}

/* Print argument `i` of the record for spec s; false if the record does not
 * hold it (then the caller prints the spec as written). */
static bool print_argument(FILE *out, const struct fmt_spec *s, const struct desc_printf *pf, int i,
			   const unsigned char *payload, size_t size)
{
	if (!pf || !pf->args || i >= pf->args->nmembers)
		return false;
	const struct type_member *arg = &pf->args->members[i];
	if (arg->offset > size || arg->type->size > size - arg->offset)
		return false;
	const unsigned char *at = (const unsigned char *)payload + arg->offset;
	if (arg->type->kind == TY_BUF) {
		uint32_t len;
		memcpy(&len, at, sizeof(len));
		if (len > arg->type->size - 4)
			len = arg->type->size - 4;
		print_buffer(out, s, at + 4, len);
		return true;
	}
	if (arg->type->kind == TY_STR && is_buffer_conv(s->conv)) {
		print_buffer(out, s, at, strnlen((const char *)at, arg->type->size));
		return true;
	}
	if (arg->type->kind == TY_STR) {
		size_t n = arg->type->size;
		char *str = xstrndup((const char *)payload + arg->offset, n);
		if (n > 0 && strlen(str) == n && !type_str_is_char_array(arg->type)) {
			/* it filled its buffer: cut (a C char array is just full) */
			char *cut = xasprintf("%s%s", str, rt_str_trunc_trailer());
			free(str);
			str = cut;
		}
		if (s->conv == 's') {
			print_string(out, s, str);
		} else {
			/* a string under an integer conversion: keep only flags and width */
			struct fmt_spec as_s = *s;
			as_s.precision = -1;
			print_string(out, &as_s, str);
		}
		free(str);
		return true;
	}
	if (s->conv == 's' && arg->type->kind != TY_ENUM) {
		/* any other value under %s: its text, as print() shows it */
		print_value_text(out, s, arg->type, at);
		return true;
	}
	/* scalars as stored (integers as 64 bits, bools and enums at their size) */
	int64_t value = type_load_int(arg->type, at);
	if (s->conv == RT_CONV_GFP) {
		print_gfp(out, s, (uint64_t)value);
		return true;
	}
	struct fmt_spec as_s = *s;
	if (is_buffer_conv(s->conv))
		as_s.conv = 's'; /* sema allows no scalar here; print its value, never "%r" */
	const char *name = as_s.conv == 's' ? type_enumerator_name(arg->type, value) : NULL;
	if (name)
		print_string(out, &as_s, name);
	else
		print_integer(out, &as_s, (uint64_t)value);
	return true;
}

void rt_format_printf(FILE *out, const struct desc_printf *pf, const void *payload, size_t size)
{
	const char *fmt = pf ? pf->fmt : NULL;
	int argi = 0;

	if (!fmt)
		return;
	for (const char *p = fmt; *p;) {
		const char *pct = strchr(p, '%');
		if (!pct) {
			fputs(p, out);
			break;
		}
		fwrite(p, 1, (size_t)(pct - p), out);
		struct fmt_spec s;
		if (!parse_spec(pct, &s)) {
			fputc('%', out);
			p = pct + 1;
			continue;
		}
		if (s.conv == '%')
			fputc('%', out);
		else if (!print_argument(out, &s, pf, argi++, payload, size))
			fwrite(pct, 1, s.len, out);
		p = pct + s.len;
	}
}
