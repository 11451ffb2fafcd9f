/* uprobe_prog.c - functions for uprobe tests, built three ways by CMake:
 * uprobe_pie (PIE, with DWARF), uprobe_nopie (non-PIE, no DWARF) and both
 * linked to libuprobe_lib.so.
 *
 *   uprobe_prog [N]          calls each function N times (3) and exits
 *   uprobe_prog N wait       the same after SIGUSR1 (for -p: the test
 *                            attaches to the waiting process first)
 *
 * Also three functions under C++ (mangled) names.
 *
 * Silent: its output would land anywhere among the tracer's. Built without
 * optimisation so every function stays out of line with its symbol. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int ulib_scale(int x, int factor);

enum colour { RED, GREEN = 5, BLUE };

struct point {
	int x, y;
	char tag[8];
};

__attribute__((noinline)) long uw_alpha(int i, const char *word)
{
	return i + (long)strlen(word);
}

__attribute__((noinline)) int uw_beta(struct point *p, enum colour c, unsigned char small)
{
	return p->x + p->y + (int)c + small;
}

__attribute__((noinline)) long uw_gamma(long a, short b, double scale, unsigned long long big)
{
	return a + b + (long)scale + (long)(big & 0xff);
}

__attribute__((noinline)) int other_func(void)
{
	return 42;
}

/* C++ symbols without a C++ compiler: MyApp::Server::handle(int) and its
 * overload handle(int, int), and MyApp::helper(), for cpp: probes. */
__attribute__((noinline)) int cpp_handle1(int fd) __asm__("_ZN5MyApp6Server6handleEi");
__attribute__((noinline)) int cpp_handle1(int fd)
{
	return fd + 1;
}
__attribute__((noinline)) int cpp_handle2(int fd, int flags) __asm__("_ZN5MyApp6Server6handleEii");
__attribute__((noinline)) int cpp_handle2(int fd, int flags)
{
	return fd + flags;
}
__attribute__((noinline)) int cpp_helper(void) __asm__("_ZN5MyApp6helperEv");
__attribute__((noinline)) int cpp_helper(void)
{
	return 2;
}

static volatile sig_atomic_t go;

static void on_usr1(int sig)
{
	(void)sig;
	go = 1;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 3;
	if (argc > 2 && strcmp(argv[2], "wait") == 0) {
		signal(SIGUSR1, on_usr1);
		while (!go)
			pause();
	}
	struct point pt = { 3, 4, "pt" };
	char word[8] = "word";
	long sum = 0;
	for (int i = 0; i < n; i++) {
		sum += uw_alpha(i, word);
		sum += uw_beta(&pt, GREEN, 200);
		sum += uw_gamma(-7, -2, 1.5, 0x1234);
		sum += other_func();
		sum += ulib_scale(i, 3);
		sum += cpp_handle1(i) + cpp_handle2(i, 1) + cpp_helper();
	}
	return sum == 0;
}
