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

/* Parse "512M", "2G", "1.5GiB", "1048576" (bytes) into bytes: decimal digits, an optional
 * fraction, an optional K/M/G/T suffix; nothing else (no nan, inf, exponents, hex or blanks).
 * Returns 0, -EINVAL or -ERANGE (past 2^64 - 1). */
int vd_parse_size(const char *s, uint64_t *out);
/* Format bytes as "1.5G" / "512M" / "980K" into buf. */
const char *vd_format_size(uint64_t bytes, char *buf, size_t len);
/* Strict unsigned / double parsers: decimal only, the whole string, no blanks; doubles also
 * refuse nan, inf, hex and anything out of range. 0, -EINVAL or -ERANGE. */
int vd_parse_u64(const char *s, uint64_t *out);
int vd_parse_double(const char *s, double *out);

/* Bounds every entry point of a CPU quota or a memory size applies (CLI, engines, the
 * supervisor's and the VMM's control handlers): a quota of VD_CPUS_MIN (1 ms per 100 ms period)
 * up to the host's online CPUs; memory from a caller's minimum up to the host's RAM. */
#define VD_CPUS_MIN 0.01
unsigned vd_host_cpus(void);
uint64_t vd_host_mem(void);
/* 0, -EINVAL (not a number above 0) or -ERANGE (outside VD_CPUS_MIN..vd_host_cpus()). */
int vd_check_cpus(double cpus);
/* 0 or -ERANGE (below min or above vd_host_mem()). */
int vd_check_mem(uint64_t bytes, uint64_t min);
/* A name the kernel takes for a network interface as is: 1..IFNAMSIZ-1 (15) bytes, no '/',
 * ':' or blanks, not "." or "..". Longer names would be cut by the kernel's helpers. */
bool vd_ifname_valid(const char *name);

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
