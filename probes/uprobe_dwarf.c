/* uprobe_dwarf.c - a function's parameters from the binary's DWARF
 * (libdw, elfutils), for `args` in uprobes and `-lv`.
 *
 * A parameter becomes a member of `args` with its DWARF type converted to
 * sonde's (integers, bool, enums, pointers into user memory, structs,
 * unions and arrays behind them); its value is the argument register the
 * System V calling convention puts it in. Parameters that do not arrive in
 * one integer register (floats, structs by value) are listed but left out
 * of `args`, and move the registers of those after them as the ABI does. */
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <fcntl.h>
#include <gelf.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "debugfile.h"
#include "util.h"
#include "uprobe_internal.h"

/* Deep enough for any sane struct nesting; a cycle goes through a pointer
 * to a named record, which the arena cache closes. */
#define DWARF_MAX_DEPTH 16

struct conv {
	struct type_arena *a;
	uint64_t key_base; /* per binary: arena cache keys are die offsets + this */
};

static const struct type *convert(struct conv *c, Dwarf_Die *die, int depth);

static bool type_of(Dwarf_Die *die, Dwarf_Die *out)
{
	Dwarf_Attribute attr;
	return dwarf_attr_integrate(die, DW_AT_type, &attr) && dwarf_formref_die(&attr, out);
}

static uint64_t udata(Dwarf_Die *die, int at, uint64_t dflt)
{
	Dwarf_Attribute attr;
	Dwarf_Word w;
	if (dwarf_attr_integrate(die, at, &attr) && dwarf_formudata(&attr, &w) == 0)
		return w;
	return dflt;
}

static const struct type *base_type(Dwarf_Die *die)
{
	uint64_t size = udata(die, DW_AT_byte_size, 0);
	switch (udata(die, DW_AT_encoding, 0)) {
	case DW_ATE_boolean: return size == 1 ? type_bool() : type_int((uint32_t)size, false);
	case DW_ATE_signed:
	case DW_ATE_signed_char:
		return size == 1 || size == 2 || size == 4 || size == 8 ? type_int((uint32_t)size, true) : NULL;
	case DW_ATE_unsigned:
	case DW_ATE_unsigned_char:
		return size == 1 || size == 2 || size == 4 || size == 8 ? type_int((uint32_t)size, false) : NULL;
	default: return NULL; /* floats, complex: no BPF arithmetic for them */
	}
}

static const struct type *record_type(struct conv *c, Dwarf_Die *die, int depth, bool is_union)
{
	uint64_t key = c->key_base + dwarf_dieoffset(die);
	const struct type *known = type_arena_lookup(c->a, key);
	if (known)
		return known;
	const char *tag = dwarf_diename(die);
	char *name = tag ? xasprintf("%s %s", is_union ? "union" : "struct", tag) : NULL;
	struct type *rec = type_record_new(c->a, is_union ? REC_UNION : REC_STRUCT, name);
	free(name);
	type_arena_remember(c->a, key, rec);
	Dwarf_Die m;
	if (dwarf_child(die, &m) == 0) {
		do {
			Dwarf_Die mt;
			if (dwarf_tag(&m) != DW_TAG_member || !dwarf_diename(&m) || !type_of(&m, &mt) ||
			    dwarf_hasattr(&m, DW_AT_bit_size))
				continue; /* bitfields and unnamed members are left out */
			const struct type *t = convert(c, &mt, depth + 1);
			if (t)
				type_record_add_at(c->a, rec, dwarf_diename(&m), t,
						   (uint32_t)udata(&m, DW_AT_data_member_location, 0), 0, 0);
		} while (dwarf_siblingof(&m, &m) == 0);
	}
	type_record_finish(rec, (uint32_t)udata(die, DW_AT_byte_size, 0));
	return rec;
}

static const struct type *enum_type(struct conv *c, Dwarf_Die *die)
{
	Dwarf_Die under;
	bool is_signed = type_of(die, &under) && base_type(&under) && base_type(&under)->is_signed;
	uint64_t size = udata(die, DW_AT_byte_size, 4);
	if (size != 1 && size != 2 && size != 4 && size != 8)
		return NULL;
	const char *tag = dwarf_diename(die);
	char *name = tag ? xasprintf("enum %s", tag) : NULL;
	struct type *e = type_enum_new(c->a, name, (uint32_t)size, is_signed);
	free(name);
	Dwarf_Die v;
	if (dwarf_child(die, &v) == 0) {
		do {
			Dwarf_Attribute attr;
			Dwarf_Sword sv;
			if (dwarf_tag(&v) == DW_TAG_enumerator && dwarf_diename(&v) &&
			    dwarf_attr(&v, DW_AT_const_value, &attr) && dwarf_formsdata(&attr, &sv) == 0)
				type_enum_add(c->a, e, dwarf_diename(&v), (int64_t)sv);
		} while (dwarf_siblingof(&v, &v) == 0);
	}
	return e;
}

/* char, signed char, unsigned char, through typedefs and qualifiers */
static bool is_char(Dwarf_Die *die)
{
	Dwarf_Die t = *die;
	for (int i = 0; i < DWARF_MAX_DEPTH; i++) {
		int tag = dwarf_tag(&t);
		if (tag == DW_TAG_base_type) {
			uint64_t enc = udata(&t, DW_AT_encoding, 0);
			return udata(&t, DW_AT_byte_size, 0) == 1 &&
			       (enc == DW_ATE_signed_char || enc == DW_ATE_unsigned_char);
		}
		if ((tag != DW_TAG_typedef && tag != DW_TAG_const_type && tag != DW_TAG_volatile_type) ||
		    !type_of(&t, &t))
			return false;
	}
	return false;
}

static const struct type *array_type(struct conv *c, Dwarf_Die *die, int depth)
{
	Dwarf_Die et, sub;
	const struct type *elem = type_of(die, &et) ? convert(c, &et, depth + 1) : NULL;
	if (!elem || dwarf_child(die, &sub) != 0 || dwarf_tag(&sub) != DW_TAG_subrange_type)
		return NULL;
	uint64_t count = udata(&sub, DW_AT_count, 0);
	if (!count && dwarf_hasattr(&sub, DW_AT_upper_bound))
		count = udata(&sub, DW_AT_upper_bound, 0) + 1;
	if (count && count < (1u << 20) && is_char(&et))
		return type_char_array_str(c->a, (uint32_t)count); /* char name[N] is a string, as in bpftrace */
	return count && count < (1u << 20) ? type_array(c->a, elem, (uint32_t)count) : NULL;
}

static const struct type *convert(struct conv *c, Dwarf_Die *die, int depth)
{
	if (depth > DWARF_MAX_DEPTH)
		return NULL;
	Dwarf_Die next;
	switch (dwarf_tag(die)) {
	case DW_TAG_base_type: return base_type(die);
	case DW_TAG_typedef:
	case DW_TAG_const_type:
	case DW_TAG_volatile_type:
	case DW_TAG_restrict_type:
	case DW_TAG_atomic_type:
		return type_of(die, &next) ? convert(c, &next, depth + 1) : type_void();
	case DW_TAG_pointer_type:
	case DW_TAG_reference_type: {
		const struct type *to = type_of(die, &next) ? convert(c, &next, depth + 1) : type_void();
		return type_ptr(c->a, to ? to : type_void(), AS_USER);
	}
	case DW_TAG_structure_type:
	case DW_TAG_class_type: return record_type(c, die, depth, false);
	case DW_TAG_union_type: return record_type(c, die, depth, true);
	case DW_TAG_enumeration_type: return enum_type(c, die);
	case DW_TAG_array_type: return array_type(c, die, depth);
	default: return NULL;
	}
}

/* ---- C spellings for -lv, as bpftrace writes them ("const char*") ------- */

static char *spell(Dwarf_Die *die, int depth)
{
	Dwarf_Die next;
	bool has_next = type_of(die, &next);
	const char *name = dwarf_diename(die);
	if (depth > DWARF_MAX_DEPTH)
		return xstrdup("?");
	char *inner = NULL, *out;
	switch (dwarf_tag(die)) {
	case DW_TAG_pointer_type:
		inner = has_next ? spell(&next, depth + 1) : xstrdup("void");
		out = xasprintf("%s*", inner);
		break;
	case DW_TAG_reference_type:
		inner = has_next ? spell(&next, depth + 1) : xstrdup("void");
		out = xasprintf("%s&", inner);
		break;
	case DW_TAG_const_type:
	case DW_TAG_volatile_type:
		inner = has_next ? spell(&next, depth + 1) : xstrdup("void");
		out = xasprintf("%s %s", dwarf_tag(die) == DW_TAG_const_type ? "const" : "volatile", inner);
		break;
	case DW_TAG_structure_type: out = xasprintf("struct %s", name ? name : "(anonymous)"); break;
	case DW_TAG_class_type: out = xasprintf("class %s", name ? name : "(anonymous)"); break;
	case DW_TAG_union_type: out = xasprintf("union %s", name ? name : "(anonymous)"); break;
	case DW_TAG_enumeration_type: out = xasprintf("enum %s", name ? name : "(anonymous)"); break;
	case DW_TAG_array_type: {
		Dwarf_Die sub;
		uint64_t n = dwarf_child(die, &sub) == 0 ? udata(&sub, DW_AT_count, udata(&sub, DW_AT_upper_bound, 0) + 1) : 0;
		inner = has_next ? spell(&next, depth + 1) : xstrdup("?");
		out = xasprintf("%s[%llu]", inner, (unsigned long long)n);
		break;
	}
	default: out = xstrdup(name ? name : "?");
	}
	free(inner);
	return out;
}

/* ---- finding the function ------------------------------------------------- */

static bool find_subprogram(Dwarf *dw, const char *func, Dwarf_Die *out)
{
	Dwarf_Off off = 0, next;
	size_t hsize;
	while (dwarf_nextcu(dw, off, &next, &hsize, NULL, NULL, NULL) == 0) {
		Dwarf_Die cu, child;
		if (dwarf_offdie(dw, off + hsize, &cu) && dwarf_child(&cu, &child) == 0) {
			do {
				const char *name;
				if (dwarf_tag(&child) == DW_TAG_subprogram && !dwarf_hasattr(&child, DW_AT_declaration) &&
				    (name = dwarf_diename(&child)) && strcmp(name, func) == 0) {
					*out = child;
					return true;
				}
			} while (dwarf_siblingof(&child, &child) == 0);
		}
		off = next;
	}
	return false;
}

/* How many integer registers a parameter of this DWARF type takes (0: it
 * arrives elsewhere: floats in vector registers, big structs on the stack). */
static int regs_taken(Dwarf_Die *t, const struct type *conv)
{
	if (conv && conv->kind != TY_RECORD && conv->kind != TY_ARRAY)
		return 1;
	Dwarf_Die base = *t;
	for (int i = 0; i < DWARF_MAX_DEPTH; i++) {
		int tag = dwarf_tag(&base);
		if (tag != DW_TAG_typedef && tag != DW_TAG_const_type && tag != DW_TAG_volatile_type)
			break;
		if (!type_of(&base, &base))
			return 0;
	}
	if (dwarf_tag(&base) == DW_TAG_base_type)
		return 0; /* float */
	uint64_t size = udata(&base, DW_AT_byte_size, 0);
	return size == 0 || size > 16 ? 0 : (int)((size + 7) / 8);
}

static void add_param(struct conv *c, Dwarf_Die *p, int *reg, struct uprobe_param **out, int *n)
{
	Dwarf_Die t;
	bool typed = type_of(p, &t);
	const struct type *conv = typed && c->a ? convert(c, &t, 0) : NULL;
	*out = xrealloc(*out, sizeof(**out) * (size_t)(*n + 1));
	struct uprobe_param *u = &(*out)[(*n)++];
	u->name = xstrdup(dwarf_diename(p) ? dwarf_diename(p) : "");
	u->ctype = typed ? spell(&t, 0) : xstrdup("void");
	u->reg = *reg;
	u->type = conv && conv->kind != TY_RECORD && conv->kind != TY_ARRAY ? conv : NULL;
	*reg += typed ? regs_taken(&t, conv) : 1;
}

static uint64_t path_key(const char *path)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */
	for (const char *p = path; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ull;
	return (h << 32) | (1ull << 63);
}

/* ---- separate debug files ------------------------------------------------ */

/* The separate debug file of the binary at path (src/debugfile.c), opened;
 * -1: none. */
static int open_debug_file(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	elf_version(EV_CURRENT);
	Elf *e = elf_begin(fd, ELF_C_READ, NULL);
	char *debug = e ? elf_debug_file(e, path) : NULL;
	if (e)
		elf_end(e);
	close(fd);
	int dfd = debug ? open(debug, O_RDONLY | O_CLOEXEC) : -1;
	free(debug);
	return dfd;
}

/* The DWARF of the binary at path, from itself or its separate debug
 * file; *fd is what to close after dwarf_end(). NULL: none. */
static Dwarf *dwarf_open(const char *path, int *fd)
{
	*fd = open(path, O_RDONLY | O_CLOEXEC);
	if (*fd < 0)
		return NULL;
	Dwarf *dw = dwarf_begin(*fd, DWARF_C_READ);
	Dwarf_Off next;
	size_t hsize;
	if (dw && dwarf_nextcu(dw, 0, &next, &hsize, NULL, NULL, NULL) == 0)
		return dw;
	if (dw)
		dwarf_end(dw);
	close(*fd);
	*fd = open_debug_file(path);
	dw = *fd >= 0 ? dwarf_begin(*fd, DWARF_C_READ) : NULL;
	if (!dw && *fd >= 0) {
		close(*fd);
		*fd = -1;
	}
	return dw;
}

int uprobe_dwarf_params(const char *path, const char *func, struct type_arena *a,
			struct uprobe_param **params)
{
	*params = NULL;
	int fd;
	Dwarf *dw = dwarf_open(path, &fd);
	Dwarf_Die sub;
	int n = -1;
	if (dw && find_subprogram(dw, func, &sub)) {
		struct conv c = { a, path_key(path) };
		Dwarf_Die p;
		int reg = 0;
		n = 0;
		if (dwarf_child(&sub, &p) == 0) {
			do {
				if (dwarf_tag(&p) == DW_TAG_formal_parameter)
					add_param(&c, &p, &reg, params, &n);
			} while (dwarf_siblingof(&p, &p) == 0);
		}
	}
	if (dw) {
		dwarf_end(dw);
		close(fd);
	}
	return n;
}

void uprobe_params_free(struct uprobe_param *p, int n)
{
	for (int i = 0; i < n; i++) {
		free(p[i].name);
		free(p[i].ctype);
	}
	free(p);
}
