/* kprobe_override.c - may override() change what the function of a kprobe
 * returns? (include/probe.h, kprobe_override_unavailable.)
 *
 * The kernel allows bpf_override_return only when it was built with
 * CONFIG_BPF_KPROBE_OVERRIDE (which needs CONFIG_FUNCTION_ERROR_INJECTION:
 * Debian 12's kernel has neither), only in a kprobe at a function's entry,
 * and only for functions marked ALLOW_ERROR_INJECTION. Otherwise attaching
 * fails with a bare "Invalid argument" (bpftrace shows that); these checks
 * say which rule was broken, while compiling. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "probe.h"
#include "util.h"

#define ERROR_INJECTION_LIST "/sys/kernel/debug/error_injection/list"

/* 1: the verifier knows bpf_override_return in kprobe programs, 0: it does
 * not, -1: cannot tell (not allowed to load programs). */
static int kernel_has_override(void)
{
	static int known = -2;
	if (known == -2) {
		int rc = libbpf_probe_bpf_helper(BPF_PROG_TYPE_KPROBE, BPF_FUNC_override_return, NULL);
		known = rc < 0 ? -1 : rc > 0;
	}
	return known;
}

/* 1: fn is on the kernel's error injection list, 0: it is not, -1: the
 * list cannot be read (no debugfs, not root). Lines are "NAME\tTYPE". */
static int injectable(const char *fn)
{
	FILE *f = fopen(ERROR_INJECTION_LIST, "re");
	if (!f)
		return -1;
	char line[512];
	int found = 0;
	size_t len = strlen(fn);
	while (!found && fgets(line, sizeof(line), f))
		found = strncmp(line, fn, len) == 0 && (line[len] == '\t' || line[len] == ' ' ||
							 line[len] == '\n');
	fclose(f);
	return found;
}

char *kprobe_override_unavailable(const struct probe_target *t)
{
	if (t->type != PT_KPROBE || !t->target)
		return NULL;
	if (kernel_has_override() == 0)
		return xstrdup("this kernel cannot override return values (it was built without "
			       "CONFIG_BPF_KPROBE_OVERRIDE, which needs CONFIG_FUNCTION_ERROR_INJECTION)");
	const char *fn = strchr(t->target, ':') ? strchr(t->target, ':') + 1 : t->target;
	if (fn[0] >= '0' && fn[0] <= '9') /* an address: the kernel decides */
		return NULL;
	const char *plus = strchr(fn, '+');
	if (plus && strtoull(plus + 1, NULL, 0) != 0)
		return xstrdup("the kernel overrides a function only from a probe at its entry, not at an "
			       "offset in it");
	char *name = plus ? xstrndup(fn, (size_t)(plus - fn)) : xstrdup(fn);
	char *why = NULL;
	if (injectable(name) == 0)
		why = xasprintf("kernel function '%s' does not allow error injection (only functions marked "
				"ALLOW_ERROR_INJECTION, listed in %s, can be overridden)", name,
				ERROR_INJECTION_LIST);
	free(name);
	return why;
}
