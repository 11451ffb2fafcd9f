/* help.c - help topics (include/help.h). */
#include "help.h"

int help_print(FILE *out, const char *topic)
{
	if (topic && *topic) {
		fprintf(out, "no help for '%s' yet\n", topic);
		return -1;
	}
	fputs("sonde: help topics are not written yet\n", out);
	return 0;
}
