/* vars.c - builtin variables: identifiers usable without call syntax.
 * Types follow bpftrace 0.17 (pid/tid are uint64 there). */
#include <ctype.h>
#include <string.h>

#include "builtins.h"

#define U64 { TY_INT, 8, false }
#define U32 { TY_INT, 4, false }

const struct stdlib_var stdlib_vars[] = {
	{ "pid",     U64, PROBES_ALL, cg_var_pid },
	{ "tid",     U64, PROBES_ALL, cg_var_tid },
	{ "uid",     U64, PROBES_ALL, cg_var_uid },
	{ "gid",     U64, PROBES_ALL, cg_var_gid },
	{ "comm",    { TY_STR, SONDE_COMM_LEN, false }, PROBES_ALL, cg_var_comm },
	{ "nsecs",   U64, PROBES_ALL, cg_var_nsecs },
	{ "elapsed", U64, PROBES_ALL, cg_var_elapsed },
	{ "cpu",     U32, PROBES_ALL, cg_var_cpu },
	{ "probe",   { TY_STR, SONDE_STRLEN, false }, PROBES_ALL, cg_var_probe },
	{ "cpid",    U64, PROBES_ALL, cg_var_cpid },
	{ "rand",    U32, PROBES_ALL, cg_var_rand },
	{ "cgroup",  U64, PROBES_ALL, cg_var_cgroup },
	{ "curtask", U64, PROBES_ALL, cg_var_curtask },
	/* argN: integer arguments of raw tracepoints (the register/array args). */
	{ "arg",     U64, PROBE_MASK(PT_RAWTRACEPOINT), cg_var_arg },
	/* args: the tracepoint record; only meaningful under `.`/`->` (typed by sema). */
	{ "args",    { TY_ARGS, 0, false }, PROBE_MASK(PT_TRACEPOINT), NULL },
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
