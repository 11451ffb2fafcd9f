/* symbols.c - stacks and symbols: kstack/ustack (variables and calls with a
 * mode and a depth), usym(), uaddr() and func.
 *
 * A stack is an id into a stack-trace map (types.h TY_STACK) named in user
 * space when printed (runtime/stacks.c); a user stack's id carries the
 * process id, whose maps name its frames (runtime/usyms.c). usym() and
 * func in user-space probes are an address and a process id, shown by
 * user space as the symbol holding it (a "usym" value record, as
 * stdlib/format.c makes them for strftime() and the like). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "builtins.h"
#include "probe.h"
#include "sema.h"
#include "suggest.h"
#include "usyms.h"

/* ---- kstack / ustack --------------------------------------------------------- */

static const char *const stack_modes[] = {
	[STACK_MODE_BPFTRACE] = "bpftrace",
	[STACK_MODE_PERF] = "perf",
	[STACK_MODE_RAW] = "raw",
	[STACK_MODE_BUILD_ID] = "build_id",
};
#define NSTACK_MODES (sizeof(stack_modes) / sizeof(stack_modes[0]))

static bool stack_mode_arg(struct sema *s, struct node *arg, enum addr_space as, enum stack_mode *mode)
{
	if (strcmp(arg->name, "build_id") == 0 && as == AS_KERNEL) {
		sema_fail(s, arg->loc, "stack mode 'build_id' can only be used for ustack");
		return false;
	}
	for (size_t i = 0; i < NSTACK_MODES; i++)
		if (strcmp(arg->name, stack_modes[i]) == 0) {
			*mode = (enum stack_mode)i;
			arg->type = type_none(); /* a name, not a value: never emitted */
			return true;
		}
	{
		struct suggestion near;
		suggestion_init(&near, arg->name);
		for (size_t i = 0; i < NSTACK_MODES; i++)
			suggestion_consider(&near, stack_modes[i]);
		if (near.best)
			sema_fail(s, arg->loc, "unknown stack mode '%s'; did you mean '%s'?", arg->name, near.best);
		else
			sema_fail(s, arg->loc, "unknown stack mode '%s': bpftrace, perf, raw or build_id", arg->name);
		suggestion_free(&near);
	}
	return false;
}

/* The configured mode; kernel stacks have no build ids and are raw then,
 * as in bpftrace. */
static bool default_mode(struct sema *s, struct node *n, enum addr_space as, enum stack_mode *mode)
{
	if (!sema_default_stack_mode(s, n, mode))
		return false;
	if (as == AS_KERNEL && *mode == STACK_MODE_BUILD_ID)
		*mode = STACK_MODE_RAW;
	return true;
}

/* kstack([mode,] [limit]), ustack([mode,] [limit]): mode a bare name,
 * limit a literal. */
static const struct type *check_stack(struct sema *s, struct node *call, enum addr_space as)
{
	const char *fn = as == AS_USER ? "ustack" : "kstack";
	enum stack_mode mode = STACK_MODE_BPFTRACE;
	int64_t frames = SONDE_STACK_DEFAULT_FRAMES;
	struct node *arg = call->args;
	if ((!arg || arg->kind != N_BUILTIN) && !default_mode(s, call, as, &mode))
		return type_none();
	if (arg && arg->kind == N_BUILTIN) {
		if (!stack_mode_arg(s, arg, as, &mode))
			return type_none();
		arg = arg->next;
	} else if (arg && arg->next) {
		return sema_fail(s, arg->loc, "%s(): the first of two arguments is the stack mode (bpftrace, perf, raw or build_id)",
				 fn);
	}
	if (arg && arg != call->args && arg->kind == N_BUILTIN)
		return sema_fail(s, arg->loc, "%s(): one stack mode; the second argument is the limit, a number of frames",
				 fn);
	if (arg) {
		int i = arg == call->args ? 0 : 1;
		if (!sema_arg_literal(s, call, i, &frames))
			return type_none();
		if (frames < 1 || frames > SONDE_STACK_DEFAULT_FRAMES)
			return sema_fail(s, arg->loc, "%s(): a limit of %lld frames is not between 1 and %u "
					 "(the kernel's perf_event_max_stack)", fn, (long long)frames,
					 SONDE_STACK_DEFAULT_FRAMES);
	}
	return type_stack(sema_types(s), as, (uint32_t)frames, mode);
}

const struct type *stdlib_check_kstack(struct sema *s, struct node *call)
{
	return check_stack(s, call, AS_KERNEL);
}

const struct type *stdlib_check_ustack(struct sema *s, struct node *call)
{
	return check_stack(s, call, AS_USER);
}

/* The variables: bpftrace's default depth, the configured mode. */
static const struct type *stack_var(struct sema *s, struct node *n, enum addr_space as)
{
	enum stack_mode mode;
	if (!default_mode(s, n, as, &mode))
		return type_none();
	return type_stack(sema_types(s), as, SONDE_STACK_DEFAULT_FRAMES, mode);
}

const struct type *stdlib_var_kstack(struct sema *s, struct node *n)
{
	return stack_var(s, n, AS_KERNEL);
}

const struct type *stdlib_var_ustack(struct sema *s, struct node *n)
{
	return stack_var(s, n, AS_USER);
}

/* ---- usym / func ------------------------------------------------------------ */

/* The address and the process id (two u64), shown as the symbol. */
static const struct type *usym_type(struct sema *s)
{
	struct type_arena *a = sema_types(s);
	struct type *rec = type_record_new(a, REC_STRUCT, SONDE_USYM_TYPE);
	type_record_add(a, rec, "addr", type_array(a, type_int(8, false), 2));
	type_record_finish(rec, 0);
	return rec;
}

const struct type *stdlib_check_usym(struct sema *s, struct node *call)
{
	if (!sema_arg_integer(s, call, 0, true))
		return type_none();
	return usym_type(s);
}

/* func: the probed function, where the probe type knows it (the provider's
 * emit_func_ip): a user symbol in user-space probes, a kernel one else. */
const struct type *stdlib_var_func(struct sema *s, struct node *n)
{
	enum addr_space as = AS_NONE;
	for (int i = 0; i < sema_ntargets(s); i++) {
		const struct prog_group *g = sema_target(s, i);
		if (!g->prov || !g->prov->emit_func_ip) {
			if (!sema_report_wrong_probe(s, n, "builtin"))
				sema_fail(s, n->loc, "'func' in %s probes is not supported by sonde yet",
					  sema_probe_name(g));
			return type_none();
		}
		enum addr_space here = g->prov->pointer_as ? g->prov->pointer_as(&g->target) : AS_KERNEL;
		if (i > 0 && here != as)
			return sema_fail(s, n->loc, "'func' is a user symbol in some of these probes and a kernel "
					 "one in others: split the probe");
		as = here;
	}
	return as == AS_USER ? usym_type(s) : type_ksym();
}

/* ---- uaddr ----------------------------------------------------------------- */

/* uaddr("name"): the address of variable `name` in the probe's binary,
 * resolved while compiling (bpftrace: data symbols only; in a PIE or a
 * library that is the address in the file, which the program moves by the
 * provider's load bias, codegen/builtins.c). A pointer to an integer of
 * the symbol's size (1, 2, 4; 8 for any other size). A probe on several
 * binaries needs the symbol in each, of one size (the type is the node's);
 * call->ival is its address in the first, and codegen looks it up again
 * in a program whose binary differs (cg_fn_uaddr). */
const struct type *stdlib_check_uaddr(struct sema *s, struct node *call)
{
	struct node *arg = call->args;
	if (type_is_none(sema_expr(s, arg)))
		return type_none();
	if (arg->kind != N_STR)
		return sema_fail(s, arg->loc, "uaddr() expects a string literal: the symbol's name");
	uint64_t first_size = 0;
	char *prev = NULL; /* the binary looked up last: a wildcard's targets share one */
	bool ok = true;
	for (int i = 0; i < sema_ntargets(s) && ok; i++) {
		const struct prog_group *g = sema_target(s, i);
		char *bin = g->prov && g->prov->binary_of ? g->prov->binary_of(&g->target) : NULL;
		if (!bin) {
			if (!sema_report_wrong_probe(s, call, "function"))
				sema_fail(s, call->loc, "uaddr() needs a probe in a binary (uprobe, uretprobe, usdt), "
					  "not %s", sema_probe_name(g));
			free(prev);
			return type_none();
		}
		if (prev && strcmp(prev, bin) == 0) {
			free(bin);
			continue;
		}
		free(prev);
		prev = bin;
		uint64_t addr = 0, size = 0;
		int rc = usyms_elf_lookup(bin, arg->str, &addr, &size, true);
		ok = rc == 0 && addr != 0 && (i == 0 || size == first_size);
		if (rc == -EIO)
			sema_fail(s, arg->loc, "uaddr(): '%s' is not an ELF file sonde can read", bin);
		else if (rc < 0 || addr == 0)
			sema_fail(s, arg->loc, "uaddr(): no variable '%s' in %s", arg->str, bin);
		else if (!ok)
			sema_fail(s, arg->loc, "uaddr(\"%s\"): the symbol is %llu bytes in %s but %llu in %s",
				  arg->str, (unsigned long long)first_size, sema_target(s, 0)->target.name,
				  (unsigned long long)size, g->target.name);
		if (ok && i == 0) {
			first_size = size;
			call->ival = addr;
		}
	}
	free(prev);
	if (!ok)
		return type_none();
	uint32_t width = first_size == 1 || first_size == 2 || first_size == 4 ? (uint32_t)first_size : 8;
	return type_ptr(sema_types(s), type_int(width, true), AS_USER);
}

/* len(kstack), len(ustack(3)), len($s), len(@m[k]): the depth of the
 * stack in frames (bpftrace's len of a stack). A stack value is an id in
 * a stack map, which BPF programs cannot read back, so every stack this
 * script captures carries its depth beside the id (desc.h) and len()
 * reads it there, wherever the value has been kept. */
const struct type *stdlib_check_stack_len(struct sema *s, struct node *arg)
{
	(void)arg;
	sema_want_stack_depths(s);
	return type_int(8, true);
}
