/* error.c - construction, wrapping and release of struct vd_error. */
#include "common/error.h"

#include <errno.h>

static int vd_error_vset(struct vd_error **err, int code, bool with_errno, const char *fmt,
			 va_list ap)
{
	if (code < 0)
		code = -code;
	if (code == 0)
		code = EIO;
	if (!err || *err)
		return -code; /* first error wins: it names the root cause */
	char *msg = vd_xvasprintf(fmt, ap);
	if (with_errno) {
		char *full = vd_xasprintf("%s: %s", msg, strerror(code));
		free(msg);
		msg = full;
	}
	struct vd_error *e = vd_xcalloc(1, sizeof(*e));
	e->code = code;
	e->msg = msg;
	*err = e;
	return -code;
}

int vd_error_set(struct vd_error **err, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = vd_error_vset(err, code, false, fmt, ap);
	va_end(ap);
	return r;
}

int vd_error_errno(struct vd_error **err, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = vd_error_vset(err, code, true, fmt, ap);
	va_end(ap);
	return r;
}

int vd_error_wrap(struct vd_error **err, const char *fmt, ...)
{
	if (!err || !*err)
		return -EIO;
	va_list ap;
	va_start(ap, fmt);
	char *ctx = vd_xvasprintf(fmt, ap);
	va_end(ap);
	char *full = vd_xasprintf("%s: %s", ctx, (*err)->msg);
	free(ctx);
	free((*err)->msg);
	(*err)->msg = full;
	return -(*err)->code;
}

bool vd_error_keep_first(struct vd_error **first, struct vd_error *e)
{
	if (!e)
		return false;
	if (!*first)
		*first = e;
	else
		vd_error_free(e);
	return true;
}

int vd_error_propagate(struct vd_error **err, struct vd_error *e)
{
	if (err && *err) {
		vd_error_free(e);
		return -(*err)->code;
	}
	int code = e ? e->code : EIO;
	if (err)
		*err = e;
	else
		vd_error_free(e);
	return -code;
}

void vd_error_free(struct vd_error *err)
{
	if (!err)
		return;
	free(err->msg);
	free(err);
}

void vd_error_freep(struct vd_error **err)
{
	vd_error_free(*err);
	*err = NULL;
}
