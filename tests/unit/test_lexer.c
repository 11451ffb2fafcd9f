/* test_lexer.c - token streams of the scanner (lexer/lexer.l) for tricky
 * inputs: attach points against predicates, comments, literals, operators,
 * exact line:col positions, and lexical errors. */
#include <stdlib.h>
#include <string.h>

#include "frontend.h"

#include "check.h"

struct lexed {
	char *tokens; /* lexer_dump_tokens output */
	char *diag;   /* diagnostics */
	int errors;
};

static struct lexed lex_bytes(const char *text, size_t len)
{
	struct lexed r;
	size_t tlen, dlen;
	FILE *tok = open_memstream(&r.tokens, &tlen);
	FILE *dout = open_memstream(&r.diag, &dlen);
	struct source *src = source_from_string("stdin", text, len);
	struct diag d;
	diag_init(&d, src, dout);
	lexer_dump_tokens(tok, src, &d);
	fclose(tok);
	fclose(dout);
	r.errors = d.errors;
	source_free(src);
	return r;
}

static struct lexed lex(const char *text)
{
	return lex_bytes(text, strlen(text));
}

static void lexed_free(struct lexed *r)
{
	free(r->tokens);
	free(r->diag);
}

/* Token stream must equal `want` and no error be reported. */
#define CHECK_TOKENS(text, want)                                                    \
	do {                                                                        \
		struct lexed r_ = lex(text);                                        \
		CHECKF(strcmp(r_.tokens, want) == 0, "input:\n%s\ngot:\n%s\nwant:\n%s", \
		      text, r_.tokens, want);                                       \
		CHECKF(r_.errors == 0, "unexpected errors for %s:\n%s", text, r_.diag); \
		lexed_free(&r_);                                                    \
	} while (0)

/* The first diagnostic line must equal `want`. */
#define CHECK_LEX_ERROR(text, want)                                                  \
	do {                                                                         \
		struct lexed r_ = lex(text);                                         \
		size_t n_ = strcspn(r_.diag, "\n");                                  \
		CHECKF(r_.errors >= 1 && strlen(want) == n_ && strncmp(r_.diag, want, n_) == 0, \
		      "input: %s\ngot: %s\nwant: %s", text, r_.diag, want);          \
		lexed_free(&r_);                                                     \
	} while (0)

static void test_attach_points(void)
{
	CHECK_TOKENS("BEGIN { }",
		     "1:1 ATTACH BEGIN\n"
		     "1:7 PUNCT {\n"
		     "1:9 BODY_END }\n");
	CHECK_TOKENS("tracepoint:syscalls:sys_enter_*,t:syscalls:sys_exit_read{}",
		     "1:1 ATTACH tracepoint:syscalls:sys_enter_*\n"
		     "1:32 PUNCT ,\n"
		     "1:33 ATTACH t:syscalls:sys_exit_read\n"
		     "1:57 PUNCT {\n"
		     "1:58 BODY_END }\n");
	CHECK_TOKENS("interval:1s, i:s:1,\nprofile:hz:99 ,rt:sched_switch,begin,end,END {}",
		     "1:1 ATTACH interval:1s\n"
		     "1:12 PUNCT ,\n"
		     "1:14 ATTACH i:s:1\n"
		     "1:19 PUNCT ,\n"
		     "2:1 ATTACH profile:hz:99\n"
		     "2:15 PUNCT ,\n"
		     "2:16 ATTACH rt:sched_switch\n"
		     "2:31 PUNCT ,\n"
		     "2:32 ATTACH begin\n"
		     "2:37 PUNCT ,\n"
		     "2:38 ATTACH end\n"
		     "2:41 PUNCT ,\n"
		     "2:42 ATTACH END\n"
		     "2:46 PUNCT {\n"
		     "2:47 BODY_END }\n");
	/* dir/prog before another field is a path too (bpftrace's tests write
	 * uprobe:testprogs/x:f) */
	CHECK_TOKENS("uprobe:bin/bash:readline/pid/{}",
		     "1:1 ATTACH uprobe:bin/bash:readline\n"
		     "1:25 PUNCT /\n"
		     "1:26 IDENT pid\n"
		     "1:29 ENDPRED /\n"
		     "1:30 PUNCT {\n"
		     "1:31 BODY_END }\n");
	/* A '/' right after ':' is a path; after the last field it is the predicate. */
	CHECK_TOKENS("uprobe:/bin/bash:readline/pid/{}",
		     "1:1 ATTACH uprobe:/bin/bash:readline\n"
		     "1:26 PUNCT /\n"
		     "1:27 IDENT pid\n"
		     "1:30 ENDPRED /\n"
		     "1:31 PUNCT {\n"
		     "1:32 BODY_END }\n");
	CHECK_TOKENS("uprobe:./a.out:main,uretprobe:../x/y:f+0x10 {}",
		     "1:1 ATTACH uprobe:./a.out:main\n"
		     "1:20 PUNCT ,\n"
		     "1:21 ATTACH uretprobe:../x/y:f+0x10\n"
		     "1:45 PUNCT {\n"
		     "1:46 BODY_END }\n");
	CHECK_TOKENS("uprobe:$1:main {}",
		     "1:1 ATTACH uprobe:$1:main\n"
		     "1:16 PUNCT {\n"
		     "1:17 BODY_END }\n");
}

static void test_predicate_division(void)
{
	/* Inside a predicate '/' divides unless a '{' follows it. */
	CHECK_TOKENS("t:a:b / $x / 2 > 1 /\n{ @ = $x / 2 }",
		     "1:1 ATTACH t:a:b\n"
		     "1:7 PUNCT /\n"
		     "1:9 VAR $x\n"
		     "1:12 PUNCT /\n"
		     "1:14 INT 2\n"
		     "1:16 PUNCT >\n"
		     "1:18 INT 1\n"
		     "1:20 ENDPRED /\n"
		     "2:1 PUNCT {\n"
		     "2:3 MAP @\n"
		     "2:5 PUNCT =\n"
		     "2:7 VAR $x\n"
		     "2:10 PUNCT /\n"
		     "2:12 INT 2\n"
		     "2:14 BODY_END }\n");
	/* Comments may sit between the predicate and the action. */
	CHECK_TOKENS("BEGIN /1/ // why\n /* c */ {}",
		     "1:1 ATTACH BEGIN\n"
		     "1:7 PUNCT /\n"
		     "1:8 INT 1\n"
		     "1:9 ENDPRED /\n"
		     "2:10 PUNCT {\n"
		     "2:11 BODY_END }\n");
}

/* A word between '(' and ')', '*' or '[' is a type name (TYPENAME) unless
 * it is a builtin or a call's argument; struct/union/enum words; a struct
 * definition at the top level and its attribute. */
static void test_type_words(void)
{
	CHECK_TOKENS("BEGIN { (pid_t)$x + (pid) + (u64 *)0 + (my_t[2])$y + str(foo) }",
		     "1:1 ATTACH BEGIN\n"
		     "1:7 PUNCT {\n"
		     "1:9 PUNCT (\n"
		     "1:10 TYPENAME pid_t\n"
		     "1:15 PUNCT )\n"
		     "1:16 VAR $x\n"
		     "1:19 PUNCT +\n"
		     "1:21 PUNCT (\n"
		     "1:22 IDENT pid\n"
		     "1:25 PUNCT )\n"
		     "1:27 PUNCT +\n"
		     "1:29 PUNCT (\n"
		     "1:30 TYPENAME u64\n"
		     "1:34 PUNCT *\n"
		     "1:35 PUNCT )\n"
		     "1:36 INT 0\n"
		     "1:38 PUNCT +\n"
		     "1:40 PUNCT (\n"
		     "1:41 TYPENAME my_t\n"
		     "1:45 PUNCT [\n"
		     "1:46 INT 2\n"
		     "1:47 PUNCT ]\n"
		     "1:48 PUNCT )\n"
		     "1:49 VAR $y\n"
		     "1:52 PUNCT +\n"
		     "1:54 IDENT str\n"
		     "1:57 PUNCT (\n"
		     "1:58 IDENT foo\n"
		     "1:61 PUNCT )\n"
		     "1:63 BODY_END }\n");
	CHECK_TOKENS("BEGIN { sizeof(struct s) + offsetof(union u, a) + (enum e)1 }",
		     "1:1 ATTACH BEGIN\n"
		     "1:7 PUNCT {\n"
		     "1:9 SIZEOF sizeof\n"
		     "1:15 PUNCT (\n"
		     "1:16 STRUCT struct\n"
		     "1:23 IDENT s\n"
		     "1:24 PUNCT )\n"
		     "1:26 PUNCT +\n"
		     "1:28 OFFSETOF offsetof\n"
		     "1:36 PUNCT (\n"
		     "1:37 UNION union\n"
		     "1:43 IDENT u\n"
		     "1:44 PUNCT ,\n"
		     "1:46 IDENT a\n"
		     "1:47 PUNCT )\n"
		     "1:49 PUNCT +\n"
		     "1:51 PUNCT (\n"
		     "1:52 ENUM enum\n"
		     "1:57 IDENT e\n"
		     "1:58 PUNCT )\n"
		     "1:59 INT 1\n"
		     "1:61 BODY_END }\n");
	CHECK_TOKENS("struct s { int a:3; char *p; } __attribute__((packed));\nBEGIN { }",
		     "1:1 STRUCT struct\n"
		     "1:8 IDENT s\n"
		     "1:10 PUNCT {\n"
		     "1:12 IDENT int\n"
		     "1:16 IDENT a\n"
		     "1:17 PUNCT :\n"
		     "1:18 INT 3\n"
		     "1:19 PUNCT ;\n"
		     "1:21 IDENT char\n"
		     "1:26 PUNCT *\n"
		     "1:27 IDENT p\n"
		     "1:28 PUNCT ;\n"
		     "1:30 PUNCT }\n"
		     "1:32 ATTRIBUTE __attribute__\n"
		     "1:45 PUNCT (\n"
		     "1:46 PUNCT (\n"
		     "1:47 IDENT packed\n"
		     "1:53 PUNCT )\n"
		     "1:54 PUNCT )\n"
		     "1:55 PUNCT ;\n"
		     "2:1 ATTACH BEGIN\n"
		     "2:7 PUNCT {\n"
		     "2:9 BODY_END }\n");
}

static void test_braces_and_comments(void)
{
	/* Only the brace closing the action is BODY_END; comments and the #!
	 * line vanish; a tab counts as one column. */
	CHECK_TOKENS("#!/usr/bin/env bpftrace\n"
		     "// line comment { }\n"
		     "BEGIN /* { */ {\n"
		     "\tif (1) { /* } */ }\n"
		     "}\n",
		     "3:1 ATTACH BEGIN\n"
		     "3:15 PUNCT {\n"
		     "4:2 IF if\n"
		     "4:5 PUNCT (\n"
		     "4:6 INT 1\n"
		     "4:7 PUNCT )\n"
		     "4:9 PUNCT {\n"
		     "4:19 PUNCT }\n"
		     "5:1 BODY_END }\n");
	CHECK_TOKENS("/* multi\n   line */ END{}",
		     "2:12 ATTACH END\n"
		     "2:15 PUNCT {\n"
		     "2:16 BODY_END }\n");
}

static void test_words_and_operators(void)
{
	CHECK_TOKENS("BEGIN { $x <<= @m[1, \"a\"] ?: args->f.g; (uint8)$1 + $# - true * false else comm }",
		     "1:1 ATTACH BEGIN\n"
		     "1:7 PUNCT {\n"
		     "1:9 VAR $x\n"
		     "1:12 OP <<=\n"
		     "1:16 MAP @m\n"
		     "1:18 PUNCT [\n"
		     "1:19 INT 1\n"
		     "1:20 PUNCT ,\n"
		     "1:22 STRING \"a\"\n"
		     "1:25 PUNCT ]\n"
		     "1:27 PUNCT ?\n"
		     "1:28 PUNCT :\n"
		     "1:30 IDENT args\n"
		     "1:34 OP ->\n"
		     "1:36 IDENT f\n"
		     "1:37 PUNCT .\n"
		     "1:38 IDENT g\n"
		     "1:39 PUNCT ;\n"
		     "1:41 PUNCT (\n"
		     "1:42 TYPE uint8\n"
		     "1:47 PUNCT )\n"
		     "1:48 POSITIONAL $1\n"
		     "1:51 PUNCT +\n"
		     "1:53 POSITIONAL $#\n"
		     "1:56 PUNCT -\n"
		     "1:58 TRUE true\n"
		     "1:63 PUNCT *\n"
		     "1:65 FALSE false\n"
		     "1:71 ELSE else\n"
		     "1:76 IDENT comm\n"
		     "1:81 BODY_END }\n");
	CHECK_TOKENS("BEGIN{a++ --b ||&&==!=<=>=<<>>+=-=*=/=%=&=|=^=>>=->}",
		     "1:1 ATTACH BEGIN\n"
		     "1:6 PUNCT {\n"
		     "1:7 IDENT a\n"
		     "1:8 OP ++\n"
		     "1:11 OP --\n"
		     "1:13 IDENT b\n"
		     "1:15 OP ||\n"
		     "1:17 OP &&\n"
		     "1:19 OP ==\n"
		     "1:21 OP !=\n"
		     "1:23 OP <=\n"
		     "1:25 OP >=\n"
		     "1:27 OP <<\n"
		     "1:29 OP >>\n"
		     "1:31 OP +=\n"
		     "1:33 OP -=\n"
		     "1:35 OP *=\n"
		     "1:37 OP /=\n"
		     "1:39 OP %=\n"
		     "1:41 OP &=\n"
		     "1:43 OP |=\n"
		     "1:45 OP ^=\n"
		     "1:47 OP >>=\n"
		     "1:50 OP ->\n"
		     "1:52 BODY_END }\n");
}

static void test_numbers(void)
{
	CHECK_TOKENS("BEGIN{0 10 0x1F 017 5u 7UL 0xffffffffffffffff 18446744073709551615}",
		     "1:1 ATTACH BEGIN\n"
		     "1:6 PUNCT {\n"
		     "1:7 INT 0\n"
		     "1:9 INT 10\n"
		     "1:12 INT 0x1F (31)\n"
		     "1:17 INT 017 (15)\n"
		     "1:21 INT 5u (5u)\n"
		     "1:24 INT 7UL (7u)\n"
		     "1:28 INT 0xffffffffffffffff (18446744073709551615)\n"
		     "1:47 INT 18446744073709551615\n"
		     "1:67 BODY_END }\n");
	CHECK_LEX_ERROR("BEGIN { 18446744073709551616 }",
			"stdin:1:9: error: integer literal '18446744073709551616' is out of range (more than 64 bits)");
	CHECK_LEX_ERROR("BEGIN { 0x10000000000000000 }",
			"stdin:1:9: error: integer literal '0x10000000000000000' is out of range (more than 64 bits)");
	CHECK_LEX_ERROR("BEGIN { 08 }", "stdin:1:9: error: invalid integer literal '08': "
					"'8' is not an octal digit (a leading 0 means octal)");
	CHECK_LEX_ERROR("BEGIN { 0x }", "stdin:1:9: error: invalid integer literal '0x': no digits after '0x'");
	CHECK_LEX_ERROR("BEGIN { 12ab }", "stdin:1:9: error: invalid integer literal '12ab': unknown suffix 'ab' "
					  "(u, l, ll, ul, ull, or a duration: ns, us, ms, s, m, h, d)");
	CHECK_LEX_ERROR("BEGIN { 1uu }", "stdin:1:9: error: invalid integer literal '1uu': unknown suffix 'uu' "
					 "(u, l, ll, ul, ull, or a duration: ns, us, ms, s, m, h, d)");
}

/* The forms of the latest bpftrace's literals (docs/language.md "Literals"):
 * '_' separators, scientific notation, C suffixes, duration suffixes. */
static void test_number_forms(void)
{
	CHECK_TOKENS("BEGIN{1e6 2e3 1_000_000 0x1_F 0_17 9e18 1e19 1e0 1e1_0}",
		     "1:1 ATTACH BEGIN\n"
		     "1:6 PUNCT {\n"
		     "1:7 INT 1e6 (1000000)\n"
		     "1:11 INT 2e3 (2000)\n"
		     "1:15 INT 1_000_000 (1000000)\n"
		     "1:25 INT 0x1_F (31)\n"
		     "1:31 INT 0_17 (15)\n"
		     "1:36 INT 9e18 (9000000000000000000)\n"
		     "1:41 INT 1e19 (10000000000000000000)\n"
		     "1:46 INT 1e0 (1)\n"
		     "1:50 INT 1e1_0 (10000000000)\n"
		     "1:55 BODY_END }\n");
	CHECK_TOKENS("BEGIN{5ul 5ULL 5ll 5L 3e2u 0x10u}",
		     "1:1 ATTACH BEGIN\n"
		     "1:6 PUNCT {\n"
		     "1:7 INT 5ul (5u)\n"
		     "1:11 INT 5ULL (5u)\n"
		     "1:16 INT 5ll (5)\n"
		     "1:20 INT 5L (5)\n"
		     "1:23 INT 3e2u (300u)\n"
		     "1:28 INT 0x10u (16u)\n"
		     "1:33 BODY_END }\n");
	CHECK_TOKENS("BEGIN{1ns 2us 3ms 4s 5m 6h 7d 1e3ms 1_000us 010s}",
		     "1:1 ATTACH BEGIN\n"
		     "1:6 PUNCT {\n"
		     "1:7 INT 1ns (1)\n"
		     "1:11 INT 2us (2000)\n"
		     "1:15 INT 3ms (3000000)\n"
		     "1:19 INT 4s (4000000000)\n"
		     "1:22 INT 5m (300000000000)\n"
		     "1:25 INT 6h (21600000000000)\n"
		     "1:28 INT 7d (604800000000000)\n"
		     "1:31 INT 1e3ms (1000000000)\n"
		     "1:37 INT 1_000us (1000000)\n"
		     "1:45 INT 010s (8000000000)\n"
		     "1:49 BODY_END }\n");
	CHECK_LEX_ERROR("BEGIN { 1e20 }",
			"stdin:1:9: error: integer literal '1e20' is out of range (more than 64 bits)");
	CHECK_LEX_ERROR("BEGIN { 2e19 }",
			"stdin:1:9: error: integer literal '2e19' is out of range (more than 64 bits)");
	CHECK_LEX_ERROR("BEGIN { 1e99999999999999999999 }",
			"stdin:1:9: error: integer literal '1e99999999999999999999' is out of range (more than 64 bits)");
	CHECK_LEX_ERROR("BEGIN { 214749d }",
			"stdin:1:9: error: integer literal '214749d' is out of range (more than 64 bits)");
	CHECK_LEX_ERROR("BEGIN { 12e4 }", "stdin:1:9: error: invalid integer literal '12e4': "
					  "the part before 'e' must be one digit, 1 to 9 (2e3 is 2000)");
	CHECK_LEX_ERROR("BEGIN { 0e5 }", "stdin:1:9: error: invalid integer literal '0e5': "
					 "the part before 'e' must be one digit, 1 to 9 (2e3 is 2000)");
	CHECK_LEX_ERROR("BEGIN { 5e-9 }", "stdin:1:9: error: invalid integer literal '5e': "
					  "'e' must be followed by the exponent's digits (1e-3 is not an integer)");
	CHECK_LEX_ERROR("BEGIN { 1_000_ }", "stdin:1:9: error: invalid integer literal '1_000_': "
					    "'_' may only separate digits, not end them");
	CHECK_LEX_ERROR("BEGIN { 1_e3 }", "stdin:1:9: error: invalid integer literal '1_e3': "
					  "'_' may only separate digits, not end them");
	CHECK_LEX_ERROR("BEGIN { 1lul }", "stdin:1:9: error: invalid integer literal '1lul': unknown suffix 'lul' "
					  "(u, l, ll, ul, ull, or a duration: ns, us, ms, s, m, h, d)");
	CHECK_LEX_ERROR("BEGIN { 0x10s }", "stdin:1:9: error: invalid integer literal '0x10s': unknown suffix 's' "
					   "(a hex literal takes u, l, ll, ul or ull)");
}

static void test_strings(void)
{
	CHECK_TOKENS("BEGIN{\"a\\\"b\\\\\" \"\"}",
		     "1:1 ATTACH BEGIN\n"
		     "1:6 PUNCT {\n"
		     "1:7 STRING \"a\\\"b\\\\\"\n"
		     "1:16 STRING \"\"\n"
		     "1:18 BODY_END }\n");
	CHECK_LEX_ERROR("BEGIN { \"abc\\q\" }", "stdin:1:13: error: unknown escape sequence '\\q'");
	CHECK_LEX_ERROR("BEGIN { \"\\xg\" }", "stdin:1:10: error: \\x used with no following hex digits");
	CHECK_LEX_ERROR("BEGIN { \"\\777\" }", "stdin:1:10: error: octal escape sequence out of range");
	CHECK_LEX_ERROR("BEGIN { printf(\"abc);\n}", "stdin:1:16: error: unterminated string");
	CHECK_LEX_ERROR("BEGIN { \"abc\\", "stdin:1:9: error: unterminated string");
}

static void test_lexical_errors(void)
{
	CHECK_LEX_ERROR("BEGIN { } /* never closed\n END { }",
			"stdin:1:11: error: unterminated comment");
	CHECK_LEX_ERROR("BEGIN { $x = $; }", "stdin:1:14: error: invalid character '$'");
	CHECK_LEX_ERROR("BEGIN { `ls` }", "stdin:1:9: error: invalid character '`'");
	CHECK_LEX_ERROR("BEGIN { $0 }",
			"stdin:1:9: error: invalid positional parameter '$0' (they are $1, $2, ...)");
	CHECK_LEX_ERROR("BEGIN { }\n#!/bin/sh\n",
			"stdin:2:1: error: '#!' is only allowed on the first line");
	CHECK_LEX_ERROR("#include <stdio.h>\nBEGIN { }",
			"stdin:1:1: error: cannot include <stdio.h>: sonde reads kernel types from BTF and accepts only kernel headers (<linux/...>, <net/...>, <asm/...>, ...)");
	CHECK_LEX_ERROR("12 { }", "stdin:1:1: error: invalid probe specification '12'");
	CHECK_LEX_ERROR("BEGIN { \xc3\xa9 }",
			"stdin:1:9: error: invalid byte 0xc3 in script (only ASCII is allowed outside strings)");
	CHECK_LEX_ERROR("BEGIN { \x01 }", "stdin:1:9: error: invalid control character 0x01 in script");

	/* A NUL byte in the middle does not end the script. */
	static const char nul[] = "BEGIN { \"a\0b\" \0 } END { }";
	struct lexed r = lex_bytes(nul, sizeof(nul) - 1);
	CHECKF(r.errors == 1, "errors %d:\n%s", r.errors, r.diag);
	CHECKF(strstr(r.tokens, "1:19 ATTACH END\n") != NULL, "tokens:\n%s", r.tokens);
	static const char want[] = "stdin:1:15: error: invalid control character 0x00";
	CHECKF(strncmp(r.diag, want, strlen(want)) == 0, "%s", r.diag);
	lexed_free(&r);
}

static void test_garbage(void)
{
	/* Random bytes: must end, must report, must not crash. */
	unsigned char buf[4096];
	unsigned seed = 12345;
	for (int round = 0; round < 20; round++) {
		for (size_t i = 0; i < sizeof(buf); i++) {
			seed = seed * 1103515245u + 12345u;
			buf[i] = (unsigned char)(seed >> 16);
		}
		struct lexed r = lex_bytes((const char *)buf, sizeof(buf));
		CHECKF(r.errors > 0, "random bytes produced no error");
		lexed_free(&r);
	}
}

int main(void)
{
	test_attach_points();
	test_predicate_division();
	test_braces_and_comments();
	test_type_words();
	test_words_and_operators();
	test_numbers();
	test_number_forms();
	test_strings();
	test_lexical_errors();
	test_garbage();
	if (failures) {
		fprintf(stderr, "test_lexer: %d failure(s)\n", failures);
		return 1;
	}
	printf("test_lexer: ok\n");
	return 0;
}
