/* funcs.c - builtin functions (statements and value functions) and the
 * lookup over all callables, aggregations included (see aggs.c). */
#include <string.h>

#include "builtins.h"

#define NOTYPE { TY_NONE, 0, false }

const struct stdlib_func stdlib_funcs[] = {
	{ "printf", FN_STMT, MAP_PLAIN, 1, { ARG_FMT, ARG_REST }, NOTYPE, cg_fn_printf, NULL },
	/* print(@m [, top [, div]]) */
	{ "print",  FN_STMT, MAP_PLAIN, 1, { ARG_MAP, ARG_CONST_INT, ARG_CONST_INT }, NOTYPE, cg_fn_print, NULL },
	{ "exit",   FN_STMT, MAP_PLAIN, 0, { ARG_INT }, NOTYPE, cg_fn_exit, NULL },
	{ "clear",  FN_STMT, MAP_PLAIN, 1, { ARG_MAP }, NOTYPE, cg_fn_clear, NULL },
	{ "zero",   FN_STMT, MAP_PLAIN, 1, { ARG_MAP }, NOTYPE, cg_fn_zero, NULL },
	{ "delete", FN_STMT, MAP_PLAIN, 1, { ARG_MAP_ELEM }, NOTYPE, cg_fn_delete, NULL },
	/* str(ptr [, len]): a NUL-terminated string read from memory */
	{ "str",    FN_VALUE, MAP_PLAIN, 1, { ARG_INT, ARG_INT }, { TY_STR, SONDE_STRLEN, false }, cg_fn_str, NULL },
};

extern const struct stdlib_func stdlib_aggs[];
extern const int stdlib_naggs;

const int stdlib_nfuncs = sizeof(stdlib_funcs) / sizeof(stdlib_funcs[0]);

const struct stdlib_func *stdlib_find_func(const char *name)
{
	for (int i = 0; i < stdlib_nfuncs; i++)
		if (strcmp(stdlib_funcs[i].name, name) == 0)
			return &stdlib_funcs[i];
	for (int i = 0; i < stdlib_naggs; i++)
		if (strcmp(stdlib_aggs[i].name, name) == 0)
			return &stdlib_aggs[i];
	return NULL;
}
