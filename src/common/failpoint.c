/* failpoint.c - die on a named step when a test asks for it (see failpoint.h for the points). */
#include "common/failpoint.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void vd_failpoint(const char *name)
{
	const char *want = getenv("VIRTDECK_FAILPOINT");
	if (want && strcmp(want, name) == 0)
		kill(getpid(), SIGKILL);
}
