/* config.h - bpftrace's settings (src/config.c): one table for the
 * BPFTRACE_* environment variables and the script's `config = { ... }`
 * block, as bpftrace documents them. The names are the setting's lower-case
 * name (`max_map_keys`), its environment name (`BPFTRACE_MAX_MAP_KEYS`) or
 * that without the prefix (`MAX_MAP_KEYS`); an environment variable wins
 * over the config block. */
#ifndef SONDE_CONFIG_H
#define SONDE_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "ast.h"
#include "diag.h"

enum config_id {
	CFG_MAX_MAP_KEYS,
	CFG_PERF_RB_PAGES,
	CFG_LOG_SIZE,
	CFG_MAX_PROBES,
	CFG_MAX_BPF_PROGS,
	CFG_MAX_STRLEN,
	CFG_PRINT_MAPS_ON_EXIT,
	CFG_STACK_MODE,           /* bpftrace and perf; raw and build_id are errors at a kstack */
	CFG_MISSING_PROBES,       /* error, warn, ignore */
	/* accepted (bpftrace's values are checked) with no effect in sonde */
	CFG_ON_STACK_LIMIT,
	CFG_MAX_CAT_BYTES,
	CFG_STR_TRUNC_TRAILER,
	CFG_CPP_DEMANGLE,
	CFG_LAZY_SYMBOLICATION,
	CFG_CACHE_USER_SYMBOLS,
	CFG_SHOW_DEBUG_INFO,
	CFG_LICENSE,
	CFG_MAX_AST_NODES,
	CFG_MAX_TYPE_RES_ITERATIONS,
	CFG_UNSTABLE_MACRO,
	CFG_UNSTABLE_MAP_DECL,
	CFG_UNSTABLE_IMPORT,
	CFG_UNSTABLE_TSERIES,
	CFG_UNSTABLE_DW_USTACK,
	CFG_UNSTABLE_TYPEINFO,    /* error (bpftrace's default), warn, enable: typeinfo() */
	CFG_METRICS,              /* sonde: --metrics [ADDR:]PORT */
	CFG_METRICS_MAX_SERIES,   /* sonde: series per scrape */
	CFG_COUNT
};

struct sonde_config {
	bool set[CFG_COUNT];      /* given by the environment or the script */
	bool from_env[CFG_COUNT]; /* given by the environment (it wins) */
	uint64_t value[CFG_COUNT]; /* numbers, bools (0/1), word settings (index) */
	char *text[CFG_COUNT];    /* string settings (owned) */
};

/* Read every BPFTRACE_* variable the table knows. Returns -1 after
 * printing "sonde: NAME='value': ..." to err when one is not valid. */
int config_read_env(struct sonde_config *c, FILE *err);
/* Apply the script's config block (settings already given by the
 * environment are kept). Errors are positioned; returns -1 after one. */
int config_apply_script(struct sonde_config *c, const struct config_item *items, struct diag *d);
/* The setting, or 0 when neither the environment nor the script gave it. */
uint64_t config_get(const struct sonde_config *c, enum config_id id);
/* A word setting's value (its first word when not set: bpftrace's
 * default), a text setting's text (NULL when not set); NULL for others. */
const char *config_text(const struct sonde_config *c, enum config_id id);
void config_free(struct sonde_config *c);

#endif
