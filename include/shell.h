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
/* .tour's progress (src/shell_tour.c) */
struct shell_tour {
	bool started;   /* a lesson was shown: .tour goes on from current */
	int current;    /* the lesson shown last (0-based) */
	bool pending;   /* its program was offered and has not run yet */
	unsigned ran;   /* bit i: lesson i ran */
	const char *program; /* the program offered (static) */
};
/* `.tour [next|list|N]`: show a lesson and push its program to the prompt. */
void shell_tour_command(struct shell_tour *t, struct editline *el, const char *arg);
/* The program offered and not run yet (an empty line runs it), or NULL. */
const char *shell_tour_pending(const struct shell_tour *t);
/* Ctrl-C at the prompt: the program offered is not run on an empty line. */
void shell_tour_drop(struct shell_tour *t);
/* A probe entry compiled and ran: after a lesson's program, what to try next. */
void shell_tour_ran(struct shell_tour *t);
/* The lessons' programs, for tests: way 0 is the classic one; NULL past the end. */
int shell_tour_nlessons(void);
const char *shell_tour_program(int lesson, int way);

/* The shell's commands, for completion and "did you mean" */
extern const char *const shell_command_names[];

#endif
