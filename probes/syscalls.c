/* syscalls.c - which tracepoints are lowered to the raw tracepoints
 * sys_enter / sys_exit, and the syscall number table behind it.
 *
 * `tracepoint:syscalls:sys_enter_X` is the kernel's sys_enter raw tracepoint
 * filtered to one syscall number and with the arguments copied into a
 * record; `raw_syscalls:sys_enter` is the same raw tracepoint unfiltered. A
 * raw tracepoint program does the filtering and the argument reads itself
 * (codegen/lower.c), which makes attach and detach nearly free (a
 * perf-event tracepoint link costs ~40 ms of RCU grace period to destroy,
 * serialised in the kernel) and each event cheaper.
 *
 * The numbers come from the build machine's <asm/unistd.h> (generated table,
 * see syscall_nrs.cmake): the x86_64 syscall ABI is stable, so a number
 * there means the same syscall on every kernel. A tracepoint is named after
 * the syscall's kernel function, which is the syscall's name except for a
 * few listed below (sys_enter_newstat is __NR_stat); syscalls newer than the
 * header come from a short table. Anything else (a syscall newer than both)
 * stays a perf-event tracepoint, as does a record whose layout codegen does
 * not know how to rebuild from registers.
 *
 * Per event (kernel 6.18, a getppid loop, over an untraced call of ~128 ns):
 * the same counting program costs +116 ns as a raw tracepoint and +150 ns as
 * the raw_syscalls:sys_enter perf event; a lowered sys_enter_getppid costs
 * +120 ns against +175 ns as the syscalls perf event. The price: while any
 * syscall tracepoint is lowered, every other syscall runs the program too
 * and costs +80 ns instead of the perf event's +35 ns (which only tests a
 * bitmap) -- paid for attach and detach in microseconds instead of ~40 ms
 * per probe. So sema lowers syscalls:* tracepoints only where that pays
 * (sema/probes.c); SONDE_RAW_LOWERING=0/1 forces never/always (tests
 * compare both paths with it).
 *
 * One known difference: the syscalls:* events ignore ia32 compat syscalls
 * of 32-bit processes (the kernel reports them with nr -1), while the raw
 * tracepoint sees them with their i386 numbers, so a lowered
 * sys_enter_X also fires for the i386 syscall whose number is X's x86_64
 * number. Telling them apart needs current->thread_info.status (TS_COMPAT)
 * from BTF; 32-bit processes are rare, so this is accepted for now.
 * raw_syscalls:* sees compat syscalls either way, as before. */
#include <stdlib.h>
#include <string.h>

#include "ast.h"
#include "probe.h"

struct syscall_nr {
	const char *name;
	int nr;
};

static const struct syscall_nr syscall_table[] = {
#define SYSCALL_NR(name, nr) { #name, nr },
#include "syscall_nrs.h"
#undef SYSCALL_NR
	{ "", -1 } /* keeps the array non-empty when the header was missing */
};
#define NSYSCALLS (sizeof(syscall_table) / sizeof(syscall_table[0]) - 1)

static int compare_entry(const void *key, const void *entry)
{
	return strcmp(key, ((const struct syscall_nr *)entry)->name);
}

#if defined(__x86_64__)
/* x86_64 syscalls newer than some uapi headers sonde may be built with
 * (Debian 12's are 6.1's), used only when the header lacks the name. The
 * numbers are ABI and never change; these were checked against the
 * __syscall_nr that kernel 6.18 records in their own tracepoints
 * (tests/runtime/raw_lowering.sh compares both paths for them). */
static const struct syscall_nr newer_syscalls[] = {
	{ "uretprobe", 335 }, { "uprobe", 336 }, { "cachestat", 451 }, { "fchmodat2", 452 }, { "futex_wake", 454 },
	{ "futex_wait", 455 }, { "futex_requeue", 456 }, { "statmount", 457 },
	{ "listmount", 458 }, { "lsm_get_self_attr", 459 }, { "lsm_set_self_attr", 460 },
	{ "lsm_list_modules", 461 }, { "mseal", 462 }, { "setxattrat", 463 },
	{ "getxattrat", 464 }, { "listxattrat", 465 }, { "removexattrat", 466 },
	{ "open_tree_attr", 467 }, { "file_getattr", 468 }, { "file_setattr", 469 },
};

/* Tracepoints named after the kernel function, which differs from the
 * syscall's name (syscall_64.tbl: `4 common stat sys_newstat`). */
static const struct { const char *function, *syscall; } syscall_aliases[] = {
	{ "newstat", "stat" }, { "newfstat", "fstat" }, { "newlstat", "lstat" },
	{ "newuname", "uname" }, { "sendfile64", "sendfile" }, { "umount", "umount2" },
};
#endif

int probe_syscall_nr(const char *name)
{
	const struct syscall_nr *e = bsearch(name, syscall_table, NSYSCALLS, sizeof(syscall_table[0]),
					     compare_entry);
	if (e)
		return e->nr;
#if defined(__x86_64__)
	for (size_t i = 0; i < sizeof(newer_syscalls) / sizeof(newer_syscalls[0]); i++)
		if (strcmp(newer_syscalls[i].name, name) == 0)
			return newer_syscalls[i].nr;
#endif
	return -1;
}

#if defined(__x86_64__)
/* Numbers only syscall_name() shows: map_shadow_stack (newer than some
 * headers, never lowered), and the x32 ABI's own syscalls 512..547 (nr
 * with __X32_SYSCALL_BIT cleared), which bpftrace's table names too. */
static const struct syscall_nr named_only[] = {
	{ "map_shadow_stack", 453 },
	{ "rt_sigaction", 512 }, { "rt_sigreturn", 513 }, { "ioctl", 514 }, { "readv", 515 },
	{ "writev", 516 }, { "recvfrom", 517 }, { "sendmsg", 518 }, { "recvmsg", 519 },
	{ "execve", 520 }, { "ptrace", 521 }, { "rt_sigpending", 522 }, { "rt_sigtimedwait", 523 },
	{ "rt_sigqueueinfo", 524 }, { "sigaltstack", 525 }, { "timer_create", 526 }, { "mq_notify", 527 },
	{ "kexec_load", 528 }, { "waitid", 529 }, { "set_robust_list", 530 }, { "get_robust_list", 531 },
	{ "vmsplice", 532 }, { "move_pages", 533 }, { "preadv", 534 }, { "pwritev", 535 },
	{ "rt_tgsigqueueinfo", 536 }, { "recvmmsg", 537 }, { "sendmmsg", 538 }, { "process_vm_readv", 539 },
	{ "process_vm_writev", 540 }, { "setsockopt", 541 }, { "getsockopt", 542 }, { "io_setup", 543 },
	{ "io_submit", 544 }, { "execveat", 545 }, { "preadv2", 546 }, { "pwritev2", 547 },
};
#endif

const char *probe_syscall_name(long nr)
{
	for (size_t i = 0; i < NSYSCALLS; i++)
		if (syscall_table[i].nr == nr)
			return syscall_table[i].name;
#if defined(__x86_64__)
	for (size_t i = 0; i < sizeof(newer_syscalls) / sizeof(newer_syscalls[0]); i++)
		if (newer_syscalls[i].nr == nr)
			return newer_syscalls[i].name;
	for (size_t i = 0; i < sizeof(named_only) / sizeof(named_only[0]); i++)
		if (named_only[i].nr == nr)
			return named_only[i].name;
#endif
	return NULL;
}

/* The number the tracepoint sys_enter_<function> fires on, or -1. */
static int tracepoint_syscall_nr(const char *function)
{
#if defined(__x86_64__)
	for (size_t i = 0; i < sizeof(syscall_aliases) / sizeof(syscall_aliases[0]); i++)
		if (strcmp(syscall_aliases[i].function, function) == 0)
			return probe_syscall_nr(syscall_aliases[i].syscall);
#endif
	return probe_syscall_nr(function);
}

const char *probe_lowering_raw_tp(enum lower_kind kind)
{
	switch (kind) {
	case LOWER_SYS_ENTER: return "sys_enter";
	case LOWER_SYS_EXIT: return "sys_exit";
	default: return NULL;
	}
}

enum lowering_mode probe_lowering_mode(void)
{
	const char *v = getenv("SONDE_RAW_LOWERING");
	if (v && strcmp(v, "0") == 0)
		return LOWERING_NEVER;
	if (v && strcmp(v, "1") == 0)
		return LOWERING_ALWAYS;
	return LOWERING_WHEN_IT_PAYS;
}

/* The record layouts codegen/lower.c knows how to rebuild from the raw
 * tracepoint: the syscall number at offset 8, then up to six u64 syscall
 * arguments from offset 16 (sys_enter), or one long `ret` at 16 (sys_exit). */
static bool layout_is_known(const struct tp_format *f, enum lower_kind kind)
{
	for (int i = 0; i < f->nfields; i++) {
		const struct tp_field *fl = &f->fields[i];
		if (fl->is_data_loc || fl->is_string)
			return false;
		if (fl->offset == 8 || (fl->array_len && fl->offset >= 16))
			continue; /* arrays (raw_syscalls' args[6]) cannot be read: sema refuses them */
		if (fl->size != 8 || fl->offset < 16 || fl->offset % 8)
			return false;
		uint32_t arg = (fl->offset - 16) / 8;
		if (kind == LOWER_SYS_ENTER ? arg >= 6 : arg != 0)
			return false;
	}
	return true;
}

bool probe_lower_tracepoint(const struct tp_format *f, struct probe_lowering *out)
{
	memset(out, 0, sizeof(*out));
#if !defined(__x86_64__)
	/* codegen/lower.c reads syscall arguments at x86_64 pt_regs offsets */
	(void)f;
	return false;
#else
	if (!f || probe_lowering_mode() == LOWERING_NEVER)
		return false;
	enum lower_kind kind = LOWER_NONE;
	int nr = -1;
	if (strcmp(f->category, "raw_syscalls") == 0) {
		kind = strcmp(f->event, "sys_enter") == 0  ? LOWER_SYS_ENTER
		       : strcmp(f->event, "sys_exit") == 0 ? LOWER_SYS_EXIT
							   : LOWER_NONE;
	} else if (strcmp(f->category, "syscalls") == 0) {
		const char *name = NULL;
		if (strncmp(f->event, "sys_enter_", 10) == 0)
			kind = LOWER_SYS_ENTER, name = f->event + 10;
		else if (strncmp(f->event, "sys_exit_", 9) == 0)
			kind = LOWER_SYS_EXIT, name = f->event + 9;
		nr = name ? tracepoint_syscall_nr(name) : -1;
		if (nr < 0)
			kind = LOWER_NONE;
	}
	if (kind == LOWER_NONE || !layout_is_known(f, kind))
		return false;
	out->kind = kind;
	out->nr = nr;
	return true;
#endif
}
