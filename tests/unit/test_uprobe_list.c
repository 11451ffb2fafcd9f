/* test_uprobe_list.c - the uprobe provider's -l hook (probes/uprobe.c),
 * run on this test's own binary: its functions, the parameters of one of
 * them from DWARF (-lv, bpftrace's spelling), and -p's view through
 * /proc/PID/maps. The -l driver itself is src/list.c's. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "probe.h"

#include "check.h"

__attribute__((noinline, used)) int uprobe_list_probe_me(int count, const char *name, struct timespec *ts)
{
	return count + (name != NULL) + (ts != NULL);
}

__attribute__((noinline, used)) int uprobe_list_probe_too(void)
{
	return 1;
}

/* What the hook prints for pattern (and how many it says it printed). */
static char *list(const char *provider, const char *pattern, bool verbose, int pid, int *count)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	const struct probe_provider *p = probe_provider_find(provider);
	struct probe_list_request req = { .pattern = pattern, .verbose = verbose, .pid = pid, .out = out };
	*count = p && p->list ? p->list(p, &req) : -1;
	fclose(out);
	return text;
}

int main(void)
{
	int n;
	char *text = list("uprobe", "/proc/self/exe:uprobe_list_probe_*", false, 0, &n);
	CHECKF(n == 2 && strcmp(text, "uprobe:/proc/self/exe:uprobe_list_probe_me\n"
				      "uprobe:/proc/self/exe:uprobe_list_probe_too\n") == 0,
	       "%d: %s", n, text);
	free(text);

	text = list("uprobe", "/proc/self/exe:uprobe_list_probe_me", true, 0, &n);
	CHECKF(n == 1 && strcmp(text, "uprobe:/proc/self/exe:uprobe_list_probe_me\n"
				      "    int count\n    const char* name\n    struct timespec* ts\n") == 0,
	       "%d: %s", n, text);
	free(text);

	/* -p: the binary as the process maps it, found by `*` */
	char self[PATH_MAX], want[PATH_MAX + 64];
	CHECK(realpath("/proc/self/exe", self) != NULL);
	snprintf(want, sizeof(want), "uprobe:%s:uprobe_list_probe_too\n", self);
	text = list("uprobe", "*:uprobe_list_probe_too", false, getpid(), &n);
	CHECKF(n == 1 && strcmp(text, want) == 0, "%d: %s", n, text);
	free(text);

	/* a function pattern alone: any binary the process maps */
	text = list("uprobe", "uprobe_list_probe_t*", false, getpid(), &n);
	CHECKF(n == 1 && strcmp(text, want) == 0, "%d: %s", n, text);
	free(text);

	/* a library by name: its path; nothing for a binary that is not there */
	text = list("uprobe", "libc:malloc", false, 0, &n);
	CHECKF(n == 1 && strstr(text, "/libc.so.6:malloc\n"), "%d: %s", n, text);
	free(text);
	text = list("uprobe", "/no/such/binary:*", false, 0, &n);
	CHECKF(n == 0 && strcmp(text, "") == 0, "%d: %s", n, text);
	free(text);
	return failures != 0;
}
