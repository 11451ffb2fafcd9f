/* kallsyms.h - kernel symbols from /proc/kallsyms.
 *
 * kaddr("name") resolves at compile time, as in bpftrace. The file lists
 * every symbol with its address; to anyone but root (or when
 * kernel.kptr_restrict says so) every address reads as zero, which is
 * told apart from "no such symbol". */
#ifndef SONDE_KALLSYMS_H
#define SONDE_KALLSYMS_H

#include <stdint.h>

enum kallsyms_result {
	KALLSYMS_FOUND,
	KALLSYMS_NOT_FOUND,   /* *near: the closest name, or NULL (caller frees) */
	/* not found, and the kernel lists hardly any data symbols: built without
	 * CONFIG_KALLSYMS_ALL, so variables like `avenrun` are not there */
	KALLSYMS_NO_DATA,
	KALLSYMS_HIDDEN,      /* the symbol exists but addresses read as zero */
	KALLSYMS_UNREADABLE,  /* the file could not be read (errno) */
};

/* The address of kernel symbol `name` (vmlinux or a module). */
enum kallsyms_result kallsyms_lookup(const char *path, const char *name, uint64_t *addr, char **near);

#define KALLSYMS_PATH "/proc/kallsyms"

#endif
