/* named_params.h - getopt() and `-- --name=value` (src/named_params.c). */
#ifndef SONDE_NAMED_PARAMS_H
#define SONDE_NAMED_PARAMS_H

#include "ast.h"
#include "diag.h"

/* Replace every getopt("name"[, default[, "description"]]) in prog by the
 * literal it stands for, from `named` ("--name" or "--name=value", as
 * given after `--`). Errors (a value of the wrong type, a named parameter
 * no getopt() asks for) go to d; returns -1 after one. */
int named_params_resolve(struct program *prog, char **named, int nnamed, struct diag *d);

#endif
