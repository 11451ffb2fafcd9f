/* fentry_bpf.h - `fentry:bpf[:ID]:NAME` and `fexit:bpf[:ID]:NAME`: the
 * functions of running BPF programs (probes/fentry_bpf.c), for
 * probes/fentry.c. Targets are "bpf:ID:NAME". */
#ifndef SONDE_PROBES_FENTRY_BPF_H
#define SONDE_PROBES_FENTRY_BPF_H

#include <stdio.h>

#include "probe.h"

/* spec: what follows "TYPE:bpf:" ("[ID:]NAME", wildcards in NAME). Appends
 * one target per matching function (main functions and subprograms of
 * every loaded program with BTF), or reports why none and returns -1. */
int fentry_bpf_expand(enum probe_type type, const char *tname, const char *spec, srcloc loc,
		      struct diag *d, struct probe_target **out, int *n);
/* -l 'TYPE:bpf:PATTERN': "TYPE:bpf:ID:NAME" lines, sorted as bpftrace
 * sorts them; PATTERN matches "ID:NAME" (or NAME alone). Returns how many. */
int fentry_bpf_list(const char *type_name, const char *pattern, FILE *out);
/* fexit: the type of `retval` of target "bpf:ID:NAME" from the program's
 * BTF; NULL with *why (caller frees) when there is none. */
const struct type *fentry_bpf_retval_type(const char *target, struct type_arena *a, char **why);

#endif
