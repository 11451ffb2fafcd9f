/* uaddr_pie.c - a PIE whose variables uaddr() reads (tests/runtime/uaddr.sh):
 * exec loads it at a random address, so a symbol's address in the file is
 * not where the process has the variable.
 *
 *   uaddr_pie [N]   calls uaddr_func and uaddr_lib_func (libuaddr_lib.so)
 *                   N times (1) and exits
 *
 * Silent: its output would land among the tracer's. */
#include <stdlib.h>

int uaddr_lib_func(int x); /* libuaddr_lib.so */

volatile unsigned char uaddr_u8 = 0x7f;
volatile short uaddr_s16 = 0x3333;
volatile int uaddr_i32 = 0x55555555;
volatile long long uaddr_i64 = 0x1122334455667788LL;
/* a name libuaddr_lib.so has too, with another value: uaddr() in a probe
 * on both binaries reads each one's own */
static volatile int uaddr_both = 0x1111;

__attribute__((noinline)) int uaddr_func(int x)
{
	return x + uaddr_i32 + uaddr_both;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 1;
	int sum = 0;
	for (int i = 0; i < n; i++)
		sum += uaddr_func(i) + uaddr_lib_func(i);
	return sum == 42;
}
