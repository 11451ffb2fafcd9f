/* config.c - bpftrace's settings: one table, read from BPFTRACE_*
 * environment variables and from the script's config block.
 *
 * Owns: names, value kinds and bounds of every setting, and the rule that
 * the environment wins over the script (bpftrace's documented precedence).
 * What a setting does is up to its reader (config_get). */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "runtime.h"
#include "suggest.h"
#include "util.h"

enum cfg_kind { CFG_NUMBER, CFG_BOOL, CFG_WORD, CFG_TEXT };

struct cfg_setting {
	const char *name;     /* lower case, as in the config block */
	const char *old_env;  /* bpftrace 0.17's environment name, or NULL */
	enum cfg_kind kind;
	uint64_t min, max;    /* CFG_NUMBER */
	bool power_of_two;
	bool max_in_bytes;    /* max is in bytes; the value counts pages */
	const char *const *words; /* CFG_WORD: the values, NULL-terminated */
};

static const char *const stack_modes[] = { "bpftrace", "perf", "raw", "build_id", NULL };
static const char *const missing_modes[] = { "error", "warn", "ignore", NULL };
static const char *const symbol_caches[] = { "PER_PROGRAM", "PER_PID", "NONE", NULL };
static const char *const unstable_modes[] = { "warn", "enable", "error", NULL };
/* the same values for a feature bpftrace refuses unless enabled */
static const char *const unstable_off_modes[] = { "error", "warn", "enable", NULL };
/* the licenses the kernel lets use GPL-only helpers, as bpftrace accepts them */
static const char *const licenses[] = { "GPL", "GPL v2", "GPL and additional rights", "Dual BSD/GPL",
					 "Dual MIT/GPL", "Dual MPL/GPL", NULL };

static const struct cfg_setting settings[CFG_COUNT] = {
	[CFG_MAX_MAP_KEYS] = { "max_map_keys", "BPFTRACE_MAP_KEYS_MAX", CFG_NUMBER, 1,
			       RT_MAX_MAP_KEYS_LIMIT, false, false, NULL },
	[CFG_PERF_RB_PAGES] = { "perf_rb_pages", NULL, CFG_NUMBER, 1, RT_RINGBUF_MAX_BYTES, true,
				true, NULL },
	[CFG_LOG_SIZE] = { "log_size", NULL, CFG_NUMBER, RT_LOG_SIZE_MIN, RT_LOG_SIZE_MAX, false,
			   false, NULL },
	[CFG_MAX_PROBES] = { "max_probes", NULL, CFG_NUMBER, 1, INT32_MAX, false, false, NULL },
	[CFG_MAX_BPF_PROGS] = { "max_bpf_progs", NULL, CFG_NUMBER, 1, INT32_MAX, false, false, NULL },
	/* at most half of sema's largest event record */
	[CFG_MAX_STRLEN] = { "max_strlen", "BPFTRACE_STRLEN", CFG_NUMBER, 2, 32 * 1024, false, false,
			     NULL },
	[CFG_PRINT_MAPS_ON_EXIT] = { "print_maps_on_exit", NULL, CFG_BOOL, 0, 1, false, false, NULL },
	[CFG_STACK_MODE] = { "stack_mode", NULL, CFG_WORD, 0, 0, false, false, stack_modes },
	[CFG_MISSING_PROBES] = { "missing_probes", NULL, CFG_WORD, 0, 0, false, false, missing_modes },
	[CFG_ON_STACK_LIMIT] = { "on_stack_limit", NULL, CFG_NUMBER, 0, UINT32_MAX, false, false, NULL },
	[CFG_MAX_CAT_BYTES] = { "max_cat_bytes", NULL, CFG_NUMBER, 1, UINT32_MAX, false, false, NULL },
	[CFG_STR_TRUNC_TRAILER] = { "str_trunc_trailer", NULL, CFG_TEXT, 0, 0, false, false, NULL },
	[CFG_CPP_DEMANGLE] = { "cpp_demangle", NULL, CFG_BOOL, 0, 1, false, false, NULL },
	[CFG_LAZY_SYMBOLICATION] = { "lazy_symbolication", NULL, CFG_BOOL, 0, 1, false, false, NULL },
	[CFG_CACHE_USER_SYMBOLS] = { "cache_user_symbols", NULL, CFG_WORD, 0, 0, false, false,
				     symbol_caches },
	[CFG_SHOW_DEBUG_INFO] = { "show_debug_info", NULL, CFG_BOOL, 0, 1, false, false, NULL },
	[CFG_LICENSE] = { "license", NULL, CFG_TEXT, 0, 0, false, false, licenses },
	[CFG_MAX_AST_NODES] = { "max_ast_nodes", NULL, CFG_NUMBER, 1, UINT64_MAX, false, false, NULL },
	[CFG_MAX_TYPE_RES_ITERATIONS] = { "max_type_res_iterations", NULL, CFG_NUMBER, 0, UINT64_MAX,
					  false, false, NULL },
	[CFG_UNSTABLE_MACRO] = { "unstable_macro", NULL, CFG_WORD, 0, 0, false, false, unstable_modes },
	[CFG_UNSTABLE_MAP_DECL] = { "unstable_map_decl", NULL, CFG_WORD, 0, 0, false, false,
				    unstable_modes },
	[CFG_UNSTABLE_IMPORT] = { "unstable_import", NULL, CFG_WORD, 0, 0, false, false, unstable_modes },
	[CFG_UNSTABLE_TSERIES] = { "unstable_tseries", NULL, CFG_WORD, 0, 0, false, false,
				   unstable_modes },
	/* sonde's own: --metrics as a setting (the command line wins) */
	[CFG_METRICS] = { "metrics", NULL, CFG_TEXT, 0, 0, false, false, NULL },
	[CFG_METRICS_MAX_SERIES] = { "metrics_max_series", NULL, CFG_NUMBER, 1, UINT32_MAX, false,
				     false, NULL },
	[CFG_UNSTABLE_DW_USTACK] = { "unstable_dw_ustack", NULL, CFG_WORD, 0, 0, false, false,
				     unstable_modes },
	[CFG_UNSTABLE_TYPEINFO] = { "unstable_typeinfo", NULL, CFG_WORD, 0, 0, false, false,
				    unstable_off_modes },
};

/* ---- values ---- */

static uint64_t setting_max(const struct cfg_setting *s)
{
	if (!s->max_in_bytes)
		return s->max;
	long page = sysconf(_SC_PAGESIZE);
	return page > 0 ? s->max / (uint64_t)page : 1;
}

/* What the setting accepts, for error messages. */
static char *setting_expects(const struct cfg_setting *s)
{
	switch (s->kind) {
	case CFG_NUMBER:
		return xasprintf("%s from %llu to %llu", s->power_of_two ? "a power of two" : "a number",
				 (unsigned long long)s->min, (unsigned long long)setting_max(s));
	case CFG_BOOL:
		return xstrdup("true or false (1 or 0)");
	case CFG_TEXT:
		if (!s->words)
			return xstrdup("a string");
		break;
	case CFG_WORD:
		break;
	}
	char *list = xstrdup("one of");
	for (int i = 0; s->words[i]; i++) {
		const char *q = s->kind == CFG_TEXT ? "\"" : "";
		char *next = xasprintf("%s%s %s%s%s", list, i ? "," : "", q, s->words[i], q);
		free(list);
		list = next;
	}
	return list;
}

static bool number_ok(const struct cfg_setting *s, uint64_t n)
{
	return n >= s->min && n <= setting_max(s) && (!s->power_of_two || (n & (n - 1)) == 0);
}

/* A setting's value from text (the environment, or a word in the
 * script); false when it is not one the setting takes. */
static bool parse_text_value(const struct cfg_setting *s, const char *v, uint64_t *num)
{
	switch (s->kind) {
	case CFG_NUMBER: {
		char *end;
		errno = 0;
		unsigned long long n = strtoull(v, &end, 10);
		if (errno || end == v || *end || v[0] == '-' || !number_ok(s, n))
			return false;
		*num = n;
		return true;
	}
	case CFG_BOOL:
		if (strcmp(v, "true") == 0 || strcmp(v, "1") == 0)
			*num = 1;
		else if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0)
			*num = 0;
		else
			return false;
		return true;
	case CFG_WORD:
		for (int i = 0; s->words[i]; i++)
			if (strcasecmp(v, s->words[i]) == 0) {
				*num = (uint64_t)i;
				return true;
			}
		return false;
	case CFG_TEXT:
		if (!s->words)
			return true;
		for (int i = 0; s->words[i]; i++)
			if (strcmp(v, s->words[i]) == 0)
				return true;
		return false;
	}
	return false;
}

static void set_value(struct sonde_config *c, int id, uint64_t num, const char *text)
{
	c->set[id] = true;
	c->value[id] = num;
	free(c->text[id]);
	c->text[id] = text ? xstrdup(text) : NULL;
}

/* ---- the environment ---- */

static char *env_name(const char *name)
{
	char *e = xasprintf("BPFTRACE_%s", name);
	for (char *p = e; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	return e;
}

int config_read_env(struct sonde_config *c, FILE *err)
{
	for (int id = 0; id < CFG_COUNT; id++) {
		const struct cfg_setting *s = &settings[id];
		char *name = env_name(s->name);
		const char *v = getenv(name);
		if (!v && s->old_env && (v = getenv(s->old_env))) {
			free(name);
			name = xstrdup(s->old_env);
		}
		uint64_t num = 0;
		if (v && !parse_text_value(s, v, &num)) {
			char *want = setting_expects(s);
			fprintf(err, "sonde: %s='%s': expected %s\n", name, v, want);
			free(want);
			free(name);
			return -1;
		}
		free(name);
		if (v) {
			set_value(c, id, num, s->kind == CFG_TEXT ? v : NULL);
			c->from_env[id] = true;
		}
	}
	return 0;
}

/* ---- the config block ---- */

/* `max_map_keys`, `MAX_MAP_KEYS` and `BPFTRACE_MAX_MAP_KEYS` name one
 * setting (bpftrace's rule); -1 when none. */
static int find_setting(const char *key)
{
	const char *k = key;
	if (strncmp(k, "BPFTRACE_", 9) == 0)
		k += 9;
	bool upper = false, lower = false;
	for (const char *p = k; *p; p++) {
		upper = upper || isupper((unsigned char)*p);
		lower = lower || islower((unsigned char)*p);
	}
	if (upper && lower)
		return -1;
	for (int id = 0; id < CFG_COUNT; id++)
		if (strcasecmp(settings[id].name, k) == 0)
			return id;
	return -1;
}

static int apply_item(struct sonde_config *c, const struct config_item *it, struct diag *d)
{
	int id = find_setting(it->key);
	if (id < 0) {
		struct suggestion sg;
		suggestion_init(&sg, it->key);
		for (int k = 0; k < CFG_COUNT; k++)
			suggestion_consider(&sg, settings[k].name);
		if (sg.best)
			diag_error(d, it->key_loc, "unknown config option '%s'; did you mean '%s'?", it->key,
				   sg.best);
		else
			diag_error(d, it->key_loc, "unknown config option '%s'", it->key);
		suggestion_free(&sg);
		return -1;
	}
	const struct cfg_setting *s = &settings[id];
	uint64_t num = 0;
	bool ok;
	switch (it->kind) {
	case CONFIG_INT:
		ok = (s->kind == CFG_NUMBER && number_ok(s, it->num)) ||
		     (s->kind == CFG_BOOL && it->num <= 1);
		num = it->num;
		break;
	case CONFIG_STRING: /* a word may be quoted too: missing_probes = "warn" */
		ok = (s->kind == CFG_TEXT || s->kind == CFG_WORD) && parse_text_value(s, it->str, &num);
		break;
	default:
		ok = s->kind != CFG_NUMBER && parse_text_value(s, it->str, &num);
		break;
	}
	if (!ok) {
		char *want = setting_expects(s);
		diag_error(d, it->value_loc, "invalid value for %s: expected %s", s->name, want);
		free(want);
		return -1;
	}
	if (!c->from_env[id]) /* the environment wins */
		set_value(c, id, num, it->kind == CONFIG_INT ? NULL : it->str);
	return 0;
}

int config_apply_script(struct sonde_config *c, const struct config_item *items, struct diag *d)
{
	int rc = 0;
	for (const struct config_item *it = items; it; it = it->next)
		if (apply_item(c, it, d) < 0)
			rc = -1;
	return rc;
}

uint64_t config_get(const struct sonde_config *c, enum config_id id)
{
	return c && c->set[id] ? c->value[id] : 0;
}

const char *config_text(const struct sonde_config *c, enum config_id id)
{
	const struct cfg_setting *s = &settings[id];
	if (s->kind == CFG_TEXT)
		return c && c->set[id] ? c->text[id] : NULL;
	if (s->kind != CFG_WORD)
		return NULL;
	uint64_t i = config_get(c, id);
	for (uint64_t k = 0; k < i; k++)
		if (!s->words[k])
			return s->words[0];
	return s->words[i];
}

void config_free(struct sonde_config *c)
{
	for (int id = 0; id < CFG_COUNT; id++) {
		free(c->text[id]);
		c->text[id] = NULL;
	}
}
