/* usyms.h - user-space symbols: the function holding an address of a
 * process, for ustack, usym() and func.
 *
 * A process's address maps to a file through /proc/PID/maps; the file
 * offset maps to the ELF's virtual address through its PT_LOAD segments,
 * which is the same rule for PIE and non-PIE programs and shared libraries.
 * Each ELF file's symbols (.symtab, else .dynsym; from a separate debug
 * file found by build id or .gnu_debuglink under /usr/lib/debug when the
 * file was stripped) are read once, sorted once and binary-searched; each
 * process's maps are read once per symboliser and kept, so a process that
 * exits after its maps were read (usyms_snapshot) still resolves. */
#ifndef SONDE_USYMS_H
#define SONDE_USYMS_H

#include <stdbool.h>
#include <stdint.h>

struct usyms;

/* The record type name of usym() values: the address and the process id
 * (stdlib/symbols.c makes it, runtime/formats.c shows it). */
#define SONDE_USYM_TYPE "usym"

struct usym {
	const char *name;    /* the symbol; NULL when the address has a file but no symbol */
	uint64_t offset;     /* addr - the symbol's start */
	const char *module;  /* the mapped file's path; NULL when no file maps addr */
};

struct usyms *usyms_new(void);
void usyms_free(struct usyms *u);

/* The symbol holding addr in process pid. Strings live as long as u.
 * False (with sym->name NULL) when none does. */
bool usyms_resolve(struct usyms *u, int pid, uint64_t addr, struct usym *sym);

/* A C++ symbol's readable name ("_ZN3foo3barEv" -> "foo::bar()"), as
 * bpftrace shows it (cpp_demangle); caller frees. NULL for other names, or
 * when no demangler is linked in (it is libstdc++'s, which LLVM brings). */
char *usyms_demangle(const char *name);
/* cpp_demangle = false: usyms_demangle() keeps every name as it is
 * (process-wide, set before rt_run()). usyms_cxx_name() demangles whatever
 * the setting: matching `cpp:` probe names needs the readable name. */
char *usyms_cxx_name(const char *name);
void usyms_set_demangle(bool on);

/* A program the script probes (a uprobe's binary): when a process is gone
 * before its maps were read, an address inside this program's fixed
 * (non-PIE) load segments is still named from its symbols, as the latest
 * bpftrace does with its per-program symbol cache. */
void usyms_add_program(struct usyms *u, const char *path);

/* Read pid's maps now, while it lives, replacing what was read before. */
void usyms_snapshot(struct usyms *u, int pid);

/* The ELF file at path (or its debug file) has a symbol `name` (a
 * variable when objects_only): its address (st_value) and size. uaddr()
 * resolves with this while compiling. 0, -ENOENT (no such symbol) or -EIO
 * (not an ELF file sonde can read). */
int usyms_elf_lookup(const char *path, const char *name, uint64_t *addr, uint64_t *size,
		     bool objects_only);

#endif
