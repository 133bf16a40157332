/* log.h - logging to a file under the state directory (never to the terminal while the UI runs). */
#ifndef VD_COMMON_LOG_H
#define VD_COMMON_LOG_H

#include "common/util.h"

enum vd_log_level { VD_LOG_ERROR, VD_LOG_WARN, VD_LOG_INFO, VD_LOG_DEBUG };

/* Open (append) the log file; until then, and after vd_log_close, messages go to stderr
 * unless vd_log_quiet_stderr(true) was called (the UI does this while curses owns the tty). */
int vd_log_open(const char *path);
void vd_log_close(void);
void vd_log_quiet_stderr(bool quiet);
void vd_log_set_level(enum vd_log_level level);
void vd_log(enum vd_log_level level, const char *fmt, ...) VD_PRINTF(2, 3);

#define vd_err(...) vd_log(VD_LOG_ERROR, __VA_ARGS__)
#define vd_warn(...) vd_log(VD_LOG_WARN, __VA_ARGS__)
#define vd_info(...) vd_log(VD_LOG_INFO, __VA_ARGS__)
#define vd_debug(...) vd_log(VD_LOG_DEBUG, __VA_ARGS__)

#endif
