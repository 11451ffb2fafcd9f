/* suggest.h - "did you mean ...?" for every misspelled name.
 *
 * One rule for the whole compiler: a candidate is suggested when its edit
 * distance from the word (Damerau-Levenshtein, adjacent swaps cost one,
 * case ignored) is small for the word's length, so that `cuont` finds
 * `count` and `syscals` finds `syscalls`, but `x` finds nothing. Callers
 * feed candidates one by one from wherever they live (tables, tracefs
 * directories, tracepoint fields) and read the best one at the end. */
#ifndef SONDE_SUGGEST_H
#define SONDE_SUGGEST_H

#include <stddef.h>

/* The best candidate so far; owns `best`. */
struct suggestion {
	const char *word;
	char *best;   /* NULL while nothing is close enough */
	int distance; /* of best */
};

void suggestion_init(struct suggestion *s, const char *word);
/* Consider one candidate (copied if it becomes the best). The word itself
 * is never suggested; ties go to the alphabetically first candidate, so the
 * result does not depend on the order of a directory listing. */
void suggestion_consider(struct suggestion *s, const char *candidate);
void suggestion_free(struct suggestion *s);

/* Edit distance, case ignored: insertions, deletions, substitutions and
 * swaps of two adjacent characters cost one each. */
int suggest_distance(const char *a, const char *b);
/* The largest distance at which a candidate still counts as a likely typo
 * of a word of `len` characters (0 for one- and two-letter words). */
int suggest_max_distance(size_t len);

#endif
