/* help.h - help text for builtins, functions, aggregations and probe types,
 * drawn from the same descriptors the compiler uses (src/help.c). The
 * shell's `.help`, the man page (`sonde --man`) and `sonde --help-topic`
 * all print it, so they never disagree.
 *
 * The text lives in one table parallel to the descriptor tables
 * (stdlib/help.c), keyed by the descriptor's name: which names exist and
 * of what kind comes from stdlib_vars, stdlib_funcs, the aggregations, the
 * map functions and the probe types (language.h, probes/registry.c); the
 * table only adds words. tests/unit/test_help.c checks that every
 * descriptor has an entry, that every entry names a descriptor or one of
 * bpftrace's names (language.h; its help then says sonde lacks it), and
 * that the example of everything sonde has compiles. */

#ifndef SONDE_HELP_H
#define SONDE_HELP_H

#include <stdbool.h>
#include <stdio.h>

enum help_flag {
	HELP_UNSAFE = 1 << 0,    /* the example needs --unsafe */
};

struct help_entry {
	const char *name;      /* as the descriptor names it: "hist", "tracepoint" */
	const char *signature; /* "hist(int n[, int k])" */
	const char *summary;   /* one line */
	const char *example;   /* a program that runs as `sonde -e 'example'` */
	unsigned flags;        /* enum help_flag */
};

extern const struct help_entry help_entries[];
extern const int help_nentries;

/* The entry of a builtin, function, aggregation or probe type (a probe
 * type's alias finds it too); NULL if none. */
const struct help_entry *help_find(const char *name);

/* Whether sonde has what entry `name` describes (a builtin, function,
 * aggregation or probe type with a descriptor or provider). */
bool help_implemented(const char *name);

/* Print the help for TOPIC (a builtin, function, aggregation, probe type or
 * keyword; NULL or "" = the overview) to out. Returns 0, or -1 when there
 * is no such topic (a line saying so, with the closest topic, is printed). */
int help_print(FILE *out, const char *topic);

/* A command of the interactive shell (src/shell.c runs them): its words,
 * for .help and the man page. */
struct help_command {
	const char *name;    /* ".watch" */
	const char *args;    /* "[@map...|off]" */
	const char *summary; /* one line */
	const char *detail;  /* more lines, or NULL */
};
extern const struct help_command help_shell_commands[]; /* ends with a NULL name */
/* The command named `name` (".watch" or "watch"); NULL if none. */
const struct help_command *help_shell_command(const char *name);
/* Its help: "NAME ARGS", the summary, the detail. */
void help_print_command(FILE *out, const struct help_command *c);

/* The man page sonde(8) in roff, from the same entries and from the
 * `--help` text (usage: its OPTIONS section becomes the man page's), so
 * neither can drift (sonde --man, run at build time). */
void help_print_man(FILE *out, const char *usage);

#endif
