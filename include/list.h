/* list.h - `-l`: the probes this machine offers, or the ones a script
 * would attach (src/list.c), as bpftrace lists them.
 *
 *   sonde -l ['PATTERN[,PATTERN...]']   sonde -l -e 'script'   sonde -l FILE
 *
 * A pattern is "TYPE:REST" with bpftrace's wildcard (`*`, see
 * probe_wildcard_match). A TYPE that is a wildcard (or a pattern without a
 * ':', which stands for "*:PATTERN") searches the kernel probe types, and
 * the user-space ones too with -p or when REST names an existing file. Each
 * provider prints its own matches through its `list` hook (probe.h), in
 * the order of the type names, sorted within a type. With a script, every
 * target its attach points expand to is listed by its provider's hook; BEGIN
 * and END are not listed (bpftrace leaves them out too). */
#ifndef SONDE_LIST_H
#define SONDE_LIST_H

#include <stdbool.h>
#include <stdio.h>

#include "diag.h"
#include "probe.h"

struct list_options {
	const char *pattern;         /* NULL or "": every probe */
	const struct source *script; /* set: list the probes of this script instead */
	char **positional;           /* the script's $1, $2, ... */
	int npositional;
	bool verbose;                /* -v: arguments under each probe */
	int pid;                     /* -p PID, 0 = none */
	bool no_warnings;
	FILE *out, *err;
};

/* Lists and returns the exit status: 0, or 1 after reporting an error
 * (a listing that matches nothing is not an error, as in bpftrace). */
int list_run(const struct list_options *o);

/* ---- for list hooks ----------------------------------------------------- */

/* A growing set of names, sorted and deduplicated once complete (bpftrace
 * prints each type's matches as a sorted set: byte order). */
struct list_names {
	char **v;
	int n, cap;
};
void list_names_add(struct list_names *l, char *name); /* takes ownership */
void list_names_sort_unique(struct list_names *l);
void list_names_free(struct list_names *l);

/* A hook's pattern for a provider whose names have two parts
 * ("CATEGORY:EVENT", "MODULE:NAME"): one without a ':' matches the last
 * part in any first part, as bpftrace reads `tracepoint:*sleep*` (caller
 * frees). */
char *list_two_part_pattern(const char *pattern);

/* src/list_types.c: `-l 'struct NAME'` (union, enum): the kernel types
 * from BTF whose "struct NAME" matches pattern, their definitions with
 * verbose. Returns how many, or -1 after saying why on stderr. */
int list_types(const char *pattern, bool verbose, FILE *out);
/* Kernel BTF for listings (BPFTRACE_BTF if set), read fast; NULL + errno. */
struct btf;
struct btf *list_vmlinux_btf(void);

/* Hooks defined outside their provider's file. */
int rawtracepoint_list(const struct probe_provider *self, const struct probe_list_request *req);
int probe_timer_list(const struct probe_provider *self, const struct probe_list_request *req);

#endif
