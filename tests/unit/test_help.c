/* test_help.c - the help (src/help.c, stdlib/help.c) against the compiler's
 * own tables: every builtin variable, function, aggregation, map function
 * and probe type sonde has has an entry with a signature, a summary and an
 * example; every entry names something that exists; every example compiles
 * (as `sonde -e`, nothing loaded); and help_print answers for each name and
 * suggests the closest one for a typo. Compiling examples that read kernel
 * types or tracepoints needs root (tracefs, BTF): without it the test
 * says so and exits 77. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "help.h"
#include "language.h"
#include "probe.h"
#include "sonde.h"

#include "check.h"

extern const struct stdlib_func stdlib_aggs[];
extern const int stdlib_naggs;
extern const struct stdlib_func stdlib_map_funcs[];
extern const int stdlib_nmap_funcs;

static void check_entry_text(const char *name)
{
	const struct help_entry *e = help_find(name);
	CHECKF(e != NULL, "'%s' has no help entry (stdlib/help.c)", name);
	if (!e)
		return;
	CHECKF(e->signature && *e->signature, "'%s' has no signature", name);
	CHECKF(e->summary && *e->summary && !strchr(e->summary, '\n'), "'%s' needs a one-line summary", name);
	CHECKF(e->example && *e->example && !strchr(e->example, '\n'), "'%s' needs a one-line example", name);
}

static void check_funcs(const struct stdlib_func *t, int n)
{
	for (int i = 0; i < n; i++)
		check_entry_text(t[i].name);
}

static bool func_in(const struct stdlib_func *t, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (strcmp(t[i].name, name) == 0)
			return true;
	return false;
}

/* Each descriptor has an entry, and each entry a descriptor. */
static void test_coverage(void)
{
	for (int i = 0; i < stdlib_nvars; i++)
		check_entry_text(stdlib_vars[i].name);
	check_funcs(stdlib_funcs, stdlib_nfuncs);
	check_funcs(stdlib_aggs, stdlib_naggs);
	check_funcs(stdlib_map_funcs, stdlib_nmap_funcs);
	for (int i = 0; i < lang_nprobe_types; i++)
		check_entry_text(lang_probe_types[i].name);
	for (int i = 0; i < help_nentries; i++) {
		const char *name = help_entries[i].name;
		bool known = strcmp(name, "arg") == 0 || stdlib_find_var(name) ||
			     func_in(stdlib_funcs, stdlib_nfuncs, name) || func_in(stdlib_aggs, stdlib_naggs, name) ||
			     func_in(stdlib_map_funcs, stdlib_nmap_funcs, name) || lang_probe_type_find(name) ||
			     probe_provider_find(name); /* sonde's own probe types (lsm) */
		if (!lang_probe_type_find(name))
			CHECKF(known == help_implemented(name), "help_implemented(%s) is %d", name, !known);
		/* bpftrace's names sonde lacks may have their entry ready */
		CHECKF(known || lang_name_find(name), "help entry '%s' names no builtin, function or probe type",
		       name);
		for (int j = 0; j < i; j++)
			CHECKF(strcmp(help_entries[j].name, name) != 0, "two help entries for '%s'", name);
	}
}

/* Examples that compile only where the kernel has what they ask for: the
 * error that says this machine lacks it, and what it lacks. */
static const char *machine_lacks(const char *name, const char *diag)
{
	static const struct {
		const char *name, *error, *lack;
	} known[] = {
		{ "percpu_kaddr", "CONFIG_KALLSYMS_ALL", "the kernel's /proc/kallsyms lists no variables" },
		{ "cgroupid", "is not in a cgroup v2 file system", "/sys/fs/cgroup is not cgroup v2 here" },
		{ "kprobe", "this kernel has no kprobes", "the kernel has no kprobes" },
		{ "kretprobe", "this kernel has no kprobes", "the kernel has no kprobes" },
		{ "kprobe", "cannot read the kernel's functions", "no access to the kernel's function list" },
		{ "kretprobe", "cannot read the kernel's functions", "no access to the kernel's function list" },
		{ "override", "this kernel has no kprobes", "the kernel has no kprobes" },
		{ "override", "cannot read the kernel's functions", "no access to the kernel's function list" },
		{ "override", "cannot override return values", "the kernel has no bpf_override_return" },
	};
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strcmp(known[i].name, name) == 0 && strstr(diag, known[i].error))
			return known[i].lack;
	return NULL;
}

static void test_examples_compile(void)
{
	for (int i = 0; i < help_nentries; i++) {
		const struct help_entry *e = &help_entries[i];
		if (!help_implemented(e->name))
			continue; /* bpftrace has it, sonde not yet: its example cannot compile */
		char *diag = NULL;
		size_t len = 0;
		FILE *out = open_memstream(&diag, &len);
		struct source *src = source_from_string("stdin", e->example, strlen(e->example));
		struct compile_options o = { .unsafe = (e->flags & HELP_UNSAFE) != 0, .no_warnings = true };
		struct compiled c = { 0 };
		int rc = sonde_compile(src, &o, out, &c);
		fclose(out);
		const char *lack = rc != 0 ? machine_lacks(e->name, diag) : NULL;
		if (lack)
			fprintf(stderr, "test_help: the example of '%s' cannot compile here: %s\n", e->name, lack);
		else
			CHECKF(rc == 0, "the example of '%s' does not compile:\n  %s\n%s", e->name, e->example, diag);
		if (rc == 0)
			compiled_free(&c);
		free(diag);
		source_free(src);
	}
}

static char *help_text(const char *topic, int *rc)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	*rc = help_print(out, topic);
	fclose(out);
	return text;
}

static void test_print(void)
{
	int rc;
	char *t = help_text(NULL, &rc);
	CHECK(rc == 0);
	/* the overview lists every kind, from the tables */
	CHECKF(strstr(t, "Probe types") && strstr(t, "tracepoint") && strstr(t, "test*") &&
	       strstr(t, "Builtin variables:") && strstr(t, "Aggregations") && strstr(t, "hist()") &&
	       strstr(t, "has_key()"), "overview:\n%s", t);
	free(t);

	for (int i = 0; i < help_nentries; i++) {
		t = help_text(help_entries[i].name, &rc);
		CHECKF(rc == 0 && strstr(t, help_entries[i].summary), "help %s:\n%s", help_entries[i].name, t);
		free(t);
	}
	t = help_text("hist", &rc);
	CHECKF(rc == 0 && strcmp(t, "hist - power-of-2 histogram (k: 2^k sub-buckets each)\n"
				    "  aggregation: @m[key] = hist(int n[, int k])\n"
				    "  example: sonde -e 'tracepoint:syscalls:sys_exit_read /args.ret > 0/ "
				    "{ @bytes = hist(args.ret); }'\n") == 0, "help hist:\n%s", t);
	free(t);
	t = help_text("t", &rc); /* an alias */
	CHECKF(rc == 0 && strncmp(t, "tracepoint - ", 13) == 0, "help t:\n%s", t);
	free(t);
	t = help_text("test", &rc);
	CHECKF(rc == 0 && strstr(t, "does not support this probe type yet"), "help test:\n%s", t);
	free(t);
	t = help_text("kr", &rc);
	CHECKF(rc == 0 && strncmp(t, "kretprobe - ", 12) == 0, "help kr:\n%s", t);
	free(t);
	t = help_text("arg2", &rc);
	CHECKF(rc == 0 && strncmp(t, "arg - ", 6) == 0, "help arg2:\n%s", t);
	free(t);
	t = help_text("printf()", &rc);
	CHECKF(rc == 0 && strncmp(t, "printf - ", 9) == 0, "help printf():\n%s", t);
	free(t);
	t = help_text("while", &rc);
	CHECKF(rc == 0 && strstr(t, "keyword"), "help while:\n%s", t);
	free(t);
	t = help_text("cuont", &rc);
	CHECKF(rc == -1 && strcmp(t, "no help for 'cuont'; did you mean 'count'?\n") == 0, "help cuont:\n%s", t);
	free(t);
	t = help_text("zzzzzzzz", &rc);
	CHECKF(rc == -1 && strstr(t, "no help for 'zzzzzzzz'"), "help zzzzzzzz:\n%s", t);
	free(t);
}

/* s as the man page writes it: '-' as \\-, '\\' as \\e */
static char *roff_escaped(const char *s)
{
	char *out = malloc(strlen(s) * 2 + 1), *o = out;
	for (; *s; s++) {
		if (*s == '-' || *s == '\\') {
			*o++ = '\\';
			*o++ = *s == '-' ? '-' : 'e';
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
	return out;
}

static void test_man(void)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	help_print_man(out, "USAGE:\n    sonde x\n\nOPTIONS:\n    -e 'program'     execute this program\n"
			    "    --emit-llvm FILE write the LLVM IR\n    -o, --output FILE\n"
			    "                     write the output to FILE\n\nEXAMPLES:\n");
	fclose(out);
	CHECKF(strncmp(text, ".TH SONDE 8", 11) == 0, "%s", text);
	CHECKF(strstr(text, ".TP\n.B \\-e 'program'\nexecute this program\n") &&
	       strstr(text, ".TP\n.B \\-\\-emit\\-llvm FILE\nwrite the LLVM IR\n") &&
	       strstr(text, ".TP\n.B \\-o, \\-\\-output FILE\nwrite the output to FILE\n") &&
	       !strstr(text, "EXAMPLES"), "options:\n%s", text);
	for (int i = 0; i < help_nentries; i++) {
		if (!help_implemented(help_entries[i].name) && !lang_probe_type_find(help_entries[i].name))
			continue; /* the page lists what sonde has, and every probe type */
		char *want = roff_escaped(help_entries[i].summary);
		CHECKF(strstr(text, want), "man page lacks '%s'", help_entries[i].name);
		free(want);
	}
	CHECKF(strstr(text, "\\e") != NULL, "backslashes escaped");
	free(text);
}

int main(void)
{
	test_coverage();
	test_print();
	test_man();
	if (geteuid() != 0) {
		fprintf(stderr, "test_help: compiling the examples needs root (tracefs, BTF); skipped\n");
		return failures ? 1 : 77;
	}
	test_examples_compile();
	return failures != 0;
}
