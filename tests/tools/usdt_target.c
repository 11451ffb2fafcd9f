/* usdt_target.c - USDT probes (<sys/sdt.h>) for the usdt tests.
 *
 *   usdt_target [N]     fires each probe N times (1), then exits
 *   usdt_target -1      fires them every 10 ms until killed (for -p)
 *
 * Probes of provider sonde_test:
 *   loop(i, "word")                       an int and a string pointer
 *   sizes(s8, u8, s16, u16, s32, u32, s64, u64)   every size and sign
 *   constant(42, -7)                      operands the compiler made constants
 *   noargs()
 *   inlined(v)   at two locations (an always-inline function used twice),
 *                v from a register at one and the constant 1000 at the other
 * Built twice: -O2 (arguments in registers and constants) and -O0
 * (arguments in memory, -N(%rbp)). Silent: its output would land among the
 * tracer's. */
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include <sys/sdt.h>

static volatile int8_t v_s8 = -5;
static volatile uint8_t v_u8 = 250;
static volatile int16_t v_s16 = -1234;
static volatile uint16_t v_u16 = 60000;
static volatile int32_t v_s32 = -100000;
static volatile uint32_t v_u32 = 4000000000u;
static volatile int64_t v_s64 = -5000000000ll;
static volatile uint64_t v_u64 = 0xfedcba9876543210ull;

static inline __attribute__((always_inline)) void inlined(long v)
{
	DTRACE_PROBE1(sonde_test, inlined, v);
}

__attribute__((noinline)) static void fire(int i)
{
	int8_t s8 = v_s8;
	uint8_t u8 = v_u8;
	int16_t s16 = v_s16;
	uint16_t u16 = v_u16;
	int32_t s32 = v_s32;
	uint32_t u32 = v_u32;
	int64_t s64 = v_s64;
	uint64_t u64 = v_u64;
	char word[8] = "word";
	DTRACE_PROBE2(sonde_test, loop, i, word);
	DTRACE_PROBE8(sonde_test, sizes, s8, u8, s16, u16, s32, u32, s64, u64);
	DTRACE_PROBE2(sonde_test, constant, 42, -7);
	DTRACE_PROBE(sonde_test, noargs);
	inlined(i);
	inlined(1000);
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 1;
	for (int i = 0; n < 0 || i < n; i++) {
		fire(i);
		if (n < 0)
			usleep(10000);
	}
	return 0;
}
