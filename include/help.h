/* help.h - help text for builtins, functions, aggregations and probe types,
 * drawn from the same descriptors the compiler uses (src/help.c). The
 * shell's `.help`, the man page and `sonde --help-topic` all print it, so
 * they never disagree. */
#ifndef SONDE_HELP_H
#define SONDE_HELP_H

#include <stdio.h>

/* Print the help for TOPIC (a builtin, function, aggregation, probe type or
 * keyword; NULL or "" = the overview) to out. Returns 0, or -1 when there
 * is no such topic (a line saying so, with the closest topic, is printed). */
int help_print(FILE *out, const char *topic);

#endif
