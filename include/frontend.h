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
 * ast_free_program(). Never returns NULL. A script without any probe is
 * reported here ("no probes in script", no location). Brackets nest at most
 * 256 deep and expression trees at most 1000 levels, so later stages may
 * recurse over the tree freely. Keeps no global state: any number of
 * scripts can be parsed in one process. */
struct program *parse_program(struct source *src, struct diag *d);

/* Token dump for tests and -d tokens: one line per token, "line:col KIND text".
 * KIND is ATTACH, ENDPRED, BODY_END, IDENT, VAR, MAP, POSITIONAL, INT, STRING,
 * TYPE, IF, ELSE, KEYWORD (while, for, unroll, return, break, continue,
 * let: statements sonde parses only to report), PUNCT (one character) or
 * OP ('..' included); text is the token as written,
 * and an integer whose value differs from its spelling adds " (value)". */
void lexer_dump_tokens(FILE *out, struct source *src, struct diag *d);

#endif
