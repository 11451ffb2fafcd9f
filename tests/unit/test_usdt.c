/* test_usdt.c - the usdt provider on the test programs (tests/tools/usdt_*.c,
 * built next to this test): expansion (one target per probe, its locations
 * together, its arguments decoded), what argN it has, and the -l hook for a
 * binary, a glob and a process. Needs no root; skipped where the test
 * programs were not built (no <sys/sdt.h>). Listings are sorted, as bpftrace
 * prints them. */
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ast.h"
#include "probe.h"

#include "check.h"

static const char *tools = SONDE_TOOLS_DIR;

/* What the list hook prints for pattern (and pid). */
static char *list(const char *pattern, int pid, int *count)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	struct probe_list_request req = { .pattern = pattern, .pid = pid, .out = out };
	const struct probe_provider *p = probe_provider_find("usdt");
	*count = p->list(p, &req);
	fclose(out);
	return text;
}

static void check_list(const char *pattern, int pid, int want_count, const char *want)
{
	int n;
	char *got = list(pattern, pid, &n);
	CHECKF(n == want_count && strcmp(got, want) == 0, "-l '%s': %d lines:\n%s\nwanted %d:\n%s",
	       pattern, n, got, want_count, want);
	free(got);
}

static void test_list(void)
{
	char *pat = xasprintf("%s/usdt_target_O2:*", tools);
	char *want = xasprintf("usdt:%s/usdt_target_O2:sonde_test:constant\n"
			       "usdt:%s/usdt_target_O2:sonde_test:inlined\n"
			       "usdt:%s/usdt_target_O2:sonde_test:loop\n"
			       "usdt:%s/usdt_target_O2:sonde_test:noargs\n"
			       "usdt:%s/usdt_target_O2:sonde_test:sizes\n", tools, tools, tools, tools, tools);
	check_list(pat, 0, 5, want);
	free(pat);
	free(want);

	pat = xasprintf("%s/usdt_target_O*:sonde_test:l*", tools);
	want = xasprintf("usdt:%s/usdt_target_O0:sonde_test:loop\nusdt:%s/usdt_target_O2:sonde_test:loop\n",
			 tools, tools);
	check_list(pat, 0, 2, want);
	free(pat);
	free(want);

	pat = xasprintf("%s/usdt_target_O2:nomatch*", tools);
	check_list(pat, 0, 0, "");
	free(pat);
	check_list("*", 0, 0, ""); /* every binary of the machine: not without -p */
}

/* -l with -p: the probes of what the process maps, its libraries too */
static void test_list_pid(void)
{
	char *user = xasprintf("%s/usdt_libuser", tools);
	pid_t child = fork();
	if (child == 0) {
		execl(user, user, "-1", (char *)NULL);
		_exit(127);
	}
	char maps[64], line[PATH_MAX + 128];
	snprintf(maps, sizeof(maps), "/proc/%d/maps", (int)child);
	bool mapped = false;
	for (int i = 0; i < 200 && !mapped; i++) {
		FILE *f = fopen(maps, "r");
		while (f && !mapped && fgets(line, sizeof(line), f))
			mapped = strstr(line, "libusdt_lib.so") != NULL;
		if (f)
			fclose(f);
		if (!mapped)
			usleep(10000);
	}
	CHECK(mapped);
	char real[PATH_MAX];
	char *lib = xasprintf("%s/libusdt_lib.so", tools);
	CHECK(realpath(lib, real) != NULL);
	char *user_real = realpath(user, NULL);
	CHECK(user_real != NULL);
	char *want = xasprintf("usdt:%s:sonde_lib:call\nusdt:%s:sonde_lib:globals\n", real, real);
	/* sorted: '/work/.../build/l' < '/work/.../build/u' */
	char *want_all = xasprintf("%susdt:%s:sonde_user:\"quoted\"\n", want, user_real);
	check_list("*", (int)child, 3, want_all);
	check_list("*:sonde_lib:*", (int)child, 2, want);
	free(want_all);
	free(user_real);
	check_list("*:other:*", (int)child, 0, "");
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	free(want);
	free(lib);
	free(user);
}

static void test_expand(void)
{
	char *text = xasprintf("U:%s/usdt_target_O2:inlined", tools);
	struct source *src = source_from_string("test", text, strlen(text));
	struct attach_point ap = { .text = text, .loc = { 1, 1, 1, (int)strlen(text) + 1 } };
	struct diag d;
	diag_init(&d, src, stderr);
	struct probe_target *t = NULL;
	int n = 0;
	CHECK(probe_expand(&ap, &d, &t, &n) == 0 && n == 1);
	if (n == 1) {
		char *name = xasprintf("usdt:%s/usdt_target_O2:sonde_test:inlined", tools);
		CHECK(strcmp(t[0].name, name) == 0);
		free(name);
		/* the file, then two locations: one argument each, in a register
		 * at one and the constant 1000 at the other */
		int lines = 0;
		for (const char *c = t[0].target; *c; c++)
			lines += *c == '\n';
		CHECKF(lines == 2, "target:\n%s", t[0].target);
		CHECK(strstr(t[0].target, "c,-8,-1,-1,0,0,1000") != NULL);
		const struct probe_provider *p = probe_provider_of(t[0].type);
		char *why = p->argn_unavailable(&t[0], 0);
		CHECK(why == NULL);
		why = p->argn_unavailable(&t[0], 1);
		CHECKF(why && strcmp(why, "the probe has 1 argument (arg0..arg0)") == 0, "%s", why);
		free(why);
	}
	probe_targets_free(t, n);
	source_free(src);
	free(text);
}

int main(void)
{
	char *probe = xasprintf("%s/usdt_target_O2", tools);
	if (access(probe, X_OK) != 0) {
		fprintf(stderr, "test_usdt: %s not built (no <sys/sdt.h>?): skipped\n", probe);
		free(probe);
		return 77;
	}
	free(probe);
	test_expand();
	test_list();
	test_list_pid();
	return failures != 0;
}
