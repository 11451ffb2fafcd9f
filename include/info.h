/* info.h - `sonde --info`, the environment doctor (src/info.c): the system,
 * the build, the kernel's features, and for each probe type whether it
 * works on this machine, and if not, why (kernel config, capability,
 * mount, BTF) and what to do about it. */
#ifndef SONDE_INFO_H
#define SONDE_INFO_H

#include <stdbool.h>
#include <stdio.h>

/* Print the report to out; returns 0 (a missing feature is reported, not
 * an error). */
int info_print(FILE *out);

/* The verdict --info prints for probe type TYPE (a name or alias:
 * "kprobe", "t") on this machine: true when it works; else false, with
 * why it does not and what to do (the shell's .tour offers the nearest
 * lesson that works). */
bool info_probe_type_works(const char *type, char *why, size_t why_size, char *fix, size_t fix_size);

#endif
