/* wp_func.c - a target for watchpoint:FUNC+argN tests: wp_bump(tag, p)
 * writes *p once. `wp_func same N`: N calls on one allocation 1 ms apart,
 * then 5 more writes to it outside wp_bump; `wp_func new N`: N calls, each
 * on a fresh allocation; `wp_func loop`: a call every millisecond until
 * killed. Built at -O0 so that each call really happens. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

__attribute__((noinline)) void wp_bump(int tag, volatile int *p)
{
	*p += tag;
}

static volatile int *fresh(void)
{
	volatile int *p = malloc(sizeof(int));
	if (!p)
		exit(1);
	*p = 0;
	return p;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "loop";
	int n = argc > 2 ? atoi(argv[2]) : 0;
	volatile int *p = fresh();
	if (strcmp(mode, "loop") == 0) {
		for (;;) {
			wp_bump(1, p);
			usleep(1000);
		}
	}
	for (int i = 0; i < n; i++) {
		wp_bump(1, strcmp(mode, "new") == 0 ? fresh() : p);
		usleep(1000);
	}
	if (strcmp(mode, "same") == 0)
		for (int i = 0; i < 5; i++)
			*p += 1;
	return 0;
}
