/* kallsyms.c - kernel symbol lookup (see kallsyms.h). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kallsyms.h"
#include "suggest.h"

#define KALLSYMS_FEW_DATA 1000

/* "ffffffff81000000 T _stext" or "... t name\t[module]": the name ends at
 * the first blank. */
static int parse_line(char *line, uint64_t *addr, char *kind, char **name)
{
	char *end;
	*addr = strtoull(line, &end, 16);
	if (end == line || *end != ' ' || !end[1] || end[2] != ' ')
		return -1;
	*kind = end[1];
	*name = end + 3;
	(*name)[strcspn(*name, " \t\n")] = '\0';
	return 0;
}

enum kallsyms_result kallsyms_lookup(const char *path, const char *name, uint64_t *addr, char **near)
{
	*near = NULL;
	FILE *f = fopen(path, "r");
	if (!f)
		return KALLSYMS_UNREADABLE;
	static char buf[1 << 16]; /* fewer reads of a ~5 MB file the kernel generates */
	setvbuf(f, buf, _IOFBF, sizeof(buf));
	struct suggestion s;
	suggestion_init(&s, name);
	enum kallsyms_result r = KALLSYMS_NOT_FOUND;
	char line[512];
	long data_symbols = 0;
	while (fgets(line, sizeof(line), f)) {
		uint64_t a;
		char kind, *sym;
		if (parse_line(line, &a, &kind, &sym) < 0)
			continue;
		if (kind == 'D' || kind == 'd' || kind == 'B' || kind == 'b')
			data_symbols++;
		if (strcmp(sym, name) == 0) {
			*addr = a;
			r = a ? KALLSYMS_FOUND : KALLSYMS_HIDDEN;
			break;
		}
		/* only names of about the same length can be close: skip the rest cheaply */
		size_t len = strlen(sym), want = strlen(name);
		if (len + 3 >= want && len <= want + 3)
			suggestion_consider(&s, sym);
	}
	fclose(f);
	/* a kernel with CONFIG_KALLSYMS_ALL lists tens of thousands */
	if (r == KALLSYMS_NOT_FOUND && !s.best && data_symbols < KALLSYMS_FEW_DATA)
		r = KALLSYMS_NO_DATA;
	if (r == KALLSYMS_NOT_FOUND && s.best) {
		*near = s.best;
		s.best = NULL;
	}
	suggestion_free(&s);
	return r;
}
