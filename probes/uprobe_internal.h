/* uprobe_internal.h - what probes/uprobe*.c share: a binary's functions
 * (uprobe_elf.c), finding binaries the way bpftrace does, and the types of
 * a function's arguments from DWARF (uprobe_dwarf.c). */
#ifndef SONDE_UPROBE_INTERNAL_H
#define SONDE_UPROBE_INTERNAL_H

#include <gelf.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "types.h"

/* A function symbol of an ELF file: its address in the file's own address
 * space (st_value), its size, and the file offset a uprobe is attached at
 * (the address moved by its loadable segment: PIE, non-PIE and shared
 * libraries alike). */
struct uprobe_func {
	char *name;
	uint64_t addr, size, off;
};

struct uprobe_seg {
	uint64_t vaddr, memsz, off;
};

struct uprobe_elf {
	char *path;
	struct uprobe_func *funcs; /* sorted by name, one per name */
	int nfuncs;
	struct uprobe_func **by_addr; /* the same, sorted by address */
	struct uprobe_seg *segs;   /* PT_LOAD segments */
	int nsegs;
	bool relocated;            /* ET_DYN (a PIE, a library): loaded at an address picked at run time */
	struct uprobe_elf *next;   /* the cache's list */
};

/* The functions of the ELF file at path (absolute), read once and cached
 * for the process; NULL when it is no ELF file this can read. */
const struct uprobe_elf *uprobe_elf_get(const char *path);
const struct uprobe_func *uprobe_elf_find(const struct uprobe_elf *e, const char *name);
/* The function whose [addr, addr + size) holds addr, or NULL. */
const struct uprobe_func *uprobe_elf_func_at(const struct uprobe_elf *e, uint64_t addr);
/* The file offset of address addr; false when no segment maps it. */
bool uprobe_elf_offset(const struct uprobe_elf *e, uint64_t addr, uint64_t *off);
void uprobe_elf_cache_free(void);

/* Calls fn for each named symbol e defines (.symtab and .dynsym, in file
 * order; undefined ones are skipped) until fn returns true; returns
 * whether it did. */
typedef bool (*uprobe_elf_symbol_fn)(const char *name, const GElf_Sym *sym, void *arg);
bool uprobe_elf_each_symbol(Elf *e, uprobe_elf_symbol_fn fn, void *arg);

/* Binaries named without a path, as bpftrace finds them: a library
 * ("libc": libc.so.6 in the linker's directories, or the one process pid
 * maps when pid > 0) or a program (on PATH, or pid's own). out: PATH_MAX. */
bool uprobe_find_library(const char *name, int pid, char *out);
bool uprobe_find_program(const char *name, int pid, char *out);
/* The ELF files process pid maps whose path matches the wildcard pattern
 * (absolute paths, no duplicates; "*" = all); *paths is the caller's. */
int uprobe_mapped_files(int pid, const char *pattern, char ***paths);
/* Each distinct file path in /proc/PID/maps (deleted files left out), in
 * order: how many, or -1 when they cannot be read. *paths is the caller's
 * (uprobe_paths_free). */
int uprobe_maps_paths(int pid, char ***paths);
void uprobe_paths_free(char **paths, int n);

/* ---- DWARF (uprobe_dwarf.c) ---------------------------------------------- */

/* One parameter of a function as DWARF describes it. `type` is NULL for a
 * parameter sonde cannot pass through a register (a float, a struct by
 * value): it stays in the listing but not in `args`. reg is the argument
 * register it arrives in (the System V classification, integers only). */
struct uprobe_param {
	char *name;
	char *ctype;  /* the C spelling for -lv: "const char *" */
	const struct type *type;
	int reg;
};

/* The parameters of function `func` in the DWARF of the binary at path:
 * returns how many (0: none), or -1 when the binary has no DWARF or no
 * entry for func. A stripped binary's DWARF is read from its separate
 * debug file (build id under /usr/lib/debug, or .gnu_debuglink). Types are made in arena a (NULL: only names and C
 * spellings); *params is the caller's (uprobe_params_free). */
int uprobe_dwarf_params(const char *path, const char *func, struct type_arena *a,
			struct uprobe_param **params);
void uprobe_params_free(struct uprobe_param *p, int n);

#endif
