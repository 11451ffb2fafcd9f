/* test_kprobe_fentry.c - when a kprobe/kretprobe target runs as
 * fentry/fexit (probes/kprobe_fentry.c): the choice against a fake
 * kernel (what it can do) and fake actions (what they use), so every rule
 * is checked without a kernel that has trampolines. */
#include <stdlib.h>
#include <string.h>

#include "probe.h"

#include "check.h"

/* A kernel with trampolines and vfs_read-like function: 3 argument slots. */
static struct kprobe_fentry_facts capable(void)
{
	return (struct kprobe_fentry_facts){
		.mode = KPROBE_FENTRY_AUTO,
		.trampolines = true,
		.btf_found = true,
		.btf_supported = true,
		.traceable = true,
		.nslots = 3,
	};
}

static bool lowered(const struct kprobe_fentry_facts *f, const char *const *names, int n)
{
	struct probe_uses u = { names, n, false };
	return kprobe_fentry_refusal(f, &u) == NULL;
}

#define USES(...) ((const char *const[]){ __VA_ARGS__ }), (int)(sizeof((const char *const[]){ __VA_ARGS__ }) / sizeof(char *))

int main(void)
{
	struct kprobe_fentry_facts f = capable();
	CHECK(lowered(&f, NULL, 0));
	CHECK(lowered(&f, USES("comm", "count", "pid", "func", "probe", "retval", "ustack")));
	CHECK(lowered(&f, USES("arg0", "arg2")));

	/* argN past the function's slots: a kprobe reads a stale register */
	CHECK(!lowered(&f, USES("arg3")));
	CHECK(!lowered(&f, USES("arg0", "arg5")));

	/* builtins tied to pt_regs or the kprobe's stack */
	CHECK(!lowered(&f, USES("count", "kstack")));
	CHECK(!lowered(&f, USES("reg")));
	CHECK(!lowered(&f, USES("override")));
	CHECK(!lowered(&f, USES("sarg0")));
	CHECK(!lowered(&f, USES("sarg3")));
	CHECK(!lowered(&f, USES("ctx")));
	CHECK(lowered(&f, USES("kstackx_not_a_builtin", "args")));

	/* what the kernel or the target cannot do */
	struct kprobe_fentry_facts g;
	g = f, g.mode = KPROBE_FENTRY_NEVER;
	CHECKF(!lowered(&g, NULL, 0), "SONDE_KPROBE_FENTRY=0");
	{
		struct probe_uses none = { NULL, 0, false };
		const char *why = kprobe_fentry_refusal(&g, &none);
		CHECKF(why && strstr(why, "SONDE_KPROBE_FENTRY=0"), "why: %s", why ? why : "(null)");
	}
	g = f, g.mode = KPROBE_FENTRY_ALWAYS;
	CHECK(lowered(&g, NULL, 0));
	g = f, g.trampolines = false;
	CHECK(!lowered(&g, NULL, 0));
	g = f, g.has_offset = true;
	CHECK(!lowered(&g, NULL, 0));
	g = f, g.in_module = true;
	CHECK(!lowered(&g, NULL, 0));
	g = f, g.btf_found = false;
	CHECK(!lowered(&g, NULL, 0));
	g = f, g.btf_supported = false;
	CHECK(!lowered(&g, NULL, 0));
	g = f, g.traceable = false;
	CHECK(!lowered(&g, NULL, 0));
	g = f, g.denied = true;
	CHECK(!lowered(&g, NULL, 0));
	{
		struct probe_uses shared = { NULL, 0, true };
		CHECK(kprobe_fentry_refusal(&f, &shared) != NULL);
	}

	/* the opt-out is read from the environment */
	setenv("SONDE_KPROBE_FENTRY", "0", 1);
	CHECK(kprobe_fentry_mode() == KPROBE_FENTRY_NEVER);
	setenv("SONDE_KPROBE_FENTRY", "1", 1);
	CHECK(kprobe_fentry_mode() == KPROBE_FENTRY_ALWAYS);
	unsetenv("SONDE_KPROBE_FENTRY");
	CHECK(kprobe_fentry_mode() == KPROBE_FENTRY_AUTO);
	return failures != 0;
}
