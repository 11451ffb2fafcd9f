/* values.c - builtins and functions whose value is computed in BPF or known
 * at compile time: jiffies, numaid, ncpus, has_cpid, ppid/pcomm/leader_tid/
 * leader_comm, bswap, strncmp, strcontains, strlen, kptr/uptr, pton,
 * cgroupid, is_err, the is_* type tests, static_assert and signal.
 *
 * Their descriptors are in vars.c and funcs.c; the emit hooks in
 * codegen/values.c. Compile-time functions fold into literals here, so
 * codegen never sees them. */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "btf.h"
#include "kallsyms.h"
#include "sema.h"
#include "suggest.h"
#include "values.h"

/* ---- builtin variables ------------------------------------------------------- */

const struct type *stdlib_var_jiffies(struct sema *s, struct node *n)
{
	(void)s; (void)n;
	return type_int(8, false);
}

const struct type *stdlib_var_numaid(struct sema *s, struct node *n)
{
	(void)s; (void)n;
	return type_int(4, false);
}

const struct type *stdlib_var_ncpus(struct sema *s, struct node *n)
{
	(void)s; (void)n;
	return type_int(8, false);
}

const struct type *stdlib_var_has_cpid(struct sema *s, struct node *n)
{
	(void)s; (void)n;
	return type_bool();
}

/* probetype: the probe type's name ("special" for BEGIN and END), as long
 * as the longest among the action's targets. */
const char *stdlib_probetype_name(const struct probe_provider *p)
{
	return p->type == PT_BEGIN || p->type == PT_END ? "special" : p->name;
}

/* probetype: a string literal when every attach point of the probe has the
 * same type (so `if comptime (probetype == "uprobe")` can choose a branch),
 * else read at run time from the program's probe. */
const struct type *stdlib_var_probetype(struct sema *s, struct node *n)
{
	size_t longest = 0;
	const char *one = NULL;
	bool same = sema_ntargets(s) > 0;
	for (int i = 0; i < sema_ntargets(s); i++) {
		const struct prog_group *g = sema_target(s, i);
		const char *name = g->prov ? stdlib_probetype_name(g->prov) : "";
		size_t len = strlen(name);
		if (len > longest)
			longest = len;
		same = same && (!one || strcmp(one, name) == 0);
		one = name;
	}
	if (same && *one) {
		sema_replace_call(n, N_STR);
		n->str = xstrdup(one);
		n->str_len = strlen(one);
		return sema_expr(s, n);
	}
	return type_str(sema_types(s), (uint32_t)longest + 1);
}

/* ---- members of a task: ppid, pcomm, leader_tid, leader_comm ------------------- */

/* Each is task->VIA->MEMBER (bpftrace defines them so), of the current task
 * or of the task given as the argument. */
struct task_alias {
	const char *name, *via, *member;
	bool as_u32; /* pid_t, typed uint32 as bpftrace documents */
};

static const struct task_alias task_aliases[] = {
	{ "ppid", "real_parent", "pid", true },
	{ "pcomm", "real_parent", "comm", false },
	{ "leader_tid", "group_leader", "pid", true },
	{ "leader_comm", "group_leader", "comm", false },
};

static const struct task_alias *find_task_alias(const char *name)
{
	for (size_t i = 0; i < sizeof(task_aliases) / sizeof(task_aliases[0]); i++)
		if (strcmp(task_aliases[i].name, name) == 0)
			return &task_aliases[i];
	return NULL;
}

static struct node *arrow(struct node *base, const char *member, srcloc loc)
{
	struct node *f = ast_new(N_FIELD, loc);
	f->lhs = base;
	f->name = xstrdup(member);
	f->is_arrow = true;
	return f;
}

/* n (the builtin, or the call with the task as its argument) becomes the
 * member read, typed like any other: sema runs the script again later and
 * then sees only the member read. */
static const struct type *rewrite_task_alias(struct sema *s, struct node *n, struct node *task)
{
	const struct task_alias *a = find_task_alias(n->name);
	if (!a)
		return sema_fail(s, n->loc, "internal error: '%s' is no task member", n->name);
	if (!task) {
		task = ast_new(N_BUILTIN, n->loc);
		task->name = xstrdup("curtask");
	}
	struct node *member = arrow(arrow(task, a->via, n->loc), a->member, n->loc);
	free(n->name);
	n->name = NULL;
	n->args = NULL;
	n->builtin = NULL;
	n->func = NULL;
	if (a->as_u32) {
		n->kind = N_CAST;
		n->lhs = member;
		n->spec = ast_new_spec(SPEC_NAME, xstrdup("uint32"), n->loc);
	} else {
		struct node *next = n->next;
		srcloc loc = n->loc;
		*n = *member;
		n->next = next;
		n->loc = loc;
		free(member); /* shallow: its children now belong to n */
	}
	return sema_expr(s, n);
}

const struct type *stdlib_var_task_alias(struct sema *s, struct node *n)
{
	return rewrite_task_alias(s, n, NULL);
}

/* ppid(), ppid(task) */
const struct type *stdlib_check_task_alias(struct sema *s, struct node *n)
{
	struct node *task = n->args;
	char buf[128];
	if (task) {
		const struct type *t = sema_expr(s, task);
		if (type_is_none(t))
			return t;
		if (t->kind != TY_PTR || t->elem->kind != TY_RECORD || !t->elem->name ||
		    strcmp(t->elem->name, "struct task_struct") != 0)
			return sema_fail(s, task->loc, "%s() expects a struct task_struct *, got %s",
					 n->name, type_name(t, buf, sizeof(buf)));
		task->next = NULL;
	}
	return rewrite_task_alias(s, n, task);
}

/* ---- integers ------------------------------------------------------------------- */

/* bswap(n): an unsigned integer of n's width with the bytes reversed. A
 * literal is 64 bits wide, as in bpftrace. */
const struct type *stdlib_check_bswap(struct sema *s, struct node *n)
{
	char buf[128];
	const struct type *t = sema_expr(s, n->args);
	if (type_is_none(t))
		return t;
	if (!type_is_integer(t))
		return sema_fail(s, n->args->loc, "bswap() expects an integer, got %s",
				 type_name(t, buf, sizeof(buf)));
	return type_int(t->is_literal ? 8 : t->size, false);
}

/* ---- strings ----------------------------------------------------------------------- */

static bool string_args(struct sema *s, struct node *n, int count)
{
	bool ok = true;
	for (int i = 0; i < count; i++)
		ok = sema_arg_string(s, n, i) && ok;
	return ok;
}

/* strncmp(a, b, n): 0 when the first n characters are the same. */
const struct type *stdlib_check_strncmp(struct sema *s, struct node *n)
{
	bool ok = string_args(s, n, 2);
	struct node *len = sema_arg(n, 2);
	int64_t v;
	if (type_is_none(sema_expr(s, len)))
		return type_none();
	if (!sema_const_eval(len, &v) || v < 0)
		return sema_fail(s, len->loc, "strncmp() expects a non-negative integer literal as argument 3");
	return ok ? type_int(8, false) : type_none();
}

const struct type *stdlib_check_strcontains(struct sema *s, struct node *n)
{
	return string_args(s, n, 2) ? type_bool() : type_none();
}

/* strstr(haystack, needle): the needle's first position, or -1. */
const struct type *stdlib_check_strstr(struct sema *s, struct node *n)
{
	return string_args(s, n, 2) ? type_int(8, true) : type_none();
}

/* str_concat(a, b): room for both (at most max_strlen bytes). */
const struct type *stdlib_check_str_concat(struct sema *s, struct node *n)
{
	if (!string_args(s, n, 2))
		return type_none();
	uint64_t size = (uint64_t)n->args->type->size + n->args->next->type->size - 1;
	if (size > sema_max_strlen(s))
		size = sema_max_strlen(s);
	return type_str(sema_types(s), (uint32_t)size);
}

const struct type *stdlib_check_strlen(struct sema *s, struct node *n)
{
	return string_args(s, n, 1) ? type_int(8, false) : type_none();
}

/* ---- pointers ------------------------------------------------------------------------ */

/* kptr(p), uptr(p): p, marked as pointing into kernel or user memory. An
 * integer keeps its type; the mark travels on the node (str(uptr(arg1))). */
const struct type *stdlib_check_addr_space(struct sema *s, struct node *n)
{
	char buf[128];
	enum addr_space as = n->name[0] == 'u' ? AS_USER : AS_KERNEL;
	const struct type *t = sema_expr(s, n->args);
	if (type_is_none(t))
		return t;
	if (t->kind == TY_PTR) {
		n->as = as;
		return type_ptr(sema_types(s), t->elem, as);
	}
	if (!type_is_integer(t))
		return sema_fail(s, n->args->loc, "%s() expects an integer or a pointer, got %s", n->name,
				 type_name(t, buf, sizeof(buf)));
	n->as = as;
	return t;
}

/* is_err(p): p is an ERR_PTR, the last 4095 addresses encoding -errno. */
const struct type *stdlib_check_is_err(struct sema *s, struct node *n)
{
	char buf[128];
	const struct type *t = sema_expr(s, n->args);
	if (type_is_none(t))
		return t;
	if (t->kind != TY_PTR && !type_is_integer(t))
		return sema_fail(s, n->args->loc, "is_err() expects a pointer, got %s",
				 type_name(t, buf, sizeof(buf)));
	return type_bool();
}

/* ---- compile-time values ---------------------------------------------------------------- */

static const char *literal_string(struct sema *s, struct node *n)
{
	struct node *arg = n->args;
	char buf[128];
	const struct type *t = sema_expr(s, arg);
	if (type_is_none(t))
		return NULL;
	if (arg->kind != N_STR) {
		sema_fail(s, arg->loc, "%s() expects a string literal, got %s", n->name,
			  type_name(t, buf, sizeof(buf)));
		return NULL;
	}
	return arg->str;
}

int stdlib_pton(const char *text, unsigned char out[16])
{
	if (strchr(text, '.'))
		return inet_pton(AF_INET, text, out) == 1 ? 4 : 0;
	if (strchr(text, ':'))
		return inet_pton(AF_INET6, text, out) == 1 ? 16 : 0;
	return 0;
}

/* pton("1.2.3.4"): the address in network order, uint8[4] or uint8[16];
 * codegen writes the bytes. */
const struct type *stdlib_check_pton(struct sema *s, struct node *n)
{
	unsigned char bytes[16];
	const char *text = literal_string(s, n);
	if (!text)
		return type_none();
	int size = stdlib_pton(text, bytes);
	if (size == 0)
		return sema_fail(s, n->args->loc, "pton() expects an IPv4 or IPv6 address, got \"%s\"", text);
	return type_array(sema_types(s), type_int(1, false), (uint32_t)size);
}

/* cgroupid("/sys/fs/cgroup/..."): the cgroup v2 id, which is the kernfs
 * file handle of the cgroup's directory. */
const struct type *stdlib_check_cgroupid(struct sema *s, struct node *n)
{
	const char *path = literal_string(s, n);
	if (!path)
		return type_none();
	struct {
		struct file_handle fh;
		unsigned char room[MAX_HANDLE_SZ];
	} h = { .fh.handle_bytes = MAX_HANDLE_SZ };
	int mount_id;
	if (name_to_handle_at(AT_FDCWD, path, &h.fh, &mount_id, 0) < 0)
		return sema_fail(s, n->args->loc, "cgroupid(): cannot get the cgroup id of '%s': %s", path,
				 strerror(errno));
	/* kernfs (cgroup2) handles are the 64-bit id */
	if (h.fh.handle_bytes != sizeof(uint64_t))
		return sema_fail(s, n->args->loc, "cgroupid(): '%s' is not in a cgroup v2 file system", path);
	uint64_t id;
	memcpy(&id, h.fh.f_handle, sizeof(id));
	return sema_replace_call_literal(s, n, N_INT, id);
}

/* is_integer(e) and the others: a question about e's type, answered at
 * compile time (e is not evaluated). */
struct type_test {
	const char *name;
	bool (*test)(const struct node *e);
};

static bool test_integer(const struct node *e) { return type_is_integer(e->type); }
static bool test_unsigned(const struct node *e) { return type_is_integer(e->type) && !e->type->is_signed; }
static bool test_ptr(const struct node *e) { return e->type->kind == TY_PTR; }
static bool test_str(const struct node *e) { return e->type->kind == TY_STR; }
static bool test_array(const struct node *e) { return e->type->kind == TY_ARRAY; }
static bool test_literal(const struct node *e)
{
	return e->kind == N_INT || e->kind == N_STR || e->kind == N_BOOL;
}

static const struct type_test type_tests[] = {
	{ "is_integer", test_integer },
	{ "is_unsigned_integer", test_unsigned },
	{ "is_ptr", test_ptr },
	{ "is_str", test_str },
	{ "is_array", test_array },
	{ "is_literal", test_literal },
};

const struct type *stdlib_check_type_test(struct sema *s, struct node *n)
{
	const struct type *t = sema_expr(s, n->args);
	if (type_is_none(t))
		return t;
	for (size_t i = 0; i < sizeof(type_tests) / sizeof(type_tests[0]); i++)
		if (strcmp(type_tests[i].name, n->name) == 0)
			return sema_replace_call_literal(s, n, N_BOOL, type_tests[i].test(n->args));
	return sema_fail(s, n->loc, "internal error: no type test '%s'", n->name);
}

/* A condition of constants: comparisons and ! of constant integers too. */
static bool const_condition(const struct node *c, int64_t *v)
{
	int64_t a, b;
	if (c->kind == N_BOOL) {
		*v = (int64_t)c->ival;
		return true;
	}
	if (c->kind == N_UNARY && c->op == '!' && const_condition(c->lhs, &a)) {
		*v = !a;
		return true;
	}
	if (c->kind == N_BINARY && c->op >= OP_EQ && c->op <= OP_LOR &&
	    const_condition(c->lhs, &a) && const_condition(c->rhs, &b)) {
		switch (c->op) {
		case OP_EQ: *v = a == b; break;
		case OP_NE: *v = a != b; break;
		case OP_LT: *v = a < b; break;
		case OP_LE: *v = a <= b; break;
		case OP_GT: *v = a > b; break;
		case OP_GE: *v = a >= b; break;
		case OP_LAND: *v = a && b; break;
		default: *v = a || b; break;
		}
		return true;
	}
	return sema_const_eval(c, v);
}

/* static_assert(condition, "message"): the condition must be known at
 * compile time and true. */
const struct type *stdlib_check_static_assert(struct sema *s, struct node *n)
{
	struct node *cond = n->args, *msg = cond->next;
	int64_t v;
	if (type_is_none(sema_expr(s, cond)))
		return type_none();
	if (!sema_arg_string(s, n, 1))
		return type_none();
	if (msg->kind != N_STR)
		return sema_fail(s, msg->loc, "static_assert() expects a string literal as its message");
	if (!const_condition(cond, &v))
		return sema_fail(s, cond->loc, "static_assert() needs a condition known at compile time");
	if (!v)
		return sema_fail(s, n->loc, "static assertion failed: %s", msg->str);
	return type_none();
}

/* ---- signal(sig), signal_thread(sig) ------------------------------------------------------- */

static const struct {
	const char *name;
	int num;
} signal_names[] = {
	{ "ABRT", SIGABRT }, { "ALRM", SIGALRM }, { "BUS", SIGBUS }, { "CHLD", SIGCHLD },
	{ "CONT", SIGCONT }, { "FPE", SIGFPE }, { "HUP", SIGHUP }, { "ILL", SIGILL },
	{ "INT", SIGINT }, { "KILL", SIGKILL }, { "PIPE", SIGPIPE }, { "POLL", SIGPOLL },
	{ "QUIT", SIGQUIT }, { "SEGV", SIGSEGV }, { "STOP", SIGSTOP }, { "SYS", SIGSYS },
	{ "TERM", SIGTERM }, { "TRAP", SIGTRAP }, { "TSTP", SIGTSTP }, { "TTIN", SIGTTIN },
	{ "TTOU", SIGTTOU }, { "URG", SIGURG }, { "USR1", SIGUSR1 }, { "USR2", SIGUSR2 },
	{ "VTALRM", SIGVTALRM }, { "WINCH", SIGWINCH }, { "XCPU", SIGXCPU }, { "XFSZ", SIGXFSZ },
};

/* "SIGKILL", "kill", "KILL": the number, or -1. */
static int signal_number(const char *text)
{
	char up[16];
	size_t i;
	for (i = 0; text[i] && i + 1 < sizeof(up); i++)
		up[i] = (char)(text[i] >= 'a' && text[i] <= 'z' ? text[i] - 'a' + 'A' : text[i]);
	up[i] = '\0';
	if (text[i])
		return -1;
	const char *bare = strncmp(up, "SIG", 3) == 0 ? up + 3 : up;
	for (size_t k = 0; k < sizeof(signal_names) / sizeof(signal_names[0]); k++)
		if (strcmp(signal_names[k].name, bare) == 0)
			return signal_names[k].num;
	return -1;
}

/* The signal is sent to the task the probe fired in, so only where that
 * task is the traced one (bpftrace's probe types), and only when the user
 * said --unsafe. A name becomes its number here. */
static const struct type *check_signal(struct sema *s, struct node *n, bool thread)
{
	struct node *arg = n->args;
	char buf[128];
	if (!sema_unsafe(s))
		return sema_fail(s, n->loc, "%s() is an unsafe function being used in safe mode: "
				 "run sonde with --unsafe to allow it", n->name);
	if (sema_report_wrong_probe(s, n, "function"))
		return type_none();
	/* signal(sig, current_pid | current_tid): the process or the thread */
	struct node *target = arg->next;
	n->ival = thread;
	if (target) {
		bool is_name = target->kind == N_BUILTIN && target->name;
		if (!is_name || (strcmp(target->name, "current_pid") != 0 &&
				 strcmp(target->name, "current_tid") != 0))
			return sema_fail(s, target->loc, "%s(): the target is current_pid or current_tid, not %s",
					 n->name, is_name ? target->name : "an expression");
		n->ival = strcmp(target->name, "current_tid") == 0;
	}
	const struct type *t = sema_expr(s, arg);
	if (type_is_none(t))
		return t;
	int64_t v;
	if (t->kind == TY_STR) {
		int num = arg->kind == N_STR ? signal_number(arg->str) : -1;
		if (arg->kind != N_STR)
			return sema_fail(s, arg->loc, "%s() expects a signal name as a string literal", n->name);
		if (num < 0)
			return sema_fail(s, arg->loc, "%s(): unknown signal \"%s\" (SIGKILL, SIGTERM, SIGSTOP, ...)",
					 n->name, arg->str);
		free(arg->str);
		arg->str = NULL;
		arg->kind = N_INT;
		arg->ival = (uint64_t)num;
		arg->str_len = 0;
		sema_expr(s, arg);
		return type_none();
	}
	if (!type_is_integer(t))
		return sema_fail(s, arg->loc, "%s() expects a signal name or number, got %s", n->name,
				 type_name(t, buf, sizeof(buf)));
	if (sema_const_eval(arg, &v) && (v < 1 || v > 64))
		return sema_fail(s, arg->loc, "%s(): %lld is not a signal number (1 to 64)", n->name,
				 (long long)v);
	return type_none();
}

const struct type *stdlib_check_signal(struct sema *s, struct node *n)
{
	return check_signal(s, n, false);
}

const struct type *stdlib_check_signal_thread(struct sema *s, struct node *n)
{
	return check_signal(s, n, true);
}

/* ---- process ids and modes ------------------------------------------------------- */

/* usermode: 1 when the event interrupted user code. bpftrace reads the
 * saved CS register where the context is a pt_regs, and folds it to 1 in
 * BEGIN/END (user space runs them) and to 0 elsewhere (tracepoints fire in
 * the kernel); codegen decides per program. */
const struct type *stdlib_var_usermode(struct sema *s, struct node *n)
{
	(void)s; (void)n;
#if !defined(__x86_64__)
	return sema_fail(s, n->loc, "'usermode' is only supported on x86_64");
#else
	return type_int(1, false);
#endif
}

/* pid([curr_ns | init]), tid([curr_ns | init]): which PID namespace the
 * number is seen from (ival: 0 curr_ns, the default; 1 init). A name, not
 * a value: the argument is never emitted. */
const struct type *stdlib_check_pid_ns(struct sema *s, struct node *n)
{
	static const char *const spaces[] = { "curr_ns", "init" };
	struct node *arg = n->args;
	n->ival = 0;
	if (!arg) { /* pid() is pid */
		n->kind = N_BUILTIN;
		return sema_expr(s, n);
	}
	if (arg->kind == N_BUILTIN)
		for (size_t i = 0; i < sizeof(spaces) / sizeof(spaces[0]); i++)
			if (strcmp(arg->name, spaces[i]) == 0) {
				n->ival = i;
				arg->type = type_none();
				return type_int(4, false);
			}
	struct suggestion near;
	suggestion_init(&near, arg->kind == N_BUILTIN ? arg->name : "");
	for (size_t i = 0; arg->kind == N_BUILTIN && i < sizeof(spaces) / sizeof(spaces[0]); i++)
		suggestion_consider(&near, spaces[i]);
	if (near.best)
		sema_fail(s, arg->loc, "unknown PID namespace '%s' for %s(); did you mean '%s'?", arg->name,
			  n->name, near.best);
	else
		sema_fail(s, arg->loc, "%s() takes the PID namespace to see it from: curr_ns or init", n->name);
	suggestion_free(&near);
	return type_none();
}

/* comm(), comm(pid): the current thread's name, or another process's.
 * comm(pid) reads another task through kfuncs (stdlib/kfuncs.c). */
const struct type *stdlib_check_comm(struct sema *s, struct node *n)
{
	if (!n->args) { /* comm() is comm */
		n->kind = N_BUILTIN;
		return sema_expr(s, n);
	}
	return stdlib_check_comm_pid(s, n); /* kfuncs.c */
}

/* percpu_kaddr("name" [, cpu]): the address of a per-CPU kernel variable
 * on this CPU or on `cpu` (0 when there is no such CPU). libbpf resolves
 * the variable from the kernel's BTF (a typed ksym), so the kernel's
 * kallsyms need not list it (this one does not list variables). */
const struct type *stdlib_check_percpu_kaddr(struct sema *s, struct node *n)
{
	struct node *name = n->args;
	if (name->kind != N_STR) {
		for (struct node *a = n->args; a; a = a->next)
			sema_expr(s, a);
		return sema_fail(s, name->loc, "percpu_kaddr() expects a string literal: the per-CPU variable's name");
	}
	name->type = type_str(sema_types(s), (uint32_t)name->str_len + 1);
	if (name->next && !sema_arg_integer(s, n, 1, false))
		return type_none();
	if (!kbtf_available())
		return sema_fail(s, name->loc, "percpu_kaddr(\"%s\") finds the variable in kernel BTF: %s", name->str,
				 kbtf_error());
	struct kbtf_var v;
	if (!kbtf_percpu_var(name->str, &v))
		return sema_fail(s, name->loc, "percpu_kaddr(): the kernel has no per-CPU variable '%s' (none in "
				 "its BTF's .data..percpu section)", name->str);
	/* the verifier resolves the variable's BTF id to an address with the
	 * kernel's kallsyms_lookup_name(), which only knows variables when the
	 * kernel was built with CONFIG_KALLSYMS_ALL: /proc/kallsyms tells */
	uint64_t addr = 0;
	char *near = NULL;
	enum kallsyms_result found = kallsyms_lookup(KALLSYMS_PATH, name->str, &addr, &near);
	free(near);
	if (found == KALLSYMS_NO_DATA || found == KALLSYMS_NOT_FOUND)
		return sema_fail(s, name->loc, "percpu_kaddr(\"%s\"): the kernel cannot give the variable's address: "
				 "%s lists %s, and the verifier looks per-CPU variables up there (a kernel "
				 "built with CONFIG_KALLSYMS_ALL lists them)", name->str, KALLSYMS_PATH,
				 found == KALLSYMS_NO_DATA ? "only functions" : "no such symbol");
	if (v.kind == KBTF_VAR_OTHER)
		return sema_fail(s, name->loc, "percpu_kaddr(\"%s\"): a per-CPU variable of this type (a pointer "
				 "or an array) is not supported by sonde yet; integers, structs and unions are",
				 name->str);
	return type_ptr(sema_types(s), type_int(8, false), AS_KERNEL);
}
