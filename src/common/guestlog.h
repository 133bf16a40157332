/* guestlog.h - a guest's console output on disk with the time of each line (`virtdeck logs`). */
#ifndef VD_COMMON_GUESTLOG_H
#define VD_COMMON_GUESTLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "common/rotlog.h"

/*
 * Format: the Kubernetes CRI container log format, one record a line,
 *   2026-12-06T18:43:15.123456789Z stdout F what the guest printed
 * RFC 3339 UTC time with nanoseconds, the stream (a console merges stdout and stderr: always
 * "stdout"), F for a full line or P for a part of a line the guest had not ended yet (a prompt,
 * or a line longer than VD_GUESTLOG_CHUNK), then the bytes the guest printed, verbatim, without
 * their '\n'. Parts join to the next F. Records never cross the rotation (NAME, NAME.1).
 */
#define VD_GUESTLOG_CHUNK 2048

/* A zeroed struct is a closed log: writes are dropped. */
struct vd_guestlog {
	struct vd_rotlog log;
	char line[VD_GUESTLOG_CHUNK]; /* the unfinished line */
	size_t len;
	uint64_t line_ns;             /* when its first byte was printed */
	uint64_t last_ns;             /* stamps only go up, so --since and -f never repeat a line */
};

/* <data>/logs/ENGINE/NAME.log (the directory is created when create is true). */
int vd_guestlog_path(const char *engine, const char *name, bool create, char **out,
		     struct vd_error **err);
/* Open for appending (a restarted guest continues its log, as docker's does). */
int vd_guestlog_open(struct vd_guestlog *g, const char *path, uint64_t max, struct vd_error **err);
void vd_guestlog_write(struct vd_guestlog *g, const void *buf, size_t n);
/* Write the unfinished line as a part (P) record: when the guest falls quiet or stops. */
void vd_guestlog_flush(struct vd_guestlog *g);
void vd_guestlog_close(struct vd_guestlog *g);
/* Remove NAME and NAME.1 (the guest is deleted). */
void vd_guestlog_remove(const char *path);

/* One line as read back: parts joined; complete is false for a line still being printed. */
struct vd_log_line {
	uint64_t ts_ns;  /* when its first part was printed (realtime) */
	uint64_t end_ns; /* when its last part was printed: follow from after it */
	bool complete;
	char *text;
};

struct vd_log_lines {
	struct vd_log_line *v;
	size_t n;
};

/* Lines whose records were printed at or after since_ns (0: all), the last `tail` (0: all).
 * A missing log is no error (no lines). */
int vd_guestlog_read(const char *path, uint64_t since_ns, size_t tail, struct vd_log_lines *out,
		     struct vd_error **err);
/* The same for a guest of an engine that keeps its log at vd_guestlog_path. */
int vd_guestlog_read_guest(const char *engine, const char *name, uint64_t since_ns, size_t tail,
			   struct vd_log_lines *out, struct vd_error **err);
/* Delete the log of a guest being deleted. */
void vd_guestlog_remove_guest(const char *engine, const char *name);
/* A plain text log (libvirt's domain log): lines that start with libvirt's stamp
 * "2026-12-06 18:43:15.123+0000: " carry that time, the others the time of the last stamped
 * line before them (0 before any: such lines are left out once since_ns is given). */
void vd_guestlog_parse_plain(const char *buf, size_t len, uint64_t since_ns,
			     struct vd_log_lines *out);
/* Append one line (takes text). */
void vd_log_lines_add(struct vd_log_lines *l, uint64_t ts_ns, bool complete, char *text);
void vd_log_lines_free(struct vd_log_lines *l);
/* Keep only the last n lines (0: all). */
void vd_log_lines_tail(struct vd_log_lines *l, size_t n);
/* "2026-12-06T18:43:15.123456789Z" into buf (at least 32 bytes). */
const char *vd_guestlog_stamp(uint64_t ns, char *buf, size_t len);

#endif
