/* clone.c - programs compiled once and cloned in the object.
 *
 * LLVM's code generation costs ~1.5 ms a program, so a script of a
 * thousand `tracepoint:C:E { @mK = count(); }` blocks spent seconds making
 * the same code a thousand times. Every program's IR is still built (that
 * is cheap), and its text, with the symbols that differ per program
 * abstracted ("slots": user maps and their dropped-counter index,
 * SONDE_DROP_INDEX_FMT), is the key of its class. The first program of a
 * class is compiled; the others are deleted from their modules before
 * code generation and copied in the finished object from the first:
 * its code under the clone's own section and name, its relocations with
 * each slot symbol replaced by the clone's, its .BTF.ext records under the
 * clone's section name.
 *
 * Why this is sound: two functions with equal keys are the same IR up to
 * renaming slot globals, whose definitions are equal (same IR type; maps
 * of the same kind, key and value sizes and limits: the key holds them).
 * Compiling the clone's IR would therefore give the first one's code with
 * the clone's symbols, which is what the copy is. Anything the key cannot
 * vouch for keeps a program out of any class: a call of a defined function
 * (loop callbacks: their code would not be renamed), a reference to a
 * module-local or unnamed global (another module's @0 is another string),
 * a quoted name. Metadata references (!dbg !N) and the function's own
 * name and section are the only parts left out of the key, so a clone's
 * line info is its original's.
 *
 * Sections: a clone's section name must be used by no other program, or
 * libbpf would match .BTF.ext blocks (by name) to the wrong one; such
 * a program is compiled after all. */
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cg.h"
#include "util.h"

struct clone_slot_name {
	const char *name;
	int map_id;
	bool drop; /* the map's dropped-counter index, not the map */
};

struct clone_class {
	uint64_t hash;
	char *key;
	int rep; /* index in clones->progs */
};

/* A program, compiled (rep < 0) or a clone of progs[rep]. */
struct clone_prog {
	char *name, *section;
	char **slots; /* the symbols of its slots, in order of first use */
	int nslots;
	int rep;
	LLVMValueRef fn; /* until deleted */
	LLVMModuleRef mod;
};

struct cg_clones {
	struct clone_slot_name *names; /* sorted by name */
	int nnames;
	char *name_store;
	struct clone_class *classes;
	int nclasses, cap_classes;
	struct clone_prog *progs;
	int nprogs, cap_progs;
	char **sections; /* of every program emitted, for collisions */
	int nsections, cap_sections;
	int ncloned;
};

static int slot_name_cmp(const void *a, const void *b)
{
	return strcmp(((const struct clone_slot_name *)a)->name, ((const struct clone_slot_name *)b)->name);
}

struct cg_clones *cg_clones_new(const struct desc *d)
{
	struct cg_clones *c = xcalloc(1, sizeof(*c));
	c->names = xcalloc((size_t)d->nmaps * 2 + 1, sizeof(*c->names));
	c->name_store = xcalloc((size_t)d->nmaps * 32 + 1, 1);
	char *o = c->name_store;
	for (int i = 0; i < d->nmaps; i++) {
		c->names[c->nnames++] = (struct clone_slot_name){ d->maps[i].bpf_name, i, false };
		int len = snprintf(o, 32, SONDE_DROP_INDEX_FMT, i);
		c->names[c->nnames++] = (struct clone_slot_name){ o, i, true };
		o += len + 1;
	}
	util_sort(c->names, (size_t)c->nnames, sizeof(*c->names), slot_name_cmp);
	return c;
}

static void prog_free(struct clone_prog *p)
{
	free(p->name);
	free(p->section);
	for (int i = 0; i < p->nslots; i++)
		free(p->slots[i]);
	free(p->slots);
}

void cg_clones_free(struct cg_clones *c)
{
	if (!c)
		return;
	for (int i = 0; i < c->nclasses; i++)
		free(c->classes[i].key);
	for (int i = 0; i < c->nprogs; i++)
		prog_free(&c->progs[i]);
	for (int i = 0; i < c->nsections; i++)
		free(c->sections[i]);
	free(c->classes);
	free(c->progs);
	free(c->sections);
	free(c->names);
	free(c->name_store);
	free(c);
}

int cg_clones_count(const struct cg_clones *c)
{
	return c ? c->ncloned : 0;
}

/* ---- the key -------------------------------------------------------------- */

struct sbuf {
	char *p;
	size_t n, cap;
};

static void sb_add(struct sbuf *b, const char *s, size_t len)
{
	if (b->n + len + 1 > b->cap) {
		b->cap = (b->n + len + 1) * 2;
		b->p = xrealloc(b->p, b->cap);
	}
	memcpy(b->p + b->n, s, len);
	b->n += len;
	b->p[b->n] = '\0';
}

static void sb_str(struct sbuf *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

static bool ident_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
	       c == '.' || c == '$' || c == '-';
}

static const struct clone_slot_name *slot_name(const struct cg_clones *c, const char *name)
{
	struct clone_slot_name k = { .name = name };
	return c->nnames ? bsearch(&k, c->names, (size_t)c->nnames, sizeof(k), slot_name_cmp) : NULL;
}

/* What a map slot must share with the other programs' slot at its place. */
static void slot_signature(struct sbuf *b, const struct desc *d, const struct clone_slot_name *s)
{
	const struct desc_map *m = &d->maps[s->map_id];
	/* the key and value types are interned (desc.h): one pointer each */
	char sig[224];
	snprintf(sig, sizeof(sig),
		 "\n;%s kind=%d lru=%d key=%u value=%u max=%u prealloc=%d args=%lld,%lld,%lld types=%p,%p",
		 s->drop ? "drop" : "map", (int)m->kind, (int)m->lru, (unsigned)m->key_size,
		 (unsigned)m->value_size, (unsigned)m->max_entries, (int)m->prealloc, (long long)m->args[0],
		 (long long)m->args[1], (long long)m->args[2], (const void *)m->key, (const void *)m->value);
	sb_str(b, sig);
}

/* A global named `name` (a token of fn's text) that the key may keep by
 * name: one symbol of the final object whoever refers to it. */
static bool shared_by_name(LLVMModuleRef mod, const char *name)
{
	LLVMValueRef f = LLVMGetNamedFunction(mod, name);
	if (f)
		return LLVMIsDeclaration(f); /* intrinsics, kfuncs */
	LLVMValueRef g = LLVMGetNamedGlobal(mod, name);
	if (!g)
		return false;
	LLVMLinkage l = LLVMGetLinkage(g);
	return l != LLVMPrivateLinkage && l != LLVMInternalLinkage;
}

/* fn's key (malloc'd) and its slots' symbols, or NULL if fn cannot be
 * shared (see the top of the file). */
static char *function_key(struct cg *cg, LLVMValueRef fn, const char *prov, char ***slots, int *nslots)
{
	struct cg_clones *c = cg->clones;
	char *text = LLVMPrintValueToString(fn);
	size_t self_len = 0;
	const char *self = LLVMGetValueName2(fn, &self_len);
	struct sbuf b = { 0 };
	const struct clone_slot_name **used = NULL;
	int nused = 0;
	bool ok = true;
	sb_str(&b, prov);
	sb_str(&b, "\n");
	for (const char *p = text; *p && ok;) {
		if (*p == '!' && p[1] >= '0' && p[1] <= '9') {
			sb_add(&b, "!", 1);
			for (p++; *p >= '0' && *p <= '9'; p++)
				;
		} else if (strncmp(p, "section \"", 9) == 0) {
			const char *end = strchr(p + 9, '"');
			ok = end != NULL;
			p = end ? end + 1 : p;
		} else if (*p == '@') {
			const char *q = p + 1;
			while (ident_char(*q))
				q++;
			size_t len = (size_t)(q - p - 1);
			char name[256];
			if (len == 0 || len >= sizeof(name)) {
				ok = false; /* @"quoted" or absurd */
				break;
			}
			memcpy(name, p + 1, len);
			name[len] = '\0';
			const struct clone_slot_name *s = slot_name(c, name);
			if (len == self_len && memcmp(name, self, len) == 0) {
				sb_str(&b, "@$self");
			} else if (s) {
				int k = 0;
				while (k < nused && used[k] != s)
					k++;
				if (k == nused) {
					used = xrealloc(used, sizeof(*used) * (size_t)(nused + 1));
					used[nused++] = s;
				}
				char tok[24];
				snprintf(tok, sizeof(tok), "@$%d", k);
				sb_str(&b, tok);
			} else if (shared_by_name(cg->mod, name)) {
				sb_add(&b, p, len + 1);
			} else {
				ok = false;
			}
			p = q;
		} else {
			sb_add(&b, p, 1);
			p++;
		}
	}
	LLVMDisposeMessage(text);
	for (int k = 0; k < nused && ok; k++)
		slot_signature(&b, cg->desc, used[k]);
	*slots = NULL;
	*nslots = 0;
	if (ok) {
		*slots = xcalloc((size_t)nused + 1, sizeof(**slots));
		for (int k = 0; k < nused; k++)
			(*slots)[k] = xstrdup(used[k]->name);
		*nslots = nused;
	} else {
		free(b.p);
		b.p = NULL;
	}
	free(used);
	return b.p;
}

static uint64_t fnv1a(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static void note_section(struct cg_clones *c, const char *section)
{
	if (c->nsections == c->cap_sections) {
		c->cap_sections = c->cap_sections ? c->cap_sections * 2 : 64;
		c->sections = xrealloc(c->sections, sizeof(*c->sections) * (size_t)c->cap_sections);
	}
	c->sections[c->nsections++] = xstrdup(section ? section : "");
}

/* The defined functions after `after` (NULL: from the first). */
static int defined_after(LLVMModuleRef mod, LLVMValueRef after, LLVMValueRef *last)
{
	int n = 0;
	for (LLVMValueRef f = after ? LLVMGetNextFunction(after) : LLVMGetFirstFunction(mod); f;
	     f = LLVMGetNextFunction(f))
		if (!LLVMIsDeclaration(f)) {
			n++;
			*last = f;
		}
	return n;
}

void cg_clone_consider(struct cg *cg, const struct prog_group *g, LLVMValueRef before)
{
	struct cg_clones *c = cg->clones;
	LLVMValueRef fn = NULL;
	int n = defined_after(cg->mod, before, &fn);
	for (LLVMValueRef f = before ? LLVMGetNextFunction(before) : LLVMGetFirstFunction(cg->mod); f;
	     f = LLVMGetNextFunction(f))
		if (!LLVMIsDeclaration(f))
			note_section(c, LLVMGetSection(f));
	/* one function, the program's, and nothing else (no callbacks) */
	if (n != 1 || fn != LLVMGetNamedFunction(cg->mod, g->prog_name) || g->target.lower.kind != LOWER_NONE)
		return;
	char **slots;
	int nslots;
	char *key = function_key(cg, fn, g->prov ? g->prov->name : "", &slots, &nslots);
	if (!key)
		return;
	uint64_t h = fnv1a(key);
	int cls = 0;
	while (cls < c->nclasses && (c->classes[cls].hash != h || strcmp(c->classes[cls].key, key) != 0))
		cls++;
	if (c->nprogs == c->cap_progs) {
		c->cap_progs = c->cap_progs ? c->cap_progs * 2 : 64;
		c->progs = xrealloc(c->progs, sizeof(*c->progs) * (size_t)c->cap_progs);
	}
	const char *section = LLVMGetSection(fn);
	c->progs[c->nprogs] = (struct clone_prog){ .name = xstrdup(g->prog_name),
						  .section = xstrdup(section ? section : ""),
						  .slots = slots, .nslots = nslots, .rep = -1, .fn = fn,
						  .mod = cg->mod };
	if (cls < c->nclasses) {
		c->progs[c->nprogs].rep = c->classes[cls].rep;
		free(key);
	} else {
		if (c->nclasses == c->cap_classes) {
			c->cap_classes = c->cap_classes ? c->cap_classes * 2 : 64;
			c->classes = xrealloc(c->classes, sizeof(*c->classes) * (size_t)c->cap_classes);
		}
		c->classes[c->nclasses++] = (struct clone_class){ h, key, c->nprogs };
	}
	c->nprogs++;
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool section_unique(char **sorted, int n, const char *s)
{
	char **hit = n ? bsearch(&s, sorted, (size_t)n, sizeof(*sorted), str_cmp) : NULL;
	if (!hit)
		return true;
	return !(hit > sorted && strcmp(hit[-1], s) == 0) && !(hit + 1 < sorted + n && strcmp(hit[1], s) == 0);
}

void cg_clones_delete(struct cg_clones *c)
{
	util_sort(c->sections, (size_t)c->nsections, sizeof(*c->sections), str_cmp);
	for (int i = 0; i < c->nprogs; i++) {
		struct clone_prog *p = &c->progs[i];
		if (p->rep < 0)
			continue;
		if (!section_unique(c->sections, c->nsections, p->section) ||
		    !section_unique(c->sections, c->nsections, c->progs[p->rep].section)) {
			p->rep = -1; /* compiled after all */
			continue;
		}
		LLVMDeleteFunction(p->fn);
		p->fn = NULL;
		c->ncloned++;
	}
}

/* ---- the object ------------------------------------------------------------ */

struct elf_in {
	const unsigned char *data;
	size_t size;
	const Elf64_Ehdr *eh;
	const Elf64_Shdr *sh;
	int nsec, symtab, strtab, shstrtab, btf, btf_ext;
	const Elf64_Sym *syms;
	int nsyms;
	uint32_t *by_name; /* symbol indices sorted by name */
};

static const char *elf_str(const struct elf_in *e, int sec, uint32_t off)
{
	if (sec <= 0 || sec >= e->nsec || off >= e->sh[sec].sh_size)
		return NULL;
	const char *s = (const char *)e->data + e->sh[sec].sh_offset + off;
	return memchr(s, '\0', e->sh[sec].sh_size - off) ? s : NULL;
}

static const char *sym_name(const struct elf_in *e, uint32_t i)
{
	const char *s = elf_str(e, e->strtab, e->syms[i].st_name);
	return s ? s : "";
}

static int sym_cmp(const void *a, const void *b, void *elf)
{
	return strcmp(sym_name(elf, *(const uint32_t *)a), sym_name(elf, *(const uint32_t *)b));
}

/* The defined symbol called name, or -1. */
static int sym_find(const struct elf_in *e, const char *name)
{
	int lo = 0, hi = e->nsyms - 1;
	while (lo <= hi) {
		int mid = (lo + hi) / 2;
		int c = strcmp(sym_name(e, e->by_name[mid]), name);
		if (c == 0) {
			/* several of that name: the defined one */
			int i = mid;
			while (i > 0 && strcmp(sym_name(e, e->by_name[i - 1]), name) == 0)
				i--;
			for (; i < e->nsyms && strcmp(sym_name(e, e->by_name[i]), name) == 0; i++)
				if (e->syms[e->by_name[i]].st_shndx != SHN_UNDEF)
					return (int)e->by_name[i];
			return -1;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return -1;
}

static bool sec_ok(const struct elf_in *e, int i)
{
	const Elf64_Shdr *s = &e->sh[i];
	return s->sh_type == SHT_NOBITS || (s->sh_offset <= e->size && s->sh_size <= e->size - s->sh_offset);
}

static int elf_parse(struct elf_in *e, const void *data, size_t size)
{
	memset(e, 0, sizeof(*e));
	e->data = data;
	e->size = size;
	e->eh = data;
	if (size < sizeof(Elf64_Ehdr) || memcmp(e->eh->e_ident, ELFMAG, SELFMAG) != 0 ||
	    e->eh->e_ident[EI_CLASS] != ELFCLASS64 || e->eh->e_shentsize != sizeof(Elf64_Shdr) ||
	    e->eh->e_shnum == 0 || e->eh->e_shoff > size ||
	    (size - e->eh->e_shoff) / sizeof(Elf64_Shdr) < e->eh->e_shnum || e->eh->e_shoff % 8)
		return -1;
	e->sh = (const Elf64_Shdr *)(e->data + e->eh->e_shoff);
	e->nsec = e->eh->e_shnum;
	e->shstrtab = e->eh->e_shstrndx;
	e->symtab = e->btf = e->btf_ext = -1;
	for (int i = 1; i < e->nsec; i++) {
		if (!sec_ok(e, i))
			return -1;
		const char *name = elf_str(e, e->shstrtab, e->sh[i].sh_name);
		if (e->sh[i].sh_type == SHT_SYMTAB)
			e->symtab = i;
		else if (name && strcmp(name, ".BTF") == 0)
			e->btf = i;
		else if (name && strcmp(name, ".BTF.ext") == 0)
			e->btf_ext = i;
	}
	if (e->symtab < 0 || e->btf < 0 || e->btf_ext < 0 || e->sh[e->symtab].sh_entsize != sizeof(Elf64_Sym))
		return -1;
	e->strtab = (int)e->sh[e->symtab].sh_link;
	if (e->strtab <= 0 || e->strtab >= e->nsec)
		return -1;
	e->syms = (const Elf64_Sym *)(e->data + e->sh[e->symtab].sh_offset);
	e->nsyms = (int)(e->sh[e->symtab].sh_size / sizeof(Elf64_Sym));
	e->by_name = xcalloc((size_t)e->nsyms + 1, sizeof(*e->by_name));
	for (int i = 0; i < e->nsyms; i++)
		e->by_name[i] = (uint32_t)i;
	util_sort_r(e->by_name, (size_t)e->nsyms, sizeof(*e->by_name), sym_cmp, e);
	return 0;
}

/* .BTF and .BTF.ext (tools/lib/bpf/btf.h: the kernel's layouts). */
struct btf_hdr {
	uint16_t magic;
	uint8_t version, flags;
	uint32_t hdr_len, type_off, type_len, str_off, str_len;
};

struct btf_ext_hdr {
	uint16_t magic;
	uint8_t version, flags;
	uint32_t hdr_len;
	uint32_t off_len[6]; /* func_info, line_info, core_relo: offset, length */
};

#define BTF_MAGIC_ 0xeB9F
#define BTF_EXT_PARTS 3

struct out_sec {
	Elf64_Shdr sh;
	struct sbuf data; /* whole data (new sections, rewritten ones) */
	bool replaced;
};

struct clone_out {
	struct elf_in *in;
	struct out_sec *secs;
	int nsecs, cap;
	struct sbuf btf_strs;      /* appended to .BTF's strings */
	uint32_t btf_str_base;
	struct sbuf ext_new[BTF_EXT_PARTS]; /* the clones' .BTF.ext blocks */
};

static uint32_t str_append(struct sbuf *b, uint32_t base, const char *s)
{
	uint32_t off = base + (uint32_t)b->n;
	sb_add(b, s, strlen(s) + 1);
	return off;
}

/* The data of section i as it will be written (a copy, made on first use). */
static struct sbuf *sec_data(struct clone_out *o, int i)
{
	struct out_sec *s = &o->secs[i];
	if (!s->replaced) {
		s->replaced = true;
		if (s->sh.sh_type != SHT_NOBITS)
			sb_add(&s->data, (const char *)o->in->data + s->sh.sh_offset, s->sh.sh_size);
	}
	return &s->data;
}

static int add_section(struct clone_out *o, const Elf64_Shdr *sh, const char *name)
{
	/* o->cap was sized for every clone's two sections */
	if (o->nsecs == o->cap)
		return -1;
	struct sbuf *shstr = sec_data(o, o->in->shstrtab);
	uint32_t name_off = (uint32_t)shstr->n;
	sb_add(shstr, name, strlen(name) + 1);
	struct out_sec *s = &o->secs[o->nsecs];
	memset(s, 0, sizeof(*s));
	s->sh = *sh;
	s->sh.sh_name = name_off;
	s->replaced = true;
	return o->nsecs++;
}

/* Copies the .BTF.ext records of part `part` that fall in the original's
 * code [off, off + size) of section `sec_name`, as a block for `clone_sec`. */
static int copy_ext_part(struct clone_out *o, int part, const char *sec_name, uint64_t off, uint64_t size,
			 uint32_t clone_sec)
{
	const struct elf_in *e = o->in;
	const unsigned char *ext = e->data + e->sh[e->btf_ext].sh_offset;
	const struct btf_ext_hdr *h = (const void *)ext;
	uint32_t nparts = (h->hdr_len - 8) / 8;
	if ((uint32_t)part >= nparts || h->off_len[2 * part + 1] == 0)
		return 0;
	const unsigned char *p = ext + h->hdr_len + h->off_len[2 * part];
	const unsigned char *end = p + h->off_len[2 * part + 1];
	if (end > ext + e->sh[e->btf_ext].sh_size || end - p < 4)
		return -1;
	uint32_t rec;
	memcpy(&rec, p, 4);
	if (rec < 4)
		return -1;
	p += 4;
	struct sbuf recs = { 0 };
	uint32_t n = 0;
	const unsigned char *btf = e->data + e->sh[e->btf].sh_offset;
	const struct btf_hdr *bh = (const void *)btf;
	while (end - p >= 8) {
		uint32_t name_off, num;
		memcpy(&name_off, p, 4);
		memcpy(&num, p + 4, 4);
		p += 8;
		if ((uint64_t)(end - p) < (uint64_t)num * rec) {
			free(recs.p);
			return -1;
		}
		const char *name = name_off < bh->str_len ? (const char *)btf + bh->hdr_len + bh->str_off + name_off
							  : NULL;
		bool ours = name && strcmp(name, sec_name) == 0;
		for (uint32_t k = 0; k < num; k++, p += rec) {
			uint32_t insn_off;
			memcpy(&insn_off, p, 4);
			if (!ours || insn_off < off || insn_off >= off + size)
				continue;
			insn_off -= (uint32_t)off;
			sb_add(&recs, (const char *)&insn_off, 4);
			sb_add(&recs, (const char *)p + 4, rec - 4);
			n++;
		}
	}
	if (n) {
		sb_add(&o->ext_new[part], (const char *)&clone_sec, 4);
		sb_add(&o->ext_new[part], (const char *)&n, 4);
		sb_add(&o->ext_new[part], recs.p, recs.n);
	}
	free(recs.p);
	return 0;
}

static int add_clone(struct clone_out *o, const struct clone_prog *p, const struct clone_prog *rep)
{
	const struct elf_in *e = o->in;
	int rs = sym_find(e, rep->name);
	if (rs < 0 || ELF64_ST_TYPE(e->syms[rs].st_info) != STT_FUNC)
		return -1;
	const Elf64_Sym *sym = &e->syms[rs];
	int sec = sym->st_shndx;
	if (sec <= 0 || sec >= e->nsec || e->sh[sec].sh_type != SHT_PROGBITS || sym->st_value > e->sh[sec].sh_size ||
	    sym->st_size > e->sh[sec].sh_size - sym->st_value || sym->st_size == 0)
		return -1;
	uint64_t off = sym->st_value, size = sym->st_size;
	const char *sec_name = elf_str(e, e->shstrtab, e->sh[sec].sh_name);
	if (!sec_name)
		return -1;

	Elf64_Shdr code = e->sh[sec];
	code.sh_size = size;
	int ci = add_section(o, &code, p->section);
	if (ci < 0)
		return -1;
	sb_add(&o->secs[ci].data, (const char *)e->data + e->sh[sec].sh_offset + off, size);

	/* relocations: the slots renamed */
	struct sbuf rels = { 0 };
	for (int i = 1; i < e->nsec; i++) {
		if (e->sh[i].sh_type != SHT_REL || (int)e->sh[i].sh_info != sec)
			continue;
		if ((int)e->sh[i].sh_link != e->symtab) {
			free(rels.p);
			return -1;
		}
		const Elf64_Rel *r = (const void *)(e->data + e->sh[i].sh_offset);
		size_t nr = e->sh[i].sh_size / sizeof(*r);
		for (size_t k = 0; k < nr; k++) {
			if (r[k].r_offset < off || r[k].r_offset >= off + size)
				continue;
			Elf64_Rel nrel = { r[k].r_offset - off, r[k].r_info };
			uint32_t si = (uint32_t)ELF64_R_SYM(r[k].r_info);
			const char *name = si < (uint32_t)e->nsyms ? sym_name(e, si) : "";
			for (int s = 0; s < rep->nslots && *name; s++) {
				if (strcmp(rep->slots[s], name) != 0)
					continue;
				int to = sym_find(e, p->slots[s]);
				if (to < 0) {
					free(rels.p);
					return -1;
				}
				nrel.r_info = ELF64_R_INFO((uint64_t)to, ELF64_R_TYPE(r[k].r_info));
				break;
			}
			sb_add(&rels, (const char *)&nrel, sizeof(nrel));
		}
	}
	if (rels.n) {
		char *rel_name = xmalloc(strlen(p->section) + 5);
		sprintf(rel_name, ".rel%s", p->section);
		Elf64_Shdr rsh = { .sh_type = SHT_REL, .sh_link = (uint32_t)e->symtab, .sh_info = (uint32_t)ci,
				   .sh_addralign = 8, .sh_entsize = sizeof(Elf64_Rel), .sh_size = rels.n };
		int ri = add_section(o, &rsh, rel_name);
		free(rel_name);
		if (ri < 0) {
			free(rels.p);
			return -1;
		}
		o->secs[ri].data = rels;
	}

	/* the program's symbol */
	struct sbuf *strtab = sec_data(o, e->strtab);
	uint32_t name_off = (uint32_t)strtab->n;
	sb_add(strtab, p->name, strlen(p->name) + 1);
	Elf64_Sym s = { .st_name = name_off, .st_info = ELF64_ST_INFO(STB_GLOBAL, STT_FUNC),
			.st_shndx = (uint16_t)ci, .st_size = size };
	sb_add(sec_data(o, e->symtab), (const char *)&s, sizeof(s));

	uint32_t clone_sec = str_append(&o->btf_strs, o->btf_str_base, p->section);
	for (int part = 0; part < BTF_EXT_PARTS; part++)
		if (copy_ext_part(o, part, sec_name, off, size, clone_sec) < 0)
			return -1;
	return 0;
}

/* .BTF with the new strings; .BTF.ext with every part's new blocks. */
static int finish_btf(struct clone_out *o)
{
	const struct elf_in *e = o->in;
	struct sbuf *btf = sec_data(o, e->btf);
	struct btf_hdr bh;
	memcpy(&bh, btf->p, sizeof(bh));
	bh.str_len += (uint32_t)o->btf_strs.n;
	memcpy(btf->p, &bh, sizeof(bh));
	sb_add(btf, o->btf_strs.p ? o->btf_strs.p : "", o->btf_strs.n);

	const unsigned char *ext = e->data + e->sh[e->btf_ext].sh_offset;
	struct btf_ext_hdr h = { 0 };
	memcpy(&h, ext, 8);
	memcpy(&h, ext, h.hdr_len < sizeof(h) ? h.hdr_len : sizeof(h));
	uint32_t nparts = (h.hdr_len - 8) / 8;
	struct sbuf out = { 0 };
	sb_add(&out, (const char *)ext, h.hdr_len); /* header, fixed below */
	uint32_t at = 0;
	for (uint32_t part = 0; part < nparts && part < BTF_EXT_PARTS; part++) {
		uint32_t len = h.off_len[2 * part + 1];
		const char *old = (const char *)ext + h.hdr_len + h.off_len[2 * part];
		struct sbuf *add = &o->ext_new[part];
		if (len == 0 && add->n) {
			/* no records of this kind before: a record size is needed */
			uint32_t rec = part == 0 ? 8 : part == 1 ? 16 : 16;
			sb_add(&out, (const char *)&rec, 4);
			len = 4;
		} else {
			sb_add(&out, old, len);
		}
		sb_add(&out, add->p ? add->p : "", add->n);
		h.off_len[2 * part] = at;
		h.off_len[2 * part + 1] = len + (uint32_t)add->n;
		at += h.off_len[2 * part + 1];
	}
	memcpy(out.p, &h, h.hdr_len < sizeof(h) ? h.hdr_len : sizeof(h));
	struct sbuf *d = sec_data(o, e->btf_ext);
	free(d->p);
	*d = out;
	return 0;
}

static int btf_strings_last(const struct elf_in *e)
{
	const Elf64_Shdr *s = &e->sh[e->btf];
	struct btf_hdr bh;
	if (s->sh_size < sizeof(bh))
		return -1;
	memcpy(&bh, e->data + s->sh_offset, sizeof(bh));
	if (bh.magic != BTF_MAGIC_ || (uint64_t)bh.hdr_len + bh.str_off + bh.str_len != s->sh_size ||
	    bh.str_off < bh.type_off + bh.type_len)
		return -1;
	const Elf64_Shdr *x = &e->sh[e->btf_ext];
	struct btf_ext_hdr h;
	if (x->sh_size < 8)
		return -1;
	memcpy(&h, e->data + x->sh_offset, 8);
	if (h.magic != BTF_MAGIC_ || h.hdr_len < 8 + 16 || h.hdr_len > sizeof(h) || h.hdr_len > x->sh_size)
		return -1;
	return (int)bh.str_len;
}

static int write_elf(struct clone_out *o, void **elf, size_t *size)
{
	const struct elf_in *e = o->in;
	struct sbuf out = { 0 };
	Elf64_Ehdr eh = *e->eh;
	sb_add(&out, (const char *)&eh, sizeof(eh));
	for (int i = 1; i < o->nsecs; i++) {
		struct out_sec *s = &o->secs[i];
		uint64_t align = s->sh.sh_addralign > 1 ? s->sh.sh_addralign : 1;
		while (out.n % align)
			sb_add(&out, "", 1);
		s->sh.sh_offset = out.n;
		if (s->sh.sh_type == SHT_NOBITS)
			continue;
		if (s->replaced) {
			s->sh.sh_size = s->data.n;
			sb_add(&out, s->data.p ? s->data.p : "", s->data.n);
		} else {
			sb_add(&out, (const char *)e->data + e->sh[i].sh_offset, e->sh[i].sh_size);
		}
	}
	while (out.n % 8)
		sb_add(&out, "", 1);
	eh.e_shoff = out.n;
	eh.e_shnum = (uint16_t)o->nsecs;
	o->secs[0].sh = e->sh[0];
	for (int i = 0; i < o->nsecs; i++)
		sb_add(&out, (const char *)&o->secs[i].sh, sizeof(Elf64_Shdr));
	memcpy(out.p, &eh, sizeof(eh));
	*elf = out.p;
	*size = out.n;
	return 0;
}

int cg_clones_apply(const struct cg_clones *c, void **elf, size_t *size)
{
	if (!c || c->ncloned == 0)
		return 0;
	struct elf_in e;
	if (elf_parse(&e, *elf, *size) < 0) {
		free(e.by_name);
		return -1;
	}
	int rc = -1;
	struct clone_out o = { .in = &e, .nsecs = e.nsec, .cap = e.nsec + 2 * c->ncloned + 1 };
	o.secs = xcalloc((size_t)o.cap, sizeof(*o.secs));
	for (int i = 0; i < e.nsec; i++)
		o.secs[i].sh = e.sh[i];
	int strs = btf_strings_last(&e);
	if (strs < 0 || e.nsec + 2 * c->ncloned >= SHN_LORESERVE)
		goto done;
	o.btf_str_base = (uint32_t)strs;
	for (int i = 0; i < c->nprogs; i++)
		if (c->progs[i].rep >= 0 && add_clone(&o, &c->progs[i], &c->progs[c->progs[i].rep]) < 0)
			goto done;
	if (finish_btf(&o) < 0)
		goto done;
	void *out;
	size_t out_size;
	if (write_elf(&o, &out, &out_size) < 0)
		goto done;
	free(*elf);
	*elf = out;
	*size = out_size;
	rc = 0;
done:
	for (int i = 0; i < o.nsecs; i++)
		free(o.secs[i].data.p);
	for (int p = 0; p < BTF_EXT_PARTS; p++)
		free(o.ext_new[p].p);
	free(o.btf_strs.p);
	free(o.secs);
	free(e.by_name);
	return rc;
}
