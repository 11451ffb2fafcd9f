/* parser.y - the bpftrace grammar (a pure bison parser) building the AST.
 *
 * Owns: the shape of a program (probes, predicates, statements, expressions
 * with C precedence), the source span of every node, syntax errors and the
 * recovery that lets one run report several of them.
 *
 * Error recovery works at two levels: a broken statement is skipped up to
 * its ';', through the block that follows it (`if x { }`), or up to the '}'
 * closing its block; a broken probe is skipped up to the '}' that closes
 * its action. The scanner tells that last brace apart (BODY_END),
 * so recovery never stops at an inner '}'. Finished probes go straight into
 * the program, so whatever happens later, the program is valid to free. */

%define api.pure full
%define api.location.type {srcloc}
%define parse.error custom
%define parse.lac full
%locations
%lex-param {yyscan_t scanner}
%parse-param {yyscan_t scanner} {struct parse_state *ps}

%code requires {
#include <stdbool.h>
#include <stdint.h>

#include "ast.h"
#include "diag.h"

#ifndef YY_TYPEDEF_YY_SCANNER_T
#define YY_TYPEDEF_YY_SCANNER_T
typedef void *yyscan_t;
#endif

/* The scanner's state (flex "extra"): nothing about scanning is global. */
struct lexer_state {
	struct diag *d;
	int line, col;   /* cursor: where the next token starts */
	int last_eol_col; /* column of the last newline read: where its line ends */
	int body_depth;  /* open braces of the current action */
	int nest;        /* open ( [ { inside a predicate or action */
	size_t offset;   /* bytes consumed */
	/* the cursor before the last token: yyless(0) gives the token back */
	int undo_line, undo_col, undo_last_eol_col;
	size_t undo_offset;
	size_t len;      /* bytes of the script */
	const char *text; /* the script (read ahead by the scanner's actions) */
	char *pp_text;   /* owned: the script after its preprocessor lines, if any */
	char type_word[24]; /* the last TYPE word read, for syntax errors */
	int last_tok;    /* the token returned before this one */
	int prev_tok;    /* and the one before that */
	int cdef_depth;  /* open braces of a struct definition */
	int attr_parens; /* open parentheses of an __attribute__ after it */
	int skip_depth;  /* open braces of a skipped top-level declaration */
	bool skip_semicolon; /* a skipped C struct definition may end with ';' */
	const char *reported[8]; /* constructs reported (once each) */
	int nreported;
	/* Errors the scanner reported must not come back as syntax errors: */
	bool header_error;  /* an invalid probe specification since the last '{' */
	int bad_char_line;  /* the line of the last invalid character reported */
	srcloc tainted;     /* the last token returned after a lexical error */
	bool stopped;    /* input ends here after an error we reported (too deep,
			  * unterminated comment): only end of input, no more
			  * syntax errors */
};

/* What the parser builds and where it reports. */
struct parse_state {
	struct diag *d;
	struct program *prog;
	struct lexer_state *lex;
	struct probe **tail; /* where the next finished probe goes */
	struct cdef **cdef_tail; /* where the next struct definition goes */
	struct config_item **config_tail; /* where the next config item goes */
	struct macro_def *macros; /* the script's macros, expanded after parsing */
	struct macro_def **macro_tail;
	int nconfig_blocks;
	struct map_decl **map_decl_tail; /* where the next map declaration goes */
	int nprobes;
	/* the C declaration being parsed: its array dimensions, and whether
	 * the definition being finished was __attribute__((packed)) */
	uint32_t dims[SPEC_MAX_SUFFIXES];
	int ndims;
	bool packed;
	/* the type words of the last declaration ("unsigned long"), for the
	 * declarators after its commas (`int a, *b;`); "" after an inline
	 * struct, which they cannot follow */
	char decl_base[128];
	/* Inside a statement sonde does not support (reported at its keyword):
	 * syntax errors in it are not reported, since what bpftrace accepts
	 * there (tuples, say) may be unknown to sonde too. */
	int unsupported_depth;
	const char *reported[16]; /* unsupported constructs already reported */
	int nreported;
};

/* A list under construction: O(1) append. */
struct node_list {
	struct node *head, *tail;
};

struct member_list {
	struct cdef_member *head, *tail;
};

struct enumerator_list {
	struct cdef_enumerator *head, *tail;
};

/* The words of a C declaration as written: "unsigned long * p". */
struct spec_words {
	char *words;
	srcloc loc;
};

struct attach_list {
	struct attach_point *head, *tail;
};
}

%code provides {
yyscan_t lexer_open(struct lexer_state *st, const struct source *src, struct diag *d);
void lexer_close(yyscan_t scanner);
int lexer_next(YYSTYPE *val, YYLTYPE *loc, yyscan_t scanner);
}

%code {
#include <stdlib.h>
#include <string.h>

#include "frontend.h"
#include "builtins.h"
#include "macro.h"

#define YYLLOC_DEFAULT(Cur, Rhs, N)                                        \
	do {                                                               \
		if (N) {                                                   \
			(Cur).line = YYRHSLOC(Rhs, 1).line;                \
			(Cur).col = YYRHSLOC(Rhs, 1).col;                  \
			(Cur).end_line = YYRHSLOC(Rhs, N).end_line;        \
			(Cur).end_col = YYRHSLOC(Rhs, N).end_col;          \
		} else {                                                   \
			(Cur).line = (Cur).end_line = YYRHSLOC(Rhs, 0).end_line; \
			(Cur).col = (Cur).end_col = YYRHSLOC(Rhs, 0).end_col; \
		}                                                          \
	} while (0)

/* Deep unary chains grow bison's stack (brackets are limited by the
 * scanner); past this, bison reports "memory exhausted", which we word as
 * nesting too deep. */
#define YYMAXDEPTH 100000

#define yylex lexer_next

static void yyerror(YYLTYPE *loc, yyscan_t scanner, struct parse_state *ps, const char *msg);
static struct node *parse_check_lvalue(struct parse_state *ps, struct node *n);
static struct node *parse_assign(struct parse_state *ps, struct node *lhs, int op,
				 struct node *rhs, srcloc loc);
static struct node *parse_call(char *name, struct node *args, srcloc loc);
static struct node *parse_block_expr(struct node *block);
static struct node *parse_elvis(struct node *a, struct node *b, srcloc loc);
static struct node *parse_if_expr(struct node *cond, struct node *then, struct node *els, srcloc loc);
static struct node *parse_loop(enum node_kind kind, struct node *cond, struct node *body, srcloc loc);
static struct node *parse_for_head(char *var, srcloc var_loc, struct node *first, struct node *end,
				   srcloc range_loc);
static struct node *parse_for(struct node *head, struct node *body, srcloc loc);
static struct node *parse_let(char *var, srcloc var_loc, struct type_spec *spec, struct node *init,
			      srcloc loc);
static void parse_unsupported_syntax(struct parse_state *ps, const char *what, srcloc at,
				     srcloc span);
static bool parse_already_reported(struct parse_state *ps, const char *key);
static struct node *parse_incdec(struct parse_state *ps, int op, bool prefix, struct node *n,
				 srcloc loc);
static void parse_add_probe(struct parse_state *ps, struct attach_point *points,
			    struct node *pred, struct node *body, srcloc loc);
static struct node_list list_append(struct node_list l, struct node *n);
static struct attach_point *attach_new(char *text, srcloc loc);
static void parse_add_cdef(struct parse_state *ps, struct cdef *d);
static void parse_config_item(struct parse_state *ps, char *key, srcloc key_loc,
			      enum config_value_kind kind, uint64_t num, char *str, srcloc value_loc);
static void parse_config_placement(struct parse_state *ps, srcloc at);
static void parse_add_macro(struct parse_state *ps, char *name, srcloc loc, struct node *params,
			    struct node *body);
static void parse_add_map_decl(struct parse_state *ps, char *name, srcloc name_loc, char *kind,
			       srcloc kind_loc, uint64_t max_entries, srcloc size_loc, srcloc loc);
static void parse_attribute(struct parse_state *ps, char *name, srcloc loc);
static void parse_dim(struct parse_state *ps, uint64_t n, srcloc loc);
static char *parse_words_join(char *words, char *word);
static struct type_spec *parse_spec_suffix(struct parse_state *ps, struct type_spec *spec,
					   uint32_t suffix, srcloc loc);
struct member_list parse_members_append(struct member_list l, struct member_list m);
struct member_list parse_member(struct parse_state *ps, struct spec_words *words, uint64_t bits,
				srcloc loc, struct cdef *nested);
struct member_list parse_anonymous_member(struct parse_state *ps, struct cdef *nested, srcloc loc);
struct member_list parse_next_declarator(struct parse_state *ps, struct spec_words *w, uint64_t bits,
					 srcloc loc);
struct member_list parse_named_nested(struct parse_state *ps, struct cdef *def, char *name, bool is_union,
				      struct spec_words *declarator, srcloc loc);
struct cdef_enumerator *parse_enumerator(char *name, bool has_value, int64_t value, srcloc loc);
}

%union {
	struct node *node;
	char *str;
	struct { uint64_t val; bool is_unsigned; } num;
	struct { char *buf; size_t len; } string;
	struct node_list list;
	struct attach_list points;
	struct type_spec *spec;
	struct cdef *cdef;
	struct member_list members;
	struct enumerator_list enumerators;
	struct cdef_enumerator *enumerator;
	struct spec_words specwords;
	int op;
}

%token END 0 "end of file"
%token <str> ATTACH "probe specification"
%token ENDPRED "'/'"
%token BODY_END "'}'"
%token <str> IDENT "identifier"
%token <str> VAR "variable"
%token <str> MAP "map"
%token <num> POSITIONAL "positional parameter"
%token <num> INT "integer"
%token <string> STRING "string"
%token <str> TYPE "type name"
%token <str> TYPENAME "type name "
%token IF "'if'" ELSE "'else'"
/* The scanner tells a '{' or 'if' where a statement starts from one inside
 * an expression (a block expression, an if-expression): see lexer_next. */
%token STMT_LBRACE "'{' " IF_EXPR "'if' " TYPEOF "'typeof'"
%token CONFIG "'config'" MACRO "'macro'"
%token TRUE "'true'" FALSE "'false'" SIZEOF "'sizeof'" OFFSETOF "'offsetof'"
%token COMPTIME "'comptime'" TYPEINFO "'typeinfo'"
%token STRUCT "'struct'" UNION "'union'" ENUM "'enum'"
%token CDEF_STRUCT "struct definition" CDEF_UNION "union definition" CDEF_ENUM "enum definition" ATTRIBUTE "'__attribute__'"
/* loops and jumps */
%token WHILE "'while'" FOR "'for'" UNROLL "'unroll'" RETURN "'return'" BREAK "'break'"
%token CONTINUE "'continue'" LET "'let'" DOTDOT "'..'"
%token MAP_LET "'let' (map declaration)"
%token LOR "'||'" LAND "'&&'" EQ "'=='" NE "'!='" LE "'<='" GE "'>='" SHL "'<<'"
%token SHR "'>>'" INC "'++'" DEC "'--'" ARROW "'->'" ADD_ASSIGN "'+='" SUB_ASSIGN "'-='"
%token MUL_ASSIGN "'*='" DIV_ASSIGN "'/='" MOD_ASSIGN "'%='" AND_ASSIGN "'&='"
%token OR_ASSIGN "'|='" XOR_ASSIGN "'^='" SHL_ASSIGN "'<<='" SHR_ASSIGN "'>>='"

%type <node> expr unary postfix primary map pred_opt block stmt_seq simple_stmt compound_stmt
%type <node> if_expr else_if_expr
%type <node> if_stmt loop_stmt for_head jump_or_let record_field field_path
%type <list> call_args_opt call_args
%type <node> call_arg
%type <list> stmt_terms expr_list record_fields macro_params macro_param_list
%type <node> macro_param
%type <spec> type_spec type_base
%type <cdef> cdef cdef_body
%type <members> cdef_members cdef_decl
%type <enumerators> cdef_enumerators
%type <enumerator> cdef_enumerator
%type <specwords> cdef_words cdef_declarator
%type <num> cdef_bits
%type <str> field_name
%type <points> attach_list
%type <op> assign_op

%destructor { free($$); } <str>
%destructor { free($$.buf); } <string>
%destructor { ast_free_node($$); } <node>
%destructor { ast_free_node($$.head); } <list>
%destructor { ast_free_spec($$); } <spec>
%destructor { ast_free_cdefs($$); } <cdef>
%destructor { free($$.words); } <specwords>
%destructor { ast_free_enumerators($$.head); } <enumerators>
%destructor { ast_free_enumerators($$); } <enumerator>
%destructor {
	for (struct cdef_member *m = $$.head, *next; m; m = next) {
		next = m->next;
		m->next = NULL;
		free(m->spec.name);
		free(m->name);
		ast_free_cdefs(m->nested);
		free(m);
	}
} <members>
%destructor {
	for (struct attach_point *ap = $$.head, *next; ap; ap = next) {
		next = ap->next;
		free(ap->text);
		free(ap);
	}
} <points>

/* Lowest first. The ternary groups to the right: a ? b : c ? d : e. */
%right '?' ':'
%left LOR
%left LAND
%left '|'
%left '^'
%left '&'
%left EQ NE
%left '<' LE '>' GE
%left SHL SHR
%left '+' '-'
%left '*' '/' '%'
/* `@m[k]` is a map with keys, never the map `@m` indexed */
%nonassoc MAP_WITHOUT_KEYS
%nonassoc '['

%%

/* program = probe* */
program:
	  %empty
	| program probe
	| program cdef			{ parse_add_cdef(ps, $2); }
	| program config_block
	| program macro_def
	| program map_decl
	| program error BODY_END	{ yyerrok; ps->unsupported_depth = 0; }
	;

/* config = "config" "=" "{" (key "=" value (";" key "=" value)* ";"?)? "}"
 * bpftrace's settings for this script; src/config.c checks them. */
config_block:
	  CONFIG '=' '{' config_items '}'	{ parse_config_placement(ps, @1); }
	;

config_items:
	  %empty
	| config_item
	| config_item ';' config_items
	;

config_item:
	  IDENT '=' INT		{ parse_config_item(ps, $1, @1, CONFIG_INT, $3.val, NULL, @3); }
	| IDENT '=' '-' INT	{ parse_config_item(ps, $1, @1, CONFIG_INT, 0 - $4.val, NULL, srcloc_join(@3, @4)); }
	| IDENT '=' STRING	{ parse_config_item(ps, $1, @1, CONFIG_STRING, 0, $3.buf, @3); }
	| IDENT '=' IDENT	{ parse_config_item(ps, $1, @1, CONFIG_WORD, 0, $3, @3); }
	;

/* cdef = ("struct" | "union") name "{" member* "}" ("__attribute__" "((" word ("(" int ")")? "))")* ";"?
 * A C definition at the top of a script; members are C declarations,
 * several per line (int a, *b;), bitfields (int x : 3), arrays (int y[2][2]),
 * and inline anonymous structs or unions. */
cdef:
	  CDEF_STRUCT IDENT '{' cdef_body '}' cdef_attrs cdef_end {
		$$ = $4; $$->name = $2; $$->loc = @$; $$->is_packed = ps->packed; ps->packed = false;
	  }
	| CDEF_UNION IDENT '{' cdef_body '}' cdef_attrs cdef_end {
		$$ = $4; $$->name = $2; $$->is_union = true; $$->loc = @$;
		$$->is_packed = ps->packed; ps->packed = false;
	  }
	| CDEF_ENUM IDENT '{' cdef_enumerators '}' cdef_attrs cdef_end {
		$$ = xcalloc(1, sizeof(*$$)); $$->is_enum = true; $$->name = $2; $$->loc = @$;
		$$->enumerators = $4.head; ps->packed = false;
	  }
	| CDEF_ENUM '{' cdef_enumerators '}' cdef_attrs cdef_end {
		$$ = xcalloc(1, sizeof(*$$)); $$->is_enum = true; $$->loc = @$;
		$$->enumerators = $3.head; ps->packed = false;
	  }
	;

/* enumerators = enumerator ("," enumerator)* ","? */
cdef_enumerators:
	  cdef_enumerator			{ $$.head = $$.tail = $1; }
	| cdef_enumerators ',' cdef_enumerator	{ $$ = $1; $$.tail->next = $3; $$.tail = $3; }
	| cdef_enumerators ','			{ $$ = $1; }
	;

cdef_enumerator:
	  IDENT			{ $$ = parse_enumerator($1, false, 0, @$); }
	| IDENT '=' INT		{ $$ = parse_enumerator($1, true, (int64_t)$3.val, @$); }
	| IDENT '=' '-' INT	{ $$ = parse_enumerator($1, true, (int64_t)(0 - $4.val), @$); }
	;

cdef_end:
	  %empty
	| ';'
	;

cdef_attrs:
	  %empty
	| cdef_attrs ATTRIBUTE '(' '(' IDENT ')' ')'	{ parse_attribute(ps, $5, @5); }
	| cdef_attrs ATTRIBUTE '(' '(' IDENT '(' INT ')' ')' ')' { parse_attribute(ps, $5, @5); }
	;

cdef_body:
	  cdef_members			{ $$ = xcalloc(1, sizeof(*$$)); $$->members = $1.head; }
	| cdef_members cdef_decl	{
		$$ = xcalloc(1, sizeof(*$$)); $$->members = parse_members_append($1, $2).head;
	  }
	;

cdef_members:
	  %empty			{ $$.head = $$.tail = NULL; }
	| cdef_members cdef_decl ';'	{ $$ = parse_members_append($1, $2); }
	| cdef_members ';'		{ $$ = $1; }
	;

/* One declaration: type words and a declarator. The last word before '[',
 * ':' or ';' is the member's name (C's declarator); the ';' before the
 * closing brace may be left out, as clang allows. */
cdef_decl:
	  cdef_words cdef_arrays cdef_bits	{ $$ = parse_member(ps, &$1, $3.val, @$, NULL); }
	| cdef_decl ',' cdef_declarator cdef_arrays cdef_bits {
		$$ = parse_members_append($1, parse_next_declarator(ps, &$3, $5.val, @3));
	  }
	| STRUCT '{' cdef_body '}' cdef_words cdef_arrays { $$ = parse_member(ps, &$5, 0, @$, $3); }
	| UNION '{' cdef_body '}' cdef_words cdef_arrays {
		$3->is_union = true;
		$$ = parse_member(ps, &$5, 0, @$, $3);
	  }
	| STRUCT '{' cdef_body '}'	{ $$ = parse_anonymous_member(ps, $3, @$); }
	| UNION '{' cdef_body '}'	{ $3->is_union = true; $$ = parse_anonymous_member(ps, $3, @$); }
	/* a named definition inside another defines the type for the whole
	 * script, as in C: hoisted before the struct holding it */
	| STRUCT IDENT '{' cdef_body '}' cdef_words cdef_arrays {
		$$ = parse_named_nested(ps, $4, $2, false, &$6, @$);
	  }
	| UNION IDENT '{' cdef_body '}' cdef_words cdef_arrays {
		$$ = parse_named_nested(ps, $4, $2, true, &$6, @$);
	  }
	| STRUCT IDENT '{' cdef_body '}' { $$ = parse_named_nested(ps, $4, $2, false, NULL, @$); }
	| UNION IDENT '{' cdef_body '}'  { $$ = parse_named_nested(ps, $4, $2, true, NULL, @$); }
	;

/* Words and stars in order, as one string: "unsigned long * p". */
cdef_words:
	  IDENT				{ $$.words = $1; $$.loc = @1; }
	| '*'				{ $$.words = xstrdup("*"); $$.loc = @1; }
	| STRUCT IDENT			{ $$.words = parse_words_join(xstrdup("struct"), $2); $$.loc = @1; }
	| UNION IDENT			{ $$.words = parse_words_join(xstrdup("union"), $2); $$.loc = @1; }
	| ENUM IDENT			{ $$.words = parse_words_join(xstrdup("enum"), $2); $$.loc = @1; }
	| cdef_words IDENT		{ $$ = $1; $$.words = parse_words_join($1.words, $2); }
	| cdef_words STRUCT		{ $$ = $1; $$.words = parse_words_join($1.words, xstrdup("struct")); }
	| cdef_words UNION		{ $$ = $1; $$.words = parse_words_join($1.words, xstrdup("union")); }
	| cdef_words ENUM		{ $$ = $1; $$.words = parse_words_join($1.words, xstrdup("enum")); }
	| cdef_words '*'		{ $$ = $1; $$.words = parse_words_join($1.words, xstrdup("*")); }
	;

/* After a comma: stars and a name ("* b"). */
cdef_declarator:
	  IDENT				{ $$.words = $1; $$.loc = @1; }
	| '*' cdef_declarator		{ $$ = $2; $$.loc = @1; $$.words = parse_words_join(xstrdup("*"), $2.words); }
	;

cdef_arrays:
	  %empty			{ ps->ndims = 0; }
	| cdef_arrays '[' INT ']'	{ parse_dim(ps, $3.val, @3); }
	;

cdef_bits:
	  %empty			{ $$.val = 0; $$.is_unsigned = false; }
	| ':' INT			{ $$ = $2; if ($$.val == 0) $$.val = UINT64_MAX; }
	;

/* probe = attach ("," attach)* ("/" expr "/")? "{" stmts "}" */
probe:
	  attach_list pred_opt '{' stmt_seq BODY_END {
		struct node *body = ast_new(N_BLOCK, @$);
		body->loc = srcloc_join(@3, @5);
		body->body = $4;
		parse_add_probe(ps, $1.head, $2, body, @$);
		ps->unsupported_depth = 0;
	  }
	;

attach_list:
	  ATTACH			{ $$.head = $$.tail = attach_new($1, @1); }
	| attach_list ',' ATTACH	{
		$$ = $1;
		$$.tail = $$.tail->next = attach_new($3, @3);
	  }
	;

pred_opt:
	  %empty			{ $$ = NULL; }
	| '/' expr ENDPRED		{ $$ = $2; }
	;

/* block = "{" stmts "}" */
block:
	  '{' stmt_seq '}'		{ $$ = ast_new(N_BLOCK, @$); $$->body = $2; }
	;

/* stmts = (simple_stmt? ";" | compound_stmt)* simple_stmt?
 * A simple statement needs a ';' unless it is the last one of its block;
 * if/else and nested blocks need none. */
stmt_seq:
	  stmt_terms			{ $$ = $1.head; }
	| stmt_terms simple_stmt	{ if ($2) $2->no_semicolon = true; $$ = list_append($1, $2).head; }
	| stmt_terms error		{ $$ = $1.head; }
	;

stmt_terms:
	  %empty			{ $$.head = $$.tail = NULL; }
	| stmt_terms ';'		{ $$ = $1; if ($$.tail) $$.tail->no_semicolon = false; }
	| stmt_terms simple_stmt ';'	{ $$ = list_append($1, $2); }
	| stmt_terms compound_stmt	{ if ($2) $2->no_semicolon = true; $$ = list_append($1, $2); }
	| stmt_terms error ';'		{ $$ = $1; yyerrok; }
	/* `if x { ... }`: the block after a broken header is skipped whole, so
	 * its '}' is not taken for the action's; no yyerrok, so what is left
	 * of the broken statement (a ')') is not reported again */
	| stmt_terms error block	{ $$ = $1; ast_free_node($3); }
	;

compound_stmt:
	  if_stmt
	| STMT_LBRACE stmt_seq '}'	{ $$ = ast_new(N_BLOCK, @$); $$->body = $2; }
	| loop_stmt
	;

/* while e {...}, unroll e {...} (parentheses are part of e),
 * for ($x : @m) {...}, for ($i : a..b) {...} (parentheses optional) */
loop_stmt:
	  WHILE expr block		{ $$ = parse_loop(N_WHILE, $2, $3, @$); }
	| UNROLL expr block		{ $$ = parse_loop(N_UNROLL, $2, $3, @$); }
	| FOR '(' for_head ')' block	{ $$ = parse_for($3, $5, @$); }
	| FOR for_head block		{ $$ = parse_for($2, $3, @$); }
	;

/* $x : @m, or $i : a..b: an N_FOR without its body */
for_head:
	  VAR ':' expr			{ $$ = parse_for_head($1, @1, $3, NULL, @3); }
	| VAR ':' expr DOTDOT expr	{ $$ = parse_for_head($1, @1, $3, $5, srcloc_join(@3, @5)); }
	;

/* return [e], break, continue, let $x [: type] [= e] */
jump_or_let:
	  RETURN			{ $$ = ast_new(N_RETURN, @$); }
	| RETURN expr			{ $$ = ast_new(N_RETURN, @$); $$->lhs = $2; }
	| BREAK				{ $$ = ast_new(N_BREAK, @$); }
	| CONTINUE			{ $$ = ast_new(N_CONTINUE, @$); }
	| LET VAR			{ $$ = parse_let($2, @2, NULL, NULL, @$); }
	| LET VAR '=' expr		{ $$ = parse_let($2, @2, NULL, $4, @$); }
	| LET VAR ':' type_spec		{ $$ = parse_let($2, @2, $4, NULL, @$); }
	| LET VAR ':' type_spec '=' expr { $$ = parse_let($2, @2, $4, $6, @$); }
	;

/* if = "if" expr block ("else" (if | block))? */
if_stmt:
	  IF expr block			{ $$ = ast_new(N_IF, @$); $$->cond = $2; $$->then = $3; }
	| IF expr block ELSE block {
		$$ = ast_new(N_IF, @$); $$->cond = $2; $$->then = $3; $$->els = $5;
	  }
	| IF expr block ELSE if_stmt {
		$$ = ast_new(N_IF, @$); $$->cond = $2; $$->then = $3; $$->els = $5;
	  }
	;

/* simple_stmt = expr (assign_op expr)? | "_" "=" expr */
simple_stmt:
	  expr				{ $$ = ast_new(N_EXPR_STMT, @$); $$->lhs = $1; }
	| expr assign_op expr		{ $$ = parse_assign(ps, $1, $2, $3, @$); }
	| jump_or_let
	;

assign_op:
	  '='		{ $$ = OP_NONE; }
	| ADD_ASSIGN	{ $$ = OP_ADD; }
	| SUB_ASSIGN	{ $$ = OP_SUB; }
	| MUL_ASSIGN	{ $$ = OP_MUL; }
	| DIV_ASSIGN	{ $$ = OP_DIV; }
	| MOD_ASSIGN	{ $$ = OP_MOD; }
	| AND_ASSIGN	{ $$ = OP_AND; }
	| OR_ASSIGN	{ $$ = OP_OR; }
	| XOR_ASSIGN	{ $$ = OP_XOR; }
	| SHL_ASSIGN	{ $$ = OP_SHL; }
	| SHR_ASSIGN	{ $$ = OP_SHR; }
	;

/* expr = expr "?" expr ":" expr | expr binop expr | unary
 * (C precedence, from the %left/%right lines above) */
expr:
	  expr '?' expr ':' expr {
		$$ = ast_new(N_TERNARY, @$); $$->cond = $1; $$->then = $3; $$->els = $5;
	  }
	| expr '?' ':' expr	{ $$ = parse_elvis($1, $4, @$); }
	| expr LOR expr		{ $$ = ast_new_binary(OP_LOR, $1, $3, @$); }
	| expr LAND expr	{ $$ = ast_new_binary(OP_LAND, $1, $3, @$); }
	| expr '|' expr		{ $$ = ast_new_binary(OP_OR, $1, $3, @$); }
	| expr '^' expr		{ $$ = ast_new_binary(OP_XOR, $1, $3, @$); }
	| expr '&' expr		{ $$ = ast_new_binary(OP_AND, $1, $3, @$); }
	| expr EQ expr		{ $$ = ast_new_binary(OP_EQ, $1, $3, @$); }
	| expr NE expr		{ $$ = ast_new_binary(OP_NE, $1, $3, @$); }
	| expr '<' expr		{ $$ = ast_new_binary(OP_LT, $1, $3, @$); }
	| expr LE expr		{ $$ = ast_new_binary(OP_LE, $1, $3, @$); }
	| expr '>' expr		{ $$ = ast_new_binary(OP_GT, $1, $3, @$); }
	| expr GE expr		{ $$ = ast_new_binary(OP_GE, $1, $3, @$); }
	| expr SHL expr		{ $$ = ast_new_binary(OP_SHL, $1, $3, @$); }
	| expr SHR expr		{ $$ = ast_new_binary(OP_SHR, $1, $3, @$); }
	| expr '+' expr		{ $$ = ast_new_binary(OP_ADD, $1, $3, @$); }
	| expr '-' expr		{ $$ = ast_new_binary(OP_SUB, $1, $3, @$); }
	| expr '*' expr		{ $$ = ast_new_binary(OP_MUL, $1, $3, @$); }
	| expr '/' expr		{ $$ = ast_new_binary(OP_DIV, $1, $3, @$); }
	| expr '%' expr		{ $$ = ast_new_binary(OP_MOD, $1, $3, @$); }
	| unary
	;

/* unary = ("-" | "+" | "!" | "~" | "*" | "&" | "++" | "--" | "(" type ")" | "comptime") unary | postfix */
unary:
	  postfix
	| '-' unary		{ $$ = ast_new_unary('-', $2, @$); }
	| '+' unary		{ $$ = $2; }
	| '!' unary		{ $$ = ast_new_unary('!', $2, @$); }
	| '~' unary		{ $$ = ast_new_unary('~', $2, @$); }
	| '*' unary		{ $$ = ast_new_unary('*', $2, @$); }
	| '&' unary		{ $$ = ast_new_unary('&', $2, @$); }
	| INC unary		{ $$ = parse_incdec(ps, '+', true, $2, @$); }
	| DEC unary		{ $$ = parse_incdec(ps, '-', true, $2, @$); }
	| '(' type_spec ')' unary { $$ = ast_new(N_CAST, @$); $$->spec = $2; $$->lhs = $4; }
	/* a value known while compiling; `if comptime (c)` compiles one branch */
	| COMPTIME unary	{ $$ = ast_new(N_COMPTIME, @$); $$->lhs = $2; }
	;

/* type = (TYPE | typename | ("struct" | "union" | "enum") name) ("*" | "[" int? "]")*
 * bpftrace's postfix type syntax: int32*[4] is an array of 4 pointers. */
type_spec:
	  type_base
	| type_spec '*'		{ $$ = parse_spec_suffix(ps, $1, SPEC_PTR, @2); }
	| type_spec '[' INT ']'	{ $$ = parse_spec_suffix(ps, $1, (uint32_t)($3.val > UINT32_MAX - 1 ? UINT32_MAX - 1 : $3.val), @3); }
	| type_spec '[' ']'	{ $$ = parse_spec_suffix(ps, $1, SPEC_ARRAY_UNSIZED, @2); }
	;

type_base:
	  TYPE			{ $$ = ast_new_spec(SPEC_NAME, $1, @$); }
	| TYPENAME		{ $$ = ast_new_spec(SPEC_NAME, $1, @$); }
	| STRUCT IDENT		{ $$ = ast_new_spec(SPEC_STRUCT, $2, @$); }
	| STRUCT TYPENAME	{ $$ = ast_new_spec(SPEC_STRUCT, $2, @$); }
	| UNION IDENT		{ $$ = ast_new_spec(SPEC_UNION, $2, @$); }
	| UNION TYPENAME	{ $$ = ast_new_spec(SPEC_UNION, $2, @$); }
	| ENUM IDENT		{ $$ = ast_new_spec(SPEC_ENUM, $2, @$); }
	| ENUM TYPENAME		{ $$ = ast_new_spec(SPEC_ENUM, $2, @$); }
	| TYPEOF '(' type_spec ')'	{ $$ = $3; $$->loc = @$; }
	| TYPEOF '(' expr ')'	{ $$ = ast_new_spec(SPEC_TYPEOF, NULL, @$); $$->expr = $3; }
	;

/* postfix = primary ("++" | "--" | "." (ident | int) | "->" ident | "[" expr "]")* */
postfix:
	  primary
	| postfix INC		{ $$ = parse_incdec(ps, '+', false, $1, @$); }
	| postfix DEC		{ $$ = parse_incdec(ps, '-', false, $1, @$); }
	| postfix '.' field_name { $$ = ast_new(N_FIELD, @$); $$->lhs = $1; $$->name = $3; }
	| postfix ARROW field_name {
		$$ = ast_new(N_FIELD, @$); $$->lhs = $1; $$->name = $3; $$->is_arrow = true;
	  }
	| postfix '[' expr ']'	{ $$ = ast_new(N_INDEX, @$); $$->lhs = $1; $$->rhs = $3; }
	;

/* A member name, or a tuple element's number ($t.0). */
field_name:
	  IDENT
	| INT			{ $$ = xasprintf("%llu", (unsigned long long)$1.val); }
	;

/* primary = int | string | $var | $N | $# | map | ident | ident "(" args ")" | "(" expr ")" */
primary:
	  INT			{ $$ = ast_new(N_INT, @$); $$->ival = $1.val; $$->is_unsigned = $1.is_unsigned; }
	| TRUE			{ $$ = ast_new(N_BOOL, @$); $$->ival = 1; }
	| FALSE			{ $$ = ast_new(N_BOOL, @$); $$->ival = 0; }
	| STRING		{ $$ = ast_new(N_STR, @$); $$->str = $1.buf; $$->str_len = $1.len; }
	| VAR			{ $$ = ast_new(N_VAR, @$); $$->name = $1; }
	| POSITIONAL		{
		$$ = ast_new(N_POSITIONAL, @$);
		$$->ival = $1.val;
		$$->name = $1.val ? xasprintf("$%llu", (unsigned long long)$1.val) : xstrdup("$#");
	  }
	| map
	| IDENT			{ $$ = ast_new(N_BUILTIN, @$); $$->name = $1; }
	| IDENT '(' call_args_opt ')'	{ $$ = parse_call($1, $3.head, @$); }
	| '(' expr ')'		{ $$ = $2; }
	/* tuples: (a, b), (a,), () */
	| '(' ')'		{ $$ = ast_new(N_TUPLE, @$); }
	| '(' expr ',' ')'	{ $$ = ast_new(N_TUPLE, @$); $$->args = $2; }
	| '(' expr ',' expr_list ')' {
		$$ = ast_new(N_TUPLE, @$); $$->args = $2; $2->next = $4.head;
	  }
	/* records: (a = 1, b = "x") */
	| '(' record_fields ')'	{ $$ = ast_new(N_RECORD, @$); $$->args = $2.head; }
	| SIZEOF '(' type_spec ')' { $$ = ast_new(N_SIZEOF, @$); $$->spec = $3; }
	| SIZEOF '(' expr ')'	{ $$ = ast_new(N_SIZEOF, @$); $$->lhs = $3; }
	/* typeinfo(type) and typeinfo(expr): a call whose argument is the
	 * type (N_TYPEARG) or the expression (never evaluated) */
	| TYPEINFO '(' type_spec ')' {
		struct node *t = ast_new(N_TYPEARG, @3); t->spec = $3; $$ = parse_call(xstrdup("typeinfo"), t, @$);
	  }
	| TYPEINFO '(' expr ')'	{ $$ = parse_call(xstrdup("typeinfo"), $3, @$); }
	| OFFSETOF '(' type_spec ',' field_path ')' {
		$$ = ast_new(N_OFFSETOF, @$); $$->spec = $3; $$->args = $5;
	  }
	/* a block expression: { stmts; value } */
	| '{' stmt_seq '}'	{
		struct node *b = ast_new(N_BLOCK, @$); b->body = $2; $$ = parse_block_expr(b);
	  }
	| if_expr
	;

/* if_expr = "if" expr block ("else" (if_expr | block))?: a value when both
 * branches end in one (an N_TERNARY of two block expressions) */
if_expr:
	  IF_EXPR expr block		{ $$ = parse_if_expr($2, $3, NULL, @$); }
	| IF_EXPR expr block ELSE block	{ $$ = parse_if_expr($2, $3, parse_block_expr($5), @$); }
	| IF_EXPR expr block ELSE else_if_expr { $$ = parse_if_expr($2, $3, $5, @$); }
	;

/* after 'else' the scanner gives a statement's 'if' */
else_if_expr:
	  IF expr block			{ $$ = parse_if_expr($2, $3, NULL, @$); }
	| IF expr block ELSE block	{ $$ = parse_if_expr($2, $3, parse_block_expr($5), @$); }
	| IF expr block ELSE else_if_expr { $$ = parse_if_expr($2, $3, $5, @$); }
	;

record_fields:
	  record_field			{ $$.head = $$.tail = $1; }
	| record_fields ',' record_field { $$ = list_append($1, $3); }
	;

record_field:
	  IDENT '=' expr		{ $$ = ast_new(N_NAMED, @$); $$->name = $1; $$->lhs = $3; }
	;

/* offsetof(struct s, a.b.c): the member names, as N_NAMED nodes */
field_path:
	  field_name			{ $$ = ast_new(N_NAMED, @$); $$->name = $1; }
	| field_path '.' field_name	{
		struct node *n = ast_new(N_NAMED, @3); n->name = $3;
		struct node *t = $1; while (t->next) t = t->next; t->next = n; $$ = $1;
	  }
	;

/* map = "@" ident? ("[" expr ("," expr)* "]")? */
map:
	  MAP %prec MAP_WITHOUT_KEYS	{ $$ = ast_new(N_MAP, @$); $$->name = $1; }
	| MAP '[' expr_list ']'	{ $$ = ast_new(N_MAP, @$); $$->name = $1; $$->args = $3.head; }
	;

/* a call's arguments: expressions, and types as typeof(...) (macros,
 * container_of) */
call_args_opt:
	  %empty		{ $$.head = $$.tail = NULL; }
	| call_args		{ $$ = $1; }
	;

call_args:
	  call_arg		{ $$.head = $$.tail = $1; }
	| call_args ',' call_arg { $$ = list_append($1, $3); }
	;

call_arg:
	  expr
	| TYPEOF '(' type_spec ')'	{ $$ = ast_new(N_TYPEARG, @$); $$->spec = $3; }
	| TYPEOF '(' expr ')'	{
		$$ = ast_new(N_TYPEARG, @$); $$->spec = ast_new_spec(SPEC_TYPEOF, NULL, @$); $$->spec->expr = $3;
	  }
	;

expr_list:
	  expr			{ $$.head = $$.tail = $1; }
	| expr_list ',' expr	{ $$ = list_append($1, $3); }
	;

/* Macro rules come last: bison numbers the character tokens in order of
 * first use, and the order of an 'expecting' list follows it. */
/* macro = "macro" name ("(" (param ("," param)*)? ")")? "{" stmts "}"
 * param = name (an expression) | $name (a variable) | @name (a map) */
macro_def:
	  MACRO IDENT macro_params '{' stmt_seq BODY_END {
		struct node *body = ast_new(N_BLOCK, srcloc_join(@4, @6));
		body->body = $5;
		parse_add_macro(ps, $2, @2, $3.head, body);
		ps->unsupported_depth = 0;
	  }
	;

macro_params:
	  %empty			{ $$.head = $$.tail = NULL; }
	| '(' ')'			{ $$.head = $$.tail = NULL; }
	| '(' macro_param_list ')'	{ $$ = $2; }
	;

macro_param_list:
	  macro_param			{ $$.head = $$.tail = $1; }
	| macro_param_list ',' macro_param { $$ = list_append($1, $3); }
	;

macro_param:
	  IDENT		{ $$ = ast_new(N_BUILTIN, @$); $$->name = $1; }
	| VAR		{ $$ = ast_new(N_VAR, @$); $$->name = $1; }
	| MAP		{ $$ = ast_new(N_MAP, @$); $$->name = $1; }
	;


/* map_decl = "let" map "=" kind "(" max_entries ")" ";"   (let @m = lruhash(100);)
 * Last in the grammar: bison numbers ',' ')' ... by first use, and the
 * expected-token lists of messages follow that order. */
map_decl:
	  MAP_LET MAP '=' IDENT '(' INT ')' ';' {
		parse_add_map_decl(ps, $2, @2, $4, @4, $6.val, @6, @$);
	  }
	;
%%

/* Bison's own wording ("syntax error, unexpected X, expecting Y or Z"), but
 * the expected list is made useful: after a complete expression every
 * operator could follow, so operators are left out and what remains (';',
 * ')', ',' ...) is listed; a place where any expression may start is named
 * "an expression" instead of a dozen token kinds. */
#define MAX_LISTED 4

/* A token's name in messages: the scanner's statement '{' and 'if' are
 * the same words to the user. */
static const char *sym_name(yysymbol_kind_t k)
{
	if (k == YYSYMBOL_STMT_LBRACE)
		return "'{'";
	if (k == YYSYMBOL_IF_EXPR)
		return "'if'";
	return yysymbol_name(k);
}

static bool is_expression_start(yysymbol_kind_t k)
{
	if (k == YYSYMBOL_IF_EXPR || k == YYSYMBOL_TYPEOF)
		return true;
	static const char *const chars[] = { "'('", "'-'", "'+'", "'!'", "'~'", "'*'", "'&'", "'{'" };
	switch (k) {
	case YYSYMBOL_IDENT: case YYSYMBOL_VAR: case YYSYMBOL_MAP: case YYSYMBOL_POSITIONAL:
	case YYSYMBOL_INT: case YYSYMBOL_STRING: case YYSYMBOL_INC: case YYSYMBOL_DEC:
	case YYSYMBOL_TYPE: /* sizeof(uint32): not worth naming apart */
	case YYSYMBOL_TYPENAME: case YYSYMBOL_TRUE: case YYSYMBOL_FALSE: case YYSYMBOL_SIZEOF:
	case YYSYMBOL_OFFSETOF: case YYSYMBOL_STRUCT: case YYSYMBOL_UNION: case YYSYMBOL_ENUM:
	case YYSYMBOL_COMPTIME: case YYSYMBOL_TYPEINFO:
		return true;
	default:
		break;
	}
	for (size_t i = 0; i < sizeof(chars) / sizeof(chars[0]); i++)
		if (strcmp(yysymbol_name(k), chars[i]) == 0)
			return true;
	return false;
}

/* Tokens that may continue an expression already complete. */
static bool is_continuation(yysymbol_kind_t k)
{
	static const char *const chars[] = { "'?'", "'|'", "'^'", "'&'", "'<'", "'>'", "'+'",
					     "'-'", "'*'", "'/'", "'%'", "'.'", "'['", "'('", "'='" };
	if (k >= YYSYMBOL_LOR && k <= YYSYMBOL_SHR_ASSIGN)
		return true;
	if (k == YYSYMBOL_ENDPRED)
		return false;
	for (size_t i = 0; i < sizeof(chars) / sizeof(chars[0]); i++)
		if (strcmp(yysymbol_name(k), chars[i]) == 0)
			return true;
	return false;
}

/* A token the scanner returned right after reporting an error (in the
 * token, as an unterminated string, or just before it, as an invalid
 * character it skipped), or any token of a probe header that held an
 * invalid probe specification: the syntax error is the same mistake. */
static bool is_reported_token(const struct parse_state *ps, srcloc tok)
{
	srcloc t = ps->lex->tainted;
	return ps->lex->header_error || (t.line == tok.line && t.col == tok.col);
}

static bool is_statement_keyword(yysymbol_kind_t k)
{
	switch (k) {
	case YYSYMBOL_IF: case YYSYMBOL_WHILE: case YYSYMBOL_FOR: case YYSYMBOL_UNROLL:
	case YYSYMBOL_RETURN: case YYSYMBOL_BREAK: case YYSYMBOL_CONTINUE: case YYSYMBOL_LET:
	case YYSYMBOL_STMT_LBRACE:
		return true;
	default:
		return false;
	}
}

static int yyreport_syntax_error(const yypcontext_t *ctx, yyscan_t scanner, struct parse_state *ps)
{
	(void)scanner;
	if (ps->lex->stopped)
		return 0; /* the scanner already said why the input ends here */
	if (ps->unsupported_depth > 0 || is_reported_token(ps, *yypcontext_location(ctx)))
		return 0;
	yysymbol_kind_t all[YYNTOKENS];
	int n = yypcontext_expected_tokens(ctx, all, YYNTOKENS);
	if (n < 0)
		return n;
	bool after_expr = false, expr_start = false, stmt_start = false, word = false;
	for (int i = 0; i < n; i++) {
		word |= all[i] == YYSYMBOL_IDENT || all[i] == YYSYMBOL_TYPE;
		after_expr |= all[i] == YYSYMBOL_LOR;
		expr_start |= all[i] == YYSYMBOL_VAR; /* INT alone follows '.' too */
		stmt_start |= all[i] == YYSYMBOL_IF;
	}
	stmt_start &= expr_start; /* not after 'else', where only 'if' or '{' fit */
	if (n == 1 && all[0] == YYSYMBOL_VAR)
		expr_start = false; /* after `let` or `for (`: only a $variable */
	const char *listed[MAX_LISTED + 1];
	int nlisted = 0;
	if (expr_start && !stmt_start)
		listed[nlisted++] = "an expression";
	for (int i = 0; i < n && nlisted <= MAX_LISTED; i++) {
		const char *name = sym_name(all[i]);
		/* Where a statement may start, only the block's end is worth naming. */
		if (stmt_start && (is_statement_keyword(all[i]) || strcmp(name, "'{'") == 0 ||
				   strcmp(name, "';'") == 0))
			continue;
		if ((expr_start && is_expression_start(all[i])) ||
		    (after_expr && is_continuation(all[i])))
			continue;
		/* a struct definition or the config block may start where a probe
		 * may: not worth naming */
		if (all[i] == YYSYMBOL_CDEF_STRUCT || all[i] == YYSYMBOL_CDEF_UNION ||
		    all[i] == YYSYMBOL_CDEF_ENUM || all[i] == YYSYMBOL_CONFIG ||
		    all[i] == YYSYMBOL_MACRO ||
		    all[i] == YYSYMBOL_MAP_LET)
			continue;
		/* TYPENAME's bison name differs from TYPE's only by a space: a
		 * word is what the user would type either way */
		if (all[i] == YYSYMBOL_TYPENAME) {
			if (word)
				continue;
			name = "type name";
		}
		bool dup = false;
		for (int j = 0; j < nlisted; j++)
			dup |= strcmp(listed[j], name) == 0;
		if (!dup)
			listed[nlisted++] = name;
	}
	char msg[256];
	yysymbol_kind_t got = yypcontext_token(ctx);
	if (got == YYSYMBOL_TYPE && expr_start) {
		diag_error(ps->d, *yypcontext_location(ctx),
			   "a type ('%s') cannot be used as a value here; a cast is written (%s)value",
			   ps->lex->type_word, ps->lex->type_word);
		return 0;
	}
	if (got == YYSYMBOL_TYPEOF && expr_start) {
		diag_error(ps->d, *yypcontext_location(ctx),
			   "typeof(...) is a type, not a value: use it in a cast ((typeof(x))v), a "
			   "declaration (let $v: typeof(x)) or sizeof(typeof(x))");
		return 0;
	}
	int len = snprintf(msg, sizeof(msg), "syntax error");
	if (got != YYSYMBOL_YYEMPTY)
		len += snprintf(msg + len, sizeof(msg) - (size_t)len, ", unexpected %s",
				sym_name(got));
	if (nlisted > 0 && nlisted <= MAX_LISTED) {
		for (int i = 0; i < nlisted; i++)
			len += snprintf(msg + len, sizeof(msg) - (size_t)len, "%s%s",
					i == 0 ? ", expecting " : " or ", listed[i]);
	}
	diag_error(ps->d, *yypcontext_location(ctx), "%s", msg);
	return 0;
}

static void yyerror(YYLTYPE *loc, yyscan_t scanner, struct parse_state *ps, const char *msg)
{
	(void)scanner;
	if (ps->lex->stopped)
		return; /* the scanner already said why the input ends here */
	if (strcmp(msg, "memory exhausted") == 0)
		msg = "nesting too deep (parser stack exhausted)";
	diag_error(ps->d, *loc, "%s", msg);
}

static struct node_list list_append(struct node_list l, struct node *n)
{
	if (!n)
		return l;
	if (l.tail)
		l.tail->next = n;
	else
		l.head = n;
	l.tail = n;
	return l;
}

static struct attach_point *attach_new(char *text, srcloc loc)
{
	struct attach_point *ap = xcalloc(1, sizeof(*ap));
	ap->text = text;
	ap->loc = loc;
	return ap;
}

static bool is_lvalue(const struct node *n)
{
	return n->kind == N_VAR || n->kind == N_MAP;
}

static const char *node_what(const struct node *n)
{
	switch (n->kind) {
	case N_INT: return "an integer";
	case N_STR: return "a string";
	case N_BUILTIN: return "a builtin";
	case N_POSITIONAL: return "a positional parameter";
	case N_CALL: return "a function call";
	case N_FIELD: return "a field";
	case N_CAST: return "a cast";
	case N_INCDEC: return "an increment";
	case N_TERNARY: return "a ternary expression";
	default: return "an expression";
	}
}

/* Returns n, or NULL (n freed) after an error when n cannot be written. */
static struct node *parse_check_lvalue(struct parse_state *ps, struct node *n)
{
	if (is_lvalue(n))
		return n;
	diag_error(ps->d, n->loc, "cannot assign to %s: only $variables and @maps can be assigned",
		   node_what(n));
	ast_free_node(n);
	return NULL;
}

static struct node *parse_assign(struct parse_state *ps, struct node *lhs, int op,
				 struct node *rhs, srcloc loc)
{
	if (op == OP_NONE && lhs->kind == N_BUILTIN && strcmp(lhs->name, "_") == 0) {
		/* `_ = e;`: e evaluated, its value dropped on purpose */
		ast_free_node(lhs);
		struct node *n = ast_new(N_EXPR_STMT, loc);
		n->lhs = rhs;
		n->is_discard = true;
		return n;
	}
	lhs = parse_check_lvalue(ps, lhs);
	if (!lhs) {
		ast_free_node(rhs);
		return NULL;
	}
	struct node *n = ast_new(N_ASSIGN, loc);
	n->op = op;
	n->lhs = lhs;
	n->rhs = rhs;
	const struct stdlib_func *f = rhs->kind == N_BLOCK_EXPR && rhs->lhs && rhs->lhs->kind == N_CALL
					      ? stdlib_find_func(rhs->lhs->name) : NULL;
	if (lhs->kind == N_MAP && f && f->kind == FN_AGG) {
		/* @m = { ...; count() }: an aggregation is only ever assigned to
		 * a map, so the block's statements run and then @m = count() */
		struct node *block = rhs;
		n->rhs = block->lhs;
		block->lhs = NULL;
		block->kind = N_BLOCK;
		struct node **tail = &block->body;
		while (*tail)
			tail = &(*tail)->next;
		*tail = n;
		return block;
	}
	return n;
}

static struct node *parse_incdec(struct parse_state *ps, int op, bool prefix, struct node *n,
				 srcloc loc)
{
	if (!is_lvalue(n)) {
		diag_error(ps->d, n->loc, "'%s' needs a $variable or @map, not %s",
			   op == '+' ? "++" : "--", node_what(n));
		return n; /* keep the operand so the expression stays whole */
	}
	struct node *r = ast_new(N_INCDEC, loc);
	r->op = op;
	r->is_prefix = prefix;
	r->lhs = n;
	return r;
}

static bool stmt_has_value(const struct node *n);

/* Whether block b's last statement has a value. */
static bool block_ends_in_value(const struct node *b)
{
	const struct node *last = b->body;
	while (last && last->next)
		last = last->next;
	return stmt_has_value(last);
}

/* if/else (an else-if chain included) whose branches all end in a value */
static bool if_has_value(const struct node *n)
{
	return n->els && block_ends_in_value(n->then) &&
	       (n->els->kind == N_IF ? if_has_value(n->els) : block_ends_in_value(n->els));
}

/* Whether statement n, last of its block, is a value: no ';' after it, and
 * an expression, a block ending in one, or an if/else of such blocks. */
static bool stmt_has_value(const struct node *n)
{
	if (!n || !n->no_semicolon)
		return false;
	switch (n->kind) {
	case N_EXPR_STMT: return !n->is_discard;
	case N_BLOCK: return block_ends_in_value(n);
	case N_IF: return if_has_value(n);
	default: return false;
	}
}

/* The value of statement n (stmt_has_value), as an expression: n is consumed. */
static struct node *stmt_value(struct node *n)
{
	switch (n->kind) {
	case N_EXPR_STMT: {
		struct node *e = n->lhs;
		n->lhs = NULL;
		ast_free_node(n);
		return e;
	}
	case N_BLOCK:
		return parse_block_expr(n);
	default: /* N_IF */
		n->kind = N_TERNARY;
		n->is_prefix = true;
		n->then = parse_block_expr(n->then);
		n->els = n->els->kind == N_BLOCK ? parse_block_expr(n->els) : stmt_value(n->els);
		n->no_semicolon = false;
		return n;
	}
}

/* An N_BLOCK made a block expression: its last statement, when no ';'
 * follows it and it has a value, becomes the value (lhs). */
static struct node *parse_block_expr(struct node *block)
{
	block->kind = N_BLOCK_EXPR;
	struct node **lastp = &block->body;
	while (*lastp && (*lastp)->next)
		lastp = &(*lastp)->next;
	struct node *last = *lastp;
	if (stmt_has_value(last)) {
		*lastp = NULL;
		block->lhs = stmt_value(last);
	}
	block->no_semicolon = false;
	return block;
}

/* a ?: b is a when a is true, else b, with a evaluated once:
 * { let $tmp = a; $tmp ? $tmp : b }. The variable's name is one no script
 * can write, unique per place (nested ?: do not shadow each other). */
static struct node *parse_elvis(struct node *a, struct node *b, srcloc loc)
{
	char *name = xasprintf("$?:%d:%d", loc.line, loc.col);
	struct node *block = ast_new(N_BLOCK_EXPR, loc);
	block->body = parse_let(xstrdup(name), a->loc, NULL, a, loc);
	struct node *t = ast_new(N_TERNARY, loc);
	t->cond = ast_new(N_VAR, a->loc);
	t->cond->name = xstrdup(name);
	t->then = ast_new(N_VAR, a->loc);
	t->then->name = name;
	t->els = b;
	block->lhs = t;
	return block;
}

static struct node *parse_if_expr(struct node *cond, struct node *then, struct node *els, srcloc loc)
{
	struct node *n = ast_new(N_TERNARY, loc);
	n->cond = cond;
	n->then = parse_block_expr(then);
	n->els = els;
	n->is_prefix = true; /* written as if/else: messages say so */
	return n;
}

static struct node *parse_call(char *name, struct node *args, srcloc loc)
{
	struct node *n = ast_new(N_CALL, loc);
	n->name = name;
	n->args = args;
	return n;
}


/* One missing feature, one error: true when `key` (a static string) was
 * reported before, and from now on in any case. */
static bool parse_already_reported(struct parse_state *ps, const char *key)
{
	for (int i = 0; i < ps->nreported; i++)
		if (strcmp(ps->reported[i], key) == 0)
			return true;
	if (ps->nreported < (int)(sizeof(ps->reported) / sizeof(ps->reported[0])))
		ps->reported[ps->nreported++] = key;
	return false;
}

/* An error was reported inside `loc` (a construct within this one). */
static bool contains_error(const struct parse_state *ps, srcloc loc)
{
	srcloc e = ps->d->last_error;
	bool after_start = e.line > loc.line || (e.line == loc.line && e.col >= loc.col);
	bool before_end = e.line < loc.end_line || (e.line == loc.end_line && e.col < loc.end_col);
	return e.line && after_start && before_end;
}

/* bpftrace syntax sonde does not implement inside an expression (`what`
 * names it, with its verb), reported at `at`: the expression is kept
 * without it, so parsing goes on as usual. Not reported inside another
 * unsupported construct, nor around one (`*(uint8 *)p`), nor twice. */
static void parse_unsupported_syntax(struct parse_state *ps, const char *what, srcloc at,
				     srcloc span)
{
	if (ps->unsupported_depth > 0 || contains_error(ps, span))
		return;
	/* the first words name the feature: every cast is one feature */
	const char *key = strncmp(what, "casts", 5) == 0 ? "casts" : what;
	if (!parse_already_reported(ps, key))
		diag_error(ps->d, at, "%s not supported by sonde yet", what);
}

/* ---- loops, jumps, declarations -------------------------------------------- */

static struct node *parse_loop(enum node_kind kind, struct node *cond, struct node *body, srcloc loc)
{
	struct node *n = ast_new(kind, loc);
	n->cond = cond;
	n->then = body;
	return n;
}

/* N_FOR: lhs the loop variable, rhs what it iterates: an expression (sema
 * wants a map) or an N_RANGE of start (lhs) and end (rhs). */
static struct node *parse_for_head(char *var, srcloc var_loc, struct node *first, struct node *end,
				   srcloc range_loc)
{
	struct node *n = ast_new(N_FOR, var_loc);
	n->lhs = ast_new(N_VAR, var_loc);
	n->lhs->name = var;
	if (end) {
		n->rhs = ast_new(N_RANGE, range_loc);
		n->rhs->lhs = first;
		n->rhs->rhs = end;
	} else {
		n->rhs = first;
	}
	return n;
}

static struct node *parse_for(struct node *head, struct node *body, srcloc loc)
{
	head->loc = loc;
	head->then = body;
	return head;
}

/* N_LET: lhs the variable, spec the declared type or NULL, rhs the
 * initial value or NULL. */
static struct node *parse_let(char *var, srcloc var_loc, struct type_spec *spec, struct node *init,
			      srcloc loc)
{
	struct node *n = ast_new(N_LET, loc);
	n->lhs = ast_new(N_VAR, var_loc);
	n->lhs->name = var;
	n->spec = spec;
	n->rhs = init;
	return n;
}

static void parse_add_probe(struct parse_state *ps, struct attach_point *points,
			    struct node *pred, struct node *body, srcloc loc)
{
	struct probe *p = xcalloc(1, sizeof(*p));
	p->points = points;
	p->pred = pred;
	p->body = body;
	p->loc = loc;
	p->index = ps->nprobes++;
	*ps->tail = p;
	ps->tail = &p->next;
}

/* ---- C definitions ---------------------------------------------------------- */

static void parse_config_item(struct parse_state *ps, char *key, srcloc key_loc,
			      enum config_value_kind kind, uint64_t num, char *str, srcloc value_loc)
{
	struct config_item *c = xcalloc(1, sizeof(*c));
	c->key = key;
	c->key_loc = key_loc;
	c->kind = kind;
	c->num = num;
	c->str = str;
	c->value_loc = value_loc;
	*ps->config_tail = c;
	ps->config_tail = &c->next;
}

/* bpftrace reads the settings before anything else: one block, first. */
static void parse_config_placement(struct parse_state *ps, srcloc at)
{
	srcloc word = { at.line, at.col, at.line, at.col + 6 };
	if (++ps->nconfig_blocks > 1)
		diag_error(ps->d, word, "a script has one config block; merge this one into the first");
	else if (ps->nprobes > 0 || ps->prog->cdefs)
		diag_error(ps->d, word, "the config block must come first in the script, before any probe or definition");
}

static void parse_add_macro(struct parse_state *ps, char *name, srcloc loc, struct node *params,
			    struct node *body)
{
	struct macro_def *m = xcalloc(1, sizeof(*m));
	m->name = name;
	m->loc = loc;
	m->params = params;
	m->body = body;
	for (struct node *p = params; p; p = p->next) {
		m->nparams++;
		for (struct node *q = params; q != p; q = q->next)
			if (strcmp(q->name, p->name) == 0) {
				diag_error(ps->d, p->loc, "macro '%s' has two parameters named '%s'", name, p->name);
				break;
			}
	}
	*ps->macro_tail = m;
	ps->macro_tail = &m->next;
}

static void parse_add_cdef(struct parse_state *ps, struct cdef *d)
{
	*ps->cdef_tail = d;
	ps->cdef_tail = &d->next;
}

static void parse_add_map_decl(struct parse_state *ps, char *name, srcloc name_loc, char *kind,
			       srcloc kind_loc, uint64_t max_entries, srcloc size_loc, srcloc loc)
{
	struct map_decl *md = xcalloc(1, sizeof(*md));
	md->name = name;
	md->kind = kind;
	md->max_entries = max_entries;
	md->loc = loc;
	md->name_loc = name_loc;
	md->kind_loc = kind_loc;
	md->size_loc = size_loc;
	*ps->map_decl_tail = md;
	ps->map_decl_tail = &md->next;
}

static void parse_attribute(struct parse_state *ps, char *name, srcloc loc)
{
	/* aligned(N) and the like change nothing sonde lays out differently
	 * for the kernel types scripts describe; packed does */
	if (strcmp(name, "packed") == 0 || strcmp(name, "__packed__") == 0)
		ps->packed = true;
	else if (strcmp(name, "aligned") != 0 && strcmp(name, "__aligned__") != 0)
		diag_error(ps->d, loc, "unknown attribute '%s' (sonde knows packed and aligned)", name);
	free(name);
}

static void parse_dim(struct parse_state *ps, uint64_t n, srcloc loc)
{
	if (ps->ndims == SPEC_MAX_SUFFIXES - 1) {
		diag_error(ps->d, loc, "too many array dimensions");
		return;
	}
	/* [0]: a flexible array member (C's old spelling of []) */
	if (n > 0x7fffffff) {
		diag_error(ps->d, loc, "invalid array size %llu", (unsigned long long)n);
		n = 1;
	}
	/* 0 would read as SPEC_PTR: [0] is spelled as [] (count 0 either way) */
	ps->dims[ps->ndims++] = n == 0 ? SPEC_ARRAY_UNSIZED : (uint32_t)n;
}

static char *parse_words_join(char *words, char *word)
{
	char *joined = xasprintf("%s %s", words, word);
	free(words);
	free(word);
	return joined;
}

struct member_list parse_members_append(struct member_list l, struct member_list m)
{
	if (!m.head)
		return l;
	if (l.tail)
		l.tail->next = m.head;
	else
		l.head = m.head;
	l.tail = m.tail;
	return l;
}

static bool is_word(const char *w, const char *a)
{
	return strcmp(w, a) == 0;
}

/* "unsigned long * p" -> spec {SPEC_NAME "unsigned long", *} and name "p".
 * Qualifiers (const, volatile) change nothing for reading and are dropped. */
static bool split_declaration(struct parse_state *ps, const struct spec_words *w,
			      struct type_spec *spec, char **name)
{
	char *copy = xstrdup(w->words);
	char *words[64];
	int n = 0;
	for (char *save = NULL, *t = strtok_r(copy, " ", &save); t && n < 64; t = strtok_r(NULL, " ", &save))
		if (!is_word(t, "const") && !is_word(t, "volatile"))
			words[n++] = t;
	int last = n - 1;
	if (last < 1 || is_word(words[last], "*")) {
		diag_error(ps->d, w->loc, "expected a member name after the type '%s'", w->words);
		free(copy);
		return false;
	}
	*name = xstrdup(words[last]);
	int stars_from = last;
	while (stars_from > 0 && is_word(words[stars_from - 1], "*"))
		stars_from--;
	int first = 0;
	spec->kind = SPEC_NAME;
	if (is_word(words[0], "struct") || is_word(words[0], "union") || is_word(words[0], "enum")) {
		spec->kind = is_word(words[0], "struct") ? SPEC_STRUCT
			     : is_word(words[0], "union") ? SPEC_UNION : SPEC_ENUM;
		first = 1;
	}
	if (first >= stars_from) {
		diag_error(ps->d, w->loc, "expected a type before the member name '%s'", *name);
		free(*name);
		*name = NULL;
		free(copy);
		return false;
	}
	size_t len = 0;
	for (int i = first; i < stars_from; i++)
		len += strlen(words[i]) + 1;
	spec->name = xmalloc(len + 1);
	spec->name[0] = '\0';
	for (int i = first; i < stars_from; i++) {
		if (i > first)
			strcat(spec->name, " ");
		strcat(spec->name, words[i]);
	}
	for (int i = stars_from; i < last && spec->nsuffix < SPEC_MAX_SUFFIXES; i++)
		spec->suffix[spec->nsuffix++] = SPEC_PTR;
	spec->loc = w->loc;
	snprintf(ps->decl_base, sizeof(ps->decl_base), "%s%s", first ? words[0] : "", "");
	if (first)
		strncat(ps->decl_base, " ", sizeof(ps->decl_base) - strlen(ps->decl_base) - 1);
	strncat(ps->decl_base, spec->name, sizeof(ps->decl_base) - strlen(ps->decl_base) - 1);
	free(copy);
	return true;
}

struct member_list parse_member(struct parse_state *ps, struct spec_words *w, uint64_t bits,
				srcloc loc, struct cdef *nested)
{
	struct member_list l = { NULL, NULL };
	struct cdef_member *m = xcalloc(1, sizeof(*m));
	m->loc = loc;
	m->nested = nested;
	if (nested) {
		ps->decl_base[0] = '\0';
		/* struct { ... } name: the words are the declarator only ("* p") */
		char *copy = xstrdup(w->words), *save = NULL, *last = NULL;
		for (char *t = strtok_r(copy, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
			if (is_word(t, "*") && m->spec.nsuffix < SPEC_MAX_SUFFIXES)
				m->spec.suffix[m->spec.nsuffix++] = SPEC_PTR;
			else
				last = t;
		}
		if (!last) {
			diag_error(ps->d, w->loc, "expected a member name after the struct's '}'");
			free(copy);
			free(w->words);
			ast_free_cdefs(nested);
			free(m);
			return l;
		}
		m->name = xstrdup(last);
		m->spec.loc = w->loc;
		free(copy);
	} else if (!split_declaration(ps, w, &m->spec, &m->name)) {
		free(w->words);
		free(m);
		return l;
	}
	free(w->words);
	w->words = NULL;
	/* C's int y[2][3] is an array of 2 arrays of 3: innermost first */
	for (int i = ps->ndims - 1; i >= 0 && m->spec.nsuffix < SPEC_MAX_SUFFIXES; i--)
		m->spec.suffix[m->spec.nsuffix++] = ps->dims[i];
	ps->ndims = 0;
	if (bits > 64 && bits != UINT64_MAX)
		diag_error(ps->d, loc, "bitfield '%s' is wider than 64 bits", m->name);
	m->bit_size = bits == UINT64_MAX ? 0 : (uint32_t)(bits > 64 ? 64 : bits);
	l.head = l.tail = m;
	return l;
}

struct member_list parse_anonymous_member(struct parse_state *ps, struct cdef *nested, srcloc loc)
{
	(void)ps;
	struct cdef_member *m = xcalloc(1, sizeof(*m));
	m->loc = loc;
	m->nested = nested;
	return (struct member_list){ m, m };
}

/* ---- type names ------------------------------------------------------------------- */

static struct type_spec *parse_spec_suffix(struct parse_state *ps, struct type_spec *spec,
					   uint32_t suffix, srcloc loc)
{
	if (spec->nsuffix == SPEC_MAX_SUFFIXES)
		diag_error(ps->d, loc, "type too deeply nested (more than %d '*' and '[]')",
			   SPEC_MAX_SUFFIXES);
	else
		spec->suffix[spec->nsuffix++] = suffix;
	return spec;
}

/* ---- depth limit -------------------------------------------------------
 * Operator chains (1+1+...+1, !!!...x) are not brackets, so the scanner does
 * not count them; every later stage walks the tree recursively, so a tree
 * deeper than this is refused here. The walk itself uses its own stack. */
#define PARSE_MAX_DEPTH 1000

struct depth_item {
	const struct node *n;
	int depth;
};

static const struct node *tree_too_deep(const struct node *root)
{
	size_t cap = 64, len = 0;
	struct depth_item *stack = xmalloc(cap * sizeof(*stack));
	const struct node *deep = NULL;
	if (root)
		stack[len++] = (struct depth_item){ root, 1 };
	while (len && !deep) {
		struct depth_item it = stack[--len];
		if (it.depth > PARSE_MAX_DEPTH) {
			deep = it.n;
			break;
		}
		const struct node *kids[] = { it.n->lhs, it.n->rhs, it.n->cond, it.n->then,
					      it.n->els, it.n->args, it.n->body };
		if (len + 9 > cap)
			stack = xrealloc(stack, (cap *= 2) * sizeof(*stack));
		for (size_t i = 0; i < sizeof(kids) / sizeof(kids[0]); i++)
			if (kids[i])
				stack[len++] = (struct depth_item){ kids[i], it.depth + 1 };
		if (it.n->next) /* a sibling: same depth */
			stack[len++] = (struct depth_item){ it.n->next, it.depth };
	}
	free(stack);
	return deep;
}

static void parse_check_depth(struct parse_state *ps)
{
	for (struct probe *p = ps->prog->probes; p; p = p->next) {
		const struct node *deep = tree_too_deep(p->pred);
		if (!deep)
			deep = tree_too_deep(p->body);
		if (!deep)
			continue;
		diag_error(ps->d, deep->loc, "expression nested too deeply (more than %d levels)",
			   PARSE_MAX_DEPTH);
		ast_free_node(p->pred);
		p->pred = NULL;
		srcloc loc = p->body->loc;
		ast_free_node(p->body);
		p->body = ast_new(N_BLOCK, loc);
	}
}

struct program *parse_program(struct source *src, struct diag *d)
{
	struct program *prog = xcalloc(1, sizeof(*prog));
	prog->src = src;
	struct lexer_state st;
	struct parse_state ps = { .d = d, .prog = prog, .lex = &st, .tail = &prog->probes,
				  .cdef_tail = &prog->cdefs, .config_tail = &prog->config,
				  .map_decl_tail = &prog->map_decls };
	ps.macro_tail = &ps.macros;
	int errors_before = d->errors;
	yyscan_t scanner = lexer_open(&st, src, d);
	yyparse(scanner, &ps);
	lexer_close(scanner);
	if (d->errors == errors_before)
		macro_expand(prog, ps.macros, d);
	macro_free_defs(ps.macros);
	parse_check_depth(&ps);
	if (!prog->probes && d->errors == errors_before)
		diag_error(d, ((srcloc){ 0, 0, 0, 0 }), "no probes in script");
	return prog;
}

struct cdef_enumerator *parse_enumerator(char *name, bool has_value, int64_t value, srcloc loc)
{
	struct cdef_enumerator *e = xcalloc(1, sizeof(*e));
	e->name = name;
	e->has_value = has_value;
	e->value = value;
	e->loc = loc;
	return e;
}

/* `, *b` after `int a`: the previous declaration's type words, then this
 * declarator. */
struct member_list parse_next_declarator(struct parse_state *ps, struct spec_words *w, uint64_t bits,
					 srcloc loc)
{
	if (!ps->decl_base[0]) {
		diag_error(ps->d, loc, "one declarator per inline struct or union: declare '%s' separately",
			   w->words);
		free(w->words);
		ps->ndims = 0;
		return (struct member_list){ NULL, NULL };
	}
	struct spec_words full = { xasprintf("%s %s", ps->decl_base, w->words), w->loc };
	free(w->words);
	return parse_member(ps, &full, bits, loc, NULL);
}

/* struct NAME { ... } declarator inside a definition: NAME joins the
 * script's definitions (before the one being parsed, which may hold it by
 * value) and the member is declared with it; no declarator declares the
 * type only. */
struct member_list parse_named_nested(struct parse_state *ps, struct cdef *def, char *name, bool is_union,
				      struct spec_words *declarator, srcloc loc)
{
	def->name = name;
	def->is_union = is_union;
	def->loc = loc;
	parse_add_cdef(ps, def);
	if (!declarator) {
		ps->ndims = 0;
		return (struct member_list){ NULL, NULL };
	}
	struct spec_words full = { xasprintf("%s %s %s", is_union ? "union" : "struct", name, declarator->words),
				   declarator->loc };
	free(declarator->words);
	return parse_member(ps, &full, 0, loc, NULL);
}
