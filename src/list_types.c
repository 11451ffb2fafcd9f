/* list_types.c - `-l 'struct NAME'`: the kernel's structs, unions and
 * enums from BTF, as bpftrace 0.17 lists them: `-l` their names
 * ("struct task_struct"), `-lv` their C definitions, each followed by an
 * empty line. Patterns use the probe wildcard ('*').
 *
 * The definitions are libbpf's btf_dump output, made the way bpftrace makes
 * it: every named struct, union and enum dumped by one btf_dump in type id
 * order, so that names BTF has twice get the same "___2" suffixes as in
 * bpftrace. Dumping stops after the last type the pattern matches: later
 * types cannot change the text of earlier ones. The output is then cut into
 * top-level definitions, from a line that opens one ("struct fd {") to the
 * line that closes it ("};", "} __attribute__((packed));"), or the one
 * line of an empty one ("struct x {};"). bpftrace only closes at "};", so
 * after a packed struct it runs on into the next definition, and it leaves
 * out empty ones; sonde prints each on its own. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/btf.h>

#include "list.h"
#include "util.h"

struct btf *list_vmlinux_btf(void)
{
	const char *path = getenv("BPFTRACE_BTF");
	if (path && *path)
		return btf__parse(path, NULL);
	/* Kernels since 6.16 let /sys/kernel/btf/vmlinux be mapped: no 4 KB
	 * reads of its 5 MB (~1,300 of them, which take seconds on a loaded
	 * machine). Older kernels refuse, and libbpf reads it. */
	int fd = open("/sys/kernel/btf/vmlinux", O_RDONLY | O_CLOEXEC);
	struct stat st;
	struct btf *btf = NULL;
	if (fd >= 0 && fstat(fd, &st) == 0 && st.st_size > 0) {
		void *data = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (data != MAP_FAILED) {
			btf = btf__new(data, (uint32_t)st.st_size); /* copies the data */
			munmap(data, (size_t)st.st_size);
		}
	}
	if (fd >= 0)
		close(fd);
	return btf ? btf : btf__load_vmlinux_btf();
}

/* "struct NAME", "union NAME", "enum NAME"; NULL for other kinds and
 * anonymous types (caller frees). */
static char *btf_kind_name(const struct btf *btf, const struct btf_type *t)
{
	const char *kind = btf_is_struct(t) ? "struct" : btf_is_union(t) ? "union"
			 : btf_is_enum(t) ? "enum" : NULL;
	const char *name = btf__name_by_offset(btf, t->name_off);
	if (!kind || !name || !*name)
		return NULL;
	return xasprintf("%s %s", kind, name);
}

/* ---- the definitions ---------------------------------------------------------- */

static void text_printf(void *ctx, const char *fmt, va_list ap)
{
	util_strbuf_vaddf(ctx, fmt, ap);
}

/* Every named struct, union and enum up to id `last`, dumped in id order. */
static int dump_types(const struct btf *btf, uint32_t last, struct util_strbuf *out)
{
	struct btf_dump *dump = btf_dump__new(btf, text_printf, out, NULL);
	if (!dump)
		return -1;
	for (uint32_t id = 1; id <= last; id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		char *name = t ? btf_kind_name(btf, t) : NULL;
		if (name && btf_dump__dump_type(dump, id) < 0) {
			free(name);
			btf_dump__free(dump);
			return -1;
		}
		free(name);
	}
	btf_dump__free(dump);
	return 0;
}

/* Cuts the dump into its top-level definitions whose name ("struct fd" of
 * "struct fd {") matches pattern; each keeps its final newline. */
static void matching_definitions(char *text, const char *pattern, struct list_names *out)
{
	char *start = NULL;
	for (char *line = text; line && *line;) {
		char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		char *next = nl ? nl + 1 : NULL;
		bool empty = len > 3 && strncmp(line + len - 3, "{};", 3) == 0; /* struct x {}; */
		if (!start && len > 2 && line[0] != '\t' && line[0] != '}' && (line[len - 1] == '{' || empty))
			start = line;
		if (start && (line[0] == '}' || (start == line && empty))) {
			size_t name_len = strcspn(start, "{");
			char *name = xstrndup(start, name_len > 0 ? name_len - 1 : 0);
			if (probe_wildcard_match(pattern, name))
				list_names_add(out, xstrndup(start, (size_t)((next ? next : line + len) - start)));
			free(name);
			start = NULL;
		}
		line = next;
	}
}

/* ---- -l 'struct ...' ----------------------------------------------------------- */

int list_types(const char *pattern, bool verbose, FILE *out)
{
	errno = 0;
	struct btf *btf = list_vmlinux_btf();
	if (!btf) {
		fprintf(stderr, "sonde: cannot list kernel types: cannot read kernel BTF: %s\n",
			strerror(errno ? errno : ENOENT));
		return -1;
	}
	struct list_names names = { 0 };
	uint32_t last = 0;
	for (uint32_t id = 1; id < btf__type_cnt(btf); id++) {
		char *name = btf_kind_name(btf, btf__type_by_id(btf, id));
		if (name && probe_wildcard_match(pattern, name)) {
			last = id;
			if (!verbose) {
				list_names_add(&names, name);
				continue;
			}
		}
		free(name);
	}
	int ret = 0;
	struct util_strbuf text = { 0 };
	if (verbose && last) {
		ret = dump_types(btf, last, &text);
		if (ret < 0)
			fprintf(stderr, "sonde: cannot print the kernel's type definitions\n");
		else if (text.buf)
			matching_definitions(text.buf, pattern, &names);
	}
	list_names_sort_unique(&names);
	for (int i = 0; i < names.n; i++)
		fprintf(out, "%s\n", names.v[i]); /* a definition ends in its own \n */
	if (ret == 0)
		ret = names.n;
	free(text.buf);
	list_names_free(&names);
	btf__free(btf);
	return ret;
}
