/* help.c - help topics and the man page (include/help.h).
 *
 * What exists and of which kind is read from the compiler's own tables
 * (stdlib_vars, stdlib_funcs, the aggregations and map functions, bpftrace's
 * probe types in language.h with sonde's providers); the words come from
 * help_entries (stdlib/help.c), keyed by the same names. */
#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "builtins.h"
#include "help.h"
#include "language.h"
#include "probe.h"
#include "suggest.h"

/* defined next to stdlib_funcs (stdlib/aggs.c, stdlib/mapfuncs.c) */
extern const struct stdlib_func stdlib_aggs[];
extern const int stdlib_naggs;
extern const struct stdlib_func stdlib_map_funcs[];
extern const int stdlib_nmap_funcs;

static const struct help_entry *entry_named(const char *name)
{
	for (int i = 0; i < help_nentries; i++)
		if (strcmp(help_entries[i].name, name) == 0)
			return &help_entries[i];
	return NULL;
}

const struct help_entry *help_find(const char *name)
{
	const struct help_entry *e = entry_named(name);
	if (e)
		return e;
	const struct lang_probe_type *pt = lang_probe_type_find(name);
	return pt ? entry_named(pt->name) : NULL;
}

/* ---- what kind a name is, from the descriptors ---------------------------------- */

static bool is_var(const char *name)
{
	return strcmp(name, "arg") == 0 || stdlib_find_var(name) != NULL;
}

static const struct stdlib_func *func_in(const struct stdlib_func *t, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (strcmp(t[i].name, name) == 0)
			return &t[i];
	return NULL;
}

static bool is_plain_func(const char *name)
{
	return func_in(stdlib_funcs, stdlib_nfuncs, name) || func_in(stdlib_map_funcs, stdlib_nmap_funcs, name);
}

/* A probe type sonde has a provider for (by its name or an alias). */
static bool probe_type_works(const struct lang_probe_type *pt)
{
	if (probe_provider_find(pt->name))
		return true;
	for (int a = 0; a < 3 && pt->aliases[a]; a++)
		if (probe_provider_find(pt->aliases[a]))
			return true;
	return false;
}

bool help_implemented(const char *name)
{
	if (probe_provider_find(name))
		return true; /* sonde's own probe types too (lsm) */
	const struct lang_probe_type *pt = lang_probe_type_find(name);
	if (pt)
		return probe_type_works(pt);
	return is_var(name) || is_plain_func(name) || func_in(stdlib_aggs, stdlib_naggs, name);
}

static const char *kind_of(const char *name)
{
	if (lang_probe_type_find(name) || probe_provider_find(name))
		return "probe type";
	if (func_in(stdlib_aggs, stdlib_naggs, name))
		return "aggregation";
	if (func_in(stdlib_map_funcs, stdlib_nmap_funcs, name))
		return "map function";
	if (is_var(name) && is_plain_func(name))
		return "builtin variable and function";
	if (is_var(name))
		return "builtin variable";
	if (is_plain_func(name))
		return "function";
	/* a bpftrace name sonde lacks: its kind as bpftrace has it */
	const struct lang_name *ln = lang_name_find(name);
	if (ln && (ln->flags & LANG_MAP_FUNC))
		return "aggregation";
	if (ln && (ln->flags & LANG_BARE))
		return "builtin variable";
	return "function";
}

/* ---- the overview ------------------------------------------------------------------ */

/* Names in columns of a line at most 78 wide, each line indented. */
struct wrap {
	FILE *out;
	int col;
};

static void wrap_word(struct wrap *w, const char *word)
{
	int len = (int)strlen(word);
	if (w->col > 2 && w->col + 1 + len > 78) {
		fputc('\n', w->out);
		w->col = 0;
	}
	if (w->col == 0) {
		fputs("  ", w->out);
		w->col = 2;
	} else {
		fputc(' ', w->out);
		w->col++;
	}
	fputs(word, w->out);
	w->col += len;
}

static void wrap_end(struct wrap *w)
{
	if (w->col)
		fputc('\n', w->out);
	w->col = 0;
}

static void overview_funcs(struct wrap *w, const struct stdlib_func *t, int n, bool skip_vars)
{
	for (int i = 0; i < n; i++) {
		if (skip_vars && is_var(t[i].name))
			continue; /* listed with the variables: pid and pid() are one topic */
		char buf[64];
		snprintf(buf, sizeof(buf), "%s()", t[i].name);
		wrap_word(w, buf);
	}
}

static void print_overview(FILE *out)
{
	struct wrap w = { out, 0 };
	fputs("Probe types (* = not in sonde yet):\n", out);
	for (int i = 0; i < lang_nprobe_types; i++) {
		char buf[64];
		const struct lang_probe_type *pt = &lang_probe_types[i];
		snprintf(buf, sizeof(buf), "%s%s", pt->name, probe_type_works(pt) ? "" : "*");
		wrap_word(&w, buf);
	}
	wrap_end(&w);
	fputs("Builtin variables:\n", out);
	for (int i = 0; i < stdlib_nvars; i++)
		wrap_word(&w, strcmp(stdlib_vars[i].name, "arg") == 0 ? "argN" : stdlib_vars[i].name);
	wrap_end(&w);
	fputs("Functions:\n", out);
	overview_funcs(&w, stdlib_funcs, stdlib_nfuncs, true);
	overview_funcs(&w, stdlib_map_funcs, stdlib_nmap_funcs, false);
	wrap_end(&w);
	fputs("Aggregations (@map = f()):\n", out);
	overview_funcs(&w, stdlib_aggs, stdlib_naggs, false);
	wrap_end(&w);
	fputs("Help on one topic (a name above): its signature, what it does and an example\n"
	      "that runs; `.help NAME` in the shell, `sonde --help-topic NAME`, or man sonde.\n",
	      out);
}

/* ---- one topic ------------------------------------------------------------------- */

static void print_example(FILE *out, const struct help_entry *e)
{
	fprintf(out, "  example: sonde %s-e '%s'\n", e->flags & HELP_UNSAFE ? "--unsafe " : "", e->example);
}

static void print_probe_aliases(FILE *out, const struct lang_probe_type *pt)
{
	if (!pt->aliases[0])
		return;
	fputs("  aliases: ", out);
	for (int a = 0; a < 3 && pt->aliases[a]; a++)
		fprintf(out, "%s%s", a ? ", " : "", pt->aliases[a]);
	fputc('\n', out);
}

static void print_entry(FILE *out, const struct help_entry *e)
{
	const struct lang_probe_type *pt = lang_probe_type_find(e->name);
	fprintf(out, "%s - %s\n", e->name, e->summary);
	fprintf(out, "  %s: %s\n", kind_of(e->name), e->signature);
	if (pt)
		print_probe_aliases(out, pt);
	if (pt && !help_implemented(e->name)) {
		fputs("  sonde does not support this probe type yet; `sonde --info` says which\n"
		      "  probe types work on this machine.\n", out);
		return;
	}
	if (!help_implemented(e->name)) {
		fputs("  sonde does not support this yet (bpftrace has it).\n", out);
		return;
	}
	print_example(out, e);
}

static void print_unknown(FILE *out, const char *topic)
{
	struct suggestion s;
	suggestion_init(&s, topic);
	for (int i = 0; i < help_nentries; i++)
		suggestion_consider(&s, help_entries[i].name);
	for (int i = 0; i < lang_nprobe_types; i++)
		for (int a = 0; a < 3 && lang_probe_types[i].aliases[a]; a++)
			if (strlen(lang_probe_types[i].aliases[a]) > 2)
				suggestion_consider(&s, lang_probe_types[i].aliases[a]);
	if (s.best)
		fprintf(out, "no help for '%s'; did you mean '%s'?\n", topic, s.best);
	else
		fprintf(out, "no help for '%s'; `.help` lists the topics\n", topic);
	suggestion_free(&s);
}

int help_print(FILE *out, const char *topic)
{
	if (!topic || !*topic) {
		print_overview(out);
		return 0;
	}
	/* "hist()" is asked for as often as "hist" */
	char name[64];
	size_t len = strcspn(topic, "(");
	if (len >= sizeof(name))
		len = sizeof(name) - 1;
	memcpy(name, topic, len);
	name[len] = '\0';
	if (strcmp(name, "argN") == 0 || (strncmp(name, "arg", 3) == 0 && isdigit((unsigned char)name[3])))
		strcpy(name, "arg");
	const struct help_entry *e = help_find(name);
	if (e) {
		print_entry(out, e);
		return 0;
	}
	if (lang_is_keyword(name)) {
		fprintf(out, "%s - a keyword of the language (bpftrace's docs/language.md describes it)\n", name);
		return 0;
	}
	print_unknown(out, topic);
	return -1;
}

/* ---- the man page ------------------------------------------------------------------ */

/* Text in roff: backslashes and dashes escaped, no line starting a request. */
static void roff_text(FILE *out, const char *s, size_t len)
{
	if (len && (*s == '.' || *s == '\''))
		fputs("\\&", out);
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\\')
			fputs("\\e", out);
		else if (s[i] == '-')
			fputs("\\-", out);
		else
			fputc(s[i], out);
	}
}

static void roff_line(FILE *out, const char *s)
{
	roff_text(out, s, strlen(s));
	fputc('\n', out);
}

static void man_entry(FILE *out, const struct help_entry *e)
{
	fputs(".TP\n.B ", out);
	roff_line(out, e->signature);
	roff_line(out, e->summary);
	if (!help_implemented(e->name)) {
		fputs("Not supported by sonde yet.\n", out);
		return;
	}
	fputs(".br\n", out);
	fprintf(out, "Example: \\fBsonde %s\\-e '", e->flags & HELP_UNSAFE ? "\\-\\-unsafe " : "");
	roff_text(out, e->example, strlen(e->example));
	fputs("'\\fR\n", out);
}

static void man_funcs(FILE *out, const struct stdlib_func *t, int n, bool skip_vars)
{
	for (int i = 0; i < n; i++) {
		const struct help_entry *e = help_find(t[i].name);
		if (e && !(skip_vars && is_var(t[i].name)))
			man_entry(out, e);
	}
}

/* How much of an option line is the option: up to two spaces, or else its
 * words that start with '-' and the argument (CAPITALS or quoted) after. */
static size_t option_len(const char *text, size_t tlen)
{
	const char *gap = strstr(text, "  ");
	if (gap && gap < text + tlen)
		return (size_t)(gap - text);
	size_t len = 0;
	while (len < tlen) {
		const char *w = text + len + strspn(text + len, " ");
		size_t wl = strcspn(w, " \n");
		bool arg = *w == '\'' || (*w >= 'A' && *w <= 'Z');
		if (*w != '-' && !arg)
			break;
		len = (size_t)(w - text) + wl;
	}
	return len;
}

/* The OPTIONS section of the --help text: an option starts at column 4
 * with '-'; its description follows after two spaces or on the lines
 * indented under it. */
static void man_options(FILE *out, const char *usage)
{
	const char *p = strstr(usage, "OPTIONS:\n");
	if (!p)
		return;
	fputs(".SH OPTIONS\n", out);
	for (p = strchr(p, '\n') + 1; *p && *p != '\n'; ) {
		const char *end = strchr(p, '\n');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		size_t indent = strspn(p, " ");
		const char *text = p + indent;
		size_t tlen = len - indent;
		if (indent == 4 && *text == '-') {
			size_t olen = option_len(text, tlen);
			fputs(".TP\n.B ", out);
			roff_text(out, text, olen);
			fputc('\n', out);
			text += olen;
			text += strspn(text, " ");
			tlen = (size_t)(p + len - text);
		}
		if (tlen) {
			roff_text(out, text, tlen);
			fputc('\n', out);
		}
		p += len + (end ? 1 : 0);
	}
}

const struct help_command *help_shell_command(const char *name)
{
	for (const struct help_command *c = help_shell_commands; c->name; c++)
		if (strcmp(c->name, name) == 0 || (name[0] != '.' && strcmp(c->name + 1, name) == 0))
			return c;
	return NULL;
}

void help_print_command(FILE *out, const struct help_command *c)
{
	fprintf(out, "%s%s%s\n  %s\n", c->name, c->args[0] ? " " : "", c->args, c->summary);
	for (const char *s = c->detail; s && *s;) {
		size_t n = strcspn(s, "\n");
		fprintf(out, "  %.*s\n", (int)n, s);
		s += n + (s[n] == '\n');
	}
}

/* Lines of text as roff lines (no line may start with '.' or '\''). */
static void man_lines(FILE *out, const char *text)
{
	fputs(".br\n", out);
	for (const char *s = text; *s;) {
		size_t n = strcspn(s, "\n");
		roff_text(out, s, n);
		fputc('\n', out);
		s += n + (s[n] == '\n');
	}
}

void help_print_man(FILE *out, const char *usage)
{
	fputs(".TH SONDE 8 \"\" \"sonde\" \"System Manager's Manual\"\n"
	      ".ad l\n.nh\n"
	      ".SH NAME\nsonde \\- compile and run bpftrace programs on Linux eBPF\n"
	      ".SH SYNOPSIS\n"
	      ".B sonde\n[\\fIoptions\\fR] \\fIfilename\\fR [\\fIargs\\fR...]\n.br\n"
	      ".B sonde\n[\\fIoptions\\fR] \\fB\\-e\\fR '\\fIprogram\\fR' [\\fIargs\\fR...]\n.br\n"
	      ".B sonde \\-l\n[\\fB\\-v\\fR] ['\\fIpattern\\fR']\n.br\n"
	      ".B sonde \\-\\-info\n"
	      ".SH DESCRIPTION\n"
	      "sonde compiles programs in the bpftrace language to eBPF, attaches them to\n"
	      "kernel and user probes, and prints what they record, as bpftrace does.\n"
	      "A program is a list of probes, each with an optional /filter/ and an action\n"
	      "in braces. This page is generated from the same tables the compiler uses;\n"
	      ".B sonde \\-\\-help\\-topic\n"
	      "\\fINAME\\fR prints one of its entries.\n",
	      out);
	if (usage)
		man_options(out, usage);
	fputs(".SH PROBE TYPES\n", out);
	for (int i = 0; i < lang_nprobe_types; i++) {
		const struct help_entry *e = help_find(lang_probe_types[i].name);
		if (e)
			man_entry(out, e);
	}
	/* sonde's own probe types (lsm), which bpftrace does not have */
	const struct probe_provider *p;
	for (int i = 0; (p = probe_provider_at(i)); i++) {
		const struct help_entry *e = lang_probe_type_find(p->name) ? NULL : entry_named(p->name);
		if (e)
			man_entry(out, e);
	}
	fputs(".SH BUILTIN VARIABLES\n", out);
	for (int i = 0; i < stdlib_nvars; i++) {
		const struct help_entry *e = help_find(stdlib_vars[i].name);
		if (e)
			man_entry(out, e);
	}
	fputs(".SH FUNCTIONS\n", out);
	man_funcs(out, stdlib_funcs, stdlib_nfuncs, true);
	man_funcs(out, stdlib_map_funcs, stdlib_nmap_funcs, false);
	fputs(".SH AGGREGATIONS\n"
	      "An aggregation is assigned to a map, @name[key] = f(...), and is updated\n"
	      "per CPU and combined when printed.\n", out);
	man_funcs(out, stdlib_aggs, stdlib_naggs, false);
	fputs(".SH INTERACTIVE SHELL\n"
	      ".B sonde\n"
	      "with no program on a terminal, or\n"
	      ".BR \"sonde \\-i\" ,\n"
	      "reads probe blocks and runs each until Ctrl-C, and these commands:\n", out);
	for (const struct help_command *c = help_shell_commands; c->name; c++) {
		fputs(".TP\n.B ", out);
		roff_text(out, c->name, strlen(c->name));
		if (c->args[0]) {
			fputs(" \"", out);
			roff_text(out, c->args, strlen(c->args));
			fputc('"', out);
		}
		fputc('\n', out);
		roff_text(out, c->summary, strlen(c->summary));
		fputc('\n', out);
		if (c->detail)
			man_lines(out, c->detail);
	}
	fputs(".SH ENVIRONMENT DOCTOR\n"
	      ".B sonde \\-\\-info\n"
	      "prints the system, the build and the kernel's features, and for each probe type\n"
	      "whether it works on this machine, and if not, why and what to do.\n"
	      ".SH SEE ALSO\n.BR bpftrace (8)\n", out);
}
