/* vars.c - builtin variables: identifiers usable without call syntax.
 *
 * One descriptor each: its check hook gives the type (and says where it is
 * not available), its emit hook (codegen/builtins.c) the value. Types are
 * the latest bpftrace's (pid and tid are uint32; 0.17 had uint64, which
 * prints the same). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "btf.h"
#include "builtins.h"
#include "sema.h"
#include "values.h"

#define SIMPLE(fn, expr) \
	static const struct type *fn(struct sema *s, struct node *n) \
	{ (void)s; (void)n; return (expr); }

SIMPLE(var_u64, type_int(8, false))
SIMPLE(var_u32, type_int(4, false))

static const struct type *var_comm(struct sema *s, struct node *n)
{
	(void)n;
	return type_str(sema_types(s), SONDE_COMM_LEN);
}

/* The full name of the probe: as long as the longest of the targets the
 * action runs in (codegen writes the one it runs for). */
/* `probe` is sized for the longest target of the whole script, not only of
 * its own probe: then probe blocks with the same body are the same code
 * (typed alike), which sema shares between tracepoints and codegen between
 * lowered syscalls. The text is the same: strings end at their NUL. */
static const struct type *var_probe(struct sema *s, struct node *n)
{
	(void)n;
	return type_str(sema_types(s), (uint32_t)sema_longest_target_name(s) + 1);
}

/* curtask: a pointer to the kernel's struct task_struct (or the script's
 * own definition of it). Its members are read from BTF only if used. */
static const struct type *var_curtask(struct sema *s, struct node *n)
{
	n->as = AS_KERNEL;
	return type_ptr(sema_types(s), sema_lazy_struct(s, "task_struct"), AS_KERNEL);
}

/* argN: the provider's registers or raw arguments; every target of the
 * action must have argument N. */
static const struct type *var_arg(struct sema *s, struct node *n)
{
	long number = strlen(n->name) > 7 ? -1 : strtol(n->name + 3, NULL, 10);
	for (int i = 0; i < sema_ntargets(s); i++) {
		const struct prog_group *g = sema_target(s, i);
		const struct probe_provider *p = g->prov;
		if (!p || p->max_args == 0) {
			if (!sema_report_wrong_probe(s, n, "builtin"))
				sema_fail(s, n->loc, "'%s' in %s probes is not supported by sonde yet", n->name,
					  sema_probe_name(g));
			return type_none();
		}
		if (number < 0 || number >= p->max_args)
			return sema_fail(s, n->loc, "builtin '%s' is not available in %s probes (they have arg0..arg%d)",
					 n->name, p->name, p->max_args - 1);
		char *why = p->argn_unavailable ? p->argn_unavailable(&g->target, (int)number) : NULL;
		if (why) {
			sema_fail(s, n->loc, "builtin '%s' is not available in %s: %s", n->name,
				  g->target.name, why);
			free(why);
			return type_none();
		}
	}
	return type_int(8, false);
}

/* retval: the provider's return value; every target must have one, of
 * one type (integers of any size merge into the widest). */
static const struct type *var_retval(struct sema *s, struct node *n)
{
	const struct type *result = NULL;
	for (int i = 0; i < sema_ntargets(s); i++) {
		const struct prog_group *g = sema_target(s, i);
		if (!g->prov || !g->prov->emit_retval) {
			if (!sema_report_wrong_probe(s, n, "builtin"))
				sema_fail(s, n->loc, "'retval' in %s probes is not supported by sonde yet",
					  sema_probe_name(g));
			return type_none();
		}
		const struct type *t = type_int(8, false);
		char *why = NULL;
		if (g->prov->retval_type && !(t = g->prov->retval_type(&g->target, sema_types(s), &why))) {
			sema_fail(s, n->loc, "'retval' is not available in %s: %s", g->target.name,
				  why ? why : "it has no return value");
			free(why);
			return type_none();
		}
		const struct type *merged = !result ? t : type_equal(result, t) ? result
					  : type_is_integer(result) && type_is_integer(t)
						  ? type_merge(sema_types(s), result, t) : NULL;
		if (!merged) {
			char a[128], b[128];
			return sema_fail(s, n->loc, "'retval' is %s in %s but %s in %s: split the probe",
					 type_name(result, a, sizeof(a)), sema_target(s, 0)->target.name,
					 type_name(t, b, sizeof(b)), g->target.name);
		}
		result = merged;
	}
	return result ? result : type_int(8, false);
}

/* args: the record the provider describes; every target must have one. */
static const struct type *var_args(struct sema *s, struct node *n)
{
	const struct type *first = NULL;
	for (int i = 0; i < sema_ntargets(s); i++) {
		const struct prog_group *g = sema_target(s, i);
		if (!g->prov || !g->prov->args_type) {
			if (!sema_report_wrong_probe(s, n, "builtin"))
				sema_fail(s, n->loc, "'args' in %s probes is not supported by sonde yet",
					  sema_probe_name(g));
			return type_none();
		}
		if (!g->args)
			return type_none(); /* the provider reported why */
		if (!first)
			first = g->args;
		enum addr_space as = g->prov->args_as ? g->prov->args_as(&g->target) : AS_KERNEL;
		if (i == 0)
			n->as = as;
	}
	return first ? first : type_none();
}

/* ctx: the program's context as the provider types it (iter: a pointer to
 * struct bpf_iter__NAME); every target must type it, all the same way. */
static const struct type *var_ctx(struct sema *s, struct node *n)
{
	const struct type *first = NULL;
	for (int i = 0; i < sema_ntargets(s); i++) {
		const struct prog_group *g = sema_target(s, i);
		if (!g->prov || !g->prov->ctx_type) {
			if (!sema_report_wrong_probe(s, n, "builtin"))
				sema_fail(s, n->loc, "'ctx' in %s probes is not supported by sonde yet",
					  sema_probe_name(g));
			return type_none();
		}
		const struct type *rec = g->prov->ctx_type(&g->target, sema_types(s));
		if (!rec)
			return sema_fail(s, n->loc, "the type of 'ctx' in %s is not known: %s", g->target.name,
					 kbtf_available() ? "kernel BTF does not describe it" : kbtf_error());
		if (first && first != rec)
			return sema_fail(s, n->loc, "'ctx' has a different type in each of this action's probes");
		first = rec;
	}
	n->as = AS_KERNEL;
	return first ? type_ptr(sema_types(s), first, AS_KERNEL) : type_none();
}

const struct stdlib_var stdlib_vars[] = {
	{ "pid",     var_u32, cg_var_pid },
	{ "tid",     var_u32, cg_var_tid },
	{ "uid",     var_u64, cg_var_uid },
	{ "gid",     var_u64, cg_var_gid },
	{ "comm",    var_comm, cg_var_comm },
	{ "nsecs",   var_u64, cg_var_nsecs },
	{ "elapsed", var_u64, cg_var_elapsed },
	{ "cpu",     var_u32, cg_var_cpu },
	{ "probe",   var_probe, cg_var_probe },
	{ "cpid",    var_u32, cg_var_cpid },
	{ "rand",    var_u32, cg_var_rand },
	{ "cgroup",  var_u64, cg_var_cgroup },
	{ "curtask", var_curtask, cg_var_curtask },
	{ "ctx",     var_ctx, cg_var_ctx },
	{ "kstack",  stdlib_var_kstack, cg_var_kstack }, /* symbols.c */
	{ "ustack",  stdlib_var_ustack, cg_var_ustack },
	{ "func",    stdlib_var_func, cg_var_func },
	{ "retval",  var_retval, cg_var_retval },
	{ "jiffies", stdlib_var_jiffies, cg_var_jiffies },
	{ "numaid",  stdlib_var_numaid, cg_var_numaid },
	{ "ncpus",   stdlib_var_ncpus, cg_var_ncpus },
	{ "has_cpid", stdlib_var_has_cpid, cg_var_has_cpid },
	{ "probetype", stdlib_var_probetype, cg_var_probetype },
	{ "usermode", stdlib_var_usermode, cg_var_usermode },
	{ "default_str_length", stdlib_var_default_str_length, NULL }, /* comptime.c: a literal */
	/* the settings: sema makes it a record of constants (lang.c) */
	{ "config",  stdlib_var_config, NULL },
	/* members of the current task: sema rewrites them into the member read */
	{ "ppid",    stdlib_var_task_alias, NULL },
	{ "pcomm",   stdlib_var_task_alias, NULL },
	{ "leader_tid", stdlib_var_task_alias, NULL },
	{ "leader_comm", stdlib_var_task_alias, NULL },
	{ "username", stdlib_check_username, cg_fn_username }, /* stdlib/format.c */
	/* argN: integer arguments (raw tracepoint arguments, registers) */
	{ "arg",     var_arg, cg_var_arg },
	/* args: the probe's typed arguments (a tracepoint's record) */
	{ "args",    var_args, cg_var_args },
};
const int stdlib_nvars = sizeof(stdlib_vars) / sizeof(stdlib_vars[0]);

static bool is_argn(const char *name)
{
	if (strncmp(name, "arg", 3) != 0 || !name[3])
		return false;
	for (const char *p = name + 3; *p; p++)
		if (!isdigit((unsigned char)*p))
			return false;
	return true;
}

const struct stdlib_var *stdlib_find_var(const char *name)
{
	if (strcmp(name, "arg") == 0)
		return NULL; /* the entry stands for arg0..argN, not for itself */
	const char *key = is_argn(name) ? "arg" : name;
	for (int i = 0; i < stdlib_nvars; i++)
		if (strcmp(stdlib_vars[i].name, key) == 0)
			return &stdlib_vars[i];
	return NULL;
}

/* bpftrace's builtin variables sonde may not have (yet): words that can
 * never be a type name in a cast. */
static const char *const bpftrace_builtins[] = {
	"retval", "func", "kstack", "ustack", "username", "ctx", "sarg0", "usermode",
	"jiffies", "ncpus", "numaid", "pcomm", "ppid", "leader_comm", "leader_tid",
	"probetype", "has_cpid", "config", "__builtin_curtask",
};

bool stdlib_is_builtin_name(const char *name)
{
	if (stdlib_find_var(name))
		return true;
	for (size_t i = 0; i < sizeof(bpftrace_builtins) / sizeof(bpftrace_builtins[0]); i++)
		if (strcmp(bpftrace_builtins[i], name) == 0)
			return true;
	return false;
}
