/* ctl.c - unix socket plumbing and newline-delimited JSON framing for guest supervisors. */
#include "common/ctl.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

/* The directory part of path as an O_PATH descriptor, and the address /proc/self/fd/N/BASE
 * that reaches path through it. */
static int vd_ctl_addr_via_dir(const char *path, struct sockaddr_un *sa, struct vd_error **err)
{
	const char *slash = strrchr(path, '/');
	_cleanup_free_ char *dir = NULL;
	if (slash)
		dir = vd_xasprintf("%.*s", (int)(slash - path), path);
	else
		dir = vd_xstrdup(".");
	_cleanup_close_ int fd = open(*dir ? dir : "/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return vd_error_errno(err, errno, "directory of the socket %s", path);
	char via[32];
	snprintf(via, sizeof(via), "/proc/self/fd/%d", fd);
	const char *base = slash ? slash + 1 : path;
	int n = snprintf(sa->sun_path, sizeof(sa->sun_path), "%s/%s", via, base);
	if (n < 0 || (size_t)n >= sizeof(sa->sun_path) || access(via, F_OK) < 0)
		return vd_error_set(err, ENAMETOOLONG, "socket path %s is %zu bytes, more than "
				    "the %zu a unix socket address holds (and /proc cannot shorten "
				    "it): use a shorter state directory (VIRTDECK_STATE_DIR)", path,
				    strlen(path), sizeof(sa->sun_path) - 1);
	return TAKE_FD(fd);
}

/*
 * A unix socket address holds 107 bytes of path. A longer one (a deep $XDG_RUNTIME_DIR or
 * VIRTDECK_STATE_DIR) is reached through an O_PATH descriptor of its directory, which bind and
 * connect follow like a directory; the caller closes *dirfd (-1 when not needed) afterwards.
 */
static int vd_ctl_addr(const char *path, struct sockaddr_un *sa, int *dirfd, struct vd_error **err)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	*dirfd = -1;
	if (vd_strlcpy(sa->sun_path, path, sizeof(sa->sun_path)))
		return 0;
	int fd = vd_ctl_addr_via_dir(path, sa, err);
	if (fd < 0)
		return fd;
	*dirfd = fd;
	return 0;
}

/* A close-on-exec stream socket with path's address in *sa; fd or < 0. */
static int vd_ctl_socket(const char *path, struct sockaddr_un *sa, int *dirfd,
			 struct vd_error **err)
{
	int r = vd_ctl_addr(path, sa, dirfd, err);
	if (r < 0)
		return r;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return vd_error_errno(err, errno, "socket for %s", path);
	return fd;
}

int vd_ctl_listen(const char *path, struct vd_error **err)
{
	struct sockaddr_un sa;
	_cleanup_close_ int dirfd = -1;
	_cleanup_close_ int fd = vd_ctl_socket(path, &sa, &dirfd, err);
	if (fd < 0)
		return fd;
	unlink(path);
	mode_t old = umask(0177); /* the socket exists with 0600 from its first instant */
	int r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0)
		return vd_error_errno(err, errno, "bind %s", path);
	if (chmod(path, 0600) < 0 || listen(fd, 16) < 0)
		return vd_error_errno(err, errno, "listen on %s", path);
	return TAKE_FD(fd);
}

int vd_ctl_accept(int lfd, struct vd_error **err)
{
	_cleanup_close_ int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return vd_error_errno(err, errno, "accept on control socket");
	struct ucred cred;
	socklen_t len = sizeof(cred);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return vd_error_errno(err, errno, "SO_PEERCRED on control socket");
	if (cred.uid != 0 && cred.uid != geteuid())
		return vd_error_set(
			err, EPERM,
			"control client pid %d uid %u refused: only uid %u or root may connect",
			(int)cred.pid, (unsigned)cred.uid, (unsigned)geteuid());
	return TAKE_FD(fd);
}

/* SO_SNDTIMEO bounds a connect that waits for a free slot in a full listen queue (a server
 * that is stopped or hung accepts nothing); it is cleared again so sends on the connection block
 * as before. */
static int vd_ctl_connect_bounded(int fd, const struct sockaddr_un *sa, int timeout_ms)
{
	struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
	if (timeout_ms > 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	int r = connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) < 0 ? -errno : 0;
	tv = (struct timeval){ 0, 0 };
	if (timeout_ms > 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	return r;
}

int vd_ctl_connect_ms(const char *path, int timeout_ms, struct vd_error **err)
{
	struct sockaddr_un sa;
	_cleanup_close_ int dirfd = -1;
	_cleanup_close_ int fd = vd_ctl_socket(path, &sa, &dirfd, err);
	if (fd < 0)
		return fd;
	int r = vd_ctl_connect_bounded(fd, &sa, timeout_ms);
	if (r == -EAGAIN)
		return vd_error_set(err, ETIMEDOUT, "connect to %s: no free connection slot within "
				    "%d ms: the server is stopped or hung", path, timeout_ms);
	if (r < 0)
		return vd_error_errno(err, r, "connect to %s", path);
	return TAKE_FD(fd);
}

int vd_ctl_connect(const char *path, struct vd_error **err)
{
	return vd_ctl_connect_ms(path, VD_CTL_CONNECT_MS, err);
}

static int vd_write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int vd_ctl_send(int fd, struct json_object *obj, struct vd_error **err)
{
	const char *s = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN);
	_cleanup_free_ char *line = vd_xasprintf("%s\n", s);
	int r = vd_write_all(fd, line, strlen(line));
	if (r < 0)
		return vd_error_errno(err, r, "sending control message");
	return 0;
}

int vd_ctl_take_line(struct vd_ctl_reader *rd, struct json_object **out, struct vd_error **err)
{
	char *nl = memchr(rd->buf, '\n', rd->len);
	if (!nl) {
		if (rd->len >= VD_CTL_MAX_LINE)
			return vd_error_set(err, EMSGSIZE, "control message longer than %d bytes", VD_CTL_MAX_LINE);
		return 0;
	}
	*nl = '\0';
	size_t used = (size_t)(nl - rd->buf) + 1;
	enum json_tokener_error jerr = json_tokener_success;
	struct json_object *o = json_tokener_parse_verbose(rd->buf, &jerr);
	memmove(rd->buf, rd->buf + used, rd->len - used);
	rd->len -= used;
	if (!o || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return vd_error_set(
			err, EBADMSG,
			"malformed control message (%s): expected one JSON object per line",
			o ? "not an object" : json_tokener_error_desc(jerr));
	}
	*out = o;
	return 1;
}

int vd_ctl_recv(int fd, struct vd_ctl_reader *rd, int timeout_ms, struct json_object **out,
		struct vd_error **err)
{
	for (;;) {
		int r = vd_ctl_take_line(rd, out, err);
		if (r != 0)
			return r < 0 ? r : 0;
		struct pollfd p = { .fd = fd, .events = POLLIN };
		r = poll(&p, 1, timeout_ms);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return vd_error_errno(err, errno, "waiting for control reply");
		if (r == 0)
			return vd_error_set(err, ETIMEDOUT, "no control reply within %d ms: the supervisor may be hung",
					    timeout_ms);
		ssize_t n = read(fd, rd->buf + rd->len, VD_CTL_MAX_LINE - rd->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return vd_error_errno(err, errno, "reading control reply");
		if (n == 0)
			return vd_error_set(err, EPIPE, "control connection closed by the supervisor");
		rd->len += (size_t)n;
	}
}

int vd_ctl_call(const char *path, struct json_object *req, int timeout_ms,
		struct json_object **resp, struct vd_error **err)
{
	/* One deadline for the whole call: a hung server costs timeout_ms, not twice that. */
	int connect_ms = timeout_ms;
	if (timeout_ms < 0 || timeout_ms > VD_CTL_CONNECT_MS)
		connect_ms = VD_CTL_CONNECT_MS;
	uint64_t t0 = vd_now_mono_ns();
	_cleanup_close_ int fd = vd_ctl_connect_ms(path, connect_ms, err);
	if (fd < 0)
		return fd;
	int r = vd_ctl_send(fd, req, err);
	if (r < 0)
		return r;
	int spent = (int)((vd_now_mono_ns() - t0) / 1000000);
	int left = timeout_ms;
	if (timeout_ms >= 0)
		left = spent < timeout_ms ? timeout_ms - spent : 1;
	_cleanup_free_ struct vd_ctl_reader *rd = vd_xcalloc(1, sizeof(*rd));
	return vd_ctl_recv(fd, rd, left, resp, err);
}

union vd_ctl_cmsg {
	char buf[CMSG_SPACE(sizeof(int))];
	struct cmsghdr align;
};

int vd_ctl_send_with_fd(int sock, struct json_object *obj, int fd, struct vd_error **err)
{
	_cleanup_free_ char *line =
		vd_xasprintf("%s\n", json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN));
	struct iovec iov = { .iov_base = line, .iov_len = strlen(line) };
	union vd_ctl_cmsg u;
	memset(&u, 0, sizeof(u));
	struct msghdr msg = { .msg_iov = &iov,
			      .msg_iovlen = 1,
			      .msg_control = u.buf,
			      .msg_controllen = sizeof(u.buf) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	if (sendmsg(sock, &msg, MSG_NOSIGNAL) < 0)
		return vd_error_errno(err, errno, "sending a descriptor over the control socket");
	return 0;
}

int vd_ctl_recv_with_fd(int sock, struct json_object **reply, int *fd, struct vd_error **err)
{
	char line[4096];
	struct iovec iov = { .iov_base = line, .iov_len = sizeof(line) - 1 };
	union vd_ctl_cmsg u;
	struct msghdr msg = { .msg_iov = &iov,
			      .msg_iovlen = 1,
			      .msg_control = u.buf,
			      .msg_controllen = sizeof(u.buf) };
	ssize_t n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	if (n <= 0)
		return vd_error_errno(err, n < 0 ? errno : EPIPE,
				      "receiving a descriptor over the control socket");
	line[n] = '\0';
	struct json_object *o = json_tokener_parse(line);
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	if (!c || c->cmsg_type != SCM_RIGHTS || c->cmsg_len != CMSG_LEN(sizeof(int))) {
		int r = vd_error_set(err, EPROTO, "no descriptor in the reply: %s",
				     vd_json_str(o, "error", "protocol error"));
		json_object_put(o);
		return r;
	}
	memcpy(fd, CMSG_DATA(c), sizeof(int));
	if (reply)
		*reply = o;
	else
		json_object_put(o);
	return 0;
}

int vd_ctl_outq_add(struct vd_ctl_outq *q, const void *p, size_t n, size_t max)
{
	if (q->len + n > max)
		return -ENOBUFS;
	if (q->len + n > q->cap) {
		q->cap = q->len + n > 2 * q->cap ? q->len + n : 2 * q->cap;
		q->buf = vd_xrealloc(q->buf, q->cap);
	}
	memcpy(q->buf + q->len, p, n);
	q->len += n;
	return 0;
}

int vd_ctl_outq_line(struct vd_ctl_outq *q, struct json_object *obj, size_t max)
{
	const char *s = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN);
	size_t n = strlen(s);
	if (q->len + n + 1 > max)
		return -ENOBUFS;
	vd_ctl_outq_add(q, s, n, max);
	return vd_ctl_outq_add(q, "\n", 1, max);
}

/* A drained queue gives its memory back: a burst must not grow the daemon for good. */
void vd_ctl_outq_consume(struct vd_ctl_outq *q, size_t n)
{
	n = n < q->len ? n : q->len;
	memmove(q->buf, q->buf + n, q->len - n);
	q->len -= n;
	if (q->len == 0)
		vd_ctl_outq_free(q);
}

int vd_ctl_outq_flush(struct vd_ctl_outq *q, int fd)
{
	while (q->len) {
		ssize_t w = send(fd, q->buf, q->len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 1;
		if (w < 0)
			return -errno;
		vd_ctl_outq_consume(q, (size_t)w);
	}
	return 0;
}

void vd_ctl_outq_free(struct vd_ctl_outq *q)
{
	free(q->buf);
	memset(q, 0, sizeof(*q));
}

struct json_object *vd_ctl_reply_ok(void)
{
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "ok", json_object_new_boolean(1));
	return o;
}

struct json_object *vd_ctl_reply_error(int code, const char *msg)
{
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "ok", json_object_new_boolean(0));
	json_object_object_add(o, "code", json_object_new_int(code < 0 ? -code : code));
	json_object_object_add(o, "error", json_object_new_string(msg));
	return o;
}

int vd_ctl_check_reply(struct json_object *resp, struct vd_error **err)
{
	if (vd_json_bool(resp, "ok", false))
		return 0;
	int code = (int)vd_json_i64(resp, "code", EIO);
	return vd_error_set(err, code > 0 ? code : EIO, "%s",
			    vd_json_str(resp, "error", "request failed"));
}

void vd_json_putp(struct json_object **o)
{
	if (*o)
		json_object_put(*o);
}

const char *vd_json_str(struct json_object *o, const char *key, const char *def)
{
	struct json_object *v;
	if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return def;
	return json_object_get_string(v);
}

/* The number under key, if there is one (JSON has one number type; json-c has two). */
static struct json_object *ctl_json_number(struct json_object *o, const char *key)
{
	struct json_object *v;
	if (!o || !json_object_object_get_ex(o, key, &v))
		return NULL;
	return json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double)
		       ? v
		       : NULL;
}

void vd_json_put_u64(struct json_object *o, const char *key, uint64_t v)
{
	json_object_object_add(o, key, json_object_new_int64((int64_t)v));
}

int64_t vd_json_i64(struct json_object *o, const char *key, int64_t def)
{
	struct json_object *v = ctl_json_number(o, key);
	return v ? json_object_get_int64(v) : def;
}

double vd_json_double(struct json_object *o, const char *key, double def)
{
	struct json_object *v = ctl_json_number(o, key);
	return v ? json_object_get_double(v) : def;
}

bool vd_json_bool(struct json_object *o, const char *key, bool def)
{
	struct json_object *v;
	if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_boolean))
		return def;
	return json_object_get_boolean(v);
}
