/* cxx_names.c - a C++ name without C++: sonde_bump is the symbol
 * _ZN5sonde4bumpEi, which demangles to sonde::bump(int), for the
 * cpp_demangle tests. Calls it argv[1] times (1), then lives 1 s more so
 * that its stacks are named while it runs. */
#include <stdlib.h>
#include <unistd.h>

__attribute__((noinline)) int sonde_bump(int v) __asm__("_ZN5sonde4bumpEi");
__attribute__((noinline)) int sonde_bump(int v)
{
	return v + 1;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 1, sum = 0;
	for (int i = 0; i < n; i++)
		sum = sonde_bump(sum);
	sleep(1);
	return sum == n ? 0 : 1;
}
