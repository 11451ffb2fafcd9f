/* names.c - names sema cannot resolve, and what to tell the user.
 *
 * A builtin or function sonde does not implement is looked up in
 * bpftrace's documented language (language.h): a real bpftrace name says
 * "not supported by sonde yet", or, when bpftrace itself allows it only in
 * other probe types, where it is available. Anything else is unknown, with
 * the closest real name suggested. In a probe whose attach points already
 * failed (an unsupported probe type, a misspelled tracepoint) the probe
 * type is unknown, so bpftrace's names are not judged there at all: the
 * attach point's error is the one that counts. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "language.h"
#include "sema_internal.h"
#include "suggest.h"

const char *sema_probe_name(const struct prog_group *g)
{
	return g->prov ? g->prov->name : "these";
}

static enum lang_probe group_lang_probe(const struct prog_group *g)
{
	const struct lang_probe_type *t = lang_probe_type_find(sema_probe_name(g));
	return t ? t->id : LP__COUNT;
}

bool sema_report_wrong_probe(struct sema *s, struct node *n, const char *what)
{
	const struct lang_name *l = lang_name_find(n->name);
	if (!l)
		return false;
	for (int i = 0; i < sema_ntargets(s); i++) {
		const struct prog_group *g = sema_target(s, i);
		if (lang_valid_in(l, group_lang_probe(g)))
			continue;
		char where[256];
		sema_err(s, n->loc, "%s '%s' is not available in %s probes (only in %s probes)", what,
			 n->name, sema_probe_name(g), lang_probe_list(l->probes, where, sizeof(where)));
		return true;
	}
	return false;
}

/* ---- suggestions ------------------------------------------------------- */

static void consider_lang_names(struct suggestion *near, unsigned flag)
{
	for (int i = 0; i < lang_nnames; i++)
		if ((lang_names[i].flags & flag) && !(lang_names[i].flags & LANG_NUMBERED))
			suggestion_consider(near, lang_names[i].name);
}

static char *closest_builtin(const char *name)
{
	struct suggestion near;
	suggestion_init(&near, name);
	for (int i = 0; i < stdlib_nvars; i++)
		if (strcmp(stdlib_vars[i].name, "arg") != 0) /* a pattern, not a name */
			suggestion_consider(&near, stdlib_vars[i].name);
	consider_lang_names(&near, LANG_BARE);
	return near.best;
}

static char *closest_function(const char *name)
{
	struct suggestion near;
	suggestion_init(&near, name);
	for (int i = 0; i < stdlib_nfuncs; i++)
		suggestion_consider(&near, stdlib_funcs[i].name);
	consider_lang_names(&near, LANG_CALL);
	return near.best;
}

/* `x` where the probe has `$x` or the script has `@x`: the sigil was
 * forgotten. */
static char *with_sigil(struct sema *s, const char *name)
{
	char *var = xasprintf("$%s", name);
	for (struct var_info *v = s->cur->vars; v; v = v->next)
		if (strcmp(v->name, var) == 0)
			return var;
	var[0] = '@';
	for (struct map_info *m = s->prog->maps; m; m = m->next)
		if (strcmp(m->name, var) == 0)
			return var;
	free(var);
	return NULL;
}

/* NAME_LIKE_THIS: a C macro constant, most likely from a kernel header. */
static bool looks_like_c_constant(const char *name)
{
	bool letter = false;
	for (const char *p = name; *p; p++) {
		if (islower((unsigned char)*p))
			return false;
		letter |= isupper((unsigned char)*p) != 0;
	}
	return letter && strlen(name) > 2;
}

static void report_unknown(struct sema *s, struct node *n, bool as_call)
{
	const char *what = as_call ? "function" : "identifier";
	char *near = as_call ? closest_function(n->name) : with_sigil(s, n->name);
	if (!near)
		near = closest_builtin(n->name);
	if (!near && !as_call && looks_like_c_constant(n->name))
		/* kernel enums come from BTF, but BTF carries no #defines, and
		 * sonde has no kernel headers to read them from */
		sema_err(s, n->loc,
			 "unknown identifier '%s': not an enum constant in the kernel's BTF, and BTF has no #define constants; add '#define %s <value>' to the script",
			 n->name, n->name);
	else if (near)
		sema_err(s, n->loc, "unknown %s '%s'; did you mean '%s'?", what, n->name, near);
	else
		sema_err(s, n->loc, "unknown %s '%s'", what, n->name);
	free(near);
}

/* ---- names sonde does not implement ------------------------------------ */

static void report_misused(struct sema *s, struct node *n, bool as_call)
{
	if (as_call) {
		sema_err(s, n->loc, "'%s' is not a function: use it without parentheses", n->name);
		return;
	}
	const struct stdlib_func *f = stdlib_find_func(n->name);
	sema_err(s, n->loc, "'%s' is a function: call it as %s(%s)", n->name, n->name,
		 f && f->min_args == 0 ? "" : "...");
}

/* One missing feature, one error: each name is reported once per script. */
static void report_not_supported(struct sema *s, struct node *n, const struct lang_name *l,
				 bool with_arguments)
{
	for (int i = 0; i < s->nunsupported; i++)
		if (s->unsupported[i] == l->name)
			return;
	s->unsupported = xrealloc(s->unsupported, sizeof(*s->unsupported) * (size_t)(s->nunsupported + 1));
	s->unsupported[s->nunsupported++] = l->name;
	if (with_arguments)
		sema_err(s, n->loc, "'%s' with arguments is not supported by sonde yet", n->name);
	else
		sema_err(s, n->loc, "'%s' is not supported by sonde yet", n->name);
}

void sema_report_missing(struct sema *s, struct node *n, bool as_call)
{
	if (s->quiet)
		return;
	const struct lang_name *l = lang_name_find(n->name);
	unsigned form = as_call ? LANG_CALL : LANG_BARE;
	if (l && (l->flags & form)) {
		if (s->curst->expand_failed)
			return; /* the probe type is unknown: see the top of this file */
		if (sema_report_wrong_probe(s, n, as_call ? "function" : "builtin"))
			return;
		report_not_supported(s, n, l, as_call && stdlib_find_var(n->name));
		return;
	}
	if (l || (!as_call && stdlib_find_func(n->name)) || (as_call && stdlib_find_var(n->name))) {
		report_misused(s, n, as_call);
		return;
	}
	if (lang_is_keyword(n->name)) {
		sema_err(s, n->loc, "'%s' is not supported by sonde yet", n->name);
		return;
	}
	report_unknown(s, n, as_call);
}
