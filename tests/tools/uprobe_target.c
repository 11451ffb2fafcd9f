/* uprobe_target.c - functions for uprobe tests to attach to.
 *
 *   uprobe_target [N [-v]]   calls add(i, "word") and fill(&rec) N times
 *                            (3); -v prints the results
 *
 * Silent by default: its output would land anywhere among the tracer's.
 * Built without optimisation so the functions stay out of line and keep
 * their symbols; the strings live on the stack, already written (and so
 * paged in) when the probe reads them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct record {
	int id;
	char name[12];
	long total;
};

__attribute__((noinline)) long add(long x, const char *word)
{
	return x * 10 + (long)strlen(word);
}

__attribute__((noinline)) int fill(struct record *r)
{
	r->total += r->id;
	return r->id;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 3;
	struct record rec = { .id = 7, .name = "seven", .total = 0 };
	char word[8] = "word";
	long sum = 0;
	for (int i = 0; i < n; i++) {
		sum += add(i, word);
		fill(&rec);
	}
	if (argc > 2 && strcmp(argv[2], "-v") == 0)
		printf("%ld %ld\n", sum, rec.total);
	return 0;
}
