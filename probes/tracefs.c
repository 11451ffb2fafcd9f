/* tracefs.c - where tracefs is, and tracepoint record formats.
 *
 * The format of a tracepoint record (tracefs events/CAT/EVENT/format) is
 * what `args.field` compiles against. Formats are parsed once per process
 * and cached; tp_format_cache_free() empties the cache so a long-lived
 * process (a REPL) can start over. Pointers into the cache stay valid until
 * then. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ast.h"
#include "btf.h"
#include "probe.h"

static const char *const tracefs_roots[] = {
	"/sys/kernel/tracing",
	"/sys/kernel/debug/tracing",
};

static bool has_events_dir(const char *root)
{
	char path[256];
	struct stat st;
	snprintf(path, sizeof(path), "%s/events", root);
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

const char *tracefs_path(void)
{
	for (size_t i = 0; i < sizeof(tracefs_roots) / sizeof(tracefs_roots[0]); i++)
		if (has_events_dir(tracefs_roots[i]))
			return tracefs_roots[i];
	/* Not mounted (common in minimal VMs and containers): mount it where
	 * the kernel documents it. Failure just means "no tracefs". */
	if (mount("tracefs", tracefs_roots[0], "tracefs", 0, NULL) == 0 &&
	    has_events_dir(tracefs_roots[0]))
		return tracefs_roots[0];
	return NULL;
}

/* ---- format parsing ----------------------------------------------------- */

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	size_t cap = 4096, len = 0, got;
	char *buf = xmalloc(cap);
	while ((got = fread(buf + len, 1, cap - len - 1, f)) > 0) {
		len += got;
		if (len + 1 == cap)
			buf = xrealloc(buf, cap *= 2);
	}
	/* a read error must not pass for a shorter format */
	bool failed = ferror(f);
	int err = errno;
	fclose(f);
	if (failed) {
		free(buf);
		errno = err;
		return NULL;
	}
	buf[len] = '\0';
	return buf;
}

static bool is_ident_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* Reads "key:N;" from the rest of a field line. */
static bool field_number(const char *line, const char *key, unsigned long *v)
{
	const char *p = strstr(line, key);
	if (!p)
		return false;
	char *end;
	errno = 0;
	*v = strtoul(p + strlen(key), &end, 10);
	return errno == 0 && end != p + strlen(key) && *end == ';';
}

static bool is_char_type(const char *type)
{
	return strcmp(type, "char") == 0 || strcmp(type, "const char") == 0;
}

/* Parses the declaration part "TYPE NAME" / "TYPE NAME[N]" /
 * "__data_loc TYPE[] NAME" into f (name, array and string flags). */
static bool parse_decl(char *decl, uint32_t size, struct tp_field *f)
{
	bool data_loc = false;
	if (strncmp(decl, "__data_loc ", 11) == 0) {
		data_loc = true;
		decl += 11;
	} else if (strncmp(decl, "__rel_loc ", 10) == 0) {
		return false; /* offset relative to the field itself: not supported */
	}
	char *end = decl + strlen(decl);
	while (end > decl && end[-1] == ' ')
		*--end = '\0';
	/* Optional array suffix on the name. */
	char *bracket = NULL;
	if (end > decl && end[-1] == ']') {
		bracket = strrchr(decl, '[');
		if (!bracket)
			return false;
		*bracket = '\0';
		end = bracket;
	}
	char *name = end;
	while (name > decl && is_ident_char(name[-1]))
		name--;
	if (name == end || name == decl)
		return false;
	char type[128];
	size_t tlen = (size_t)(name - decl);
	while (tlen && decl[tlen - 1] == ' ')
		tlen--;
	if (tlen >= sizeof(type))
		tlen = sizeof(type) - 1;
	memcpy(type, decl, tlen);
	type[tlen] = '\0';

	f->name = xstrdup(name);
	f->ctype = xstrdup(type);
	f->is_pointer = strchr(type, '*') != NULL;
	if (data_loc) {
		f->is_data_loc = true;
		/* "char[]": the element type is what precedes the brackets. */
		char *b = strchr(type, '[');
		if (b)
			*b = '\0';
		f->is_string = is_char_type(type);
		return true;
	}
	if (bracket) {
		unsigned long n = strtoul(bracket + 1, NULL, 10);
		if (n == 0 && is_char_type(type))
			n = size; /* a symbolic length the kernel did not evaluate */
		f->array_len = (uint32_t)n;
		f->is_string = !f->is_pointer && is_char_type(type);
	}
	return true;
}

static bool parse_field_line(char *line, struct tp_field *f)
{
	char *decl = strstr(line, "field:");
	if (!decl)
		return false;
	decl += 6;
	char *semi = strchr(decl, ';');
	if (!semi)
		return false;
	*semi = '\0';
	const char *rest = semi + 1;
	unsigned long offset, size, sign;
	if (!field_number(rest, "offset:", &offset) || !field_number(rest, "size:", &size))
		return false;
	if (!field_number(rest, "signed:", &sign))
		sign = 0;
	memset(f, 0, sizeof(*f));
	if (!parse_decl(decl, (uint32_t)size, f)) {
		free(f->name);
		free(f->ctype);
		return false;
	}
	f->offset = (uint32_t)offset;
	f->size = (uint32_t)size;
	f->is_signed = sign != 0 && !f->is_pointer && !f->is_string;
	return true;
}

static void tp_format_free(struct tp_format *fmt)
{
	for (int i = 0; i < fmt->nfields; i++) {
		free(fmt->fields[i].name);
		free(fmt->fields[i].ctype);
	}
	free(fmt->fields);
	free(fmt->category);
	free(fmt->event);
	free(fmt);
}

static struct tp_format *tp_format_parse(const char *category, const char *event, char *text)
{
	struct tp_format *fmt = xcalloc(1, sizeof(*fmt));
	fmt->category = xstrdup(category);
	fmt->event = xstrdup(event);
	char *save = NULL;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct tp_field f;
		if (!parse_field_line(line, &f))
			continue;
		if (strncmp(f.name, "common_", 7) == 0) {
			free(f.name);
			free(f.ctype);
			continue;
		}
		fmt->fields = xrealloc(fmt->fields, sizeof(f) * (size_t)(fmt->nfields + 1));
		fmt->fields[fmt->nfields++] = f;
	}
	return fmt;
}

/* ---- the cache ---------------------------------------------------------- */

static struct tp_format **cache;
static int ncache;
/* cache indices + 1 by category and event (open addressing, at most half
 * full): a script of 1,000 tracepoints looks each up without comparing
 * names with all the others */
static struct util_hash_index cache_index;

static uint64_t cache_hash(const char *category, const char *event)
{
	uint64_t h = util_fnv1a64(category, strlen(category), UTIL_FNV_BASIS);
	h = util_fnv1a64(":", 1, h);
	return util_fnv1a64(event, strlen(event), h);
}

static uint64_t cached_hash(const void *ctx, int index)
{
	(void)ctx;
	return cache_hash(cache[index]->category, cache[index]->event);
}

static void cache_add(struct tp_format *fmt)
{
	cache = xrealloc(cache, sizeof(*cache) * (size_t)(ncache + 1));
	cache[ncache++] = fmt;
	util_hash_index_add(&cache_index, ncache - 1, cached_hash, NULL);
}

struct event_query {
	const char *category, *event;
};

static bool cached_is(const void *query, int index)
{
	const struct event_query *q = query;
	return strcmp(cache[index]->category, q->category) == 0 && strcmp(cache[index]->event, q->event) == 0;
}

static struct tp_format *cache_find(const char *category, const char *event)
{
	struct event_query q = { category, event };
	int i = util_hash_index_find(&cache_index, cache_hash(category, event), cached_is, &q);
	return i < 0 ? NULL : cache[i];
}

const struct tp_format *tp_format_get(const char *category, const char *event)
{
	const struct tp_format *hit = cache_find(category, event);
	if (hit)
		return hit;
	const char *root = tracefs_path();
	if (!root || strchr(category, '/') || strchr(event, '/'))
		return NULL;
	char *path = xasprintf("%s/events/%s/%s/format", root, category, event);
	char *text = read_file(path);
	free(path);
	if (!text)
		return NULL;
	struct tp_format *fmt = tp_format_parse(category, event, text);
	free(text);
	cache_add(fmt);
	return fmt;
}

const struct tp_field *tp_format_field(const struct tp_format *f, const char *name)
{
	for (int i = 0; f && i < f->nfields; i++)
		if (strcmp(f->fields[i].name, name) == 0)
			return &f->fields[i];
	return NULL;
}

void tp_format_cache_free(void)
{
	for (int i = 0; i < ncache; i++)
		tp_format_free(cache[i]);
	free(cache);
	cache = NULL;
	ncache = 0;
	util_hash_index_free(&cache_index);
}

/* ---- the args record of a format ------------------------------------------------ */

/* What a format's pointer points to, from its C text ("const char *",
 * "struct file *", "u32 *"): structs and unions by name (from BTF when
 * their members are used), base types without BTF, anything else void. */
static const struct type *pointee_of(struct type_arena *a, const char *ctype)
{
	char words[128], base[128] = "";
	int stars = 0;
	size_t n = 0;
	for (const char *p = ctype; *p && n + 1 < sizeof(words); p++) {
		if (*p == '*')
			stars++;
		words[n++] = *p == '*' ? ' ' : *p;
	}
	words[n] = '\0';
	/* the words without qualifiers: "const struct file" -> "struct file" */
	char *save = NULL;
	for (char *w = strtok_r(words, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
		if (strcmp(w, "const") == 0 || strcmp(w, "volatile") == 0)
			continue;
		if (strlen(base) + strlen(w) + 2 > sizeof(base))
			break;
		if (base[0])
			strcat(base, " ");
		strcat(base, w);
	}
	const struct type *t;
	if (strncmp(base, "struct ", 7) == 0 || strncmp(base, "union ", 6) == 0)
		t = kbtf_lazy(a, base);
	else if (strcmp(base, "char") == 0 || strcmp(base, "signed char") == 0)
		t = type_int(1, true);
	else if (!(t = type_fixed_width(base)))
		t = kbtf_type(a, base); /* base spellings without BTF; typedefs with it */
	if (!t)
		t = type_void();
	/* char **argv: every star but the field's own is one more pointer */
	for (int i = 1; i < stars; i++)
		t = type_ptr(a, t, AS_NONE);
	return t;
}

static const struct type *field_type(struct type_arena *a, const struct tp_field *f)
{
	if (f->is_data_loc) {
		/* the data: a string, or (other element types) its kernel address */
		if (f->is_string)
			return type_str(a, KBTF_DATA_LOC_STRLEN);
		return type_ptr(a, type_int(1, false), AS_KERNEL);
	}
	if (f->is_string)
		return type_char_array_str(a, f->size);
	if (f->is_pointer)
		return type_ptr(a, pointee_of(a, f->ctype), AS_NONE);
	if (f->array_len && f->size % f->array_len == 0) {
		uint32_t esize = f->size / f->array_len;
		if (esize == 1 || esize == 2 || esize == 4 || esize == 8)
			return type_array(a, type_int(esize, f->is_signed), f->array_len);
	}
	if (strncmp(f->ctype, "enum ", 5) == 0) {
		/* typed as BTF types it, so that it prints by name */
		const struct type *e = kbtf_available() ? kbtf_type(a, f->ctype) : NULL;
		if (e && e->kind == TY_ENUM && e->size == f->size)
			return e;
	}
	if (f->size == 1 || f->size == 2 || f->size == 4 || f->size == 8)
		return type_int(f->size, f->is_signed);
	return type_array(a, type_int(1, false), f->size);
}

const struct type *tp_format_args(const struct tp_format *f, struct type_arena *a)
{
	char *name = xasprintf("struct _tracepoint_%s_%s", f->category, f->event);
	struct type *rec = type_record_new(a, REC_STRUCT, name);
	free(name);
	uint32_t size = 0;
	for (int i = 0; i < f->nfields; i++) {
		const struct tp_field *fl = &f->fields[i];
		type_record_add_at(a, rec, fl->name, field_type(a, fl), fl->offset, 0, 0);
		rec->members[rec->nmembers - 1].is_data_loc = fl->is_data_loc;
		if (fl->offset + fl->size > size)
			size = fl->offset + fl->size;
	}
	type_record_finish(rec, size);
	return rec;
}
