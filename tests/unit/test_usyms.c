/* test_usyms.c - the user-space symboliser alone, on this test's own
 * process: its functions, a libc function through the shared library's
 * mapping, variables by name (uaddr), and a process that exits after its
 * maps were read. Needs no privileges. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "usyms.h"

int usyms_test_variable = 42;

__attribute__((noinline, used)) int usyms_test_function(int x)
{
	return x * usyms_test_variable + 1;
}

static void test_own_function(void)
{
	struct usyms *u = usyms_new();
	struct usym sym;
	uint64_t addr = (uint64_t)(uintptr_t)&usyms_test_function;
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	exe[n > 0 ? n : 0] = '\0';
	CHECK(usyms_resolve(u, getpid(), addr + 3, &sym));
	CHECKF(sym.name && strcmp(sym.name, "usyms_test_function") == 0, "name %s", sym.name ? sym.name : "(null)");
	CHECKF(sym.offset == 3, "offset %llu", (unsigned long long)sym.offset);
	CHECKF(sym.module && strcmp(sym.module, exe) == 0, "module %s", sym.module ? sym.module : "(null)");
	/* cached: the same answer again */
	CHECK(usyms_resolve(u, getpid(), addr, &sym) && sym.offset == 0);
	/* no mapping holds address 16; a variable is not code (bcc: executable mappings only) */
	CHECK(!usyms_resolve(u, getpid(), 16, &sym) && !sym.name && !sym.module);
	CHECK(!usyms_resolve(u, getpid(), (uint64_t)(uintptr_t)&usyms_test_variable, &sym));
	usyms_free(u);
}

static void test_library(void)
{
	struct usyms *u = usyms_new();
	struct usym sym;
	uint64_t addr = (uint64_t)(uintptr_t)&getppid;
	CHECK(usyms_resolve(u, getpid(), addr, &sym));
	CHECKF(sym.module && strstr(sym.module, "libc.so"), "module %s", sym.module ? sym.module : "(null)");
	CHECKF(sym.name && strstr(sym.name, "getppid"), "name %s", sym.name ? sym.name : "(null)");
	usyms_free(u);
}

static void test_lookup_by_name(void)
{
	uint64_t addr = 0, size = 0;
	CHECK(usyms_elf_lookup("/proc/self/exe", "usyms_test_variable", &addr, &size, true) == 0);
	CHECKF(size == sizeof(int), "size %llu", (unsigned long long)size);
	/* functions are no variables for uaddr() */
	CHECK(usyms_elf_lookup("/proc/self/exe", "usyms_test_function", &addr, &size, true) == -ENOENT);
	CHECK(usyms_elf_lookup("/proc/self/exe", "usyms_test_function", &addr, &size, false) == 0);
	CHECK(usyms_elf_lookup("/proc/self/exe", "no_such_symbol_here", &addr, &size, false) == -ENOENT);
	CHECK(usyms_elf_lookup("/proc/self/status", "x", &addr, &size, false) == -EIO);
}

/* A child (the same program, so the same function) read while it lives
 * still resolves once it has exited and been reaped. */
static void test_exited_process(void)
{
	int gate[2];
	if (pipe(gate) < 0) {
		CHECK(!"pipe");
		return;
	}
	pid_t child = fork();
	if (child == 0) {
		char c;
		close(gate[1]);
		_exit(read(gate[0], &c, 1) < 0);
	}
	close(gate[0]);
	struct usyms *u = usyms_new();
	struct usym sym;
	usyms_snapshot(u, child);
	close(gate[1]);
	waitpid(child, NULL, 0);
	usyms_snapshot(u, child); /* gone: what was read stays */
	CHECK(usyms_resolve(u, child, (uint64_t)(uintptr_t)&usyms_test_function, &sym));
	CHECK(sym.name && strcmp(sym.name, "usyms_test_function") == 0);
	/* never read while it lived: nothing to name it by */
	struct usyms *fresh = usyms_new();
	CHECK(!usyms_resolve(fresh, child, (uint64_t)(uintptr_t)&usyms_test_function, &sym));
	usyms_free(fresh);
	usyms_free(u);
}

/* C++ names read as bpftrace shows them. The demangler is libstdc++'s,
 * which sonde has through LLVM; this test links none of LLVM, so it also
 * checks that the demangler is opened when the program does not link it
 * (the sonde front). */
static void test_demangle(void)
{
	char *d = usyms_demangle("_ZN3foo3barEi");
	CHECKF(d && strcmp(d, "foo::bar(int)") == 0, "demangled %s", d ? d : "(null)");
	free(d);
	CHECK(usyms_demangle("main") == NULL);
	CHECK(usyms_demangle("_Znot a name") == NULL);
}

int main(void)
{
	test_own_function();
	test_library();
	test_lookup_by_name();
	test_exited_process();
	test_demangle();
	if (failures) {
		fprintf(stderr, "test_usyms: %d failure(s)\n", failures);
		return 1;
	}
	printf("test_usyms: ok\n");
	return 0;
}
