/* types.h - the type graph: every kind of value a script handles, with its
 * size, alignment and memory layout.
 *
 * sema decides the type of every expression and stores it on the node;
 * codegen lays values out in BPF memory from it; the description that
 * travels with the object carries the types of everything the runtime must
 * decode (map keys and values, printf arguments, printed values), and the
 * runtime decodes bytes with the same functions. There is one layout rule
 * (type_record_layout) and one size/alignment function for every stage.
 *
 * Kernel types come from BTF (include/btf.h) and are built lazily: a named
 * struct is created with its name only and gets its members the first time
 * a member is needed, so a script that never looks inside a kernel struct
 * never parses vmlinux BTF.
 *
 * Types are immutable once complete and are owned by a type arena
 * (struct type_arena): the compilation has one, and each description has
 * its own copy of the types it needs (type_copy), so a description outlives
 * the compile that made it. The scalar types (integers, bool, void, none)
 * are static and belong to no arena. */
#ifndef SONDE_TYPES_H
#define SONDE_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum type_kind {
	TY_NONE,   /* no type: a statement, or an expression that failed (poison:
		    * nothing reports on a TY_NONE operand again) */
	TY_VOID,   /* what `void *` points to; no value */
	TY_BOOL,   /* 1 byte, 0 or 1; printed true/false */
	TY_INT,    /* 1, 2, 4 or 8 bytes; is_signed */
	TY_ENUM,   /* an integer (size, sign) whose values may have names */
	TY_PTR,    /* 8 bytes; elem = the pointee, as = where the pointee lives */
	TY_ARRAY,  /* count elements of elem, back to back */
	TY_RECORD, /* members at byte offsets: C structs and unions, tuples,
		    * named records, tracepoint args (see enum record_kind) */
	TY_STR,    /* text in `size` bytes, NUL-terminated unless truncated */
	TY_BUF,    /* buffer: a u32 length, then size - 4 bytes of data */
	TY_AGG,    /* what an aggregation call (count()...) yields: map-only */
	TY_KSYM,   /* ksym(addr): a kernel address, printed as the symbol holding it */
	TY_STACK,  /* kstack/ustack: 8 bytes, the id of a stack in the stack map
		    * of its depth (count frames); as = whose stack (AS_USER: the
		    * process id in the high 32 bits); stack_mode = how it prints */
};

/* bpftrace's default stack depth; the kernel's perf_event_max_stack (127
 * unless changed) bounds what a stack map may hold */
#define SONDE_STACK_DEFAULT_FRAMES 127u

/* How a stack prints (bpftrace's stack_mode). */
enum stack_mode {
	STACK_MODE_BPFTRACE, /* "func+off" per line, indented */
	STACK_MODE_PERF,     /* "\t<address> func+off" per line, as perf script */
	STACK_MODE_RAW,      /* "<address>" per line, unindented (latest bpftrace) */
	STACK_MODE_BUILD_ID, /* user stacks: "<build id> 0x<offset>" per line (latest bpftrace) */
};

/* Where the memory a pointer points to lives; decides the helper that reads
 * it (bpf_probe_read_kernel / _user). AS_NONE: not known to be either, e.g.
 * an integer cast to a pointer in BEGIN; sonde then reads kernel memory. */
enum addr_space { AS_NONE, AS_KERNEL, AS_USER };

enum record_kind {
	REC_STRUCT, /* C struct: from BTF or defined in the script */
	REC_UNION,  /* C union: every member at offset 0 */
	REC_TUPLE,  /* (1, "a"): members named "0", "1", ...; printed (1, a) */
	REC_RECORD, /* (a=1, b="x"): printed { .a = 1, .b = x } */
};

struct type;

struct type_member {
	const char *name;          /* owned by the arena; "0".."N" for tuples */
	const struct type *type;
	uint32_t offset;           /* bytes from the start of the record */
	/* Bitfields: bit_size bits starting at bit_offset (little-endian bit
	 * order) within the type->size bytes at `offset`. 0 = not a bitfield. */
	uint16_t bit_offset, bit_size;
	/* Tracepoint `__data_loc` fields: the record holds a u32 at `offset`
	 * whose low 16 bits are the data's offset from the record start and
	 * whose high 16 bits its length; `type` is the data's type. */
	bool is_data_loc;
};

struct type_enumerator {
	const char *name;
	int64_t value;
};

struct type {
	enum type_kind kind;
	/* bytes; 0 for void and opaque records (no definition anywhere). A BTF
	 * record not yet completed already has its size and alignment, so
	 * arrays of it and records embedding it lay out without its members. */
	uint32_t size;
	uint32_t align;            /* bytes, a power of two (1 for void) */
	bool is_signed;            /* TY_INT, TY_ENUM */
	/* A non-negative integer literal: it takes the sign of whatever it
	 * meets (bpftrace's "sign-flexible" literals). */
	bool is_literal;
	enum addr_space as;        /* TY_PTR: where the pointee lives */
	const struct type *elem;   /* TY_PTR: pointee; TY_ARRAY: element */
	uint32_t count;            /* TY_ARRAY: elements (0: flexible array) */
	enum record_kind rkind;    /* TY_RECORD */
	/* "struct task_struct", "union x", "enum y", "pid_t"-style typedef
	 * names are resolved away; NULL for anonymous records and tuples. */
	const char *name;
	struct type_member *members; /* TY_RECORD, in declaration order */
	int nmembers;
	struct type_enumerator *enumerators; /* TY_ENUM */
	int nenumerators;
	/* TY_RECORD from BTF not yet completed: btf_id says where its members
	 * are (btf.h completes it on demand). */
	int32_t btf_id;
	bool incomplete;
	bool is_packed;            /* script struct with __attribute__((packed)) */
	enum stack_mode stack_mode; /* TY_STACK */
};

/* ---- the scalar types: static, never freed -------------------------------- */

const struct type *type_none(void);
const struct type *type_void(void);
/* C's float, double and long double (by that name, else NULL): BPF cannot
 * compute with them, so, as in bpftrace, they are values of no type: a
 * TY_VOID with the C size and alignment, laid out in structs and shown as
 * `null` when a struct holding one is printed. */
const struct type *type_float(const char *c_name);
const struct type *type_bool(void);
const struct type *type_agg(void);
const struct type *type_ksym(void);
/* int8..uint64: size 1, 2, 4 or 8 (anything else is a bug and gives int64). */
const struct type *type_int(uint32_t size, bool is_signed);
/* The type of an integer literal: the smallest signed type that holds it
 * (uint64 above INT64_MAX); non-negative literals are sign-flexible. */
const struct type *type_int_literal(uint64_t value, bool negative_or_unsigned_suffix);

/* int8..uint64 and the fixed-width C spellings (uint32_t, u32, __u32,
 * size_t...), which need no BTF; NULL for other names. */
const struct type *type_fixed_width(const char *name);

/* ---- arenas and derived types ---------------------------------------------- */

struct type_arena;
struct type_arena *type_arena_new(void);
void type_arena_free(struct type_arena *a);
/* A copy of s, owned by the arena (names, members...). */
const char *type_arena_strdup(struct type_arena *a, const char *s);

/* A cache of types by a caller's key (BTF ids, script struct names'
 * hashes...): remember t under key, find it again. */
const struct type *type_arena_lookup(struct type_arena *a, uint64_t key);
void type_arena_remember(struct type_arena *a, uint64_t key, const struct type *t);

/* Derived types are interned: the same request returns the same pointer. */
const struct type *type_ptr(struct type_arena *a, const struct type *to, enum addr_space as);
const struct type *type_array(struct type_arena *a, const struct type *elem, uint32_t count);
const struct type *type_str(struct type_arena *a, uint32_t size);
/* A C char array (char name[N] in a struct, BTF or tracepoint format) seen
 * as a string of N bytes: all N may be characters (no NUL), which is not a
 * string cut short, so it prints without str_trunc_trailer (bpftrace 0.17).
 * It is a TY_STR like any other; type_str_is_char_array() tells them apart. */
const struct type *type_char_array_str(struct type_arena *a, uint32_t size);
bool type_str_is_char_array(const struct type *t);
const struct type *type_buf(struct type_arena *a, uint32_t data_size);
/* A stack of at most `frames` frames of kernel (AS_KERNEL) code. */
const struct type *type_stack(struct type_arena *a, enum addr_space as, uint32_t frames,
			      enum stack_mode mode);

/* Records are built member by member and laid out when finished. */
struct type *type_record_new(struct type_arena *a, enum record_kind kind, const char *name);
/* Appends a member (name copied). For C structs whose offsets are known
 * (BTF) pass them with type_record_add_at; otherwise type_record_finish
 * lays the members out. */
void type_record_add(struct type_arena *a, struct type *rec, const char *name,
		     const struct type *t);
void type_record_add_at(struct type_arena *a, struct type *rec, const char *name,
			const struct type *t, uint32_t offset, uint16_t bit_offset,
			uint16_t bit_size);
/* Lays out the members added with type_record_add (C rules: each member at
 * the next multiple of its alignment, unions all at 0, the size rounded up
 * to the largest alignment; packed: alignment 1), or, for records whose
 * members came with offsets, sets size/align (size may be given: BTF's). */
void type_record_finish(struct type *rec, uint32_t known_size);
/* A tuple type of the given element types, laid out; interned by elements. */
const struct type *type_tuple(struct type_arena *a, const struct type *const *elems, int n);

struct type *type_enum_new(struct type_arena *a, const char *name, uint32_t size, bool is_signed);
void type_enum_add(struct type_arena *a, struct type *e, const char *name, int64_t value);
/* The name of an enum's value; NULL when t is no enum or no name has it. */
const char *type_enumerator_name(const struct type *t, int64_t value);

/* A deep copy of t (and everything reachable from it) into arena `to`;
 * copying the same type twice into one arena returns the same copy. */
const struct type *type_copy(struct type_arena *to, const struct type *t);

/* ---- questions --------------------------------------------------------------- */

static inline bool type_is(const struct type *t, enum type_kind k) { return t && t->kind == k; }
static inline bool type_is_none(const struct type *t) { return !t || t->kind == TY_NONE; }
/* Integers, bools, enums, pointers and stack ids live in a 64-bit register. */
bool type_is_scalar(const struct type *t);
/* Integers and enums: arithmetic applies. */
bool type_is_integer(const struct type *t);
/* Strings, buffers, arrays and records: live in memory, passed by address. */
bool type_is_aggregate(const struct type *t);
/* Two types are the same: scalars by kind/size/sign, pointers and arrays
 * by their parts, records nominally (same name) or, for tuples and
 * anonymous records, member by member. */
bool type_equal(const struct type *a, const struct type *b);
const struct type_member *type_member_find(const struct type *rec, const char *name);
/* A char array from C (char x[16]) is a string in bpftrace. */
bool type_is_char_array(const struct type *t);

/* The type both a and b can be stored as (a variable or map assigned both),
 * or NULL when they cannot share one (integer vs string...). Integers widen
 * to the larger size; mixed signs to a signed type holding both (int64 at
 * most); sign-flexible literals take the other side's sign; an enum with
 * anything but itself merges as an integer; strings to the longer; tuples
 * element by element, records field by field matched by name. */
const struct type *type_merge(struct type_arena *a, const struct type *x, const struct type *y);

/* The type a value of t is stored as in a map or scratch variable:
 * integers are widened to 64 bits (keeping the sign), everything else is
 * itself. */
const struct type *type_storage(const struct type *t);

/* bpftrace's spelling: "uint64", "string[16]", "struct task_struct *",
 * "(int64,string[4])", "int32[4]", "bool", "buffer[8]". */
const char *type_name(const struct type *t, char *buf, size_t len);

/* Reads the integer of a scalar type t stored at p (its size, sign- or
 * zero-extended). */
int64_t type_load_int(const struct type *t, const void *p);
/* The value of bitfield member m stored in the record bytes at rec. */
uint64_t type_load_bitfield(const struct type_member *m, const void *rec);

#endif
