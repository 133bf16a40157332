/* log.c - a tiny leveled logger writing timestamped lines to the state directory's log file. */
#include "common/log.h"

#include <fcntl.h>
#include <time.h>
#include <unistd.h>

static FILE *vd_log_file;
static bool vd_log_no_stderr;
static enum vd_log_level vd_log_max = VD_LOG_INFO;

int vd_log_open(const char *path)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	FILE *f = fdopen(fd, "a");
	if (!f) {
		close(fd);
		return -1;
	}
	setvbuf(f, NULL, _IOLBF, 0);
	vd_log_close();
	vd_log_file = f;
	return 0;
}

void vd_log_close(void)
{
	if (vd_log_file)
		fclose(vd_log_file);
	vd_log_file = NULL;
}

void vd_log_quiet_stderr(bool quiet)
{
	vd_log_no_stderr = quiet;
}

void vd_log_set_level(enum vd_log_level level)
{
	vd_log_max = level;
}

void vd_log(enum vd_log_level level, const char *fmt, ...)
{
	static const char *names[] = { "error", "warn", "info", "debug" };
	if (level > vd_log_max)
		return;
	FILE *out = vd_log_file ? vd_log_file : (vd_log_no_stderr ? NULL : stderr);
	if (!out || (out == stderr && level > VD_LOG_WARN))
		return; /* on a terminal only what the user must see; the log file keeps the rest */
	char stamp[32] = "";
	time_t now = time(NULL);
	struct tm tm;
	if (vd_log_file && localtime_r(&now, &tm))
		strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S ", &tm);
	va_list ap;
	va_start(ap, fmt);
	fprintf(out, "%s[%d] %s: ", stamp, (int)getpid(), names[level]);
	vfprintf(out, fmt, ap);
	fputc('\n', out);
	va_end(ap);
}
