/* test_shell.c - when the shell's entry goes on to another line
 * (shell_open_depth, src/shell.c): open brackets, but not those inside
 * strings, character literals or comments; every command has help; every
 * program of .tour's lessons (src/shell_tour.c) compiles (as root). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "help.h"
#include "info.h"
#include "shell.h"

#include "check.h"

static void test_commands_have_help(void)
{
	for (int i = 0; shell_command_names[i]; i++) {
		const struct help_command *c = help_shell_command(shell_command_names[i]);
		CHECKF(c && c->summary[0], "the command %s has no help (stdlib/help.c)", shell_command_names[i]);
	}
}

/* The probe types a program needs are those sonde has (help_implemented)
 * and this kernel runs (info_probe_type_works): a kprobe is refused at
 * compile time on a kernel without kprobes. */
static bool types_implemented(const char *program)
{
	static const char *const types[] = { "kprobe:", "kretprobe:", "fentry:", "fexit:" };
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		char name[16];
		snprintf(name, sizeof(name), "%.*s", (int)strlen(types[i]) - 1, types[i]);
		char why[256], fix[256];
		if (strstr(program, types[i]) &&
		    (!help_implemented(name) || !info_probe_type_works(name, why, sizeof(why), fix, sizeof(fix))))
			return false;
	}
	return true;
}

static void test_tour_compiles(void)
{
	CHECKF(shell_tour_nlessons() >= 9, "the tour has %d lessons", shell_tour_nlessons());
	for (int i = 0; i < shell_tour_nlessons(); i++) {
		CHECKF(shell_tour_program(i, 0), "lesson %d has no program", i + 1);
		for (int w = 0; shell_tour_program(i, w); w++) {
			const char *p = shell_tour_program(i, w);
			CHECKF(!strchr(p, '\n'), "lesson %d's program %d is not one line", i + 1, w + 1);
			if (!types_implemented(p))
				continue;
			char *diag = NULL;
			size_t len = 0;
			FILE *out = open_memstream(&diag, &len);
			struct source *src = source_from_string("tour", p, strlen(p));
			struct compile_options o = { .no_warnings = true };
			struct compiled c = { 0 };
			int rc = sonde_compile(src, &o, out, &c);
			fclose(out);
			CHECKF(rc == 0, "lesson %d's program %d does not compile:\n  %s\n%s", i + 1, w + 1, p, diag);
			if (rc == 0)
				compiled_free(&c);
			free(diag);
			source_free(src);
		}
	}
}

#define DEPTH(text, want)                                                                 \
	CHECKF(shell_open_depth(text) == (want), "shell_open_depth(%s) = %d, want %d", #text, \
	       shell_open_depth(text), want)

int main(void)
{
	DEPTH("", 0);
	DEPTH("BEGIN { exit(); }", 0);
	DEPTH("BEGIN {", 1);
	DEPTH("BEGIN {\n  if (pid > 1) {", 2);
	DEPTH("kprobe:f { @[comm] = count(", 2);
	DEPTH("BEGIN { @a[1", 2);
	DEPTH("BEGIN { printf(\"{\"); }", 0);        /* a brace in a string */
	DEPTH("BEGIN { printf(\"\\\"{\"); }", 0);    /* after an escaped quote */
	DEPTH("BEGIN { $c = '{'; }", 0);             /* in a character literal */
	DEPTH("BEGIN { // {\n}", 0);                 /* in a line comment */
	DEPTH("BEGIN { /* { */ }", 0);               /* in a block comment */
	DEPTH("/* an open comment", 1);              /* goes on until it is closed */
	DEPTH("}}} BEGIN {", 1);                     /* extra closers do not go below 0 */
	test_commands_have_help();
	if (geteuid() == 0)
		test_tour_compiles();
	else /* reading tracepoints' formats needs root */
		fprintf(stderr, "test_shell: compiling the tour's programs needs root (tracefs); skipped\n");
	if (failures) {
		fprintf(stderr, "test_shell: %d failure(s)\n", failures);
		return 1;
	}
	printf("test_shell: ok\n");
	return 0;
}
