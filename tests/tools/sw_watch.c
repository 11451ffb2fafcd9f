/* sw_watch.c - a target for watchpoint tests: prints the address of a
 * variable, waits until it is told to go (a line on stdin, or 1 s when
 * argv[1] is "sleep"), then writes the variable N times (argv[2], default
 * 10) and reads it N times. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

volatile long sw_watched;

int main(int argc, char **argv)
{
	int n = argc > 2 ? atoi(argv[2]) : 10;
	printf("%p\n", (void *)&sw_watched);
	fflush(stdout);
	if (argc > 1 && strcmp(argv[1], "sleep") == 0) {
		sleep(1);
	} else {
		char line[16];
		if (!fgets(line, sizeof(line), stdin))
			return 1;
	}
	long sum = 0;
	for (int i = 0; i < n; i++)
		sw_watched = i;
	for (int i = 0; i < n; i++)
		sum += sw_watched;
	return sum < 0;
}
