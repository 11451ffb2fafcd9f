/* test_shell.c - when the shell's entry goes on to another line
 * (shell_open_depth, src/shell.c): open brackets, but not those inside
 * strings, character literals or comments. */
#include "shell.h"

#include "check.h"

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
	if (failures) {
		fprintf(stderr, "test_shell: %d failure(s)\n", failures);
		return 1;
	}
	printf("test_shell: ok\n");
	return 0;
}
