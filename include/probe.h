/* probe.h - probe types ("providers"), one file each in probes/.
 *
 * A provider owns everything specific to one kind of attach point: its
 * names, how its spec is parsed and wildcards expanded into concrete
 * targets (compile side), what `args`/`argN` mean in it, the libbpf section
 * of its program, and how the runtime attaches that program. Adding a probe
 * type is one new file plus one line in include/probe_types.def. */
#ifndef SONDE_PROBE_H
#define SONDE_PROBE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "desc.h"
#include "diag.h"
#include "types.h"

struct bpf_program;
struct bpf_link;
struct attach_point;      /* ast.h */
struct cg;               /* codegen/cg.h */
struct cg_ref;           /* codegen/cg.h: a value or a place in memory */
struct LLVMOpaqueValue;  /* LLVMValueRef */

/* A tracepoint record field, from the tracefs format file. */
struct tp_field {
	char *name;
	char *ctype;      /* the declared C type: "const char *", "pid_t", "char" (of char[16]) */
	uint32_t offset, size;
	bool is_signed;
	bool is_string;   /* char name[N]: read as a string of N bytes */
	bool is_pointer;  /* any T *: a u64 address */
	uint32_t array_len; /* T name[N]: N (strings too); 0 = not an array */
	/* `__data_loc T[] name`: the record holds a u32 at `offset` whose low
	 * 16 bits are the offset of the data from the start of the record and
	 * whose high 16 bits are its length. size is 4; is_string is set when
	 * T is char. sema may reject these or read them as u32. (`__rel_loc`
	 * fields, relative to the field itself, are left out of the format.) */
	bool is_data_loc;
};

struct tp_format {
	char *category, *event;
	struct tp_field *fields; /* common_* fields excluded */
	int nfields;
};

/* A tracepoint target implemented by a raw tracepoint program instead
 * (probes/syscalls.c): `syscalls:sys_enter_X` / `sys_exit_X` and
 * `raw_syscalls:sys_enter` / `sys_exit` become one program on the raw
 * tracepoint sys_enter or sys_exit that dispatches on the syscall number.
 * Attaching a raw tracepoint takes microseconds and detaching it no RCU
 * grace period (a perf-event tracepoint link: ~40 ms each, serialised), and
 * each event costs less. User-visible names and behaviour do not change. */
enum lower_kind {
	LOWER_NONE,
	LOWER_SYS_ENTER, /* raw tracepoint sys_enter(struct pt_regs *regs, long id) */
	LOWER_SYS_EXIT,  /* raw tracepoint sys_exit(struct pt_regs *regs, long ret) */
};

struct probe_lowering {
	enum lower_kind kind;
	int nr;        /* the syscall number the target fires on; -1 = every syscall */
};

/* A concrete target produced by expanding one attach point (no wildcards). */
struct probe_target {
	enum probe_type type;
	char *name;       /* canonical: "tracepoint:syscalls:sys_enter_read", "BEGIN", "interval:s:1" */
	char *target;     /* as desc_probe.target */
	uint64_t period_ns, freq_hz;
	const struct tp_format *format; /* CTX_TRACEPOINT only; owned by the format cache */
	struct probe_lowering lower;    /* LOWER_NONE unless lowered to a raw tracepoint */
	/* kprobe/kretprobe run as fentry/fexit through a BPF trampoline, set
	 * by the provider's choose_impl (probes/kprobe_fentry.c); the name and
	 * every builtin's meaning stay the kprobe's */
	bool via_trampoline;
	/* rawtracepoint loaded as a tracing program (tp_btf), set by its
	 * choose_impl when the actions call helpers only those may
	 * (socket_cookie, skboutput) */
	bool btf_typed;
	/* tracepoint:CAT:EVENT runs as a raw tracepoint program on the
	 * tracepoint EVENT (BPF_PROG_TYPE_RAW_TRACEPOINT, section
	 * "raw_tracepoint/EVENT") instead of a perf-event tracepoint program;
	 * set only by probes/tracepoint.c's choose_impl (its comment says
	 * when), read through the provider's section() and attach_params().
	 * Names, output and every builtin's meaning stay the tracepoint's. */
	bool via_raw_tp;
};

/* What the actions of one target's program use, for choose_impl. */
struct probe_uses {
	const char *const *names; /* builtins and functions read (arg2, kstack, ...), repeats allowed */
	int n;
	bool shared;              /* the program serves other targets too */
};

/* What `-l [pattern]` asks one provider for. */
struct probe_list_request {
	/* The part after "type:" with bpftrace's wildcards, e.g.
	 * "syscalls:sys_enter_*" or "/bin/bash:read*"; "*" = everything. */
	const char *pattern;
	bool verbose; /* -lv: each probe's arguments under it */
	int pid;      /* -p PID: only what that process maps (uprobe, usdt); 0 = none */
	FILE *out;
};

/* Links made by attaching; the runtime destroys them all on every way out.
 * Links libbpf has no object for (uprobe_multi with libbpf 1.1) are fds.
 * events: fds that keep alive a kernel object a link runs on whose release
 * is slow (a tracepoint's perf event: the kernel waits for two RCU grace
 * periods under a global mutex). Closing a link then only detaches its
 * program; the runtime closes every link first and the events last
 * (runtime/run.c destroy_links), or hands them to its sonde-detach child. */
struct rt_links {
	struct bpf_link **links;
	int n, cap;
	int *fds;
	int nfds, fdcap;
	int *events;
	int nevents, evcap;
};
int rt_links_add(struct rt_links *l, struct bpf_link *link);
int rt_links_add_fd(struct rt_links *l, int fd);
int rt_links_add_event(struct rt_links *l, int fd);

struct probe_provider {
	const char *name;      /* "tracepoint" */
	const char *aliases[3]; /* "t", NULL-terminated */
	enum probe_type type;
	bool filter_self;      /* apply the self / -p filter (false for BEGIN/END/interval) */
	int max_args;          /* highest argN + 1 available (0 = none) */

	/* ---- what the builtins mean in programs of this type ---- */
	/* sema: the record `args` is in a program on target t (NULL: this
	 * probe type has no args; may report why through d at loc). */
	const struct type *(*args_type)(const struct probe_target *t, struct type_arena *a,
					struct diag *d, srcloc loc);
	/* sema: where pointers read from args point (syscall tracepoints: user memory) */
	enum addr_space (*args_as)(const struct probe_target *t);
	/* sema: where an integer cast to a pointer points (NULL: nowhere known) */
	enum addr_space (*pointer_as)(const struct probe_target *t);
	/* codegen: member m of `args` in the program being emitted, as a
	 * value or a place to read (cg_ref) */
	void (*emit_args_member)(struct cg *cg, const struct type_member *m, struct cg_ref *out);
	/* codegen: argN (0 <= n < max_args) as a u64 */
	struct LLVMOpaqueValue *(*emit_argn)(struct cg *cg, int n);
	/* sema: why argN (n < max_args) is not there on target t, as a message
	 * (caller frees), or NULL when it is. NULL hook: every n < max_args
	 * is. For probes whose argument count varies by target (usdt). */
	char *(*argn_unavailable)(const struct probe_target *t, int n);
	/* codegen: `retval` as a u64 (NULL: no return value in this probe type) */
	struct LLVMOpaqueValue *(*emit_retval)(struct cg *cg);
	/* sema: the type of `retval` on target t (fexit: the function's
	 * return type from BTF); NULL when t has none, with *why saying why
	 * (caller frees). NULL hook: a u64. */
	const struct type *(*retval_type)(const struct probe_target *t, struct type_arena *a,
					  char **why);
	/* sema: for probe types whose program's return value the kernel acts
	 * on (lsm: non-zero denies the operation), where `return EXPR` sets
	 * it: NULL when target t takes one, else why not (caller frees). NULL
	 * hook: a return value means nothing (it is evaluated and dropped). */
	char *(*return_unavailable)(const struct probe_target *t);
	/* codegen: the address of the probed function, which `func` names, as
	 * a u64; NULL: no `func` here. A user symbol when pointer_as says
	 * AS_USER, a kernel one otherwise (kprobe-style providers:
	 * HELPER_GET_FUNC_IP). */
	struct LLVMOpaqueValue *(*emit_func_ip)(struct cg *cg);
	/* sema: the path of the binary target t probes, for uaddr() (caller
	 * frees); NULL hook or result: none */
	char *(*binary_of)(const struct probe_target *t);
	/* codegen: what to add to an address in that binary (a symbol's
	 * st_value) for its address in the probed process, as a u64: a PIE or
	 * a library is loaded where exec or the dynamic loader put it. NULL
	 * hook: 0 (addresses in the file are the process's). */
	struct LLVMOpaqueValue *(*emit_load_bias)(struct cg *cg);

	/* The ':'-separated field of the spec (1 = the first after "name:")
	 * that must be a number when the spec has number_nfields fields; 0 =
	 * none. Sema uses it to blame a positional parameter that is not a
	 * number ("interval:ms:$1" with $1 = abc) at the $1. */
	int number_field, number_nfields;
	/* Parse `spec` (the text after "name:"; "" for BEGIN) and append the
	 * concrete targets to *out (growing *n). Reports errors at loc and
	 * returns -1; returns 0 on success. */
	int (*expand)(const char *spec, srcloc loc, struct diag *d,
		      struct probe_target **out, int *n);
	/* libbpf section name for a program attached to t (caller frees). */
	char *(*section)(const struct probe_target *t);
	/* Attach prog for p; append links to l. Returns 0 or -errno, and fills
	 * errbuf with a short reason for the user. NULL for BEGIN/END. */
	int (*attach)(const struct desc_probe *p, struct bpf_program *prog,
		      struct rt_links *l, char *errbuf, size_t errlen);
	/* Before the object is loaded: what the kernel must know about p's
	 * program that its section cannot say (fentry:bpf: the program it
	 * attaches to). 0, or -errno with the reason in errbuf. NULL: nothing. */
	int (*prepare)(const struct desc_probe *p, struct bpf_program *prog, char *errbuf, size_t errlen);
	/* The data its attach hook needs, as text (desc_probe.params; caller
	 * frees; NULL = none), and what the program assumes (DESC_DEP_*). NULL
	 * hook: neither. */
	char *(*attach_params)(const struct probe_target *t, unsigned *deps);
	/* What the user can check when attach failed with err (-errno); NULL
	 * for a generic hint. */
	const char *(*attach_hint)(int err);
	/* The kernel refused to load p's program with err (errno) and no
	 * verifier log (a policy, not the program): print what the user
	 * should know (why, what to use instead) as "hint: ..." lines on out.
	 * NULL: a generic report. */
	void (*load_refused)(const struct desc_probe *p, int err, FILE *out);
	/* -l: print each probe of this type that matches req->pattern, one per
	 * line as bpftrace prints it ("tracepoint:syscalls:sys_enter_read"),
	 * sorted, with its arguments indented under it when req->verbose.
	 * Returns how many it printed, or -1 with the reason on stderr. NULL:
	 * nothing to list for this type. For `-l script`, src/list.c calls it
	 * with each expanded target's name after "type:" ("s:1",
	 * "cpu-clock:1000", "/bin/bash:readline"): a count or period in it is
	 * not part of what is listed ("interval:s:", as bpftrace). A pattern
	 * without ':' for a type whose names have two parts means "*:PATTERN"
	 * (list_two_part_pattern in list.h). */
	int (*list)(const struct probe_provider *self, const struct probe_list_request *req);

	/* sema: what `ctx` points to in programs on target t (iter: struct
	 * bpf_iter__task), NULL when it cannot be known (no BTF); NULL hook:
	 * `ctx` is not available. */
	const struct type *(*ctx_type)(const struct probe_target *t, struct type_arena *a);
	/* codegen: code at the start of every program of this type, before the
	 * actions (iter: return when the iterator's object is NULL, the
	 * end-of-iteration call). NULL: none. */
	void (*emit_prologue)(struct cg *cg);
	/* Instead of attach, for a type whose program runs to an end when
	 * attached (iter): attach prog and run it to its end, calling
	 * drain(arg) (the runtime reads the program's events) often enough
	 * that they fit in the ring buffer. Same returns as attach. Once every
	 * probe of a script is BEGIN/END or of such a type, the run ends after
	 * attaching. */
	int (*run)(const struct desc_probe *p, struct bpf_program *prog, struct rt_links *l,
		   void (*drain)(void *arg), void *arg, char *errbuf, size_t errlen);
	/* Optional: sema, once the actions are checked: implement t another
	 * way that is cheaper and behaves the same for actions that use u
	 * (kprobe -> fentry: t->via_trampoline). */
	void (*choose_impl)(struct probe_target *t, const struct probe_uses *u);
	/* ---- one program for many targets (uprobe_multi) ---- */
	/* Optional: may targets a and b (of one attach point, running the same
	 * actions, which read neither `probe` nor `args`) share one program
	 * attached through one link? sema then gives them one program; each
	 * stays a probe of its own (counted, listed). */
	bool (*can_share)(const struct probe_target *a, const struct probe_target *b);
	/* attach_shared gives p[k] the attach cookie k, so a shared program can
	 * tell `probe` (sema shares actions that read it: same code, the name
	 * picked by the cookie) */
	bool probe_by_cookie;
	/* Before the object is loaded: what the kernel must know about a
	 * shared program at load time (its expected attach type). */
	int (*prepare_shared)(struct bpf_program *prog);
	/* Attach the shared program for all n probes p[0..n-1] at once. */
	int (*attach_shared)(const struct desc_probe *const *p, int n, struct bpf_program *prog,
			     struct rt_links *l, char *errbuf, size_t errlen);
	/* ---- attaching while the run goes on (watchpoint:func+argN) ---- */
	/* After attaching: an fd the event loop waits on with the ring buffer
	 * (readable when the provider has work), or -1 for none. */
	int (*poll_fd)(void);
	/* The event loop saw poll_fd readable (or woke for another reason):
	 * do the work, adding links to l; what bpftrace prints on stdout goes
	 * to out. */
	void (*service)(struct rt_links *l, FILE *out);
	/* The run is over (its links are already destroyed): free what the
	 * attach hooks kept, so the next run starts afresh. */
	void (*release)(void);
	/* unwatch(addr) ran in a program: stop the breakpoints on addr. */
	void (*unwatch)(uint64_t addr);
};

/* The process of -p PID or -c CMD (0 = none), set by the runtime before it
 * attaches: perf events that watch one process (watchpoints) open on it. */
void probe_set_target_pid(int pid);
int probe_target_pid(void);

/* probes/registry.c */
const struct probe_provider *probe_provider_find(const char *name); /* by name or alias */
const struct probe_provider *probe_provider_of(enum probe_type type);
/* The i-th probe type (0, 1, ...; NULL past the last): the shell's completion. */
const struct probe_provider *probe_provider_at(int i);
/* "unknown probe type 'TYPE'" with the closest type or tracepoint, or "not
 * supported by sonde yet" for a bpftrace type sonde lacks (REST: what
 * followed "TYPE:", or NULL). For probe_expand and -l patterns. */
void probe_report_unknown_type(srcloc loc, struct diag *d, const char *type, const char *rest);
/* Split "provider:rest" and expand it; reports "unknown probe type" etc. */
int probe_expand(const struct attach_point *ap, struct diag *d,
		 struct probe_target **out, int *n);
void probe_targets_free(struct probe_target *t, int n);
/* bpftrace's wildcard rule for attach points and -l patterns: `*` matches
 * any run of characters (':' included), everything else itself. */
bool probe_wildcard_match(const char *pattern, const char *text);
/* The process of -p PID (set by the front end before compiling) or -c CMD
 * (set by the runtime before attaching); 0 = none. Providers whose attach
 * points name what a process maps (uprobe, usdt: `usdt::provider:probe`
 * searches that process's binaries) and perf events that watch one process
 * (watchpoints, software with -p) use it. */
void probe_set_target_pid(int pid);
int probe_target_pid(void);
/* The program -c CMD runs (its first word as written: "./prog", "ls"), set
 * by the front end before compiling; NULL = no -c. Providers whose attach
 * points can mean "the traced program" (usdt:*:probe, watchpoint:func+argN)
 * find it with uprobe_find_program / realpath. */
void probe_set_target_cmd(const char *cmd);
const char *probe_target_cmd(void);
/* --unsafe, set by sema before expanding: uprobes on functions whose
 * extent is unknown (symbol size 0) are allowed. */
void probe_set_unsafe(bool on);
bool probe_unsafe(void);
/* For providers: append a zeroed target to *out (realloc'd) and return it. */
struct probe_target *probe_target_push(struct probe_target **out, int *n);

/* probes/tracepoint.c: the existing tracepoint closest to CATEGORY:EVENT
 * (a typo in either part, or the event under another category), as
 * "category:event", or NULL. An existing one is returned as is; an empty
 * category looks for the event in every category. Reads
 * tracefs, so only for error messages. Caller frees. */
char *tracepoint_closest(const char *category, const char *event);

/* probes/kprobe_override.c: why override() cannot work in kprobe target t
 * on this kernel (no bpf_override_return, a function not marked for error
 * injection, not at the function's entry), as a message (caller frees);
 * NULL when it can or when that cannot be known (not root). */
char *kprobe_override_unavailable(const struct probe_target *t);

/* probes/kprobe.c: the kernel has kprobe_multi links (CONFIG_FPROBE), as
 * found by trying one (root only; false otherwise). */
bool kprobe_multi_available(void);

/* probes/kernel_funcs.c: kernel function NAME can be traced but a probe on
 * it stalls the kernel (rcu_*, the idle loop): wildcards leave it out and
 * an exact name is an error, for kprobes and fentry alike (as bpftrace). */
bool kernel_func_unstable(const char *name);

/* probes/tracefs.c: tracefs location (mounting it if needed) and formats. */
const char *tracefs_path(void); /* "/sys/kernel/tracing" or debug path; NULL if unavailable */
const struct tp_format *tp_format_get(const char *category, const char *event); /* cached; NULL if none */
const struct tp_field *tp_format_field(const struct tp_format *f, const char *name);
void tp_format_cache_free(void);
/* The args record of a tracepoint from its format file: members at the
 * format's offsets, integers of the format's size and sign (latest
 * bpftrace), char arrays as strings, pointers typed by their C text. */
const struct type *tp_format_args(const struct tp_format *f, struct type_arena *a);

/* probes/syscalls.c: lowering of syscall tracepoints (see probe_lowering).
 * True and *out filled when the tracepoint of format `f` can be lowered on
 * this machine; false (LOWER_NONE) when it stays a perf-event tracepoint.
 * Whether a script's lowerable targets are lowered is sema's choice
 * (sema/probes.c), steered for tests by SONDE_RAW_LOWERING: 0 = never,
 * 1 = always, unset = when it pays. */
bool probe_lower_tracepoint(const struct tp_format *f, struct probe_lowering *out);
enum lowering_mode { LOWERING_WHEN_IT_PAYS, LOWERING_NEVER, LOWERING_ALWAYS };
enum lowering_mode probe_lowering_mode(void);
const char *probe_lowering_raw_tp(enum lower_kind kind); /* "sys_enter", "sys_exit", NULL */
/* The build machine's syscall number of `name` ("read"), or -1. */
int probe_syscall_nr(const char *name);
/* The build machine's name of syscall number nr, or NULL (syscall_name()). */
const char *probe_syscall_name(long nr);

/* probes/kfunc.c: whether this kernel loads a BPF trampoline program
 * (an fentry program on vfs_read, or an lsm one on file_open): 0 or
 * -errno (-EPERM: a policy of the kernel refuses them). For --info. */
int probe_trampoline_load(bool lsm);

/* probes/tracepoint.c: why target t (tracepoint:CAT:EVENT) must stay a
 * perf-event tracepoint program when its actions use u, or NULL when it
 * runs as a raw tracepoint (t->via_raw_tp, the provider's choose_impl);
 * and whether raw tracepoint links carry a BPF cookie (Linux 6.10). */
const char *tracepoint_raw_refusal(const struct probe_target *t, const struct probe_uses *u);
bool tracepoint_raw_cookies(void);

/* probes/kprobe_fentry.c: kprobe/kretprobe targets as fentry/fexit.
 * SONDE_KPROBE_FENTRY=0: never; =1 or unset: wherever it behaves the same. */
enum kprobe_fentry_mode { KPROBE_FENTRY_AUTO, KPROBE_FENTRY_NEVER, KPROBE_FENTRY_ALWAYS };
enum kprobe_fentry_mode kprobe_fentry_mode(void);
/* What decides it for one target (gathered from BTF, tracefs, the kernel). */
struct kprobe_fentry_facts {
	enum kprobe_fentry_mode mode;
	bool trampolines;          /* the kernel loads and attaches fentry programs */
	bool has_offset, in_module;
	bool denied;               /* on the kernel's btf_id_deny list */
	bool btf_found;            /* vmlinux's BTF has the function */
	bool btf_supported;        /* a trampoline can pass its arguments */
	bool traceable;            /* in available_filter_functions */
	int nslots;                /* its argument registers */
};
/* Why t stays a kprobe, or NULL: lower it. Pure (unit-tested). */
const char *kprobe_fentry_refusal(const struct kprobe_fentry_facts *f, const struct probe_uses *u);
bool kprobe_fentry_trampolines(void); /* probed once per process */
void kprobe_fentry_choose(struct probe_target *t, const struct probe_uses *u);
int kprobe_fentry_slots(const struct probe_target *t);
char *kprobe_fentry_section(const struct probe_target *t);
bool kprobe_fentry_is_lowered(const struct bpf_program *prog);
int kprobe_fentry_attach(struct bpf_program *prog, struct rt_links *l, char *errbuf, size_t errlen);

/* probes/timer.c: what interval and profile share. The "UNIT:N" / "Nunit"
 * spec becomes one target "provider:UNIT:N" with exactly one of period_ns /
 * freq_hz set; errors are reported at loc naming `provider`. */
int probe_expand_timer(enum probe_type type, const char *provider, const char *spec, srcloc loc,
		       struct diag *d, struct probe_target **out, int *n);
char *probe_timer_section(const struct probe_target *t); /* "perf_event" */
/* ctx of perf event programs (interval, profile, software, hardware) */
const struct type *probe_perf_ctx_type(const struct probe_target *t, struct type_arena *a);
const char *probe_timer_attach_hint(int err);
char *probe_timer_attach_params(const struct probe_target *t, unsigned *deps);
/* Attach prog to the perf event pfd (closed when that fails) and keep the
 * link in l; -errno with the reason in errbuf. */
int probe_attach_perf_fd(struct bpf_program *prog, int pfd, struct rt_links *l, char *errbuf,
			 size_t errlen);
/* Open the perf event attr describes for process/thread pid (-1: any) on
 * cpu (-1: any) and attach prog to it (l keeps the link); -errno with
 * "perf_event_open[ (WHAT)] on CPU N: reason" (or "on thread N" without a
 * CPU) in errbuf. what: NULL, or the event named in that message. */
struct perf_event_attr;
int probe_attach_perf_event(struct perf_event_attr *attr, int pid, int cpu, const char *what,
			    struct bpf_program *prog, struct rt_links *l, char *errbuf, size_t errlen);
/* The same on every online CPU; the first failure stops it. */
int probe_attach_perf_every_cpu(struct perf_event_attr *attr, int pid, const char *what,
				struct bpf_program *prog, struct rt_links *l, char *errbuf, size_t errlen);
/* Attach prog to a cpu-clock perf event per p->params (period_ns=N or freq_hz=N), on
 * CPU 0 or on every online CPU. */
int probe_attach_cpu_clock(const struct desc_probe *p, struct bpf_program *prog, bool every_cpu,
			   struct rt_links *l, char *errbuf, size_t errlen);
/* The CPUs of a kernel CPU list ("0-3,5\n") in a new array (*cpus, caller
 * frees); returns how many, or -EINVAL for text that is not a CPU list. */
int probe_parse_cpu_list(const char *text, int **cpus);
/* The online CPUs (/sys/devices/system/cpu/online) in a new array; count or -errno. */
int probe_online_cpus(int **cpus);

/* probes/software.c: what software and hardware perf events share. */
struct perf_event_kind {
	const char *name, *alias; /* "page-faults", "faults" ("" = none) */
	uint32_t config;          /* PERF_COUNT_SW_* / PERF_COUNT_HW_* */
	uint64_t default_period;  /* bpftrace's sample period without a count */
};
/* "EVENT" / "EVENT:COUNT" of `provider` ("software") against `kinds`:
 * one target "provider:EVENT[:COUNT]" with period_ns = the sample period. */
int probe_expand_perf_event(enum probe_type type, const char *provider,
			    const struct perf_event_kind *kinds, size_t nkinds, const char *spec,
			    srcloc loc, struct diag *d, struct probe_target **out, int *n);
/* "type=T config=C period=P" for the attach hook. */
char *probe_perf_event_params(uint32_t perf_type, const struct probe_target *t,
			      const struct perf_event_kind *kinds, size_t nkinds);
/* Opens the perf event of p->params on every online CPU and attaches prog. */
int probe_attach_perf_counter(const struct desc_probe *p, struct bpf_program *prog,
			      struct rt_links *l, char *errbuf, size_t errlen);
/* -l for a table of events: "provider:NAME:" and "provider:ALIAS:" sorted. */
int probe_list_perf_events(const char *provider, const struct perf_event_kind *kinds,
			   size_t nkinds, const struct probe_list_request *req);

#endif
