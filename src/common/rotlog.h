/* rotlog.h - an append-only log bounded in size: NAME and one rotated NAME.1, as docker's
 * json-file driver keeps max-size/max-file, for output a guest can produce without end. */
#ifndef VD_COMMON_ROTLOG_H
#define VD_COMMON_ROTLOG_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

#define VD_ROTLOG_DEFAULT_MAX (1024 * 1024)
#define VD_ROTLOG_MIN (4 * 1024) /* room for the tail a console replays on attach */

struct vd_rotlog {
	int fd;         /* -1 when closed: writes are dropped */
	char *path;
	uint64_t size;  /* bytes in NAME */
	uint64_t max;   /* NAME is rotated to NAME.1 before it would grow past this */
};

/* Start a fresh log at path (NAME and NAME.1 emptied); max 0 = the default. */
int vd_rotlog_open(struct vd_rotlog *l, const char *path, uint64_t max, struct vd_error **err);
/* Continue the log at path (NAME and NAME.1 kept): output kept across a guest's restarts. */
int vd_rotlog_open_append(struct vd_rotlog *l, const char *path, uint64_t max,
			  struct vd_error **err);
/* Append; never blocks on more than the file, never fails the caller (output is best effort). */
void vd_rotlog_write(struct vd_rotlog *l, const void *buf, size_t n);
void vd_rotlog_close(struct vd_rotlog *l);
/* The last len bytes (or fewer) of the log, across NAME.1 and NAME; returns the count. */
size_t vd_rotlog_tail(const char *path, void *buf, size_t len);

#endif
