/* regs.c - reg("NAME") and override(rc): the registers the probed code was
 * stopped with (the context of kprobes and uprobes is the kernel's struct
 * pt_regs), and, in a kprobe, the return value the probed function gives
 * back instead of running (bpf_override_return).
 *
 * Register names are bpftrace's: pt_regs' member names on x86-64 ("ip",
 * "sp", "ax", "di", ...), with its aliases "pc" (latest bpftrace) and
 * "orig_ax" (bpftrace 0.17's name of orig_rax). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "builtins.h"
#include "probe.h"
#include "sema.h"
#include "suggest.h"

#if defined(__x86_64__)
#define REGS_ARCH "x86_64"
/* offsets in struct pt_regs */
static const struct {
	const char *name;
	uint32_t offset;
} regs[] = {
	{ "r15", 0 }, { "r14", 8 }, { "r13", 16 }, { "r12", 24 }, { "bp", 32 }, { "bx", 40 },
	{ "r11", 48 }, { "r10", 56 }, { "r9", 64 }, { "r8", 72 }, { "ax", 80 }, { "cx", 88 },
	{ "dx", 96 }, { "si", 104 }, { "di", 112 }, { "orig_rax", 120 }, { "orig_ax", 120 },
	{ "ip", 128 }, { "pc", 128 }, { "cs", 136 }, { "flags", 144 }, { "sp", 152 }, { "ss", 160 },
};
#define NREGS (sizeof(regs) / sizeof(regs[0]))
#else
#define REGS_ARCH "this architecture"
#define NREGS 0
#endif

/* reg("NAME"): the register's offset in the context goes to codegen in ival. */
const struct type *stdlib_check_reg(struct sema *s, struct node *n)
{
	if (sema_report_wrong_probe(s, n, "function"))
		return type_none();
	struct node *arg = n->args;
	if (type_is_none(sema_expr(s, arg)))
		return type_none();
	if (arg->kind != N_STR)
		return sema_fail(s, arg->loc, "reg() expects a string literal: the register's name, as reg(\"ip\")");
#if defined(__x86_64__)
	for (size_t i = 0; i < NREGS; i++)
		if (strcmp(regs[i].name, arg->str) == 0) {
			n->ival = regs[i].offset;
			return type_int(8, false);
		}
	struct suggestion near;
	suggestion_init(&near, arg->str);
	for (size_t i = 0; i < NREGS; i++)
		suggestion_consider(&near, regs[i].name);
	if (near.best)
		sema_fail(s, arg->loc, "'%s' is not a valid register on this architecture (%s); did you mean '%s'?",
			  arg->str, REGS_ARCH, near.best);
	else
		sema_fail(s, arg->loc, "'%s' is not a valid register on this architecture (%s): ip, sp, bp, "
			  "ax, bx, cx, dx, si, di, r8 to r15, orig_rax, cs, ss, flags", arg->str, REGS_ARCH);
	suggestion_free(&near);
	return type_none();
#else
	return sema_fail(s, arg->loc, "reg(): sonde knows the registers of x86_64 only");
#endif
}

/* override(rc): kprobe only, --unsafe, an integer; and what this kernel
 * allows: bpftrace leaves that to the kernel's refusal at attach time
 * ("Invalid argument"), sonde says why while compiling. */
const struct type *stdlib_check_override(struct sema *s, struct node *n)
{
	if (sema_report_wrong_probe(s, n, "function"))
		return type_none();
	if (!sema_unsafe(s))
		return sema_fail(s, n->loc, "override() is an unsafe function being used in safe mode: "
				 "run sonde with --unsafe to allow it");
	if (!sema_arg_integer(s, n, 0, false))
		return type_none();
	for (int i = 0; i < sema_ntargets(s); i++) {
		char *why = kprobe_override_unavailable(&sema_target(s, i)->target);
		if (why) {
			sema_fail(s, n->loc, "override() in %s: %s", sema_target(s, i)->target.name, why);
			free(why);
			return type_none();
		}
	}
	return type_none();
}
