/* shell.h - the interactive shell (src/shell.c, src/shell_complete.c):
 * `sonde` with no program on a terminal, or `sonde -i`.
 *
 * Each entry (a probe block, possibly over several lines) is compiled and
 * run by the same sonde_compile() / rt_run() pair as a one-liner; Ctrl-C
 * ends the run (END, the maps) and comes back to the prompt. Definitions
 * (macros, structs, config) typed on their own are kept for later entries. */
#ifndef SONDE_SHELL_H
#define SONDE_SHELL_H

#include <stdbool.h>

#include "sonde.h"

struct shell_options {
	struct rt_options rt;       /* -q, -v, -f, -o's stream, ... */
	struct compile_options co;  /* --unsafe, --no-warnings, ... */
};

/* Runs the shell until .quit or end of input; returns the exit status. */
int shell_run(const struct shell_options *o);

/* ---- for src/shell.c and src/shell_complete.c ---------------------------- */

/* The nesting depth of ({[ left open by text (strings, chars and comments
 * skipped): an entry goes on while it is above 0. */
int shell_open_depth(const char *text);

struct editline;
/* Bind Tab to completion in el (src/shell_complete.c). */
void shell_complete_install(struct editline *el);
/* The lines of the entry typed before the current one ("" on its first). */
const char *shell_entry_so_far(void);
/* The shell's commands, for completion and "did you mean" */
extern const char *const shell_command_names[];

#endif
