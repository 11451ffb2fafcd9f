/* frontend.h - lexer (lexer/lexer.l) and parser (parser/parser.y).
 *
 * A reentrant flex scanner feeds a pure bison parser; every AST node carries
 * its source span. Syntax errors are reported through diag and parsing goes
 * on (bison error recovery at statement and probe level) so that several
 * errors are reported at once. */
#ifndef SONDE_FRONTEND_H
#define SONDE_FRONTEND_H

#include "ast.h"
#include "diag.h"

/* Parse the whole source. Returns a program (possibly partial) and reports
 * errors through d; the caller checks d->errors and frees the program with
 * ast_free_program(). Never returns NULL. */
struct program *parse_program(struct source *src, struct diag *d);

/* Token dump for tests and -d tokens: one line per token, "line:col KIND text". */
void lexer_dump_tokens(FILE *out, struct source *src, struct diag *d);

#endif
