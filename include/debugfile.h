/* debugfile.h - the separate debug file of a stripped ELF file, found where
 * gdb looks (src/debugfile.c). Used for user symbols (runtime/usyms.c) and
 * for uprobe `args` from DWARF (probes/uprobe_dwarf.c). */
#ifndef SONDE_DEBUGFILE_H
#define SONDE_DEBUGFILE_H

#include <stdbool.h>
#include <stddef.h>

#include <libelf.h>

/* e's GNU build id note as lower-case hex in hex (false: none, or it does
 * not fit in len). */
bool elf_build_id_hex(Elf *e, char *hex, size_t len);
/* The debug file of the ELF file e opened from path: by build id under
 * /usr/lib/debug/.build-id (Debian's -dbgsym packages), then the name in
 * its .gnu_debuglink beside it, in .debug/ beside it and under
 * /usr/lib/debug (the link's CRC must match). A link naming path itself is
 * no debug file. NULL: none; else the caller frees it. */
char *elf_debug_file(Elf *e, const char *path);

#endif
