/* uprobe.h - what probes/uprobe.c shares with the other user-space
 * providers (probes/usdt.c): finding the binary an attach point names. */
#ifndef SONDE_UPROBE_H
#define SONDE_UPROBE_H

#include <stdbool.h>

#include "diag.h"

/* The binary of an attach point as an absolute path in `real` (PATH_MAX
 * bytes): a path as given, else a library ("libc": libc.so.6 in the
 * linker's directories) or a program on PATH ("bash"), as bpftrace finds
 * them. Reports why not at loc, naming `provider`. */
bool uprobe_resolve_binary(const char *provider, const char *path, char *real, srcloc loc,
			   struct diag *d);

#endif
