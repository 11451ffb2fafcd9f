/* import.h - `import "path";` at the top level of a script (src/import.c).
 *
 * The latest bpftrace merges imported scripts (.bt: probes, macros, map
 * declarations) and C headers (.h: type definitions) into the importing
 * script; a directory imports its .bt and .h files. sonde splices each
 * imported file's text in as whole lines before the line of its import
 * statement (which becomes blanks), once per file however often it is
 * imported, recursively; the source remembers which lines came from which
 * file, so every later error names the file and line the user wrote. */
#ifndef SONDE_IMPORT_H
#define SONDE_IMPORT_H

#include <stdio.h>

#include "diag.h"

/* Expand the imports of src in place (its text and line spans). Errors
 * (a missing file, an unknown file type, a config block in an imported
 * script, a world-writable directory) are printed to out. Returns 0, or -1
 * after an error. A script without `import` is left untouched. */
int import_expand(struct source *src, FILE *out);

#endif
