/* shell_complete.c - Tab in the shell: completes the word under the
 * cursor from what the compiler knows (see shell.h): the shell's commands,
 * probe types (the provider table), tracepoint categories and events
 * (tracefs), the args. fields of the tracepoint being typed, builtins and
 * functions (the stdlib tables), and the maps and variables of the entry
 * being typed. One candidate is inserted; several insert what they
 * share, or are listed when they share no more than is typed. */
#include <ctype.h>
#include <dirent.h>
#include <histedit.h>
#include <stdlib.h>
#include <string.h>

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

/* args.FIELD of the tracepoint being typed (tracefs' format) */
static void add_args_fields(struct list_names *l, const char *word, const LineInfo *li)
{
	char *text = xasprintf("%s%.*s", shell_entry_so_far(), (int)(li->cursor - li->buffer),
			       li->buffer);
	char *cat = NULL, *event = NULL;
	if (last_tracepoint(text, strlen(text), &cat, &event)) {
		const struct tp_format *f = tp_format_get(cat, event);
		for (int i = 0; f && i < f->nfields; i++) {
			char *cand = xasprintf("args.%s", f->fields[i].name);
			add_if_prefix(l, word, cand);
			free(cand);
		}
	}
	free(cat);
	free(event);
	free(text);
}

static void collect(struct list_names *l, const char *word, size_t start, const LineInfo *li)
{
	if (strncmp(word, "args.", 5) == 0) {
		add_args_fields(l, word, li);
		return;
	}
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

static unsigned char shell_complete(EditLine *el, int ch)
{
	(void)ch;
	const LineInfo *li = el_line(el);
	const char *start = li->cursor;
	while (start > li->buffer && word_char(start[-1]))
		start--;
	char *word = xstrndup(start, (size_t)(li->cursor - start));
	struct list_names l = { 0 };
	collect(&l, word, (size_t)(start - li->buffer), li);
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
