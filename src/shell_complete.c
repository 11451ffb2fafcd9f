/* shell_complete.c - Tab in the shell: completes the word under the
 * cursor from what the compiler knows (see shell.h): the shell's commands,
 * probe types (the provider table), tracepoint categories and events
 * (tracefs), builtins and functions (the stdlib tables), the maps and
 * variables of the entry being typed, and members after -> and . on typed
 * values: curtask (BTF's task_struct), args (the tracepoint's format, a raw
 * tracepoint's BTF arguments) and $variables assigned a cast or such a
 * value earlier in the entry. One candidate is inserted; several insert what they
 * share, or are listed when they share no more than is typed. */
#include <ctype.h>
#include <dirent.h>
#include <histedit.h>
#include <stdlib.h>
#include <string.h>

#include "btf.h"
#include "list.h"
#include "shell.h"

/* A character of a completable word: identifiers, attach points, $/@ names */
static bool word_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == ':' || c == '@' || c == '$' || c == '.' ||
	       c == '/'; /* uprobe:/bin/bash:readline */
}

static void add_if_prefix(struct list_names *l, const char *prefix, const char *cand)
{
	if (strncmp(cand, prefix, strlen(prefix)) == 0)
		list_names_add(l, xstrdup(cand));
}

/* "PROV:CAT:" or "PROV:CAT:EVENT" for the tracepoints under tracefs. */
static void add_tracepoints(struct list_names *l, const char *word, size_t prov_len)
{
	const char *tracefs = tracefs_path();
	if (!tracefs)
		return;
	const char *rest = word + prov_len + 1;
	const char *colon = strchr(rest, ':');
	char *dir = colon ? xasprintf("%s/events/%.*s", tracefs, (int)(colon - rest), rest)
			  : xasprintf("%s/events", tracefs);
	DIR *d = opendir(dir);
	free(dir);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || e->d_type != DT_DIR)
			continue;
		char *cand = colon ? xasprintf("%.*s%s", (int)(colon + 1 - word), word, e->d_name)
				   : xasprintf("%.*s%s:", (int)(rest - word), word, e->d_name);
		add_if_prefix(l, word, cand);
		free(cand);
	}
	closedir(d);
}

/* What `sonde -l 'WORD*'` lists (raw tracepoints from BTF, uprobe
 * functions of a binary, interval units, ...), its messages dropped. */
static void add_listed(struct list_names *l, const char *word)
{
	struct xtext out, err;
	char *pattern = xasprintf("%s*", word);
	struct list_options lo = { .pattern = pattern, .out = xtext_open(&out),
				   .err = xtext_open(&err), .no_warnings = true };
	list_run(&lo);
	free(pattern);
	free(xtext_close(&err, NULL));
	char *text = xtext_close(&out, NULL);
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"))
		add_if_prefix(l, word, line);
	free(text);
}

/* @maps and $variables already written in the entry */
static void add_names_in(struct list_names *l, const char *word, const char *text, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (text[i] != '@' && text[i] != '$')
			continue;
		size_t j = i + 1;
		while (j < len && (isalnum((unsigned char)text[j]) || text[j] == '_'))
			j++;
		char *name = xstrndup(text + i, j - i);
		if (strcmp(name, word) != 0)
			add_if_prefix(l, word, name);
		free(name);
		i = j - 1;
	}
}

/* The last tracepoint attach point in text (CAT and EVENT, owned; both
 * NULL on entry), for the args. fields of the probe being typed. */
static bool last_tracepoint(const char *text, size_t len, char **cat, char **event)
{
	bool found = false;
	for (size_t i = 0; i < len;) {
		size_t j = i;
		while (j < len && (isalnum((unsigned char)text[j]) || text[j] == '_' || text[j] == ':'))
			j++;
		const char *c1 = memchr(text + i, ':', j - i);
		const char *c2 = c1 ? memchr(c1 + 1, ':', (size_t)(text + j - c1 - 1)) : NULL;
		if (c2 && c2 + 1 < text + j) {
			char *prov = xstrndup(text + i, (size_t)(c1 - text - i));
			const struct probe_provider *p = probe_provider_find(prov);
			free(prov);
			if (p && p->type == PT_TRACEPOINT) {
				free(*cat);
				free(*event);
				*cat = xstrndup(c1 + 1, (size_t)(c2 - c1 - 1));
				*event = xstrndup(c2 + 1, (size_t)(text + j - c2 - 1));
				found = true;
			}
		}
		i = j > i ? j : i + 1;
	}
	return found;
}

/* ---- members after -> and . (BTF) --------------------------------------------------- */

static bool ident_char(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

/* The last raw tracepoint attach point in text ("EVENT", owned), or NULL. */
static char *last_rawtracepoint(const char *text)
{
	char *found = NULL;
	for (const char *s = text; (s = strstr(s, "rawtracepoint:")) || (s = NULL);) {
		bool alone = s == text || !ident_char(s[-1]);
		s += strlen("rawtracepoint:");
		size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_");
		if (alone && n) {
			free(found);
			found = xstrndup(s, n);
		}
	}
	return found;
}

/* The last attach point in text of another probe type whose programs have
 * `args` (fentry, fexit, lsm, uprobe: typed from BTF or DWARF), as its
 * provider and the spec after "TYPE:" (owned), or NULL. */
static const struct probe_provider *last_typed_point(const char *text, char **spec)
{
	const struct probe_provider *found = NULL;
	*spec = NULL;
	for (const char *s = text; *s;) {
		size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_:*.+/-");
		const char *colon = n ? memchr(s, ':', n) : NULL;
		if (colon && colon + 1 < s + n && (s == text || !ident_char(s[-1]))) {
			char *prov = xstrndup(s, (size_t)(colon - s));
			const struct probe_provider *p = probe_provider_find(prov);
			free(prov);
			if (p && p->args_type && p->type != PT_TRACEPOINT && p->type != PT_RAWTRACEPOINT) {
				found = p;
				free(*spec);
				*spec = xstrndup(colon + 1, (size_t)(s + n - colon - 1));
			}
		}
		s += n ? n : 1;
	}
	return found;
}

/* args of the first target of PROV:SPEC, errors kept quiet (a half-typed
 * attach point is no error here). */
static const struct type *provider_args(struct type_arena *a, const struct probe_provider *p,
					const char *spec)
{
	FILE *sink = fopen("/dev/null", "we");
	if (!sink)
		return NULL;
	struct diag quiet;
	diag_init(&quiet, NULL, sink);
	struct probe_target *targets = NULL;
	int n = 0;
	srcloc loc = { 0 };
	const struct type *t = NULL;
	if (p->expand(spec, loc, &quiet, &targets, &n) == 0 && n > 0)
		t = p->args_type(&targets[0], a, &quiet, loc);
	probe_targets_free(targets, n);
	fclose(sink);
	return t;
}

/* The record args has in the probe being typed (a tracepoint's format, a
 * raw tracepoint's BTF arguments, a kernel function's BTF prototype for
 * fentry/fexit), or NULL. */
static const struct type *args_type(struct type_arena *a, const char *text)
{
	char *cat = NULL, *event = NULL, *spec = NULL;
	const struct type *t = NULL;
	const struct probe_provider *p;
	if (last_tracepoint(text, strlen(text), &cat, &event)) {
		const struct tp_format *f = tp_format_get(cat, event);
		t = f ? tp_format_args(f, a) : NULL;
	} else if ((p = last_typed_point(text, &spec))) {
		t = provider_args(a, p, spec);
	} else {
		char *raw = last_rawtracepoint(text);
		if (raw && kbtf_available())
			t = kbtf_rawtracepoint_args(a, raw);
		free(raw);
	}
	free(spec);
	free(cat);
	free(event);
	return t;
}

static const struct type *type_of_chain(struct type_arena *a, const char *text, const char *chain,
					 size_t len, int depth);

/* The type $VAR was given in text before `end`: its last assignment,
 * `$v = (struct NAME *)...` or `$v = <a chain>`, or `let $v: struct NAME *`. */
static const struct type *type_of_var(struct type_arena *a, const char *text, const char *var,
				      size_t vlen, int depth)
{
	const char *decl = NULL;
	for (const char *s = text; (s = strstr(s, var)); s += vlen) {
		const char *after = s + vlen;
		if ((s > text && ident_char(s[-1])) || ident_char(*after))
			continue;
		after += strspn(after, " \t\n");
		if ((*after == '=' && after[1] != '=') || *after == ':')
			decl = after;
	}
	if (!decl)
		return NULL;
	const char *v = decl + 1 + strspn(decl + 1, " \t\n");
	if (*v == '(' || *decl == ':') { /* a cast or a declared type: "struct NAME *" */
		v += *v == '(';
		v += strspn(v, " \t");
		size_t n = strcspn(v, ")=;");
		while (n && strchr(" \t", v[n - 1]))
			n--;
		char *name = xstrndup(v, n);
		const struct type *t = kbtf_available() ? kbtf_type(a, name) : NULL;
		free(name);
		return t;
	}
	size_t n = 0;
	while (v[n] && (ident_char(v[n]) || v[n] == '$' || v[n] == '.' ||
			(v[n] == '-' && v[n + 1] == '>') || (v[n] == '>' && n && v[n - 1] == '-')))
		n++;
	return n ? type_of_chain(a, text, v, n, depth + 1) : NULL;
}

/* The member `name` of record or pointer-to-record t, completed from BTF. */
static const struct type *member_type(struct type_arena *a, const struct type *t, const char *name,
				      size_t len)
{
	if (t && t->kind == TY_PTR)
		t = t->elem;
	if (!t || t->kind != TY_RECORD)
		return NULL;
	if (t->incomplete && !kbtf_complete(a, t))
		return NULL;
	for (int i = 0; i < t->nmembers; i++)
		if (strlen(t->members[i].name) == len && strncmp(t->members[i].name, name, len) == 0)
			return t->members[i].type;
	return NULL;
}

/* The type of CHAIN ("curtask->real_parent", "$t->mm", "args.prev"): its
 * root (curtask, args, a $variable of text), then member by member. */
static const struct type *type_of_chain(struct type_arena *a, const char *text, const char *chain,
					 size_t len, int depth)
{
	if (depth > 4) /* $a = $b->x; $b = $a->y ... */
		return NULL;
	size_t n = chain[0] == '$';
	while (n < len && ident_char(chain[n]))
		n++;
	const struct type *t = NULL;
	if (n == 7 && strncmp(chain, "curtask", 7) == 0)
		t = kbtf_available() ? kbtf_type(a, "struct task_struct *") : NULL;
	else if (n == 4 && strncmp(chain, "args", 4) == 0)
		t = args_type(a, text);
	else if (chain[0] == '$' && n > 1) {
		char *var = xstrndup(chain, n);
		t = type_of_var(a, text, var, n, depth);
		free(var);
	}
	while (t && n < len) {
		n += chain[n] == '.' ? 1 : 2; /* "." or "->" */
		size_t m = n;
		while (m < len && ident_char(chain[m]))
			m++;
		t = member_type(a, t, chain + n, m - n);
		n = m;
	}
	return t;
}

/* Where the chain ending at `end` (just before its last "->" or ".")
 * starts in text: back over identifiers, "->" and ".", to its root. */
static const char *chain_start(const char *text, const char *end)
{
	const char *s = end;
	for (;;) {
		while (s > text && ident_char(s[-1]))
			s--;
		if (s > text && s[-1] == '$')
			s--;
		if (s - text >= 2 && s[-1] == '>' && s[-2] == '-' && s - 2 > text && ident_char(s[-3]))
			s -= 2;
		else if (s > text && s[-1] == '.' && s - 1 > text && ident_char(s[-2]))
			s--;
		else
			return s;
	}
}

/* After "EXPR->" or "EXPR." on a typed value, with `partial` typed of the
 * member: its record's members. False when the word is not a member. */
static bool add_members(struct list_names *l, const char *partial, size_t start, const LineInfo *li)
{
	const char *line = li->buffer;
	const char *op = line + start; /* the member's first character */
	size_t oplen = (op - line >= 2 && op[-1] == '>' && op[-2] == '-') ? 2
		       : (op - line >= 1 && op[-1] == '.') ? 1 : 0;
	if (!oplen || op - line <= (long)oplen || !ident_char(op[-(long)oplen - 1]))
		return false;
	char *text = xasprintf("%s%.*s", shell_entry_so_far(), (int)start - (int)oplen, line);
	const char *end = text + strlen(text);
	const char *root = chain_start(text, end);
	size_t rlen = strspn(root, "$") + strspn(root + strspn(root, "$"),
						 "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_");
	bool typed_root = root[0] == '$' || (rlen == 7 && strncmp(root, "curtask", 7) == 0) ||
			  (rlen == 4 && strncmp(root, "args", 4) == 0);
	if (!typed_root || (root > text && (root[-1] == '/' || root[-1] == ':'))) {
		free(text); /* a file name (uprobe:/lib/libc.so.6), not a member */
		return false;
	}
	struct type_arena *a = type_arena_new();
	const struct type *t = type_of_chain(a, text, root, (size_t)(end - root), 0);
	if (t && t->kind == TY_PTR)
		t = t->elem;
	if (t && t->kind == TY_RECORD && (!t->incomplete || kbtf_complete(a, t)))
		for (int i = 0; i < t->nmembers; i++)
			add_if_prefix(l, partial, t->members[i].name);
	type_arena_free(a);
	free(text);
	return true;
}

static void collect(struct list_names *l, const char *word, size_t start, const LineInfo *li)
{
	if (start == 0 && word[0] == '.') {
		for (int i = 0; shell_command_names[i]; i++)
			add_if_prefix(l, word, shell_command_names[i]);
		return;
	}
	const char *colon = strchr(word, ':');
	if (colon) {
		char *prov = xstrndup(word, (size_t)(colon - word));
		const struct probe_provider *p = probe_provider_find(prov);
		if (p && p->type == PT_TRACEPOINT)
			add_tracepoints(l, word, strlen(prov)); /* categories too, fast */
		else if (p)
			add_listed(l, word);
		free(prov);
		return;
	}
	if (word[0] == '@' || word[0] == '$') {
		const char *before = shell_entry_so_far(); /* the entry's earlier lines */
		add_names_in(l, word, before, strlen(before));
		add_names_in(l, word, li->buffer, (size_t)(li->lastchar - li->buffer));
		return;
	}
	for (int i = 0; probe_provider_at(i); i++) {
		const struct probe_provider *p = probe_provider_at(i);
		bool bare = p->type == PT_BEGIN || p->type == PT_END; /* BEGIN, END */
		char *cand = xasprintf("%s%s", p->name, bare ? "" : ":");
		add_if_prefix(l, word, cand);
		free(cand);
	}
	for (int i = 0; i < stdlib_nvars; i++)
		add_if_prefix(l, word, stdlib_vars[i].name);
	for (int i = 0; i < stdlib_nfuncs; i++)
		add_if_prefix(l, word, stdlib_funcs[i].name);
}

static size_t common_prefix(const struct list_names *l)
{
	size_t n = strlen(l->v[0]);
	for (int i = 1; i < l->n; i++) {
		size_t k = 0;
		while (k < n && l->v[i][k] == l->v[0][k])
			k++;
		n = k;
	}
	return n;
}

static void show_candidates(const struct list_names *l)
{
	size_t width = 0;
	for (int i = 0; i < l->n; i++)
		if (strlen(l->v[i]) > width)
			width = strlen(l->v[i]);
	int per_line = (int)(100 / (width + 2));
	if (per_line < 1)
		per_line = 1;
	fputc('\n', stdout);
	for (int i = 0; i < l->n; i++)
		printf("%-*s%s", (int)width + 2, l->v[i], (i + 1) % per_line == 0 || i + 1 == l->n ? "\n" : "");
	fflush(stdout);
}

/* Where the word under the cursor starts. An attach point may have '-' in
 * it (uprobe:/lib/x86_64-linux-gnu/libc.so.6:, software:page-faults),
 * elsewhere a minus: taken as part of the word when the word has a ':'. */
static const char *attach_point_start(const LineInfo *li)
{
	const char *start = li->cursor;
	while (start > li->buffer && word_char(start[-1]))
		start--;
	const char *wide = start;
	while (wide > li->buffer && (word_char(wide[-1]) || wide[-1] == '-'))
		wide--;
	if (wide != start && memchr(wide, ':', (size_t)(li->cursor - wide)))
		return wide;
	return start;
}

static unsigned char shell_complete(EditLine *el, int ch)
{
	(void)ch;
	const LineInfo *li = el_line(el);
	const char *start = li->cursor;
	while (start > li->buffer && ident_char(start[-1]))
		start--;
	char *word = xstrndup(start, (size_t)(li->cursor - start));
	struct list_names l = { 0 };
	/* a member after -> or . (args. of a tracepoint: its format's fields) */
	if (add_members(&l, word, (size_t)(start - li->buffer), li))
		goto complete;
	free(word);
	start = attach_point_start(li);
	word = xstrndup(start, (size_t)(li->cursor - start));
	collect(&l, word, (size_t)(start - li->buffer), li);
complete:;
	list_names_sort_unique(&l);
	unsigned char rc = CC_REFRESH_BEEP;
	if (l.n > 0) {
		size_t have = strlen(word), common = common_prefix(&l);
		if (common > have) {
			char *ins = xstrndup(l.v[0] + have, common - have);
			rc = el_insertstr(el, ins) == 0 ? CC_REFRESH : CC_ERROR;
			free(ins);
		} else if (l.n > 1) {
			show_candidates(&l);
			rc = CC_REDISPLAY;
		}
	}
	list_names_free(&l);
	free(word);
	return rc;
}

void shell_complete_install(struct editline *el)
{
	el_set(el, EL_ADDFN, "sonde-complete", "complete probes, builtins and names",
	       shell_complete);
	el_set(el, EL_BIND, "^I", "sonde-complete", NULL);
}
