/* shell.c - the interactive shell: read an entry, compile it, run it until
 * Ctrl-C, back to the prompt. See shell.h.
 *
 * Line editing and history are libedit's (BSD licence, in Debian). An entry
 * is compiled as its own text first, so errors point at what was typed
 * (line 1 is the entry's first line), followed by the definitions kept from
 * earlier entries (macros and structs may be used before they are defined). */
#include <ctype.h>
#include <errno.h>
#include <histedit.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "help.h"
#include "list.h"
#include "import.h"
#include "shell.h"
#include "suggest.h"

#define SHELL_SOURCE_NAME "shell"
#define SHELL_HISTORY_SIZE 1000

struct shell {
	const struct shell_options *o;
	EditLine *el;
	History *hist;
	char *history_path;      /* NULL: history is not kept */
	bool continuing;         /* the prompt of an entry's second line on */
	struct sonde_config config; /* the environment's, then every config block typed */
	char **defs;             /* the definition entries kept (macros, structs) */
	int ndefs;
	struct util_strbuf config_text; /* the settings of the config blocks typed ("k = v; ..."), for .save */
	struct util_strbuf probes_text; /* the entries that ran, for .save */
	char *maps_text;         /* the maps of the last run, for .maps */
	char *maps_values;       /* and their values when it ended */
	/* .watch: NULL = off; "" = every map of the entries run; else the map
	 * names to redraw ("@a @b") */
	char *watch;
	struct shell_tour tour;
	bool quit;
};

/* ---- signals at the prompt ------------------------------------------------ */

/* At the prompt Ctrl-C drops the line being typed (read() is interrupted:
 * no SA_RESTART); during a run the runtime's own handler stops the run. */
static volatile sig_atomic_t prompt_interrupted;

static void shell_on_sigint(int sig)
{
	(void)sig;
	prompt_interrupted = 1;
}

static int shell_signals(struct sigaction *saved)
{
	struct sigaction sa = { 0 };
	sa.sa_handler = shell_on_sigint;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGINT, &sa, saved) < 0) {
		fprintf(stderr, "sonde: cannot set the handler of SIGINT: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

/* ---- text helpers --------------------------------------------------------- */

int shell_open_depth(const char *s)
{
	int depth = 0;
	while (*s) {
		if (s[0] == '/' && s[1] == '/') {
			while (*s && *s != '\n')
				s++;
		} else if (s[0] == '/' && s[1] == '*') {
			const char *end = strstr(s + 2, "*/");
			if (!end)
				return depth + 1; /* an open comment continues too */
			s = end + 2;
		} else if (*s == '"' || *s == '\'') {
			char q = *s++;
			while (*s && *s != q && *s != '\n')
				s += (s[0] == '\\' && s[1]) ? 2 : 1;
			if (*s == q)
				s++;
		} else {
			if (*s == '{' || *s == '(' || *s == '[')
				depth++;
			else if ((*s == '}' || *s == ')' || *s == ']') && depth > 0)
				depth--;
			s++;
		}
	}
	return depth;
}

/* ---- definitions kept across entries -------------------------------------- */

/* The names TEXT defines, "macro NAME" or "struct NAME" (union, enum), in
 * a list: a later definition of the same name replaces the earlier entry,
 * as one expects of a shell (the compiler would say "defined twice"). */
static const char *next_word(const char *s, const char **start, size_t *len)
{
	for (;;) {
		while (*s && !isalpha((unsigned char)*s) && *s != '_') {
			if (s[0] == '/' && s[1] == '/')
				s += strcspn(s, "\n");
			else if (*s == '"')
				s = strchr(s + 1, '"') ? strchr(s + 1, '"') + 1 : s + strlen(s);
			else
				s++;
		}
		if (!*s)
			return NULL;
		*start = s;
		while (isalnum((unsigned char)*s) || *s == '_')
			s++;
		*len = (size_t)(s - *start);
		return s;
	}
}

static bool defines_same(const char *a, const char *b)
{
	const char *w, *s = a;
	size_t n;
	while ((s = next_word(s, &w, &n))) {
		bool is_macro = n == 5 && strncmp(w, "macro", 5) == 0;
		bool is_type = (n == 6 && strncmp(w, "struct", 6) == 0) ||
			       (n == 5 && strncmp(w, "union", 5) == 0) ||
			       (n == 4 && strncmp(w, "enum", 4) == 0);
		if (!is_macro && !is_type)
			continue;
		const char *name;
		size_t nlen;
		const char *after = next_word(s, &name, &nlen);
		if (!after)
			break;
		/* the same keyword and name, defined (not just used) in b */
		const char *t = b, *w2;
		size_t n2;
		while ((t = next_word(t, &w2, &n2))) {
			if (n2 != n || strncmp(w2, w, n) != 0)
				continue;
			const char *name2;
			size_t nlen2;
			const char *after2 = next_word(t, &name2, &nlen2);
			if (!after2)
				break;
			after2 += strspn(after2, " \t\n");
			if (nlen2 == nlen && strncmp(name2, name, nlen) == 0 &&
			    (is_macro || *after2 == '{'))
				return true;
		}
		s = after;
	}
	return false;
}

/* The kept definitions that TEXT does not define again, one text. */
static char *defs_for(const struct shell *sh, const char *text)
{
	struct util_strbuf all = { 0 };
	for (int i = 0; i < sh->ndefs; i++)
		if (!defines_same(sh->defs[i], text))
			util_strbuf_addf(&all, "%s\n", sh->defs[i]);
	return util_strbuf_take(&all);
}

static void defs_keep(struct shell *sh, const char *text)
{
	int k = 0;
	for (int i = 0; i < sh->ndefs; i++) {
		if (defines_same(sh->defs[i], text))
			free(sh->defs[i]);
		else
			sh->defs[k++] = sh->defs[i];
	}
	sh->defs = xrealloc(sh->defs, sizeof(*sh->defs) * (size_t)(k + 1));
	sh->defs[k++] = xstrdup(text);
	sh->ndefs = k;
}

static bool is_blank(const char *s)
{
	s += strspn(s, " \t\r\n");
	return *s == '\0';
}

/* ---- history -------------------------------------------------------------- */

/* $XDG_STATE_HOME/sonde/history, else ~/.local/state/sonde/history: kept
 * history is state (XDG base directories), not configuration or cache. */
static char *history_file(void)
{
	const char *state = getenv("XDG_STATE_HOME");
	char *dir;
	if (state && state[0] == '/') {
		dir = xasprintf("%s/sonde", state);
	} else {
		const char *home = getenv("HOME");
		if (!home || !home[0])
			return NULL;
		char *local = xasprintf("%s/.local", home);
		char *st = xasprintf("%s/state", local);
		mkdir(local, 0755);
		mkdir(st, 0755);
		free(local);
		dir = xasprintf("%s/sonde", st);
		free(st);
	}
	if (state && state[0] == '/')
		mkdir(state, 0755);
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		fprintf(stderr, "sonde: history is not kept: cannot create '%s': %s\n", dir,
			strerror(errno));
		free(dir);
		return NULL;
	}
	char *path = xasprintf("%s/history", dir);
	free(dir);
	return path;
}

static void history_add(struct shell *sh, const char *entry)
{
	HistEvent ev;
	/* one history line per entry: a multi-line entry comes back whole */
	char *flat = xstrdup(entry);
	for (char *p = flat; *p; p++)
		if (*p == '\n')
			*p = ' ';
	size_t n = strlen(flat);
	while (n && flat[n - 1] == ' ')
		flat[--n] = '\0';
	history(sh->hist, &ev, H_ENTER, flat);
	free(flat);
	if (sh->history_path)
		history(sh->hist, &ev, H_SAVE, sh->history_path);
}

/* ---- reading an entry ----------------------------------------------------- */

static char *shell_prompt(EditLine *el)
{
	struct shell *sh;
	el_get(el, EL_CLIENTDATA, &sh);
	return sh->continuing ? "   ...> " : "sonde> ";
}

/* The lines of the entry being read, for completion (read_entry's). */
static const char *entry_so_far;

const char *shell_entry_so_far(void)
{
	return entry_so_far ? entry_so_far : "";
}

/* One entry: a line, or lines while brackets are open. NULL at the end of
 * input; "" after Ctrl-C at the prompt. Caller frees. */
static char *read_entry(struct shell *sh)
{
	struct util_strbuf entry = { 0 };
	sh->continuing = false;
	for (;;) {
		int count = 0;
		prompt_interrupted = 0;
		entry_so_far = entry.buf;
		const char *line = el_gets(sh->el, &count);
		entry_so_far = NULL;
		if (!line && prompt_interrupted) {
			/* Ctrl-C: drop what was typed, as a shell does */
			fputs("^C\n", stdout);
			el_reset(sh->el);
			free(entry.buf);
			return xstrdup("");
		}
		if (!line || count <= 0) {
			if (entry.buf) /* end of input inside an entry: run what there is */
				return entry.buf;
			return NULL;
		}
		util_strbuf_addstr(&entry, line);
		if (entry.buf[0] == '.' || shell_open_depth(entry.buf) == 0)
			return entry.buf;
		sh->continuing = true;
	}
}

/* ---- compiling and running ------------------------------------------------ */

/* Does the entry have probes? Parsed quietly: errors are reported when it
 * is compiled for real. */
static bool entry_has_probes(const char *text)
{
	struct source *src = source_from_string(SHELL_SOURCE_NAME, text, strlen(text));
	FILE *null = fopen("/dev/null", "w");
	import_expand(src, null ? null : stderr); /* an imported file's probes count */
	struct diag d;
	diag_init(&d, src, null ? null : stderr);
	d.max_errors = 1;
	struct program *prog = parse_program(src, &d);
	bool has = prog->probes != NULL;
	ast_free_program(prog);
	if (null)
		fclose(null);
	source_free(src);
	return has;
}

static bool entry_has_config(const char *text)
{
	const char *p = text + strspn(text, " \t\r\n");
	return strncmp(p, "config", 6) == 0 && strchr(" \t\n=", p[6]);
}

/* The maps of a compiled program, for .maps: "@name[key type]: value type" */
static char *describe_maps(const struct desc *d)
{
	struct xtext t;
	FILE *f = xtext_open(&t);
	for (int i = 0; i < d->nmaps; i++) {
		const struct desc_map *m = &d->maps[i];
		char kb[256], vb[256];
		fputs(m->name, f);
		if (m->key)
			fprintf(f, "[%s]", type_name(m->key, kb, sizeof(kb)));
		fprintf(f, ": %s\n", m->value ? type_name(m->value, vb, sizeof(vb)) : "?");
	}
	return xtext_close(&t, NULL);
}

/* The names of a compiled program's maps, for .watch: "@a:k @b:s "
 * (owned), where k marks a map of keys and values (a list that may be
 * long: watched, it shows the top entries), s the others. */
static char *map_names(const struct desc *d)
{
	struct util_strbuf names = { 0 };
	for (int i = 0; i < d->nmaps; i++) {
		const struct desc_map *m = &d->maps[i];
		bool list = m->key && m->kind != MAP_HIST && m->kind != MAP_LHIST;
		util_strbuf_addf(&names, "%s%s", m->name, list ? ":k " : ":s ");
	}
	return util_strbuf_take(&names);
}

/* Compile TEXT (the entry, then the kept definitions, then EXTRA: the
 * watch probe, or NULL) and, with run, run it until it ends or Ctrl-C.
 * With names, *names gets the program's map names (map_names). Returns -1
 * when it did not compile, else the run's exit status (0 without run). */
static int shell_compile_run(struct shell *sh, const char *name, const char *text, bool run,
			     const char *extra, char **names)
{
	char *defs = defs_for(sh, text);
	char *full = xasprintf("%s\n%s%s%s", text, defs, run ? "" : "\nBEGIN {}\n", extra ? extra : "");
	free(defs);
	struct source *src = source_from_string(name, full, strlen(full));
	free(full);
	/* import "file.bt"; as in a script (paths from the working directory) */
	if (import_expand(src, stderr) != 0) {
		source_free(src);
		return -1;
	}
	struct compile_options co = sh->o->co;
	co.config = &sh->config;
	co.dump_out = stdout;
	struct compiled compiled = { 0 };
	int rc = -1;
	prompt_interrupted = 0;
	if (sonde_compile(src, &co, stderr, &compiled) == 0) {
		rc = 0;
		if (names)
			*names = map_names(compiled.desc);
		/* Ctrl-C while compiling (the run's own handler is not there yet) */
		if (run && prompt_interrupted) {
			fputs("^C (not run)\n", stderr);
		} else if (run) {
			struct rt_options rt = sh->o->rt;
			sonde_run_settings(&sh->config, &rt);
			rt.src = src;
			struct xtext values;
			rt.maps_copy = xtext_open(&values);
			rc = rt_run(&compiled, &rt);
			fflush(rt.out ? rt.out : stdout);
			free(sh->maps_text);
			sh->maps_text = describe_maps(compiled.desc);
			free(sh->maps_values);
			sh->maps_values = xtext_close(&values, NULL);
		}
		compiled_free(&compiled);
	}
	source_free(src);
	return rc;
}

/* An entry that starts with `config = { ... }`: the settings between the
 * braces (owned, without the last ';') and, in *rest, what follows the
 * block; NULL (and *rest = text) without one. */
static char *split_config(const char *text, const char **rest)
{
	*rest = text;
	const char *open = entry_has_config(text) ? strchr(text, '{') : NULL;
	if (!open)
		return NULL;
	const char *p = open + 1;
	while (*p && *p != '}') {
		if (*p == '"') { /* a string value may hold a brace */
			p++;
			while (*p && *p != '"')
				p += (p[0] == '\\' && p[1]) ? 2 : 1;
		}
		if (*p)
			p++;
	}
	if (*p != '}')
		return NULL;
	*rest = p + 1;
	const char *a = open + 1 + strspn(open + 1, " \t\n;");
	const char *b = p;
	while (b > a && strchr(" \t\n;", b[-1]))
		b--;
	return xstrndup(a, (size_t)(b - a));
}

/* The settings go with the others (one config block in a saved script). */
static void keep_config(struct shell *sh, const char *settings)
{
	if (!settings[0])
		return;
	if (sh->config_text.len)
		util_strbuf_addstr(&sh->config_text, "; ");
	util_strbuf_addstr(&sh->config_text, settings);
}

/* ---- .watch ---------------------------------------------------------------- */

/* Map NAME ("@a") in NAMES ("@a:k @b:s "): its mark ('k', 's'), or 0. */
static char names_have(const char *names, const char *name, size_t len)
{
	for (const char *s = names; *s;) {
		size_t n = strcspn(s, " ");
		if (n == len + 2 && strncmp(s, name, len) == 0 && s[len] == ':')
			return s[len + 1];
		s += n + (s[n] == ' ');
	}
	return 0;
}

/* The terminal's rows (24 when it does not say). */
static int screen_rows(FILE *f)
{
	struct winsize ws;
	if (ioctl(fileno(f), TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0)
		return ws.ws_row;
	return 24;
}

/* The probe that redraws the watched maps of an entry whose maps are HAVE:
 * every second, a clear screen (on a terminal, in text), the time, then
 * print() of each map, in the format the maps have at exit. NULL (and a
 * note) when none of the watched maps is in the entry. */
static char *watch_probe(const struct shell *sh, const char *have)
{
	struct util_strbuf watched = { 0 };
	int nwatched = 0;
	const char *want = sh->watch[0] ? sh->watch : have;
	for (const char *s = want; *s;) {
		size_t n = strcspn(s, " :");
		if (n && names_have(have, s, n)) {
			util_strbuf_add(&watched, s, n);
			util_strbuf_addstr(&watched, " ");
			nwatched++;
		}
		s += strcspn(s, " ");
		s += strspn(s, " ");
	}
	if (!watched.len) {
		fprintf(stderr, "sonde: .watch: %s; it runs unwatched\n",
			have[0] ? "this entry has none of the maps watched" : "this entry has no maps");
		free(watched.buf);
		return NULL;
	}
	FILE *out = sh->o->rt.out ? sh->o->rt.out : stdout;
	bool screen = isatty(fileno(out)) && sh->o->rt.format == RT_FORMAT_TEXT;
	/* on a screen, a list shows its top entries: what fits in a frame */
	int top = (screen_rows(out) - 3) / nwatched - 1;
	if (top < 3)
		top = 3;
	struct util_strbuf p = { 0 };
	util_strbuf_addf(&p, "\ninterval:s:1 { printf(\"%s\"); time(\"%%H:%%M:%%S\"); "
			 "printf(\"  watching %.*s every second (Ctrl-C stops)\\n\\n\");",
			 screen ? "\\033[H\\033[2J" : "\\n", (int)watched.len - 1, watched.buf);
	for (const char *s = watched.buf; *s;) {
		size_t n = strcspn(s, " ");
		if (screen && names_have(have, s, n) == 'k')
			util_strbuf_addf(&p, " print(%.*s, %d);", (int)n, s, top);
		else
			util_strbuf_addf(&p, " print(%.*s);", (int)n, s);
		s += n + (s[n] == ' ');
	}
	util_strbuf_addstr(&p, " }\n");
	free(watched.buf);
	return util_strbuf_take(&p);
}

/* Run a probe entry with the watch probe added (after a first compile for
 * its maps: errors are reported by it, on the entry's own lines). */
static int shell_run_watched(struct shell *sh, const char *name, const char *text)
{
	char *have = NULL;
	if (shell_compile_run(sh, name, text, false, NULL, &have) < 0)
		return -1;
	char *extra = watch_probe(sh, have);
	free(have);
	int rc = shell_compile_run(sh, name, text, true, extra, NULL);
	free(extra);
	return rc;
}

/* A probe block runs; definitions alone are checked and kept. Config
 * blocks were applied to sh->config by the compile. */
static void shell_entry(struct shell *sh, const char *name, const char *text)
{
	bool probes = entry_has_probes(text);
	int rc = probes && sh->watch ? shell_run_watched(sh, name, text)
				     : shell_compile_run(sh, name, text, probes, NULL, NULL);
	if (rc < 0) /* did not compile */
		return;
	if (probes)
		shell_tour_ran(&sh->tour);
	const char *rest;
	char *settings = split_config(text, &rest);
	if (settings)
		keep_config(sh, settings);
	free(settings);
	if (is_blank(rest))
		return;
	if (probes)
		util_strbuf_addf(&sh->probes_text, "%s\n", rest + strspn(rest, " \t\n"));
	else
		defs_keep(sh, rest);
}

/* ---- commands ------------------------------------------------------------- */

/* A command: its name and what runs it; its words are in stdlib/help.c
 * (help_shell_commands), for .help and the man page. */
struct shell_command {
	const char *name;
	void (*run)(struct shell *sh, const char *arg);
};

static const struct shell_command shell_commands[];

static void cmd_help(struct shell *sh, const char *arg)
{
	(void)sh;
	if (!arg[0]) {
		fputs("Type a probe block (it runs until Ctrl-C), definitions (macro, struct,\n"
		      "config: kept for later entries), or a command:\n",
		      stdout);
		for (const struct help_command *c = help_shell_commands; c->name; c++) {
			char left[64];
			snprintf(left, sizeof(left), "%s %s", c->name, c->args);
			printf("  %-36s %s\n", left, c->summary);
		}
		fputs("New here? .tour runs the classic one-liners one by one.\n\n", stdout);
	}
	/* a command (".watch", or "watch" when no builtin has that name) */
	const struct help_command *c = help_shell_command(arg);
	if (c && (arg[0] == '.' || !help_find(arg))) {
		help_print_command(stdout, c);
		return;
	}
	help_print(stdout, arg);
}

static void list_with(const char *pattern, bool verbose)
{
	struct list_options lo = { .pattern = pattern, .verbose = verbose, .out = stdout,
				   .err = stderr };
	list_run(&lo);
}

static void cmd_list(struct shell *sh, const char *arg)
{
	(void)sh;
	list_with(arg[0] ? arg : NULL, false);
}

static void cmd_fields(struct shell *sh, const char *arg)
{
	(void)sh;
	if (!arg[0]) {
		fputs("sonde: .fields needs a probe, e.g. .fields tracepoint:syscalls:sys_enter_openat\n",
		      stderr);
		return;
	}
	list_with(arg, true);
}

static void cmd_maps(struct shell *sh, const char *arg)
{
	(void)arg;
	if (!sh->maps_text || !sh->maps_text[0]) {
		fputs("no maps: the last run had none (or nothing has run yet)\n", stdout);
		return;
	}
	fputs(sh->maps_text, stdout);
	const char *v = sh->maps_values ? sh->maps_values + strspn(sh->maps_values, "\n") : "";
	if (v[0])
		printf("\nTheir values when the last run ended:\n%s", v);
}

static void cmd_save(struct shell *sh, const char *arg)
{
	if (!arg[0]) {
		fputs("sonde: .save needs a file name\n", stderr);
		return;
	}
	FILE *f = fopen(arg, "w");
	if (!f) {
		fprintf(stderr, "sonde: cannot write '%s': %s\n", arg, strerror(errno));
		return;
	}
	char *defs = defs_for(sh, "");
	fputs("#!/usr/bin/env sonde\n", f);
	if (sh->config_text.len)
		fprintf(f, "config = { %s }\n", sh->config_text.buf);
	fprintf(f, "%s%s", defs, sh->probes_text.buf ? sh->probes_text.buf : "");
	free(defs);
	if (fclose(f) != 0) {
		fprintf(stderr, "sonde: cannot write '%s': %s\n", arg, strerror(errno));
		return;
	}
	chmod(arg, 0755);
	printf("saved to %s\n", arg);
}

static void cmd_load(struct shell *sh, const char *arg)
{
	struct source *src = arg[0] ? source_from_file(arg) : NULL;
	if (!src) {
		if (!arg[0])
			fputs("sonde: .load needs a file name\n", stderr);
		else
			fprintf(stderr, "sonde: cannot read '%s': %s\n", arg, strerror(errno));
		return;
	}
	shell_entry(sh, arg, src->text);
	source_free(src);
}

static void cmd_quit(struct shell *sh, const char *arg)
{
	(void)arg;
	sh->quit = true;
}

static void cmd_tour(struct shell *sh, const char *arg)
{
	shell_tour_command(&sh->tour, (struct editline *)sh->el, arg);
}

/* `.watch [@map...|off] [probe block]`: see help_shell_commands. */
static void cmd_watch(struct shell *sh, const char *arg)
{
	if (strcmp(arg, "off") == 0) {
		free(sh->watch);
		sh->watch = NULL;
		puts("watch mode off");
		return;
	}
	struct util_strbuf found = { 0 };
	const char *s = arg;
	while (*s == '@') {
		size_t n = strcspn(s, " \t");
		util_strbuf_add(&found, s, n);
		util_strbuf_addstr(&found, " ");
		s += n;
		s += strspn(s, " \t");
	}
	char *names = util_strbuf_take(&found);
	if (*s) { /* a probe block: watched this once */
		char *saved = sh->watch;
		sh->watch = names;
		shell_entry(sh, SHELL_SOURCE_NAME, s);
		sh->watch = saved;
		free(names);
		return;
	}
	free(sh->watch);
	sh->watch = names;
	printf("watch mode on: the probe blocks typed next run with %.*s redrawn every second\n"
	       "until Ctrl-C; .watch off ends it\n",
	       names[0] ? (int)strlen(names) - 1 : 10, names[0] ? names : "their maps");
}

static const struct shell_command shell_commands[] = {
	{ ".help", cmd_help },
	{ ".list", cmd_list },
	{ ".fields", cmd_fields },
	{ ".maps", cmd_maps },
	{ ".watch", cmd_watch },
	{ ".tour", cmd_tour },
	{ ".save", cmd_save },
	{ ".load", cmd_load },
	{ ".quit", cmd_quit },
	{ NULL, NULL },
};

const char *const shell_command_names[] = {
	".help", ".list", ".fields", ".maps", ".watch", ".tour", ".save", ".load", ".quit", NULL,
};

static void shell_command(struct shell *sh, char *line)
{
	size_t n = strcspn(line, " \t\r\n");
	char *arg = line + n;
	arg += strspn(arg, " \t");
	size_t alen = strlen(arg);
	while (alen && strchr(" \t\r\n", arg[alen - 1]))
		arg[--alen] = '\0';
	line[n] = '\0';
	for (const struct shell_command *c = shell_commands; c->name; c++)
		if (strcmp(line, c->name) == 0) {
			c->run(sh, arg);
			return;
		}
	struct suggestion sg;
	suggestion_init(&sg, line);
	for (const struct shell_command *c = shell_commands; c->name; c++)
		suggestion_consider(&sg, c->name);
	if (sg.best)
		fprintf(stderr, "sonde: unknown command '%s'; did you mean '%s'?\n", line, sg.best);
	else
		fprintf(stderr, "sonde: unknown command '%s' (.help lists them)\n", line);
	suggestion_free(&sg);
}

/* ---- the shell ------------------------------------------------------------ */

static int shell_open(struct shell *sh)
{
	HistEvent ev;
	sh->hist = history_init();
	sh->el = el_init("sonde", stdin, stdout, stderr);
	if (!sh->hist || !sh->el) {
		fputs("sonde: cannot start line editing\n", stderr);
		return -1;
	}
	history(sh->hist, &ev, H_SETSIZE, SHELL_HISTORY_SIZE);
	history(sh->hist, &ev, H_SETUNIQUE, 1);
	sh->history_path = history_file();
	if (sh->history_path)
		history(sh->hist, &ev, H_LOAD, sh->history_path); /* none yet is fine */
	el_set(sh->el, EL_CLIENTDATA, sh);
	el_set(sh->el, EL_EDITOR, "emacs");
	el_set(sh->el, EL_PROMPT, shell_prompt);
	el_set(sh->el, EL_HIST, history, sh->hist);
	shell_complete_install(sh->el);
	el_source(sh->el, NULL); /* the user's ~/.editrc */
	return 0;
}

static void shell_close(struct shell *sh)
{
	if (sh->el)
		el_end(sh->el);
	if (sh->hist)
		history_end(sh->hist);
	free(sh->history_path);
	for (int i = 0; i < sh->ndefs; i++)
		free(sh->defs[i]);
	free(sh->defs);
	free(sh->config_text.buf);
	free(sh->probes_text.buf);
	free(sh->maps_text);
	free(sh->maps_values);
	free(sh->watch);
	config_free(&sh->config);
}

int shell_run(const struct shell_options *o)
{
	struct shell sh = { .o = o };
	struct sigaction saved;
	if (config_read_env(&sh.config, stderr) < 0 || shell_signals(&saved) < 0) {
		shell_close(&sh);
		return 1;
	}
	if (shell_open(&sh) < 0) {
		shell_close(&sh);
		sigaction(SIGINT, &saved, NULL);
		return 1;
	}
	printf("sonde %s: type a probe block (Ctrl-C stops it), .help for help, .quit to leave\n",
	       SONDE_VERSION);
	while (!sh.quit) {
		char *entry = read_entry(&sh);
		if (!entry) {
			putchar('\n');
			break;
		}
		if (!entry[0]) { /* Ctrl-C at the prompt: a lesson's program is dropped too */
			shell_tour_drop(&sh.tour);
		} else if (is_blank(entry) && shell_tour_pending(&sh.tour)) {
			free(entry); /* Enter after a lesson: its program */
			entry = xstrdup(shell_tour_pending(&sh.tour));
		}
		if (!is_blank(entry)) {
			history_add(&sh, entry);
			char *p = entry + strspn(entry, " \t");
			if (p[0] == '.')
				shell_command(&sh, p);
			else
				shell_entry(&sh, SHELL_SOURCE_NAME, entry);
			fflush(stdout);
		}
		free(entry);
	}
	shell_close(&sh);
	sigaction(SIGINT, &saved, NULL);
	return 0;
}
