/* sema_internal.h - state shared by the files of the semantic pass (sema/).
 *
 * The pass runs the whole script several times. Types flow between probes
 * through maps (a map read in the first probe may only be assigned in the
 * last one), so the first runs are "quiet": they report nothing and only
 * decide map and variable types. They repeat until a run decides nothing
 * new; a final "loud" run then checks everything against the settled types
 * and reports every error once. Decisions (map kinds, key and value types,
 * variable types) persist across runs; per-run facts (which variables are
 * assigned so far, printf records) are reset at the start of each run. */
#ifndef SONDE_SEMA_INTERNAL_H
#define SONDE_SEMA_INTERNAL_H

#include <stdbool.h>

#include "ast.h"
#include "builtins.h"
#include "desc.h"
#include "probe.h"
#include "sema.h"

#define SEMA_MAX_LHIST_BUCKETS 1000 /* bpftrace's limit too: (max - min) / step */
/* Program names are ELF symbols and what bpftool and libbpf messages show
 * (the kernel keeps 15 bytes); the index prefix keeps them unique when cut. */
#define SEMA_PROG_NAME_MAX 60
/* printf records and print() values travel in one ring-buffer record each;
 * a bound keeps one event from taking a large part of the ring. */
#define SEMA_MAX_EVENT_RECORD (64 * 1024)
/* The ring buffer, unless BPFTRACE_PERF_RB_PAGES says otherwise at run
 * time: bpftrace sizes it from free memory between 256 KiB and 16 MiB. 1 MiB
 * holds a few hundred of the largest records or tens of thousands of small
 * ones, while the runtime drains it continuously; what does not fit is
 * counted and reported as lost. */
#define SEMA_RINGBUF_SIZE (1u << 20)

/* What sema knows about one map beyond struct map_info (indexed by id). */
struct map_state {
	bool has_value;        /* kind/value decided */
	srcloc value_loc;      /* where it was decided */
	bool keys_known;       /* nkeys decided */
	srcloc keys_loc;
	bool assign_seen;      /* loud run: an assignment targeted it (even a failed one) */
	bool params_set;       /* aggregation parameters (lhist bounds) decided */
	srcloc params_loc;
};

/* Per script probe. */
struct probe_state {
	bool *assigned;        /* by var index: assigned earlier in this run */
	int nassigned;
	bool expand_failed;    /* an attach point of it failed to expand (reported) */
	/* made by sema_split_by_probetype from the probe before it: what it
	 * reports that its original reported already is said once */
	bool is_copy;
};

/* A diagnostic of the loud run, to say each once across a probe and its
 * copies. */
struct sema_said {
	enum diag_level level;
	srcloc loc;
	char *text;
};

/* A variable visible in the block being checked (flow.c): let and loop
 * variables, and probe-wide variables first assigned in this block, which
 * a later let in it or in a nested block would shadow. */
struct sema_scope_entry {
	const char *name;
	struct var_info *var;
	srcloc loc;            /* its declaration or first assignment */
};

struct sema {
	struct program *prog;
	struct diag *d;
	const struct sema_options *opt;
	bool quiet;
	bool in_stmt_call;     /* sema_call(): the call being checked is a statement */
	bool ends;             /* the statement just checked always ends its block (exit, return...) */
	int changes;           /* decisions made in the current run */
	uint32_t max_strlen;

	struct prog_group *groups;
	int ngroups;
	srcloc *group_locs;         /* by group: the attach point that created it */

	struct probe_state *pstate; /* by probe index */
	int nprobes;
	struct probe *cur;          /* probe being checked */
	struct probe_state *curst;
	struct map_info *agg_map;   /* the map an aggregation call is assigned to */

	struct map_state *mstate;   /* by map id */
	int mstate_cap;
	/* maps.c: the program's maps by name (open addressing), so that a
	 * script of 1,000 maps does not compare names with each of them */
	struct map_info **map_slots;
	size_t map_slots_cap;
	int map_slots_n;
	struct map_info **map_tail; /* the list's last next pointer (or earlier) */

	uint64_t unset_reported;    /* positional parameters reported missing (bit = number) */

	struct desc_printf *printfs;
	int nprintfs, printfs_cap;
	const struct type **values; /* print(value) sites */
	int nvalues, values_cap;
	struct desc_channel channels[DESC_NCHANNELS]; /* output channels' calls (skboutput) */

	bool stack_depths;          /* sema_want_stack_depths() */
	struct sema_said *said;     /* the loud run's diagnostics so far */
	int nsaid;

	const char **unsupported;   /* names reported as not supported yet: once each */
	int nunsupported;

	/* flow.c: the blocks around the statement being checked */
	struct sema_scope_entry *scope;
	int nscope, scope_cap;
	int loops;                  /* loops around it (break/continue allowed) */
	int for_loops;              /* of them, for loops (each a nested BPF call) */
};

/* sema.c */
/* The diagnostics said so far (kept to say each once). */
void sema_said_free(struct sema *s);
void sema_err(struct sema *s, srcloc loc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void sema_stmt(struct sema *s, struct node *n);
/* The statements of a block, in order: the first one after a statement
 * that always ends the block (exit(), return, break, continue, an if whose
 * branches all do) is warned about as unreachable; s->ends tells whether
 * the block itself always ends. */
void sema_stmt_list(struct sema *s, struct node *first);
const struct type *sema_var_read(struct sema *s, struct node *n);
const struct type *sema_var_address(struct sema *s, struct node *n);
struct var_info *sema_var_create(struct sema *s, const char *name);
void sema_assign_var(struct sema *s, struct node *assign, const struct type *rhs);
bool sema_var_is_assigned(struct sema *s, const struct var_info *v);
void sema_var_mark_assigned(struct sema *s, const struct var_info *v);

/* flow.c */
/* An assignment of value (of type t) to a let variable declared with a
 * type: reports what does not convert to it. */
void sema_check_typed_store(struct sema *s, const struct var_info *v, struct node *value,
			    const struct type *t);
void sema_flow_stmt(struct sema *s, struct node *n);  /* let, loops, jumps */
/* comptime.c: `comptime e` folded into its literal (N_COMPTIME) */
const struct type *sema_comptime(struct sema *s, struct node *n);
/* A probe whose attach points are of several probe types and whose code
 * asks `comptime` about probetype becomes one probe per type (each with
 * its own copy of the code and that type's targets), as bpftrace expands
 * every probe per attach point. After grouping, before checking. */
void sema_split_by_probetype(struct sema *s);
/* an if statement or expression whose condition is `comptime` */
bool sema_is_comptime_branch(const struct node *n);
/* Such an if becomes, in place, the branch it takes (an empty block when
 * none); the caller then checks n again. False when the condition is not
 * known (reported in the loud run): neither branch is checked. */
bool sema_comptime_choose(struct sema *s, struct node *n);
int sema_scope_enter(struct sema *s);
void sema_scope_leave(struct sema *s, int mark);
struct sema_scope_entry *sema_scope_find(struct sema *s, const char *name);
void sema_scope_add(struct sema *s, const char *name, struct var_info *v, srcloc loc);
/* A let or loop variable of the probe named `name` declared before `use`
 * (none in scope there). */
struct var_info *sema_scoped_var_named(struct sema *s, const char *name, srcloc use);
/* Merges `in` into *cur (a variable's or map's stored type): false when they
 * cannot share one type; *changed when *cur grew. */
bool sema_merge_stored(struct sema *s, const struct type **cur, const struct type *in, srcloc loc,
		       bool *changed);

/* positional.c */
void sema_substitute_positionals(struct sema *s);

/* probes.c */
int sema_group_probes(struct sema *s);
void sema_fill_desc_probes(struct sema *s, struct desc *desc);
/* After typing: groups of separate probes whose actions are the same code
 * share one program where the provider allows. */
void sema_share_identical_programs(struct sema *s);
/* providers' choose_impl on every group (after checking, before codegen) */
void sema_choose_implementations(struct sema *s);
void sema_groups_free(struct prog_group *g, int n);

/* groupidx.c: lookups and merges over groups without comparing every pair */
/* Groups by target name (groups 0..n-1 of the array, added in order). */
int sema_name_table_find(const struct util_hash_index *t, const struct prog_group *groups, const char *name);
void sema_name_table_add(struct util_hash_index *t, const struct prog_group *groups, int index);
/* first[i]: the lowest group index whose prog_name is group i's, among the
 * groups in[] selects (in NULL: all); -1 for groups not selected. Caller
 * frees. */
int *sema_first_of_program(const struct sema *s, const bool *in);
/* Greedy merging of groups: in group order, a group that may join goes to
 * the first earlier lead it matches; one that joins none and may lead is
 * a lead. Only groups of equal hash are compared, so hash must be equal
 * whenever match can be true. Returns into[g]: the lead g joined, or -1
 * (caller frees). */
struct sema_merge {
	const struct sema *s;
	const uint64_t *hash;
	const bool *may_lead, *may_join;
	bool (*match)(const struct sema *s, int lead, int g);
};
int *sema_merge_groups(const struct sema_merge *m);
uint64_t sema_hash_start(void);
uint64_t sema_hash_add(uint64_t h, uint64_t v);
/* h extended with typed code n (and its siblings): equal for trees the
 * exact comparison in probes.c (same_tree) calls the same. */
uint64_t sema_tree_hash(uint64_t h, const struct node *n);

/* expr.c */
bool sema_is_condition_type(const struct type *t);
/* The type values of t are stored as (maps, variables, records): integers
 * widened to 64 bits; reports nothing. */
const struct type *sema_stored_type(const struct type *t);

/* typespec.c */
const struct type *sema_resolve_spec(struct sema *s, const struct type_spec *spec);
/* Where this probe type's pointers point (kernel for tracepoints, user for
 * uprobes); AS_NONE when the probe's targets disagree. */
enum addr_space sema_probe_address_space(struct sema *s);
void sema_define_structs(struct sema *s);
const struct type *sema_key_tuple(const struct node *key);
const struct type *sema_spec_enumerator(struct sema *s, const struct type_spec *spec);
bool sema_enum_constant(struct sema *s, const char *name, int64_t *value, const struct type **type);
/* Members of a record: completes BTF records on demand; false when the
 * record is opaque (reported at loc unless quiet). */
bool sema_complete(struct sema *s, const struct type *rec, srcloc loc);

/* names.c */
/* n (a builtin, or a call when as_call) is nothing sonde implements:
 * report it as not supported yet, misplaced, misused or unknown. */
void sema_report_missing(struct sema *s, struct node *n, bool as_call);

/* calls.c */
enum call_ctx { CALL_VALUE, CALL_STMT, CALL_AGG_RHS };
const struct type *sema_call(struct sema *s, struct node *n, enum call_ctx ctx);
bool sema_is_agg_call(const struct node *n);

/* maps.c */
struct map_info *sema_map_lookup(struct sema *s, struct node *map_node);
void sema_map_keys(struct sema *s, struct map_info *m, struct node *map_node);
const struct type *sema_map_read(struct sema *s, struct node *map_node);
void sema_map_assign(struct sema *s, struct node *map_node, const struct type *value, srcloc loc);
void sema_map_assign_agg(struct sema *s, struct node *map_node, struct node *call);
void sema_map_compound(struct sema *s, struct node *map_node, const struct type *rhs, int op,
		       srcloc loc);
const struct type *sema_map_incdec(struct sema *s, struct node *map_node, srcloc loc,
				   const char *spelling);
void sema_map_check_assigned(struct sema *s, bool clean);
/* for ($kv : @m): the type of $kv, (key, value); none after an error. */
const struct type *sema_map_iterate(struct sema *s, struct node *map_node);
void sema_fill_desc_maps(struct sema *s, struct desc *desc);
const char *map_kind_name(enum map_kind k);

/* printf.c */
void sema_printf(struct sema *s, struct node *call);
/* Registers a print(value) site of type t; returns its index. */
int sema_register_value(struct sema *s, const struct type *t);
void sema_events_reset(struct sema *s);
void sema_printf_free(struct desc_printf *p); /* what one printf entry owns */

#endif
