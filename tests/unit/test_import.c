/* test_import.c - import "file" (src/import.c) alone: the spliced text,
 * where each line came from, files imported once, and the errors. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "import.h"
#include "util.h"

#include "check.h"

static char dir[64];

static void write_file(const char *name, const char *text)
{
	char *path = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	CHECKF(f != NULL, "cannot write %s", path);
	if (f) {
		fputs(text, f);
		fclose(f);
	}
	free(path);
}

/* import_expand of the script `text` named dir/main.bt: its result code,
 * and the source (caller frees) with what was printed in *diag. */
static struct source *expand(const char *text, int *rc, char **diag)
{
	size_t len;
	FILE *out = open_memstream(diag, &len);
	char *name = xasprintf("%s/main.bt", dir);
	struct source *src = source_from_string(name, text, strlen(text));
	free(name);
	*rc = import_expand(src, out);
	fclose(out);
	return src;
}

static void check_origin(const struct source *src, int line, const char *file, int want)
{
	const char *name;
	int orig;
	source_origin(src, line, &name, &orig);
	char *path = xasprintf("%s/%s", dir, file);
	CHECKF(strcmp(name, path) == 0 && orig == want, "line %d: %s:%d, want %s:%d", line, name, orig, path,
	       want);
	free(path);
}

static void test_splice(void)
{
	write_file("a.bt", "macro a() { 1 }\nimport \"b.bt\";\n");
	write_file("b.bt", "import \"a.bt\";\nmacro b() { 2 }\n");
	int rc;
	char *diag;
	struct source *src = expand("// top\nimport \"a.bt\"; import \"a.bt\";\nBEGIN { exit(); }", &rc, &diag);
	CHECKF(rc == 0 && diag[0] == '\0', "rc %d: %s", rc, diag);
	/* b.bt (a cycle back to a.bt adds nothing) before a.bt's line 2... */
	const char *want = "// top\n"
			   "macro a() { 1 }\n"
			   "              \n"
			   "macro b() { 2 }\n"
			   "              \n"
			   "                             \n"
			   "BEGIN { exit(); }\n";
	CHECKF(strcmp(src->text, want) == 0, "got:\n%s", src->text);
	check_origin(src, 1, "main.bt", 1);
	check_origin(src, 2, "a.bt", 1);
	check_origin(src, 3, "b.bt", 1);
	check_origin(src, 4, "b.bt", 2);
	check_origin(src, 5, "a.bt", 2);
	check_origin(src, 6, "main.bt", 2);
	check_origin(src, 7, "main.bt", 3);
	source_free(src);
	free(diag);

	/* no import statement (a mention in a comment): untouched */
	src = expand("// import \"x.bt\";\nBEGIN { }", &rc, &diag);
	CHECK(rc == 0 && src->nspans == 0 && strcmp(src->text, "// import \"x.bt\";\nBEGIN { }") == 0);
	source_free(src);
	free(diag);
}

static void test_errors(void)
{
	int rc;
	char *diag;
	struct source *src = expand("import \"missing.bt\";\nBEGIN { }\n", &rc, &diag);
	CHECKF(rc == -1 && strstr(diag, "main.bt:1:1: error: cannot import \"missing.bt\": No such file"), "%s", diag);
	source_free(src);
	free(diag);

	write_file("cfg.bt", "\nconfig = { max_strlen = 8 }\n");
	src = expand("import \"cfg.bt\";\nBEGIN { }\n", &rc, &diag);
	CHECKF(rc == -1 && strstr(diag, "cfg.bt:2:1: error: invalid `config` within import"), "%s", diag);
	source_free(src);
	free(diag);

	src = expand("import \"x.bpf.c\";\nimport \"y.txt\";\nBEGIN { }\n", &rc, &diag);
	write_file("y.txt", "");
	source_free(src);
	free(diag);
	src = expand("import \"x.bpf.c\";\nimport \"y.txt\";\nBEGIN { }\n", &rc, &diag);
	CHECKF(rc == -1 && strstr(diag, "main.bt:1:1: error: cannot import \"x.bpf.c\"") &&
	       strstr(diag, "main.bt:2:1: error: unknown import type: \"y.txt\""), "%s", diag);
	source_free(src);
	free(diag);
}

int main(void)
{
	snprintf(dir, sizeof(dir), "/tmp/sonde-import.XXXXXX");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	chmod(dir, 0755);
	test_splice();
	test_errors();
	char *cmd = xasprintf("rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "test_import: could not remove %s\n", dir);
	free(cmd);
	return failures != 0;
}
