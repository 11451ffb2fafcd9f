/* usdt_lib.c - libusdt_lib.so: USDT probes in a shared library, for
 * usdt_libuser. On every usdt_lib_call(x):
 *   sonde_lib:call(x, x * 2)
 *   sonde_lib:globals(total, small)   two static variables, which the note
 *       gives as symbol(%rip) operands: total starts at 5 and adds x each
 *       call; small is -3 (an int) */
#include <sys/sdt.h>

static volatile long total = 5;
static volatile int small = -3;

__attribute__((visibility("default"))) long usdt_lib_call(long x)
{
	long twice = x * 2;
	total += x;
	DTRACE_PROBE2(sonde_lib, call, x, twice);
	DTRACE_PROBE2(sonde_lib, globals, total, small);
	return twice;
}
