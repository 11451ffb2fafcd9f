/* kfunc.h - kernel functions as BTF describes them, for the probe types
 * whose programs the kernel calls through a BPF trampoline with the
 * function's arguments as an array of u64 (fentry, fexit, lsm): which
 * functions exist (in vmlinux's BTF and each loaded module's in
 * /sys/kernel/btf), which of them the kernel lets be traced, and the types
 * of their parameters and return value (probes/kfunc.c).
 *
 * vmlinux is kbtf_btf() (BPFTRACE_BTF replaces it; modules are then not
 * read). Modules' BTF is loaded the first time a name is not found in
 * vmlinux or a pattern asks for modules, and kept for the process. */
#ifndef SONDE_PROBES_KFUNC_H
#define SONDE_PROBES_KFUNC_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "types.h"

struct btf;

struct kfunc {
	const char *module; /* "vmlinux" or the module's name */
	const char *name;   /* owned by btf */
	const struct btf *btf;
	uint32_t id;        /* the BTF FUNC */
	uint32_t proto;     /* its FUNC_PROTO */
};

/* Arguments a trampoline passes on x86-64 with Linux 6.1 (registers only). */
#define KFUNC_MAX_ARGS 6

/* Function `name` in `module` (NULL: vmlinux, then every module). */
bool kfunc_find(const char *module, const char *name, struct kfunc *out);
/* Calls fn for every function whose module matches module_pattern and
 * whose name matches name_pattern (probe_wildcard_match), vmlinux first;
 * only traceable ones when `traceable`. Returns how many it visited. */
typedef void kfunc_visit(const struct kfunc *f, void *arg);
int kfunc_each(const char *module_pattern, const char *name_pattern, bool traceable,
	       kfunc_visit *fn, void *arg);
/* Whether the kernel lets a trampoline attach to f: it is in tracefs'
 * available_filter_functions (not notrace, not inlined away). True when
 * that list cannot be read (no tracefs, not root): the kernel then says. */
bool kfunc_traceable(const struct kfunc *f);
/* Why a trampoline cannot pass f's arguments (too many, variadic, a
 * struct too big to pass by value), as a message; NULL when it can.
 * Caller frees. */
char *kfunc_unsupported(const struct kfunc *f);
/* The u64 slots f's arguments take in the context (a struct passed by
 * value takes one per 8 bytes); fexit's return value is the next one. */
int kfunc_nslots(const struct kfunc *f);
/* f's arguments as a record named rec_name ("struct _fentry_vfs_read"):
 * one member per parameter at its slot (8 * slot), typed as BTF declares
 * it (a struct too big for one slot, or a module's own type BTF of
 * vmlinux cannot name, is read as u64). */
const struct type *kfunc_args(struct type_arena *a, const struct kfunc *f, const char *rec_name);
/* f's return type; type_void() when it returns nothing. */
const struct type *kfunc_return_type(struct type_arena *a, const struct kfunc *f);
bool kfunc_returns_void(const struct kfunc *f);
/* codegen (emit_args_member): args.NAME, the u64 at m's offset in the
 * context cut to its type. */
struct cg;
struct cg_ref;
void kfunc_emit_args_member(struct cg *cg, const struct type_member *m, struct cg_ref *out);
/* A vmlinux function spelled close to name, for "did you mean" (caller
 * frees), or NULL. */
char *kfunc_closest(const char *prefix, const char *name);

/* -lv: "    TYPE NAME" per parameter, then "    TYPE retval" when f
 * returns something and `retval`. One printer serves a whole listing. */
struct kfunc_printer;
struct kfunc_printer *kfunc_printer_new(void);
void kfunc_print_params(struct kfunc_printer *p, FILE *out, const struct kfunc *f, bool retval);
void kfunc_printer_free(struct kfunc_printer *p);

/* One listing (-l) of the functions matching module_pattern and
 * name_pattern, sorted by their labels, one "TYPE:LABEL" line each with
 * the parameters under it when verbose. */
struct kfunc_listing {
	const char *type_name;                  /* "fentry" */
	const char *module_pattern, *name_pattern;
	bool traceable;                         /* only what kfunc_traceable() allows */
	bool verbose, retval;                   /* -lv; retval: print the return type too */
	/* the text after "TYPE:" (caller frees); NULL hook: "MODULE:NAME" */
	char *(*label)(const struct kfunc *f);
};
/* Returns how many it printed. */
int kfunc_list(FILE *out, const struct kfunc_listing *l);

/* The tracepoint that covers the same event as kernel function `func`
 * when sonde can tell (a syscall's implementation: do_nanosleep, vfs_read,
 * __x64_sys_openat -> syscalls:sys_enter_nanosleep, ...; sys_exit_ at
 * exit), as "tracepoint:CATEGORY:EVENT", or NULL. Caller frees. */
char *kfunc_tracepoint_for(const char *func, bool at_exit);
/* For a provider's load_refused hook: why the kernel may refuse BPF
 * trampoline programs (the lockdown mode, when securityfs says), and
 * `instead` (NULL: the generic advice), as "hint:" lines on out. */
void kfunc_report_refused(const char *type_name, int err, const char *instead, FILE *out);

#endif
