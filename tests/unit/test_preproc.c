/* test_preproc.c - the C preprocessor lines (lexer/preproc.c) alone: text
 * in, text out, lines kept where they were, and one positioned error per
 * mistake. */
#include <stdlib.h>
#include <string.h>

#include "preproc.h"
#include "util.h"

#include "check.h"

struct pped {
	char *text;
	char *diag;
	int errors;
};

static struct pped pp(const char *name, const char *text)
{
	struct pped r;
	size_t dlen, len;
	FILE *dout = open_memstream(&r.diag, &dlen);
	struct source *src = source_from_string(name, text, strlen(text));
	struct diag d;
	diag_init(&d, src, dout);
	r.text = preproc_run(src, &d, &len);
	fclose(dout);
	r.errors = d.errors;
	source_free(src);
	return r;
}

static void pped_free(struct pped *r)
{
	free(r->text);
	free(r->diag);
}

/* Output must be `want` with no error. */
#define CHECK_PP(in, want)                                                                 \
	do {                                                                               \
		struct pped r_ = pp("stdin", in);                                          \
		CHECKF(r_.errors == 0 && strcmp(r_.text, want) == 0,                       \
		       "input:\n%s\ngot:\n%s\nwant:\n%s\ndiag:\n%s", in, r_.text, want, r_.diag); \
		pped_free(&r_);                                                            \
	} while (0)

/* The first diagnostic line must be `want`, and exactly one error. */
#define CHECK_PP_ERROR(in, want)                                                           \
	do {                                                                               \
		struct pped r_ = pp("stdin", in);                                          \
		size_t n_ = strcspn(r_.diag, "\n");                                        \
		CHECKF(r_.errors == 1 && strlen(want) == n_ && strncmp(r_.diag, want, n_) == 0, \
		       "input:\n%s\ngot:\n%s\nwant: %s", in, r_.diag, want);              \
		pped_free(&r_);                                                            \
	} while (0)

static void test_needed(void)
{
	CHECK(!preproc_needed("BEGIN { }", 9));
	CHECK(!preproc_needed("#!/usr/bin/env bpftrace\nBEGIN { }", 33));
	CHECK(!preproc_needed("BEGIN { @x[1] = 1; } // #define", 32));
	CHECK(preproc_needed("  #define X 1\n", 14));
	CHECK(preproc_needed("BEGIN { }\n#if 1\n#endif\n", 23));
}

static void test_defines(void)
{
	CHECK_PP("#define N 3\nBEGIN { @x = N; }\n", "\nBEGIN { @x = 3; }\n");
	/* a shorter expansion keeps the columns after it */
	CHECK_PP("#define LONGNAME 1\nLONGNAME + x\n", "\n1        + x\n");
	/* not in strings, comments, variables, maps or number suffixes */
	CHECK_PP("#define N 3\n\"N\" // N\n/* N\nN */ $N @N 1N N\n",
		 "\n\"N\" // N\n/* N\nN */ $N @N 1N 3\n");
	CHECK_PP("#define SQ(x) ((x) * (x))\nSQ(1 + 2) SQ\n", "\n((1 + 2) * (1 + 2)) SQ\n");
	CHECK_PP("#define ADD(a, b) a + b\n#define ONE 1\nADD(ONE, (2, 3))\n", "\n\n1 + (2, 3)      \n");
	/* a call over several lines keeps the line count */
	CHECK_PP("#define F(a, b) a b\nF(x,\n  y) z\nw\n", "\nx y\n z\nw\n");
	CHECK_PP("#define S(x) #x\n#define P(a, b) a ## b\nS(a \"b\") P(x, 1)\n", "\n\n\"a \\\"b\\\"\" x1     \n");
	CHECK_PP("#define V(f, ...) f(__VA_ARGS__)\nV(g, 1, 2)\n", "\ng(1, 2)   \n");
	/* self-reference stops; nested macros expand */
	CHECK_PP("#define X X + 1\n#define Y X\nY\n", "\n\nX + 1\n");
	CHECK_PP("#define A 1\n#undef A\nA\n", "\n\nA\n");
	CHECK_PP("#define LONG 1 + \\\n  2\nLONG\n", "\n\n1 +   2\n");
	CHECK_PP("#!/usr/bin/env bpftrace\n#define N 1\nN\n", "#!/usr/bin/env bpftrace\n\n1\n");
}

static void test_conditionals(void)
{
	CHECK_PP("#ifndef BPFTRACE_HAVE_BTF\nstruct s { int x; };\n#else\nok\n#endif\n",
		 "\n\n\nok\n\n");
	CHECK_PP("#if 0\na\n#elif defined(B) || 2 * 3 == 6\nb\n#else\nc\n#endif\n",
		 "\n\n\nb\n\n\n\n");
	CHECK_PP("#define B\n#if defined B && !defined(C)\nb\n#endif\n", "\n\nb\n\n");
	CHECK_PP("#if 1 ? 0 : 1\na\n#elif (1 << 4) > 15 && -1 < 0\nb\n#endif\n", "\n\n\nb\n\n");
	CHECK_PP("#if 0\n#if garbage (\n#error no\n#endif\n#endif\nx\n", "\n\n\n\n\nx\n");
	CHECK_PP("#ifdef UNDEFINED_NAME\na\n#endif\n", "\n\n\n");
}

static void test_includes(void)
{
	CHECK_PP("#include <linux/sched.h>\nTASK_RUNNING TASK_COMM_LEN\n", "\n0            16           \n");
	CHECK_PP("#include <sys/socket.h>\nAF_INET AF_INET6\n", "\n2       10      \n");
	CHECK_PP("#include <net/sock.h>\n#include <asm/page.h>\nx\n", "\n\nx\n");
}

static void test_errors(void)
{
	CHECK_PP_ERROR("#include <stdio.h>\n",
		       "stdin:1:1: error: cannot include <stdio.h>: sonde reads kernel types from BTF and accepts only kernel headers (<linux/...>, <net/...>, <asm/...>, ...)");
	CHECK_PP_ERROR("#include \"nosuch-local.h\"\n",
		       "stdin:1:1: error: cannot include \"nosuch-local.h\": No such file or directory (a \"file\" is looked for next to the script)");
	CHECK_PP_ERROR("BEGIN\n#if 1\n", "stdin:2:1: error: unterminated #if: no #endif");
	CHECK_PP_ERROR("#endif\n", "stdin:1:1: error: #endif without #if");
	CHECK_PP_ERROR("#if 1\n#else\n#else\n#endif\n", "stdin:3:1: error: #else after #else");
	CHECK_PP_ERROR("#if 1 /\n#endif\n", "stdin:1:1: error: invalid #if expression: it ends where a value is expected");
	CHECK_PP_ERROR("#if 1 / 0\n#endif\n", "stdin:1:1: error: invalid #if expression: division by zero");
	CHECK_PP_ERROR("#foo\n", "stdin:1:1: error: unknown preprocessor directive '#foo' (sonde knows #include, #define, #undef, #if, #ifdef, #ifndef, #elif, #else, #endif, #error)");
	CHECK_PP_ERROR("#define F(a, b) a\n  x F(1)\n", "stdin:2:5: error: macro 'F' takes 2 arguments, but 1 given");
	CHECK_PP_ERROR("#define F(a) a\nF(1\n", "stdin:2:1: error: unterminated call of macro 'F': no ')'");
	CHECK_PP_ERROR("#define F(a, a) a\n", "stdin:1:1: error: duplicate parameter 'a' of macro 'F'");
	CHECK_PP_ERROR("#error stop here\n", "stdin:1:1: error: #error stop here");
	CHECK_PP_ERROR("#define A A A A A A A A A A A A A A A A\n#define B A A A A A A A A A A A A A A A A\n"
		       "#define C B B B B B B B B B B B B B B B B\n#define D C C C C C C C C C C C C C C C C\n"
		       "#define E D D D D D D D D D D D D D D D D\n#define F E E E E E E E E E E E E E E E E\nF F F F F F F F\n",
		       "stdin:7:1: error: macro expansion too large (more than 16 MB): is a macro defined in terms of itself?");
}

int main(void)
{
	test_needed();
	test_defines();
	test_conditionals();
	test_includes();
	test_errors();
	return failures != 0;
}
