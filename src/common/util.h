/* util.h - cleanup attributes, ownership hand-off and allocation helpers shared by all modules. */
#ifndef VD_COMMON_UTIL_H
#define VD_COMMON_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>

void vd_freep(void *p);
void vd_closep(int *fd);
void vd_fclosep(FILE **f);
void vd_closedirp(DIR **d);
void vd_strvfreep(char ***v);

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _cleanup_free_ _cleanup_(vd_freep)
#define _cleanup_close_ _cleanup_(vd_closep)
#define _cleanup_fclose_ _cleanup_(vd_fclosep)
#define _cleanup_closedir_ _cleanup_(vd_closedirp)
#define _cleanup_strv_ _cleanup_(vd_strvfreep)

/* Hand ownership out of a cleanup variable: `*out = TAKE_PTR(p);`. */
#define TAKE_PTR(p)                                                                                \
	({                                                                                         \
		__typeof__(p) _tp_ = (p);                                                          \
		(p) = NULL;                                                                        \
		_tp_;                                                                              \
	})
#define TAKE_FD(fd)                                                                                \
	({                                                                                         \
		int _tfd_ = (fd);                                                                  \
		(fd) = -1;                                                                         \
		_tfd_;                                                                             \
	})

#define VD_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define VD_UNUSED __attribute__((unused))
#define VD_PRINTF(a, b) __attribute__((format(printf, a, b)))

/* Allocation failure is not a recoverable condition for a console: abort like htop/crun do. */
void *vd_xmalloc(size_t n);
void *vd_xcalloc(size_t n, size_t sz);
void *vd_xrealloc(void *p, size_t n);
char *vd_xstrdup(const char *s);
char *vd_xasprintf(const char *fmt, ...) VD_PRINTF(1, 2);
char *vd_xvasprintf(const char *fmt, va_list ap) VD_PRINTF(1, 0);

/* Bounded copy that always terminates; returns false when the source was truncated. */
bool vd_strlcpy(char *dst, const char *src, size_t size);
bool vd_streq(const char *a, const char *b);
bool vd_str_has_prefix(const char *s, const char *prefix);

/* Parse "512M", "2G", "1048576" (bytes) into bytes; returns 0 or -EINVAL/-ERANGE. */
int vd_parse_size(const char *s, uint64_t *out);
/* Format bytes as "1.5G" / "512M" / "980K" into buf. */
const char *vd_format_size(uint64_t bytes, char *buf, size_t len);
/* Strict unsigned / double parsers: whole string must be consumed. */
int vd_parse_u64(const char *s, uint64_t *out);
int vd_parse_double(const char *s, double *out);

/* Read a whole (small) file; NUL-terminated. Returns 0 or -errno. */
int vd_read_file(const char *path, char **out, size_t *len);
/* Write a string to a file (O_WRONLY|O_TRUNC, no create); returns 0 or -errno. */
int vd_write_file(const char *path, const char *data);
/* Create a directory and its parents with the given mode; existing directories are fine. */
int vd_mkdir_p(const char *path, unsigned mode);

/* The pid in a pid file when that process still exists, else 0. */
int vd_pid_file_live(const char *path);
/* Whether process pid is stopped (SIGSTOP, a debugger: state T or t), so it answers nothing. */
bool vd_pid_stopped(int pid);

/* CLOCK_MONOTONIC / CLOCK_REALTIME in nanoseconds. */
uint64_t vd_now_mono_ns(void);
uint64_t vd_now_real_ns(void);

#endif
