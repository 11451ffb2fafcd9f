/* test_suggest.c - the one "did you mean" rule (src/suggest.c): the edit
 * distance, the length threshold, and the choice among candidates. */
#include <stdlib.h>
#include <string.h>

#include "suggest.h"

#include "check.h"

static void test_distance(void)
{
	CHECK(suggest_distance("", "") == 0);
	CHECK(suggest_distance("count", "count") == 0);
	CHECK(suggest_distance("", "abc") == 3);
	CHECK(suggest_distance("abc", "") == 3);
	CHECK(suggest_distance("pidd", "pid") == 1);       /* deletion */
	CHECK(suggest_distance("syscals", "syscalls") == 1); /* insertion */
	CHECK(suggest_distance("opnat", "openat") == 1);
	CHECK(suggest_distance("cemm", "comm") == 1);      /* substitution */
	CHECK(suggest_distance("cuont", "count") == 1);    /* adjacent swap */
	CHECK(suggest_distance("BEGIN", "begin") == 0);    /* case is ignored */
	CHECK(suggest_distance("kitten", "sitting") == 3);
	CHECK(suggest_distance("ca", "abc") == 3);         /* no swap after an edit (OSA) */
	CHECK(suggest_distance("filenam", "filename") == 1);
}

static void test_threshold(void)
{
	CHECK(suggest_max_distance(1) == 0);
	CHECK(suggest_max_distance(2) == 0);
	CHECK(suggest_max_distance(3) == 1);
	CHECK(suggest_max_distance(5) == 1);
	CHECK(suggest_max_distance(6) == 2);
	CHECK(suggest_max_distance(8) == 2);
	CHECK(suggest_max_distance(9) == 3);
	CHECK(suggest_max_distance(100) == 3);
}

/* The suggestion for word among the candidates must be want (NULL: none). */
static void check_best(const char *want, const char *word, const char *const *cands, size_t n)
{
	struct suggestion s;
	suggestion_init(&s, word);
	for (size_t i = 0; i < n; i++)
		suggestion_consider(&s, cands[i]);
	CHECKF(s.best == want || (s.best && want && strcmp(s.best, want) == 0),
	       "'%s': got %s, want %s", word, s.best ? s.best : "(none)", want ? want : "(none)");
	suggestion_free(&s);
}

#define CHECK_BEST(want, word, ...)                                                   \
	check_best(want, word, (const char *const[]){ __VA_ARGS__ },                  \
		   sizeof((const char *const[]){ __VA_ARGS__ }) / sizeof(const char *))

static void test_choice(void)
{
	CHECK_BEST("count", "cuont", "count", "sum", "hist");
	CHECK_BEST("syscalls", "syscals", "sched", "syscalls", "signal");
	/* the closest wins, whatever the order */
	CHECK_BEST("sys_enter_openat", "sys_enter_opnat", "sys_enter_open", "sys_enter_openat");
	CHECK_BEST("sys_enter_openat", "sys_enter_opnat", "sys_enter_openat", "sys_enter_open");
	/* a tie goes to the alphabetically first */
	CHECK_BEST("bat", "cat", "cap", "bat");
	CHECK_BEST("bat", "cat", "bat", "cap");
	/* too far, too short, or the word itself: nothing */
	CHECK_BEST(NULL, "x", "h", "i", "k");
	CHECK_BEST(NULL, "nosuch", "count", "comm", "nsecs");
	CHECK_BEST(NULL, "pid", "pid");
	/* a candidate the edits would use up entirely is no suggestion */
	CHECK_BEST("ab", "abc", "ab", "a");
	CHECK_BEST(NULL, "ab", "a");
	/* case only */
	CHECK_BEST("BEGIN", "Begin", "END", "BEGIN");
}

int main(void)
{
	test_distance();
	test_threshold();
	test_choice();
	if (failures) {
		fprintf(stderr, "test_suggest: %d failure(s)\n", failures);
		return 1;
	}
	printf("test_suggest: ok\n");
	return 0;
}
