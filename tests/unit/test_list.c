/* test_list.c - `-l` without the kernel: the wildcard rule, the pattern
 * helpers, and the driver on the timer providers (interval, profile), which
 * list from a table, so nothing here needs root or tracefs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "list.h"
#include "probe.h"

#include "check.h"

static void test_wildcard(void)
{
	CHECK(probe_wildcard_match("*", ""));
	CHECK(probe_wildcard_match("*", "syscalls:sys_enter_read"));
	CHECK(probe_wildcard_match("", ""));
	CHECK(!probe_wildcard_match("", "x"));
	CHECK(probe_wildcard_match("syscalls:sys_enter_read", "syscalls:sys_enter_read"));
	CHECK(!probe_wildcard_match("syscalls:sys_enter_read", "syscalls:sys_enter_readv"));
	CHECK(probe_wildcard_match("syscalls:*", "syscalls:sys_enter_read"));
	CHECK(!probe_wildcard_match("syscalls:*", "raw_syscalls:sys_enter"));
	/* '*' crosses ':' (bpftrace's rule: "*sleep*" finds events in any category) */
	CHECK(probe_wildcard_match("*sleep*", "syscalls:sys_enter_nanosleep"));
	CHECK(probe_wildcard_match("*:*sleep*", "vmscan:mm_vmscan_kswapd_sleep"));
	CHECK(probe_wildcard_match("sys*:*nanosleep", "syscalls:sys_exit_clock_nanosleep"));
	CHECK(!probe_wildcard_match("sys*:*nanosleep", "syscalls:sys_exit_nanosleep_x"));
	/* a literal run that occurs twice: the last occurrence ends the text
	 * (bpftrace's own matcher misses this one) */
	CHECK(probe_wildcard_match("*exit", "sys_exit_exit"));
	CHECK(probe_wildcard_match("*_exit*exit", "sys_exit_exit"));
	CHECK(probe_wildcard_match("a*b*c", "aXbYbZc"));
	CHECK(!probe_wildcard_match("a*b*c", "aXbYcZ"));
	CHECK(probe_wildcard_match("**a**", "xay"));
	/* nothing but '*' is special: ?, [ ] and \ are themselves */
	CHECK(!probe_wildcard_match("sys_enter_rea?", "sys_enter_read"));
	CHECK(probe_wildcard_match("a?b", "a?b"));
	CHECK(!probe_wildcard_match("rea[d]", "read"));
	CHECK(probe_wildcard_match("rea[d]", "rea[d]"));
	CHECK(probe_wildcard_match("a\\*", "a\\bc"));
	CHECK(!probe_wildcard_match("a\\*", "abc"));
}

static void test_two_part_pattern(void)
{
	char *p = list_two_part_pattern("*sleep*");
	CHECK(strcmp(p, "*:*sleep*") == 0);
	free(p);
	p = list_two_part_pattern("sys_enter_read");
	CHECK(strcmp(p, "*:sys_enter_read") == 0);
	free(p);
	p = list_two_part_pattern("sched:*");
	CHECK(strcmp(p, "sched:*") == 0);
	free(p);
}

static void test_names(void)
{
	struct list_names l = { 0 };
	const char *in[] = { "b:x", "a:z", "b:x", "a:y", "B:x", "a:z" };
	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++)
		list_names_add(&l, strdup(in[i]));
	list_names_sort_unique(&l);
	/* byte order, as bpftrace's std::set<std::string> */
	const char *want[] = { "B:x", "a:y", "a:z", "b:x" };
	CHECKF(l.n == 4, "%d names", l.n);
	for (int i = 0; i < l.n && i < 4; i++)
		CHECKF(strcmp(l.v[i], want[i]) == 0, "[%d] %s", i, l.v[i]);
	list_names_free(&l);
	CHECK(l.n == 0 && l.v == NULL);
	list_names_sort_unique(&l); /* empty: nothing to do */
}

struct listing {
	int rc;
	char *out, *err;
};

static struct listing run(const char *pattern, bool verbose)
{
	struct listing r = { 0 };
	size_t olen, elen;
	FILE *out = open_memstream(&r.out, &olen);
	FILE *err = open_memstream(&r.err, &elen);
	struct list_options o = { .pattern = pattern, .verbose = verbose, .out = out, .err = err };
	r.rc = list_run(&o);
	fclose(out);
	fclose(err);
	return r;
}

static void listing_free(struct listing *r)
{
	free(r->out);
	free(r->err);
}

#define CHECK_LISTING(pattern, want_rc, want_out, want_err)                                         \
	do {                                                                                        \
		struct listing r_ = run(pattern, false);                                            \
		CHECKF(r_.rc == (want_rc), "%s: exit %d", pattern, r_.rc);                          \
		CHECKF(strcmp(r_.out, want_out) == 0, "%s: stdout\n%s", pattern, r_.out);           \
		CHECKF(strcmp(r_.err, want_err) == 0, "%s: stderr\n%s", pattern, r_.err);           \
		listing_free(&r_);                                                                  \
	} while (0)

static void test_driver(void)
{
	CHECK_LISTING("interval:*", 0, "interval:hz:\ninterval:ms:\ninterval:ns:\ninterval:s:\ninterval:us:\n", "");
	/* aliases, a unit pattern, and a script target's "UNIT:N" */
	CHECK_LISTING("i:*s:", 0, "interval:ms:\ninterval:ns:\ninterval:s:\ninterval:us:\n", "");
	CHECK_LISTING("p:hz:99", 0, "profile:hz:\n", "");
	CHECK_LISTING("interval:*s", 0, "", "");
	/* pieces in the order given, spaces around them dropped, empty ones skipped */
	CHECK_LISTING(" profile:s: ,, interval:hz:*", 0, "profile:s:\ninterval:hz:\n", "");
	/* nothing matches: not an error */
	CHECK_LISTING("interval:nosuch", 0, "", "");
	/* BEGIN and END have nothing to list */
	CHECK_LISTING("BEGIN:*", 0, "", "");
	/* the errors point into the pattern */
	CHECK_LISTING("interval:s:,intreval:*", 1, "interval:s:\n",
		      "stdin:1:13: error: unknown probe type 'intreval'; did you mean 'interval'?\n"
		      "interval:s:,intreval:*\n"
		      "            ^~~~~~~~\n");
	CHECK_LISTING("bench:vfs_read", 1, "",
		      "stdin:1:1: error: probe type 'bench' is not supported by sonde yet\n"
		      "bench:vfs_read\n"
		      "^~~~~\n");
	struct listing r = run("interval:s:", true);
	CHECKF(strcmp(r.out, "interval:s:\n") == 0, "-v adds nothing to interval: %s", r.out);
	listing_free(&r);
}

int main(void)
{
	test_wildcard();
	test_two_part_pattern();
	test_names();
	test_driver();
	return failures != 0;
}
