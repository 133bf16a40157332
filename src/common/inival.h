/* inival.h - writing any string as an INI value that inih reads back byte for byte. */
#ifndef VD_COMMON_INIVAL_H
#define VD_COMMON_INIVAL_H

#include <stdio.h>

#include "common/error.h"

/*
 * inih cuts lines at 199 bytes, strips blanks around values, takes " ;" as the start of a
 * comment and a newline as the end of the line. So a value that is not plain (printable ASCII,
 * no ';' or '#', no blank at either end, not starting with '"') is written quoted:
 *     cmd = "/bin/sh -c 'echo a \x3b echo b'"
 * with \\, \", \n, \t and \xHH escapes, and one longer than a line goes on in "KEY+" lines:
 *     cmdline = "first part..."
 *     cmdline+ = "...the rest"
 * A hand-written value that is not a well-formed quoted string is read as written.
 */
void vd_inival_put(FILE *f, const char *key, const char *value);

/* The value being read: the key of the line before and all of its parts so far. */
struct vd_inival {
	char *key;
	char *value;
};

/* Turn one (key, value) from inih into the key to set and its whole value so far: a "KEY+" line
 * appends to the line before, which must be KEY or KEY+. 0, or -EINVAL with a message. */
int vd_inival_take(struct vd_inival *acc, const char *key, const char *raw, const char **k,
		   const char **v, struct vd_error **err);
void vd_inival_clear(struct vd_inival *acc);

#endif
