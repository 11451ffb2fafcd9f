/* info.h - `sonde --info`, the environment doctor (src/info.c): the system,
 * the build, the kernel's features, and for each probe type whether it
 * works on this machine, and if not, why (kernel config, capability,
 * mount, BTF) and what to do about it. */
#ifndef SONDE_INFO_H
#define SONDE_INFO_H

#include <stdio.h>

/* Print the report to out; returns 0 (a missing feature is reported, not
 * an error). */
int info_print(FILE *out);

#endif
