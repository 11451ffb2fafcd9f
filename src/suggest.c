/* suggest.c - the closest name to a misspelled one (see suggest.h).
 *
 * Optimal string alignment distance over three rolling rows: the words are
 * identifiers and paths, so the cost is negligible, and it only runs on
 * the error path. */
#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "ast.h"
#include "suggest.h"

/* Words longer than this are never typos of a name worth suggesting. */
#define SUGGEST_MAX_LEN 256

static bool same_char(char a, char b)
{
	return tolower((unsigned char)a) == tolower((unsigned char)b);
}

static int min3(int a, int b, int c)
{
	int m = a < b ? a : b;
	return m < c ? m : c;
}

int suggest_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > SUGGEST_MAX_LEN || lb > SUGGEST_MAX_LEN)
		return (int)(la > lb ? la : lb);
	int *rows = xmalloc(3 * (lb + 1) * sizeof(int));
	int *before = rows, *prev = rows + lb + 1, *cur = rows + 2 * (lb + 1);
	for (size_t j = 0; j <= lb; j++)
		prev[j] = (int)j;
	for (size_t i = 1; i <= la; i++) {
		cur[0] = (int)i;
		for (size_t j = 1; j <= lb; j++) {
			int cost = same_char(a[i - 1], b[j - 1]) ? 0 : 1;
			cur[j] = min3(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
			if (i > 1 && j > 1 && same_char(a[i - 1], b[j - 2]) &&
			    same_char(a[i - 2], b[j - 1]) && before[j - 2] + 1 < cur[j])
				cur[j] = before[j - 2] + 1;
		}
		int *t = before;
		before = prev;
		prev = cur;
		cur = t;
	}
	int d = prev[lb];
	free(rows);
	return d;
}

int suggest_max_distance(size_t len)
{
	if (len < 3)
		return 0;
	if (len < 6)
		return 1;
	if (len < 9)
		return 2;
	return 3;
}

void suggestion_init(struct suggestion *s, const char *word)
{
	s->word = word;
	s->best = NULL;
	s->distance = 0;
}

void suggestion_consider(struct suggestion *s, const char *candidate)
{
	if (!candidate || strcmp(candidate, s->word) == 0)
		return;
	size_t wlen = strlen(s->word), clen = strlen(candidate);
	int limit = suggest_max_distance(wlen);
	/* a length difference alone costs that many edits */
	if ((clen > wlen ? clen - wlen : wlen - clen) > (size_t)limit)
		return;
	int d = suggest_distance(s->word, candidate);
	if (d > limit || (size_t)d >= clen)
		return;
	if (s->best && (d > s->distance || (d == s->distance && strcmp(candidate, s->best) >= 0)))
		return;
	free(s->best);
	s->best = xstrdup(candidate);
	s->distance = d;
}

void suggestion_free(struct suggestion *s)
{
	free(s->best);
	s->best = NULL;
}
