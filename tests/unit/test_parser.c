/* test_parser.c - the grammar (parser/parser.y) and the AST helpers
 * (parser/ast.c): AST dumps for every construct, source spans, every kind of
 * syntax error with its exact first line, recovery that reports several
 * errors, and inputs that must not crash (garbage, NULs, deep nesting). */
#include <stdlib.h>
#include <string.h>

#include "frontend.h"

#include "check.h"

struct parsed {
	struct source *src;
	struct program *prog;
	char *ast;  /* ast_dump(prog, false) */
	char *diag; /* everything diag printed */
	int errors;
};

static struct parsed parse_bytes(const char *text, size_t len)
{
	struct parsed r;
	size_t alen, dlen;
	FILE *dout = open_memstream(&r.diag, &dlen);
	r.src = source_from_string("stdin", text, len);
	struct diag d;
	diag_init(&d, r.src, dout);
	d.max_errors = 0;
	r.prog = parse_program(r.src, &d);
	fclose(dout);
	r.errors = d.errors;
	FILE *aout = open_memstream(&r.ast, &alen);
	ast_dump(aout, r.prog, false);
	fclose(aout);
	return r;
}

static struct parsed parse(const char *text)
{
	return parse_bytes(text, strlen(text));
}

static void parsed_free(struct parsed *r)
{
	ast_free_program(r->prog);
	source_free(r->src);
	free(r->ast);
	free(r->diag);
}

static int count_lines_with(const char *text, const char *needle)
{
	int n = 0;
	for (const char *p = text; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

#define CHECK_AST(text, want)                                                        \
	do {                                                                         \
		struct parsed r_ = parse(text);                                      \
		CHECKF(r_.errors == 0, "errors for %s:\n%s", text, r_.diag);          \
		CHECKF(strcmp(r_.ast, want) == 0, "input:\n%s\ngot:\n%s\nwant:\n%s",  \
		      text, r_.ast, want);                                           \
		parsed_free(&r_);                                                    \
	} while (0)

/* The first diagnostic line must equal `want`; errors counts all of them. */
#define CHECK_ERROR(text, nerrors, want)                                              \
	do {                                                                          \
		struct parsed r_ = parse(text);                                       \
		size_t n_ = strcspn(r_.diag, "\n");                                   \
		CHECKF(strlen(want) == n_ && strncmp(r_.diag, want, n_) == 0,          \
		      "input: %s\ngot: %s\nwant: %s", text, r_.diag, want);           \
		CHECKF(r_.errors == (nerrors), "input: %s: %d errors, want %d:\n%s",   \
		      text, r_.errors, nerrors, r_.diag);                             \
		parsed_free(&r_);                                                     \
	} while (0)

/* ---- shapes ------------------------------------------------------------ */

static void test_probes(void)
{
	CHECK_AST("#!/usr/bin/env bpftrace\n"
		  "// comment\n"
		  "BEGIN { }\n"
		  "tracepoint:syscalls:sys_enter_*, t:syscalls:sys_exit_read /* c */ { ; ; }\n"
		  "END { exit() }\n",
		  "probe 0: BEGIN\n"
		  "  block\n"
		  "probe 1: tracepoint:syscalls:sys_enter_*, t:syscalls:sys_exit_read\n"
		  "  block\n"
		  "probe 2: END\n"
		  "  block\n"
		  "    expr\n"
		  "      call exit\n");
	CHECK_AST("uprobe:/bin/bash:readline /pid == 1 && comm != \"bash\"/ { @[comm] = count(); }",
		  "probe 0: uprobe:/bin/bash:readline\n"
		  "  predicate\n"
		  "    binary &&\n"
		  "      binary ==\n"
		  "        builtin pid\n"
		  "        int 1\n"
		  "      binary !=\n"
		  "        builtin comm\n"
		  "        string \"bash\"\n"
		  "  block\n"
		  "    assign =\n"
		  "      map @\n"
		  "        builtin comm\n"
		  "      call count\n");
	/* Division inside a predicate. */
	CHECK_AST("i:s:1 /$x / 2 > 1/ { }",
		  "probe 0: i:s:1\n"
		  "  predicate\n"
		  "    binary >\n"
		  "      binary /\n"
		  "        var $x\n"
		  "        int 2\n"
		  "      int 1\n"
		  "  block\n");
}

static void test_precedence(void)
{
	CHECK_AST("BEGIN { $a = 1 + 2 * 3 - 4 / 5 % 6; }",
		  "probe 0: BEGIN\n"
		  "  block\n"
		  "    assign =\n"
		  "      var $a\n"
		  "      binary -\n"
		  "        binary +\n"
		  "          int 1\n"
		  "          binary *\n"
		  "            int 2\n"
		  "            int 3\n"
		  "        binary %\n"
		  "          binary /\n"
		  "            int 4\n"
		  "            int 5\n"
		  "          int 6\n");
	/* || < && < | < ^ < & < == < < < << < + */
	CHECK_AST("BEGIN { $a = 1 || 2 && 3 | 4 ^ 5 & 6 == 7 < 8 << 9 + 10 }",
		  "probe 0: BEGIN\n"
		  "  block\n"
		  "    assign =\n"
		  "      var $a\n"
		  "      binary ||\n"
		  "        int 1\n"
		  "        binary &&\n"
		  "          int 2\n"
		  "          binary |\n"
		  "            int 3\n"
		  "            binary ^\n"
		  "              int 4\n"
		  "              binary &\n"
		  "                int 5\n"
		  "                binary ==\n"
		  "                  int 6\n"
		  "                  binary <\n"
		  "                    int 7\n"
		  "                    binary <<\n"
		  "                      int 8\n"
		  "                      binary +\n"
		  "                        int 9\n"
		  "                        int 10\n");
	/* Left associativity, and same-level operators. */
	CHECK_AST("BEGIN { $a = 1 - 2 - 3; $b = 1 != 2 == 3; $c = 1 <= 2 > 3 >= 4; $d = 1 >> 2 << 3 }",
		  "probe 0: BEGIN\n"
		  "  block\n"
		  "    assign =\n"
		  "      var $a\n"
		  "      binary -\n"
		  "        binary -\n"
		  "          int 1\n"
		  "          int 2\n"
		  "        int 3\n"
		  "    assign =\n"
		  "      var $b\n"
		  "      binary ==\n"
		  "        binary !=\n"
		  "          int 1\n"
		  "          int 2\n"
		  "        int 3\n"
		  "    assign =\n"
		  "      var $c\n"
		  "      binary >=\n"
		  "        binary >\n"
		  "          binary <=\n"
		  "            int 1\n"
		  "            int 2\n"
		  "          int 3\n"
		  "        int 4\n"
		  "    assign =\n"
		  "      var $d\n"
		  "      binary <<\n"
		  "        binary >>\n"
		  "          int 1\n"
		  "          int 2\n"
		  "        int 3\n");
	/* Parentheses, unary operators, casts bind tighter than binary ones. */
	CHECK_AST("BEGIN { $a = (1 + 2) * -$x + !~$y - +3; $b = (uint8)$x + (int64)-1 }",
		  "probe 0: BEGIN\n"
		  "  block\n"
		  "    assign =\n"
		  "      var $a\n"
		  "      binary -\n"
		  "        binary +\n"
		  "          binary *\n"
		  "            binary +\n"
		  "              int 1\n"
		  "              int 2\n"
		  "            unary -\n"
		  "              var $x\n"
		  "          unary !\n"
		  "            unary ~\n"
		  "              var $y\n"
		  "        int 3\n"
		  "    assign =\n"
		  "      var $b\n"
		  "      binary +\n"
		  "        cast uint8\n"
		  "          var $x\n"
		  "        cast int64\n"
		  "          unary -\n"
		  "            int 1\n");
	CHECK_AST("BEGIN { $a = (int8)1 + (int16)2 + (int32)3 + (uint16)4 + (uint32)5 + (uint64)6 }",
		  "probe 0: BEGIN\n"
		  "  block\n"
		  "    assign =\n"
		  "      var $a\n"
		  "      binary +\n"
		  "        binary +\n"
		  "          binary +\n"
		  "            binary +\n"
		  "              binary +\n"
		  "                cast int8\n"
		  "                  int 1\n"
		  "                cast int16\n"
		  "                  int 2\n"
		  "              cast int32\n"
		  "                int 3\n"
		  "            cast uint16\n"
		  "              int 4\n"
		  "          cast uint32\n"
		  "            int 5\n"
		  "        cast uint64\n"
		  "          int 6\n");
	/* The ternary is lowest and groups to the right. */
	CHECK_AST("BEGIN { $a = $x || $y ? 1 : $z ? 2 + 3 : 4 }",
		  "probe 0: BEGIN\n"
		  "  block\n"
		  "    assign =\n"
		  "      var $a\n"
		  "      ternary\n"
		  "        binary ||\n"
		  "          var $x\n"
		  "          var $y\n"
		  "        int 1\n"
		  "        ternary\n"
		  "          var $z\n"
		  "          binary +\n"
		  "            int 2\n"
		  "            int 3\n"
		  "          int 4\n");
}

static void test_terms(void)
{
	CHECK_AST("BEGIN { @x[pid, comm] = 1; @ = 2; @[3] = 4; $s = \"a\\tb\\x41\\101\\0\"; "
		  "$p = $1 + $#; $t = true + false + 0x10u + 010 }",
		  "probe 0: BEGIN\n"
		  "  block\n"
		  "    assign =\n"
		  "      map @x\n"
		  "        builtin pid\n"
		  "        builtin comm\n"
		  "      int 1\n"
		  "    assign =\n"
		  "      map @\n"
		  "      int 2\n"
		  "    assign =\n"
		  "      map @\n"
		  "        int 3\n"
		  "      int 4\n"
		  "    assign =\n"
		  "      var $s\n"
		  "      string \"a\\tbAA\\x00\"\n"
		  "    assign =\n"
		  "      var $p\n"
		  "      binary +\n"
		  "        positional $1\n"
		  "        positional $#\n"
		  "    assign =\n"
		  "      var $t\n"
		  "      binary +\n"
		  "        binary +\n"
		  "          binary +\n"
		  "            bool true\n"
		  "            bool false\n"
		  "          int 16u\n"
		  "        int 8\n");
	CHECK_AST("t:a:b { @y = args->foo + args.bar; printf(\"%d %s\\n\", arg0, str(args.s)); "
		  "delete(@m[1]); print(@m, 10) }",
		  "probe 0: t:a:b\n"
		  "  block\n"
		  "    assign =\n"
		  "      map @y\n"
		  "      binary +\n"
		  "        field ->foo\n"
		  "          builtin args\n"
		  "        field .bar\n"
		  "          builtin args\n"
		  "    expr\n"
		  "      call printf\n"
		  "        string \"%d %s\\n\"\n"
		  "        builtin arg0\n"
		  "        call str\n"
		  "          field .s\n"
		  "            builtin args\n"
		  "    expr\n"
		  "      call delete\n"
		  "        map @m\n"
		  "          int 1\n"
		  "    expr\n"
		  "      call print\n"
		  "        map @m\n"
		  "        int 10\n");
	CHECK_AST("BEGIN { $x++; ++$x; @m[1]--; --@m; $y = -$x++ }",
		  "probe 0: BEGIN\n"
		  "  block\n"
		  "    expr\n"
		  "      postfix ++\n"
		  "        var $x\n"
		  "    expr\n"
		  "      prefix ++\n"
		  "        var $x\n"
		  "    expr\n"
		  "      postfix --\n"
		  "        map @m\n"
		  "          int 1\n"
		  "    expr\n"
		  "      prefix --\n"
		  "        map @m\n"
		  "    assign =\n"
		  "      var $y\n"
		  "      unary -\n"
		  "        postfix ++\n"
		  "          var $x\n");
}

static void test_statements(void)
{
	CHECK_AST("BEGIN { $a += 1; $a -= 1; $a *= 2; $a /= 2; $a %= 3; @b &= 1; @b |= 2; "
		  "@b ^= 3; @b <<= 1; @b >>= 1 }",
		  "probe 0: BEGIN\n"
		  "  block\n"
		  "    assign +=\n      var $a\n      int 1\n"
		  "    assign -=\n      var $a\n      int 1\n"
		  "    assign *=\n      var $a\n      int 2\n"
		  "    assign /=\n      var $a\n      int 2\n"
		  "    assign %=\n      var $a\n      int 3\n"
		  "    assign &=\n      map @b\n      int 1\n"
		  "    assign |=\n      map @b\n      int 2\n"
		  "    assign ^=\n      map @b\n      int 3\n"
		  "    assign <<=\n      map @b\n      int 1\n"
		  "    assign >>=\n      map @b\n      int 1\n");
	/* if / else if / else; blocks need no ';' after them; nested blocks. */
	CHECK_AST("BEGIN { if ($1 > 0) { exit() } else if ($# == 2) { $y = 1 } else { $y = 2; } "
		  "$z = 3; if (1) { } { $w = 4 } }",
		  "probe 0: BEGIN\n"
		  "  block\n"
		  "    if\n"
		  "      binary >\n"
		  "        positional $1\n"
		  "        int 0\n"
		  "      block\n"
		  "        expr\n"
		  "          call exit\n"
		  "      else\n"
		  "        if\n"
		  "          binary ==\n"
		  "            positional $#\n"
		  "            int 2\n"
		  "          block\n"
		  "            assign =\n"
		  "              var $y\n"
		  "              int 1\n"
		  "          else\n"
		  "            block\n"
		  "              assign =\n"
		  "                var $y\n"
		  "                int 2\n"
		  "    assign =\n"
		  "      var $z\n"
		  "      int 3\n"
		  "    if\n"
		  "      int 1\n"
		  "      block\n"
		  "    block\n"
		  "      assign =\n"
		  "        var $w\n"
		  "        int 4\n");
}

/* ---- source spans ------------------------------------------------------ */

#define CHECK_LOC(l, L, C, EL, EC)                                                    \
	CHECKF((l).line == (L) && (l).col == (C) && (l).end_line == (EL) && (l).end_col == (EC), \
	      "%s is %d:%d-%d:%d, want %d:%d-%d:%d", #l, (l).line, (l).col, (l).end_line, \
	      (l).end_col, L, C, EL, EC)

static void test_locations(void)
{
	struct parsed r = parse("BEGIN,\n"
				"  END /pid/ {\n"
				"\t@x[pid] = count();\n"
				"\tif (1) { $s = args->f }\n"
				"}\n");
	CHECKF(r.errors == 0, "%s", r.diag);
	struct probe *p = r.prog->probes;
	if (!p || !p->points || !p->points->next || !p->pred || !p->body || !p->body->body) {
		CHECKF(0, "unexpected shape:\n%s", r.ast);
		parsed_free(&r);
		return;
	}
	CHECK_LOC(p->points->loc, 1, 1, 1, 6);
	CHECK_LOC(p->points->next->loc, 2, 3, 2, 6);
	CHECK_LOC(p->pred->loc, 2, 8, 2, 11);
	CHECK_LOC(p->loc, 1, 1, 5, 2);
	CHECK_LOC(p->body->loc, 2, 13, 5, 2);
	struct node *assign = p->body->body;
	CHECK_LOC(assign->loc, 3, 2, 3, 19);
	CHECK_LOC(assign->lhs->loc, 3, 2, 3, 9);
	CHECK_LOC(assign->lhs->args->loc, 3, 5, 3, 8);
	CHECK_LOC(assign->rhs->loc, 3, 12, 3, 19);
	struct node *ifs = assign->next;
	CHECKF(ifs && ifs->kind == N_IF, "no if");
	if (ifs && ifs->kind == N_IF) {
		CHECK_LOC(ifs->loc, 4, 2, 4, 25);
		CHECK_LOC(ifs->cond->loc, 4, 6, 4, 7);
		CHECK_LOC(ifs->then->loc, 4, 9, 4, 25);
		struct node *field = ifs->then->body->rhs;
		CHECK_LOC(field->loc, 4, 16, 4, 23);
		CHECK_LOC(field->lhs->loc, 4, 16, 4, 20);
	}
	CHECKF(p->index == 0, "index %d", p->index);
	parsed_free(&r);

	r = parse("BEGIN { $x = 1 + (2 * 3); @y = f(1, \"ab\") }");
	struct node *a = r.prog->probes->body->body;
	CHECK_LOC(a->rhs->loc, 1, 14, 1, 25);      /* 1 + (2 * 3) with the ')' */
	CHECK_LOC(a->rhs->rhs->loc, 1, 19, 1, 24); /* 2 * 3 */
	CHECK_LOC(a->next->rhs->loc, 1, 32, 1, 42);
	CHECK_LOC(a->next->rhs->args->next->loc, 1, 37, 1, 41);
	parsed_free(&r);
}

/* ---- errors -------------------------------------------------------------- */

static void test_syntax_errors(void)
{
	CHECK_ERROR("BEGIN { @x = 1 @y = 2; }", 1,
		    "stdin:1:16: error: syntax error, unexpected map, expecting '}' or ';'");
	CHECK_ERROR("BEGIN { @x = ; }", 1,
		    "stdin:1:14: error: syntax error, unexpected ';', expecting an expression");
	CHECK_ERROR("BEGIN { $x = (1; }", 1,
		    "stdin:1:16: error: syntax error, unexpected ';', expecting ',' or ')'");
	CHECK_ERROR("BEGIN { $x = 1 ? 2; }", 1,
		    "stdin:1:19: error: syntax error, unexpected ';', expecting ':'");
	CHECK_ERROR("BEGIN { f(1 2) }", 1,
		    "stdin:1:13: error: syntax error, unexpected integer, expecting ',' or ')'");
	CHECK_ERROR("BEGIN { @x[1 }", 1,
		    "stdin:1:14: error: syntax error, unexpected '}', expecting ',' or ']'");
	CHECK_ERROR("BEGIN { if { } }", 1,
		    "stdin:1:12: error: syntax error, unexpected '{', expecting an expression");
	CHECK_ERROR("BEGIN { if (1) { } else @x = 1; }", 1,
		    "stdin:1:25: error: syntax error, unexpected map, expecting 'if' or '{'");
	CHECK_ERROR("BEGIN /pid == 1 { }", 1,
		    "stdin:1:17: error: syntax error, unexpected '{', expecting '/'");
	CHECK_ERROR("BEGIN { @x = 1;", 1,
		    "stdin:1:16: error: syntax error, unexpected end of file, expecting '}'");
	CHECK_ERROR("BEGIN { ) }", 1,
		    "stdin:1:9: error: syntax error, unexpected ')', expecting '}'");
	CHECK_ERROR("BEGIN, { }", 1,
		    "stdin:1:8: error: syntax error, unexpected '{', expecting probe specification");
	CHECK_ERROR("BEGIN", 1,
		    "stdin:1:6: error: syntax error, unexpected end of file, expecting '/' or '{' or ','");
	CHECK_ERROR("} BEGIN { }", 1,
		    "stdin:1:1: error: syntax error, unexpected '}', expecting end of file or probe specification");
	CHECK_ERROR("BEGIN { (uint8 x; }", 1,
		    "stdin:1:16: error: syntax error, unexpected identifier, expecting '*' or '[' or ')'");
	CHECK_ERROR("BEGIN { $x = uint8; }", 1,
		    "stdin:1:14: error: a type ('uint8') cannot be used as a value here; a cast is written (uint8)value");
	CHECK_ERROR("BEGIN { args. = 1 }", 1,
		    "stdin:1:15: error: syntax error, unexpected '=', expecting identifier or integer");
}

static void test_semantic_parse_errors(void)
{
	CHECK_ERROR("BEGIN { 1 = 2; }", 1,
		    "stdin:1:9: error: cannot assign to an integer: only $variables and @maps can be assigned");
	CHECK_ERROR("BEGIN { pid += 2; }", 1,
		    "stdin:1:9: error: cannot assign to a builtin: only $variables and @maps can be assigned");
	CHECK_ERROR("BEGIN { args.x = 2; }", 1,
		    "stdin:1:9: error: cannot assign to a field: only $variables and @maps can be assigned");
	CHECK_ERROR("BEGIN { pid++; }", 1,
		    "stdin:1:9: error: '++' needs a $variable or @map, not a builtin");
	CHECK_ERROR("BEGIN { --f(); }", 1,
		    "stdin:1:11: error: '--' needs a $variable or @map, not a function call");
	CHECK_ERROR("", 1, "stdin: error: no probes in script");
	CHECK_ERROR("// nothing but a comment\n", 1, "stdin: error: no probes in script");
}

/* bpftrace constructs sonde lacks: one precise error each (once per
 * script), and parsing goes on as usual after them. */
static void test_unsupported_constructs(void)
{
	/* a ?: b is parsed (a block expression evaluating a once) */
	CHECK_ERROR("BEGIN { $a = 1; @x = $a ?: 1; }", 0, "");
	/* the top level: skipped whole */
	/* the config block: first, once, `key = value` separated by ';' */
	CHECK_ERROR("BEGIN { }\nconfig = { max_strlen = 128 }", 1,
		    "stdin:2:1: error: the config block must come first in the script, before any probe or definition");
	CHECK_ERROR("config = { a = 1 }\nconfig = { b = 1; }\nBEGIN { }", 1,
		    "stdin:2:1: error: a script has one config block; merge this one into the first");
	CHECK_ERROR("config = { max_strlen 128 }\nBEGIN { }", 1,
		    "stdin:1:23: error: syntax error, unexpected integer, expecting '='");
	CHECK_ERROR("import \"a.bt\";\nimport \"b.bt\";\nBEGIN { }", 1,
		    "stdin:1:1: error: 'import' is not supported by sonde yet");
	/* macros: expanded in the AST, their own variables renamed */
	CHECK_AST("macro one() { 1 }\nmacro inc($x, @m, y) { $x += y; $t = @m; $t }\n"
		  "BEGIN { @ = one; $b = inc($a, @c, one + 1); }",
		  "probe 0: BEGIN\n"
		  "  block\n"
		  "    assign =\n"
		  "      map @\n"
		  "      int 1\n"
		  "    assign +=\n"
		  "      var $a\n"
		  "      binary +\n"
		  "        int 1\n"
		  "        int 1\n"
		  "    assign =\n"
		  "      var $t (in macro inc)\n"
		  "      map @c\n"
		  "    assign =\n"
		  "      var $b\n"
		  "      var $t (in macro inc)\n");
	CHECK_ERROR("macro f(x) { g(x) }\nmacro g(x) { f(x) }\nBEGIN { $a = f(1); }", 1,
		    "stdin:2:14: error: macro 'f' uses itself through g; macros cannot be recursive");
	CHECK_ERROR("macro f(x, $y) { x }\nBEGIN { $a = f(1); }", 1,
		    "stdin:2:14: error: macro 'f' takes 2 arguments, but 1 given");
	CHECK_ERROR("macro f(@m) { @m }\nBEGIN { $a = f(1); }", 1,
		    "stdin:2:16: error: argument 1 of macro 'f' must be a map without keys, as its parameter '@m' is");
	/* statements before the value: a block expression */
	CHECK_ERROR("macro f() { $x = 1; 2 }\nBEGIN { if (f()) { } }", 0, "");
	CHECK_ERROR("macro f() { $x = 1; }\nBEGIN { if (f()) { } }", 1,
		    "stdin:2:13: error: macro 'f' has no value: its body does not end in an expression");
}

/* let @m = kind(N); at the top level (map declarations) */
static void test_map_declarations(void)
{
	struct parsed r = parse("let @a = hash(10);\nlet @ = /* c */ percpulruhash(0x20) ;\n"
				"BEGIN { @a[1] = 1; }\nlet @late = lruhash(3);");
	CHECKF(r.errors == 0, "errors:\n%s", r.diag);
	const struct map_decl *md = r.prog ? r.prog->map_decls : NULL;
	CHECKF(md && strcmp(md->name, "@a") == 0 && strcmp(md->kind, "hash") == 0 &&
	       md->max_entries == 10 && md->loc.line == 1 && md->loc.col == 1 && md->kind_loc.col == 10,
	       "first declaration");
	md = md ? md->next : NULL;
	CHECKF(md && strcmp(md->name, "@") == 0 && strcmp(md->kind, "percpulruhash") == 0 &&
	       md->max_entries == 32, "second declaration");
	md = md ? md->next : NULL;
	CHECKF(md && strcmp(md->name, "@late") == 0 && !md->next, "a declaration after a probe");
	CHECKF(r.prog && r.prog->probes && !r.prog->probes->next, "one probe");
	static const char want_ast[] = "let @a = hash(10)\nlet @ = percpulruhash(32)\nlet @late = lruhash(3)\n"
				       "probe 0: BEGIN\n";
	CHECKF(r.ast && strncmp(r.ast, want_ast, strlen(want_ast)) == 0,
	       "-d ast shows the declarations first:\n%s", r.ast ? r.ast : "");
	parsed_free(&r);
	CHECK_ERROR("let @a = hash(10)\nBEGIN { @a[1] = 1; }", 1,
		    "stdin:2:1: error: syntax error, unexpected identifier, expecting ';'");
	CHECK_ERROR("let @a = hash;\nBEGIN { @a[1] = 1; }", 1,
		    "stdin:1:14: error: syntax error, unexpected ';', expecting '('");
	CHECK_ERROR("let @a = hash(x);\nBEGIN { @a[1] = 1; }", 1,
		    "stdin:1:15: error: syntax error, unexpected identifier, expecting integer");
}

/* ---- types, tuples, records, pointers ---------------------------------- */

/* The expression assigned by the first statement of the first probe. */
static const struct node *first_rhs(const struct parsed *r)
{
	const struct probe *p = r->prog->probes;
	if (!p || !p->body || !p->body->body || p->body->body->kind != N_ASSIGN)
		return NULL;
	return p->body->body->rhs;
}

/* `text` parses cleanly and its first assignment is a cast (or sizeof, or
 * offsetof) whose type_spec is kind/name with the given suffixes. */
static void check_spec(const char *text, enum node_kind kind, enum spec_kind spec_kind,
		       const char *name, int nsuffix, const uint32_t *suffix)
{
	struct parsed r = parse(text);
	const struct node *n = first_rhs(&r);
	CHECKF(r.errors == 0 && n && n->kind == kind && n->spec, "%s:\n%s%s", text, r.diag, r.ast);
	if (r.errors == 0 && n && n->kind == kind && n->spec) {
		const struct type_spec *sp = n->spec;
		CHECKF(sp->kind == spec_kind && strcmp(sp->name, name) == 0 && sp->nsuffix == nsuffix,
		       "%s: spec kind %d name '%s' %d suffixes", text, (int)sp->kind, sp->name,
		       sp->nsuffix);
		for (int i = 0; i < nsuffix && i < sp->nsuffix; i++)
			CHECKF(sp->suffix[i] == suffix[i], "%s: suffix %d is %u, want %u", text, i,
			       (unsigned)sp->suffix[i], (unsigned)suffix[i]);
	}
	parsed_free(&r);
}

static void test_casts(void)
{
	CHECK_AST("BEGIN { $a = (struct task_struct *)curtask; $b = (uint8[4])$x; $c = (pid_t)$y; "
		  "$d = (int32*[4])0; $e = (union u *)0; $f = (enum e)1; $g = (uint8[])$s }",
		  "probe 0: BEGIN\n"
		  "  block\n"
		  "    assign =\n"
		  "      var $a\n"
		  "      cast struct task_struct *\n"
		  "        builtin curtask\n"
		  "    assign =\n"
		  "      var $b\n"
		  "      cast uint8[4]\n"
		  "        var $x\n"
		  "    assign =\n"
		  "      var $c\n"
		  "      cast pid_t\n"
		  "        var $y\n"
		  "    assign =\n"
		  "      var $d\n"
		  "      cast int32 *[4]\n"
		  "        int 0\n"
		  "    assign =\n"
		  "      var $e\n"
		  "      cast union u *\n"
		  "        int 0\n"
		  "    assign =\n"
		  "      var $f\n"
		  "      cast enum e\n"
		  "        int 1\n"
		  "    assign =\n"
		  "      var $g\n"
		  "      cast uint8[]\n"
		  "        var $s\n");
	static const uint32_t ptr[] = { SPEC_PTR }, four[] = { 4 }, ptr_four[] = { SPEC_PTR, 4 };
	static const uint32_t unsized[] = { SPEC_ARRAY_UNSIZED }, ptr_ptr[] = { SPEC_PTR, SPEC_PTR };
	check_spec("BEGIN { $a = (struct task_struct *)curtask }", N_CAST, SPEC_STRUCT, "task_struct", 1, ptr);
	check_spec("BEGIN { $a = (uint8[4])$x }", N_CAST, SPEC_NAME, "uint8", 1, four);
	/* a word that is no builtin, between '(' and ')': a type name (TYPENAME) */
	check_spec("BEGIN { $a = (pid_t)$y }", N_CAST, SPEC_NAME, "pid_t", 0, NULL);
	check_spec("BEGIN { $a = (u64 *)$y }", N_CAST, SPEC_NAME, "u64", 1, ptr);
	check_spec("BEGIN { $a = (int32*[4])0 }", N_CAST, SPEC_NAME, "int32", 2, ptr_four);
	check_spec("BEGIN { $a = (uint8[])$s }", N_CAST, SPEC_NAME, "uint8", 1, unsized);
	check_spec("BEGIN { $a = (union u **)0 }", N_CAST, SPEC_UNION, "u", 2, ptr_ptr);
	check_spec("BEGIN { $a = (enum e)1 }", N_CAST, SPEC_ENUM, "e", 0, NULL);
	/* a struct tag may be any word, even one that looks like a type */
	check_spec("BEGIN { $a = (struct pid_t *)0 }", N_CAST, SPEC_STRUCT, "pid_t", 1, ptr);
	/* a builtin in parentheses is the builtin, and so is a call's argument */
	CHECK_AST("BEGIN { $a = (pid) + 1; $b = str(foo) }",
		  "probe 0: BEGIN\n"
		  "  block\n"
		  "    assign =\n"
		  "      var $a\n"
		  "      binary +\n"
		  "        builtin pid\n"
		  "        int 1\n"
		  "    assign =\n"
		  "      var $b\n"
		  "      call str\n"
		  "        builtin foo\n");
	/* a cast binds tighter than '.', which applies to what is cast */
	CHECK_AST("BEGIN { $a = ((struct s *)$p)->f + (uint8)$q.x }",
		  "probe 0: BEGIN\n"
		  "  block\n"
		  "    assign =\n"
		  "      var $a\n"
		  "      binary +\n"
		  "        field ->f\n"
		  "          cast struct s *\n"
		  "            var $p\n"
		  "        cast uint8\n"
		  "          field .x\n"
		  "            var $q\n");
	/* TYPENAME's bison name ("type name ", to differ from TYPE's) is not
	 * listed next to an identifier */
	CHECK_ERROR("BEGIN { @ = (struct)x; }", 1,
		    "stdin:1:20: error: syntax error, unexpected ')', expecting identifier");
	CHECK_ERROR("BEGIN { @ = (uint8[)x; }", 1,
		    "stdin:1:20: error: syntax error, unexpected ')', expecting integer or ']'");
}

static void test_tuples_and_records(void)
{
	CHECK_AST("BEGIN { $t = (1, \"a\"); $u = (1,); $v = (); $w = ((1, 2), $t.1, (3)); "
		  "$r = (a=1, b=\"x\") }",
		  "probe 0: BEGIN\n"
		  "  block\n"
		  "    assign =\n"
		  "      var $t\n"
		  "      tuple\n"
		  "        int 1\n"
		  "        string \"a\"\n"
		  "    assign =\n"
		  "      var $u\n"
		  "      tuple\n"
		  "        int 1\n"
		  "    assign =\n"
		  "      var $v\n"
		  "      tuple\n"
		  "    assign =\n"
		  "      var $w\n"
		  "      tuple\n"
		  "        tuple\n"
		  "          int 1\n"
		  "          int 2\n"
		  "        field .1\n"
		  "          var $t\n"
		  "        int 3\n"
		  "    assign =\n"
		  "      var $r\n"
		  "      record\n"
		  "        named a\n"
		  "          int 1\n"
		  "        named b\n"
		  "          string \"x\"\n");
	/* tuples as map keys and values; elements chained */
	CHECK_AST("BEGIN { @m[(1, 2)] = (comm, pid); @n = $t.0.1 }",
		  "probe 0: BEGIN\n"
		  "  block\n"
		  "    assign =\n"
		  "      map @m\n"
		  "        tuple\n"
		  "          int 1\n"
		  "          int 2\n"
		  "      tuple\n"
		  "        builtin comm\n"
		  "        builtin pid\n"
		  "    assign =\n"
		  "      map @n\n"
		  "      field .1\n"
		  "        field .0\n"
		  "          var $t\n");
	struct parsed r = parse("BEGIN { $t = (1, \"ab\"); }");
	const struct node *t = first_rhs(&r);
	CHECKF(r.errors == 0 && t && t->kind == N_TUPLE, "%s%s", r.diag, r.ast);
	if (t && t->kind == N_TUPLE) {
		CHECK_LOC(t->loc, 1, 14, 1, 23);
		CHECK(t->args && t->args->next && !t->args->next->next);
	}
	parsed_free(&r);
	/* a record's fields are all named */
	CHECK_ERROR("BEGIN { @ = (a=1, 2); }", 1,
		    "stdin:1:19: error: syntax error, unexpected integer, expecting identifier");
}

static void test_pointers_and_sizes(void)
{
	CHECK_AST("BEGIN { @a = $a[1]; @b = *$p; @c = &$x; @d = **$pp; @e = $s->arr[2][3]; "
		  "@f = -*$p + *$p * 2 }",
		  "probe 0: BEGIN\n"
		  "  block\n"
		  "    assign =\n"
		  "      map @a\n"
		  "      index\n"
		  "        var $a\n"
		  "        int 1\n"
		  "    assign =\n"
		  "      map @b\n"
		  "      unary *\n"
		  "        var $p\n"
		  "    assign =\n"
		  "      map @c\n"
		  "      unary &\n"
		  "        var $x\n"
		  "    assign =\n"
		  "      map @d\n"
		  "      unary *\n"
		  "        unary *\n"
		  "          var $pp\n"
		  "    assign =\n"
		  "      map @e\n"
		  "      index\n"
		  "        index\n"
		  "          field ->arr\n"
		  "            var $s\n"
		  "          int 2\n"
		  "        int 3\n"
		  "    assign =\n"
		  "      map @f\n"
		  "      binary +\n"
		  "        unary -\n"
		  "          unary *\n"
		  "            var $p\n"
		  "        binary *\n"
		  "          unary *\n"
		  "            var $p\n"
		  "          int 2\n");
	/* @m[k] is a map with a key, never @m indexed */
	CHECK_AST("BEGIN { @x = @m[1]; }",
		  "probe 0: BEGIN\n"
		  "  block\n"
		  "    assign =\n"
		  "      map @x\n"
		  "      map @m\n"
		  "        int 1\n");
	CHECK_AST("BEGIN { @a = sizeof(struct task_struct); @b = sizeof($x); @c = sizeof(uint8[4]); "
		  "@d = offsetof(struct x, a.b); @e = offsetof(struct y, c); @f = sizeof(pid_t); "
		  "@g = true; @h = !false }",
		  "probe 0: BEGIN\n"
		  "  block\n"
		  "    assign =\n"
		  "      map @a\n"
		  "      sizeof struct task_struct\n"
		  "    assign =\n"
		  "      map @b\n"
		  "      sizeof\n"
		  "        var $x\n"
		  "    assign =\n"
		  "      map @c\n"
		  "      sizeof uint8[4]\n"
		  "    assign =\n"
		  "      map @d\n"
		  "      offsetof struct x\n"
		  "        named a\n"
		  "        named b\n"
		  "    assign =\n"
		  "      map @e\n"
		  "      offsetof struct y\n"
		  "        named c\n"
		  "    assign =\n"
		  "      map @f\n"
		  "      sizeof pid_t\n"
		  "    assign =\n"
		  "      map @g\n"
		  "      bool true\n"
		  "    assign =\n"
		  "      map @h\n"
		  "      unary !\n"
		  "        bool false\n");
	static const uint32_t ptr[] = { SPEC_PTR };
	check_spec("BEGIN { @ = sizeof(struct task_struct *); }", N_SIZEOF, SPEC_STRUCT, "task_struct", 1, ptr);
	check_spec("BEGIN { @ = offsetof(struct x, a.b); }", N_OFFSETOF, SPEC_STRUCT, "x", 0, NULL);
	struct parsed r = parse("BEGIN { @ = sizeof(1 + 2); @b = true; }");
	const struct node *n = first_rhs(&r);
	CHECKF(r.errors == 0 && n && n->kind == N_SIZEOF && !n->spec && n->lhs &&
	       n->lhs->kind == N_BINARY, "%s%s", r.diag, r.ast);
	const struct node *b = r.prog->probes->body->body->next->rhs;
	CHECK(b->kind == N_BOOL && b->ival == 1);
	parsed_free(&r);
	CHECK_ERROR("BEGIN { @ = offsetof(struct x); }", 1,
		    "stdin:1:30: error: syntax error, unexpected ')', expecting '*' or '[' or ','");
}

/* ---- C definitions at the top of a script --------------------------------- */

static const struct cdef_member *cdef_member_at(const struct cdef *d, int i)
{
	const struct cdef_member *m = d ? d->members : NULL;
	while (m && i-- > 0)
		m = m->next;
	return m;
}

/* Member m is `name` of spec kind/name with the given suffixes and bit size. */
static void check_cdef_member(const struct cdef_member *m, const char *name, enum spec_kind kind,
			      const char *spec_name, int nsuffix, const uint32_t *suffix,
			      uint32_t bit_size)
{
	CHECKF(m != NULL, "no member '%s'", name);
	if (!m)
		return;
	CHECKF(m->name && strcmp(m->name, name) == 0, "member '%s', want '%s'", m->name, name);
	CHECKF(m->spec.kind == kind, "%s: spec kind %d, want %d", name, (int)m->spec.kind, (int)kind);
	CHECKF((!spec_name && !m->spec.name) ||
	       (spec_name && m->spec.name && strcmp(m->spec.name, spec_name) == 0),
	       "%s: spec name '%s', want '%s'", name, m->spec.name ? m->spec.name : "(null)",
	       spec_name ? spec_name : "(null)");
	CHECKF(m->spec.nsuffix == nsuffix, "%s: %d suffixes, want %d", name, m->spec.nsuffix, nsuffix);
	for (int i = 0; i < nsuffix && i < m->spec.nsuffix; i++)
		CHECKF(m->spec.suffix[i] == suffix[i], "%s: suffix %d is %u, want %u", name, i,
		       (unsigned)m->spec.suffix[i], (unsigned)suffix[i]);
	CHECKF(m->bit_size == bit_size, "%s: %u bits, want %u", name, (unsigned)m->bit_size,
	       (unsigned)bit_size);
}

static void test_cdefs(void)
{
	static const uint32_t eight[] = { 8 }, ptr[] = { SPEC_PTR };
	/* C declarators: int *a[2][3] is an array of 2 arrays of 3 pointers */
	static const uint32_t ptr_3_2[] = { SPEC_PTR, 3, 2 }, ptr_ptr[] = { SPEC_PTR, SPEC_PTR };
	struct parsed r = parse("struct foo { int a; char b[8]; unsigned long long x:1; struct { int m; }; } "
				"__attribute__((packed));\n"
				"union u { int *p[2][3]; const char **s; struct foo *f; unsigned y : 0; int z }\n"
				"struct empty { };\n"
				"BEGIN { @ = sizeof(struct foo); }");
	CHECKF(r.errors == 0, "%s", r.diag);
	const struct cdef *foo = r.prog->cdefs;
	CHECK(foo && foo->name && strcmp(foo->name, "foo") == 0 && !foo->is_union && foo->is_packed);
	if (foo) {
		CHECK_LOC(foo->loc, 1, 1, 1, 101); /* the ";" included */
		check_cdef_member(cdef_member_at(foo, 0), "a", SPEC_NAME, "int", 0, NULL, 0);
		check_cdef_member(cdef_member_at(foo, 1), "b", SPEC_NAME, "char", 1, eight, 0);
		check_cdef_member(cdef_member_at(foo, 2), "x", SPEC_NAME, "unsigned long long", 0, NULL, 1);
		const struct cdef_member *anon = cdef_member_at(foo, 3);
		CHECK(anon && !anon->name && anon->nested && !cdef_member_at(foo, 4));
		if (anon && anon->nested) {
			CHECK(!anon->nested->name && !anon->nested->is_union && !anon->nested->is_packed);
			check_cdef_member(anon->nested->members, "m", SPEC_NAME, "int", 0, NULL, 0);
			CHECK(!anon->nested->members || !anon->nested->members->next);
		}
	}
	const struct cdef *u = foo ? foo->next : NULL;
	CHECK(u && u->name && strcmp(u->name, "u") == 0 && u->is_union && !u->is_packed);
	if (u) {
		check_cdef_member(cdef_member_at(u, 0), "p", SPEC_NAME, "int", 3, ptr_3_2, 0);
		/* qualifiers change nothing for reading: dropped */
		check_cdef_member(cdef_member_at(u, 1), "s", SPEC_NAME, "char", 2, ptr_ptr, 0);
		check_cdef_member(cdef_member_at(u, 2), "f", SPEC_STRUCT, "foo", 1, ptr, 0);
		/* `: 0` is C's "start a new unit": not a bitfield of 0 bits */
		check_cdef_member(cdef_member_at(u, 3), "y", SPEC_NAME, "unsigned", 0, NULL, 0);
		/* the ';' before '}' may be left out */
		check_cdef_member(cdef_member_at(u, 4), "z", SPEC_NAME, "int", 0, NULL, 0);
		CHECK(!cdef_member_at(u, 5));
	}
	const struct cdef *empty = u ? u->next : NULL;
	CHECK(empty && strcmp(empty->name, "empty") == 0 && !empty->members && !empty->next);
	CHECK(r.prog->probes && !r.prog->probes->next);
	parsed_free(&r);

	/* A definition after a probe, and one without a ';' after it. */
	r = parse("BEGIN { }\nstruct s { int a; }\nEND { }");
	CHECKF(r.errors == 0 && r.prog->cdefs && strcmp(r.prog->cdefs->name, "s") == 0 &&
	       r.prog->probes && r.prog->probes->next, "%s", r.diag);
	parsed_free(&r);
	/* The words `struct x` in an expression are a type, not a definition. */
	CHECK_AST("struct s { int a; }\nBEGIN { @ = sizeof(struct s); }",
		  "probe 0: BEGIN\n  block\n    assign =\n      map @\n      sizeof struct s\n");

	/* enums: values given or counted on, a trailing comma, no name */
	r = parse("enum e { A, B = 2, C = -3, };\nenum { X }\nBEGIN { }");
	const struct cdef *en = r.prog->cdefs;
	const struct cdef_enumerator *ea = en ? en->enumerators : NULL;
	const struct cdef_enumerator *eb = ea ? ea->next : NULL, *ec = eb ? eb->next : NULL;
	CHECKF(r.errors == 0 && en && en->is_enum && strcmp(en->name, "e") == 0 && ea && !ea->has_value &&
	       strcmp(ea->name, "A") == 0 && eb && eb->has_value && eb->value == 2 && ec &&
	       ec->value == -3 && !ec->next && en->next && en->next->is_enum && !en->next->name,
	       "%s", r.diag);
	parsed_free(&r);
	CHECK_ERROR("struct s { int; };\nBEGIN {}", 1,
		    "stdin:1:12: error: expected a member name after the type 'int'");
	CHECK_ERROR("struct s { int a:65; };\nBEGIN {}", 1,
		    "stdin:1:12: error: bitfield 'a' is wider than 64 bits");
	CHECK_ERROR("struct s { int a } __attribute__((foo));\nBEGIN {}", 1,
		    "stdin:1:35: error: unknown attribute 'foo' (sonde knows packed and aligned)");
	/* a[0] is a flexible array member */
	CHECK_ERROR("struct s { int a[3000000000]; };\nBEGIN {}", 1,
		    "stdin:1:18: error: invalid array size 3000000000");
}

/* A named member of an inline struct or union type (`struct { int m; } y;`),
 * and several declarators in one declaration (`int a, *b;`). */
static void test_cdef_declarators(void)
{
	struct parsed r = parse("struct foo { int a; char b[8]; unsigned long long x:1; struct { int m; } y; }"
				" __attribute__((packed));\nBEGIN { }");
	const struct cdef *foo = r.prog->cdefs;
	const struct cdef_member *y = cdef_member_at(foo, 3);
	CHECKF(r.errors == 0 && foo && foo->is_packed && y && y->name && strcmp(y->name, "y") == 0 &&
		  y->nested && !y->nested->is_union && !y->nested->name && y->spec.nsuffix == 0 &&
		  y->nested->members && strcmp(y->nested->members->name, "m") == 0 && !cdef_member_at(foo, 4),
		  "a named member of an inline struct is refused:\n%s", r.diag);
	parsed_free(&r);
	r = parse("union u { union { char c; long l; } z[2]; };\nBEGIN { }");
	const struct cdef_member *z = r.prog->cdefs ? r.prog->cdefs->members : NULL;
	CHECKF(r.errors == 0 && z && z->name && strcmp(z->name, "z") == 0 && z->nested &&
		  z->nested->is_union && z->spec.nsuffix == 1 && z->spec.suffix[0] == 2,
		  "a named array of an inline union is refused:\n%s", r.diag);
	parsed_free(&r);
	r = parse("struct s { int a, *b; unsigned x:3, y:5; };\nBEGIN { }");
	const struct cdef *sd = r.prog->cdefs;
	const struct cdef_member *ptr_b = cdef_member_at(sd, 1), *bits_y = cdef_member_at(sd, 3);
	CHECKF(r.errors == 0 && ptr_b && strcmp(ptr_b->name, "b") == 0 &&
		  ptr_b->spec.nsuffix == 1 && ptr_b->spec.suffix[0] == SPEC_PTR && bits_y &&
		  strcmp(bits_y->name, "y") == 0 && bits_y->bit_size == 5,
		  "several declarators in one declaration:\n%s", r.diag);
	parsed_free(&r);
}

/* What the scanner reported is not reported again as a syntax error, and
 * a block after a broken statement is skipped whole. */
static void test_no_cascades(void)
{
	CHECK_ERROR("BEGIN @x = 1; }", 1, "stdin:1:7: error: invalid probe specification '@x'");
	CHECK_ERROR("BEGIN { } #define X 1\nEND { }", 1,
		    "stdin:1:11: error: invalid probe specification '#define'");
	CHECK_ERROR("BEGIN { $ = 1; }", 1, "stdin:1:9: error: invalid character '$'");
	CHECK_ERROR("BEGIN { @x = `a`; }", 1, "stdin:1:14: error: invalid character '`'");
	CHECK_ERROR("BEGIN { printf('%d', 'a'); }", 1,
		    "stdin:1:16: error: strings are written in double quotes, not single quotes");
	/* `{ @x = 1; }` is a block expression (the right operand): the if
	 * then misses its block */
	CHECK_ERROR("BEGIN { if pid > { @x = 1; } }", 1,
		    "stdin:1:30: error: syntax error, unexpected '}', expecting '{'");
	CHECK_ERROR("BEGIN { else { @x = 1; } }", 1,
		    "stdin:1:9: error: syntax error, unexpected 'else', expecting '}'");
	CHECK_ERROR("BEGIN { @x = (1 { } ); }", 1,
		    "stdin:1:17: error: syntax error, unexpected '{', expecting ',' or ')'");
	/* independent mistakes are each reported */
	CHECK_ERROR("BEGIN { @x = 1 +; @y = ; }", 2,
		    "stdin:1:17: error: syntax error, unexpected ';', expecting an expression");
}

static void test_lexical_errors_through_parser(void)
{
	/* Only one error each: the parse goes on (or stops) quietly. */
	CHECK_ERROR("BEGIN { printf(\"abc); }", 1, "stdin:1:16: error: unterminated string");
	CHECK_ERROR("BEGIN { printf(\"abc);\n }", 2, "stdin:1:16: error: unterminated string");
	CHECK_ERROR("BEGIN { /* abc }", 1, "stdin:1:9: error: unterminated comment");
	CHECK_ERROR("BEGIN { $x = 99999999999999999999; }", 1,
		    "stdin:1:14: error: integer literal '99999999999999999999' is out of range (more than 64 bits)");
	CHECK_ERROR("BEGIN { @x = \"\\q\"; }", 1,
		    "stdin:1:15: error: unknown escape sequence '\\q'");
	CHECK_ERROR("123 { }", 1, "stdin:1:1: error: invalid probe specification '123'");
}

static void test_error_format(void)
{
	struct parsed r = parse("BEGIN { @x = 1 @yy = 2; }");
	CHECKF(strcmp(r.diag, "stdin:1:16: error: syntax error, unexpected map, expecting '}' or ';'\n"
			     "BEGIN { @x = 1 @yy = 2; }\n"
			     "               ^~~\n") == 0,
	      "got:\n%s", r.diag);
	parsed_free(&r);
}

static void test_recovery(void)
{
	/* Three broken probes, two good ones: all three errors, both good probes kept. */
	struct parsed r = parse("BEGIN { @x = 1 }\n"
				"END { @y = }\n"
				"kprobe:f { @z = 3 + ; @w = ; }\n"
				"interval:s:1 { @ok = 1 }\n"
				"t:a:b { if (1) { $x = = 2; } $y = 1 }\n");
	CHECKF(r.errors == 4, "errors %d:\n%s", r.errors, r.diag);
	CHECKF(count_lines_with(r.diag, "stdin:2:12: error: syntax error, unexpected '}', expecting an expression\n") == 1,
	      "%s", r.diag);
	CHECKF(count_lines_with(r.diag, "stdin:3:21: error: syntax error, unexpected ';', expecting an expression\n") == 1,
	      "%s", r.diag);
	CHECKF(count_lines_with(r.diag, "stdin:3:28: error: syntax error, unexpected ';', expecting an expression\n") == 1,
	      "%s", r.diag);
	CHECKF(count_lines_with(r.diag, "stdin:5:23: error: syntax error, unexpected '=', expecting an expression\n") == 1,
	      "%s", r.diag);
	/* Statement-level recovery keeps every probe, minus the broken statements. */
	CHECKF(strcmp(r.ast, "probe 0: BEGIN\n"
			    "  block\n"
			    "    assign =\n"
			    "      map @x\n"
			    "      int 1\n"
			    "probe 1: END\n"
			    "  block\n"
			    "probe 2: kprobe:f\n"
			    "  block\n"
			    "probe 3: interval:s:1\n"
			    "  block\n"
			    "    assign =\n"
			    "      map @ok\n"
			    "      int 1\n"
			    "probe 4: t:a:b\n"
			    "  block\n"
			    "    if\n"
			    "      int 1\n"
			    "      block\n"
			    "    assign =\n"
			    "      var $y\n"
			    "      int 1\n") == 0,
	      "got:\n%s", r.ast);
	parsed_free(&r);

	/* Probe-level recovery: a broken probe header is skipped up to the end of its action. */
	r = parse("BEGIN, { if (1) { } }\nEND { @e = 1 }");
	CHECKF(r.errors == 1, "%s", r.diag);
	CHECKF(strcmp(r.ast, "probe 0: END\n  block\n    assign =\n      map @e\n      int 1\n") == 0,
	      "got:\n%s", r.ast);
	parsed_free(&r);
}

static void test_robustness(void)
{
	/* 10,000 nested parentheses: one error, no crash. */
	size_t n = 10000;
	char *deep = malloc(2 * n + 64);
	size_t len = (size_t)sprintf(deep, "BEGIN { $x = ");
	memset(deep + len, '(', n);
	len += n;
	deep[len++] = '1';
	memset(deep + len, ')', n);
	len += n;
	strcpy(deep + len, "; }");
	struct parsed r = parse(deep);
	CHECKF(r.errors == 1, "%d errors", r.errors);
	static const char want[] =
		"stdin:1:269: error: nesting too deep (more than 256 levels of brackets)\n";
	CHECKF(strncmp(r.diag, want, strlen(want)) == 0, "%.200s", r.diag);
	parsed_free(&r);

	/* Long operator chains: a deep tree, refused before later stages recurse. */
	len = (size_t)sprintf(deep, "BEGIN { $x = ");
	for (size_t i = 0; i < 3000; i++)
		deep[len++] = '!';
	strcpy(deep + len, "1; }");
	r = parse(deep);
	CHECKF(r.errors == 1 && strstr(r.diag, "error: expression nested too deeply") != NULL,
	      "%.200s", r.diag);
	parsed_free(&r);
	len = (size_t)sprintf(deep, "BEGIN { $x = 1");
	for (size_t i = 0; i < 3000; i++)
		len += (size_t)sprintf(deep + len, "+1");
	strcpy(deep + len, "; }");
	r = parse(deep);
	CHECKF(r.errors == 1 && strstr(r.diag, "error: expression nested too deeply") != NULL,
	      "%.200s", r.diag);
	parsed_free(&r);
	free(deep);

	/* A long but shallow script is fine: 2000 statements. */
	char *wide = malloc(2000 * 16 + 32);
	len = (size_t)sprintf(wide, "BEGIN {");
	for (int i = 0; i < 2000; i++)
		len += (size_t)sprintf(wide + len, " @a%d = %d;", i % 10, i);
	strcpy(wide + len, " }");
	r = parse(wide);
	CHECKF(r.errors == 0, "%.200s", r.diag);
	parsed_free(&r);
	free(wide);

	/* NUL bytes, non-UTF-8, random garbage: errors, never a crash. */
	static const char nul[] = "BEGIN { @x\0 = 1; }\n\xff\xfe kprobe:\xc3\xa9 { }";
	r = parse_bytes(nul, sizeof(nul) - 1);
	CHECKF(r.errors >= 2, "%s", r.diag);
	parsed_free(&r);
	unsigned char buf[3000];
	unsigned seed = 777;
	for (int round = 0; round < 50; round++) {
		size_t blen = 1 + round * 59 % sizeof(buf);
		for (size_t i = 0; i < blen; i++) {
			seed = seed * 1103515245u + 12345u;
			/* Half the rounds draw from script-like characters. */
			static const char alphabet[] = "BEGIN{}()[]/;,=+-*@$x1\"\\ \n:tif?";
			unsigned v = seed >> 16;
			buf[i] = round % 2 ? (unsigned char)alphabet[v % (sizeof(alphabet) - 1)]
					   : (unsigned char)v;
		}
		r = parse_bytes((const char *)buf, blen);
		CHECKF(r.errors > 0 || r.prog->probes, "round %d: no probes and no error", round);
		parsed_free(&r);
	}
}

static void test_many_parses(void)
{
	/* No global state: the same script parses the same way every time, and
	 * a failed parse does not disturb the next one. */
	for (int i = 0; i < 200; i++) {
		struct parsed bad = parse("BEGIN { @x = ( }");
		struct parsed good = parse("BEGIN { @x = 1 }");
		CHECKF(bad.errors == 1 && good.errors == 0, "round %d: %d/%d", i, bad.errors, good.errors);
		CHECKF(strcmp(good.ast, "probe 0: BEGIN\n  block\n    assign =\n      map @x\n      int 1\n") == 0,
		      "%s", good.ast);
		parsed_free(&bad);
		parsed_free(&good);
	}
}

/* ---- ast.c helpers ----------------------------------------------------- */

static void test_ast_helpers(void)
{
	char buf[32];
	struct type_arena *types = type_arena_new();
	CHECKF(strcmp(type_name(type_int(8, true), buf, sizeof(buf)), "int64") == 0, "%s", buf);
	CHECKF(strcmp(type_name(type_int(1, false), buf, sizeof(buf)), "uint8") == 0, "%s", buf);
	CHECKF(strcmp(type_name(type_str(types, 16), buf, sizeof(buf)), "string[16]") == 0, "%s", buf);
	CHECKF(strcmp(type_name(type_none(), buf, sizeof(buf)), "none") == 0, "%s", buf);
	CHECKF(type_equal(type_int(4, true), type_int(4, true)), "int32 == int32");
	CHECKF(!type_equal(type_int(4, true), type_int(4, false)), "int32 != uint32");
	CHECKF(!type_equal(type_int(4, true), type_int(8, true)), "int32 != int64");
	CHECKF(!type_equal(type_str(types, 16), type_str(types, 64)), "string sizes");
	CHECKF(!type_equal(type_str(types, 8), type_int(8, false)), "kinds");
	CHECKF(strcmp(binop_spelling(OP_SHL), "<<") == 0, "shl");
	CHECKF(strcmp(binop_spelling(OP_LAND), "&&") == 0, "land");
	CHECKF(strcmp(binop_spelling(OP_GE), ">=") == 0, "ge");

	/* -d types shows each expression's type. */
	struct parsed r = parse("BEGIN { @x[comm] = pid + 1 }");
	struct node *assign = r.prog->probes->body->body;
	assign->lhs->type = type_int(8, false);
	assign->lhs->args->type = type_str(types, 16);
	assign->rhs->type = type_int(8, false);
	assign->rhs->lhs->type = type_int(4, false);
	assign->rhs->rhs->type = type_int(8, true);
	char *out;
	size_t olen;
	FILE *f = open_memstream(&out, &olen);
	ast_dump(f, r.prog, true);
	fclose(f);
	CHECKF(strcmp(out, "probe 0: BEGIN\n"
			  "  block\n"
			  "    assign =\n"
			  "      map @x : uint64\n"
			  "        builtin comm : string[16]\n"
			  "      binary + : uint64\n"
			  "        builtin pid : uint32\n"
			  "        int 1 : int64\n") == 0,
	      "got:\n%s", out);
	free(out);
	type_arena_free(types);

	/* ast_free_program owns sema's maps and vars too. */
	struct map_info *m = xcalloc(1, sizeof(*m));
	m->name = xstrdup("@x");
	r.prog->maps = m;
	struct var_info *v = xcalloc(1, sizeof(*v));
	v->name = xstrdup("$v");
	r.prog->probes->vars = v;
	parsed_free(&r);

	/* Freeing a very deep hand-built tree does not recurse. */
	srcloc nowhere = { 0, 0, 0, 0 };
	struct node *deep = ast_new(N_INT, nowhere);
	for (int i = 0; i < 200000; i++)
		deep = ast_new_unary('-', deep, nowhere);
	ast_free_node(deep);
}

/* let, loops and jumps: their shapes, with and without parentheses. */
static void test_control_flow(void)
{
	CHECK_AST("BEGIN { let $x: uint16 = 1; let $y; while $x < 3 { $x++; if $x == 2 { continue; } break; } }",
		  "probe 0: BEGIN\n"
		  "  block\n"
		  "    let : uint16\n"
		  "      var $x\n"
		  "      int 1\n"
		  "    let\n"
		  "      var $y\n"
		  "    while\n"
		  "      binary <\n"
		  "        var $x\n"
		  "        int 3\n"
		  "      block\n"
		  "        expr\n"
		  "          postfix ++\n"
		  "            var $x\n"
		  "        if\n"
		  "          binary ==\n"
		  "            var $x\n"
		  "            int 2\n"
		  "          block\n"
		  "            continue\n"
		  "        break\n");
	CHECK_AST("BEGIN { unroll(2) { return; } for ($kv : @m) { } for $i : 0..$n { } return 1 }",
		  "probe 0: BEGIN\n"
		  "  block\n"
		  "    unroll\n"
		  "      int 2\n"
		  "      block\n"
		  "        return\n"
		  "    for\n"
		  "      var $kv\n"
		  "      map @m\n"
		  "      block\n"
		  "    for\n"
		  "      var $i\n"
		  "      range\n"
		  "        int 0\n"
		  "        var $n\n"
		  "      block\n"
		  "    return\n"
		  "      int 1\n");
	CHECK_ERROR("BEGIN { for ($i 0..3) { } }", 1,
		    "stdin:1:17: error: syntax error, unexpected integer, expecting ':'");
	CHECK_ERROR("BEGIN { let x = 1; }", 1,
		    "stdin:1:13: error: syntax error, unexpected identifier, expecting variable");
	CHECK_ERROR("BEGIN { while (1) { } @x = ; }", 1,
		    "stdin:1:28: error: syntax error, unexpected ';', expecting an expression");
}

int main(void)
{
	test_map_declarations();
	test_probes();
	test_precedence();
	test_terms();
	test_statements();
	test_locations();
	test_syntax_errors();
	test_semantic_parse_errors();
	test_unsupported_constructs();
	test_control_flow();
	test_casts();
	test_tuples_and_records();
	test_pointers_and_sizes();
	test_cdefs();
	test_cdef_declarators();
	test_no_cascades();
	test_lexical_errors_through_parser();
	test_error_format();
	test_recovery();
	test_robustness();
	test_many_parses();
	test_ast_helpers();
	if (failures) {
		fprintf(stderr, "test_parser: %d failure(s)\n", failures);
		return 1;
	}
	printf("test_parser: ok\n");
	return 0;
}
