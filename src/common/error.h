/* error.h - virtdeck's error contract: 0 / negative errno return plus a struct vd_error. */
#ifndef VD_COMMON_ERROR_H
#define VD_COMMON_ERROR_H

#include "common/util.h"

/*
 * Fallible functions take `struct vd_error **err`. On failure they return a negative
 * errno-style code and set *err (if it is still NULL) to a heap error; on success they never
 * touch it. Callers add context with vd_error_wrap() as the error travels up; only the UI and
 * main print it.
 */
struct vd_error {
	int code;  /* positive errno value, e.g. ENOENT */
	char *msg; /* full message, outermost context first */
};

/* Set *err and return -code (code may be given positive or negative). */
int vd_error_set(struct vd_error **err, int code, const char *fmt, ...) VD_PRINTF(3, 4);
/* Same, appending ": strerror(code)". */
int vd_error_errno(struct vd_error **err, int code, const char *fmt, ...) VD_PRINTF(3, 4);
/* Prefix context ("starting ct web: " + old message); returns the error's negative code. */
int vd_error_wrap(struct vd_error **err, const char *fmt, ...) VD_PRINTF(2, 3);
/* Parsers that report the first bad line and go on: keep e in *first if it is the first error,
 * else free it. Returns whether there was an error (e != NULL). */
bool vd_error_keep_first(struct vd_error **first, struct vd_error *e);
/* Hand an error held in a local up to the caller: *err takes e unless err is NULL or already
 * holds an error (first error wins; e is then freed). Returns the negative code of the error
 * the caller ends up with, so the code and the message agree; -EIO when there is none. */
int vd_error_propagate(struct vd_error **err, struct vd_error *e);
void vd_error_free(struct vd_error *err);
void vd_error_freep(struct vd_error **err);
#define _cleanup_error_ _cleanup_(vd_error_freep)

#endif
