/* rotlog.c - a size-bounded append log with one rotated generation (NAME, NAME.1). */
#include "common/rotlog.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

static int vd_rotlog_reopen(struct vd_rotlog *l)
{
	if (l->fd >= 0)
		close(l->fd);
	l->fd = open(l->path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
	l->size = 0;
	return l->fd < 0 ? -errno : 0;
}

int vd_rotlog_open(struct vd_rotlog *l, const char *path, uint64_t max, struct vd_error **err)
{
	l->fd = -1;
	l->path = vd_xstrdup(path);
	l->max = max ? max : VD_ROTLOG_DEFAULT_MAX;
	if (l->max < VD_ROTLOG_MIN)
		l->max = VD_ROTLOG_MIN;
	_cleanup_free_ char *old = vd_xasprintf("%s.1", path);
	unlink(old);
	int r = vd_rotlog_reopen(l);
	if (r < 0)
		return vd_error_errno(err, -r, "create log %s", path);
	return 0;
}

int vd_rotlog_open_append(struct vd_rotlog *l, const char *path, uint64_t max,
			  struct vd_error **err)
{
	l->path = vd_xstrdup(path);
	l->max = max ? max : VD_ROTLOG_DEFAULT_MAX;
	if (l->max < VD_ROTLOG_MIN)
		l->max = VD_ROTLOG_MIN;
	l->size = 0;
	l->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	struct stat st;
	if (l->fd < 0)
		return vd_error_errno(err, errno, "open log %s", path);
	if (fstat(l->fd, &st) == 0)
		l->size = (uint64_t)st.st_size;
	return 0;
}

/* NAME becomes NAME.1 (replacing the older one) and NAME starts empty. */
static void vd_rotlog_rotate(struct vd_rotlog *l)
{
	_cleanup_free_ char *old = vd_xasprintf("%s.1", l->path);
	if (rename(l->path, old) < 0 || vd_rotlog_reopen(l) < 0) {
		/* Cannot rotate (the directory went away?): stop logging rather than grow. */
		close(l->fd);
		l->fd = -1;
	}
}

void vd_rotlog_write(struct vd_rotlog *l, const void *buf, size_t n)
{
	if (l->fd < 0 || n == 0)
		return;
	if (n > l->max) { /* only the end of an oversized write can be kept */
		buf = (const uint8_t *)buf + (n - l->max);
		n = (size_t)l->max;
	}
	if (l->size + n > l->max)
		vd_rotlog_rotate(l);
	ssize_t w = l->fd >= 0 ? write(l->fd, buf, n) : -1;
	if (w > 0)
		l->size += (uint64_t)w;
}

void vd_rotlog_close(struct vd_rotlog *l)
{
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
	free(l->path);
	l->path = NULL;
}

/* Read the last want bytes of one file into buf; returns the count. */
static size_t vd_rotlog_tail_one(const char *path, uint8_t *buf, size_t want)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0 || want == 0)
		return 0;
	size_t n = (uint64_t)st.st_size < want ? (size_t)st.st_size : want;
	ssize_t r = pread(fd, buf, n, st.st_size - (off_t)n);
	return r > 0 ? (size_t)r : 0;
}

size_t vd_rotlog_tail(const char *path, void *buf, size_t len)
{
	struct stat st;
	size_t cur = stat(path, &st) == 0 ? (size_t)st.st_size : 0;
	if (cur >= len)
		return vd_rotlog_tail_one(path, buf, len);
	_cleanup_free_ char *old = vd_xasprintf("%s.1", path);
	size_t got = vd_rotlog_tail_one(old, buf, len - cur);
	return got + vd_rotlog_tail_one(path, (uint8_t *)buf + got, cur);
}
