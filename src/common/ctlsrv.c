/* ctlsrv.c - a control socket server whose clients cannot block it (see ctlsrv.h). */
#include "common/ctlsrv.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"

static void vd_ctlsrv_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl >= 0)
		fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

void vd_ctlsrv_init(struct vd_ctlsrv *s, int listen_fd, const char *what,
		    vd_ctlsrv_handler_fn handler, void *opaque)
{
	memset(s, 0, sizeof(*s));
	s->listen_fd = listen_fd;
	s->what = what;
	s->handler = handler;
	s->opaque = opaque;
	for (unsigned i = 0; i < VD_CTLSRV_SLOTS; i++)
		s->c[i].fd = -1;
	vd_ctlsrv_nonblock(listen_fd);
}

static void vd_ctlsrv_drop(struct vd_ctlsrv_client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	free(c->rd);
	c->rd = NULL;
	free(c->out);
	c->out = NULL;
	c->out_len = 0;
}

/* The slot for a new client: a free one, else the one least recently active. */
static struct vd_ctlsrv_client *vd_ctlsrv_slot(struct vd_ctlsrv *s)
{
	struct vd_ctlsrv_client *oldest = &s->c[0];
	for (unsigned i = 0; i < VD_CTLSRV_SLOTS; i++) {
		if (s->c[i].fd < 0)
			return &s->c[i];
		if (s->c[i].last_ns < oldest->last_ns)
			oldest = &s->c[i];
	}
	vd_debug("%s: all %d control slots busy: dropping the least active client", s->what,
		 VD_CTLSRV_SLOTS);
	vd_ctlsrv_drop(oldest);
	return oldest;
}

static void vd_ctlsrv_accept(struct vd_ctlsrv *s)
{
	_cleanup_error_ struct vd_error *err = NULL;
	int fd = vd_ctl_accept(s->listen_fd, &err);
	if (fd < 0) {
		if (err->code != EAGAIN && err->code != EINTR)
			vd_warn("%s: %s", s->what, err->msg);
		return;
	}
	vd_ctlsrv_nonblock(fd);
	struct vd_ctlsrv_client *c = vd_ctlsrv_slot(s);
	c->fd = fd;
	c->rd = vd_xcalloc(1, sizeof(*c->rd));
	c->last_ns = vd_now_mono_ns();
}

/* Send what is queued; false when the client is gone. */
static bool vd_ctlsrv_flush(struct vd_ctlsrv_client *c)
{
	while (c->out_len > 0) {
		ssize_t w = send(c->fd, c->out, c->out_len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0)
			return errno == EAGAIN || errno == EINTR;
		memmove(c->out, c->out + w, c->out_len - (size_t)w);
		c->out_len -= (size_t)w;
		c->last_ns = vd_now_mono_ns();
	}
	return true;
}

static void vd_ctlsrv_queue(struct vd_ctlsrv_client *c, const char *p, size_t n)
{
	if (c->fd < 0)
		return;
	if (c->out_len + n > VD_CTLSRV_OUT_MAX) {
		vd_debug("control client does not read its replies: dropped");
		vd_ctlsrv_drop(c);
		return;
	}
	c->out = vd_xrealloc(c->out, c->out_len + n);
	memcpy(c->out + c->out_len, p, n);
	c->out_len += n;
}

void vd_ctlsrv_reply(struct vd_ctlsrv_client *c, struct json_object *obj)
{
	const char *s = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN);
	_cleanup_free_ char *line = vd_xasprintf("%s\n", s);
	vd_ctlsrv_queue(c, line, strlen(line));
	if (c->fd >= 0 && !vd_ctlsrv_flush(c))
		vd_ctlsrv_drop(c);
}

union vd_ctlsrv_cmsg {
	char buf[CMSG_SPACE(sizeof(int))];
	struct cmsghdr align;
};

/* The descriptor rides on the first byte of the line: the line must not wait behind others. */
int vd_ctlsrv_reply_fd(struct vd_ctlsrv_client *c, struct json_object *obj, int fd,
		       struct vd_error **err)
{
	if (!vd_ctlsrv_flush(c) || c->out_len > 0) {
		vd_ctlsrv_drop(c);
		return vd_error_set(err, EAGAIN,
				    "control client does not read its replies: dropped");
	}
	_cleanup_free_ char *line = vd_xasprintf("%s\n",
		json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN));
	size_t len = strlen(line);
	struct iovec iov = { .iov_base = line, .iov_len = len };
	union vd_ctlsrv_cmsg u;
	memset(&u, 0, sizeof(u));
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
			      .msg_controllen = sizeof(u.buf) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
	*cm = (struct cmsghdr){ .cmsg_level = SOL_SOCKET, .cmsg_type = SCM_RIGHTS,
				.cmsg_len = CMSG_LEN(sizeof(int)) };
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	ssize_t w = sendmsg(c->fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (w <= 0) {
		int e = w < 0 ? errno : EPIPE;
		vd_ctlsrv_drop(c);
		return vd_error_errno(err, e, "sending a descriptor to a control client");
	}
	vd_ctlsrv_queue(c, line + w, len - (size_t)w);
	return 0;
}

/* Serve the complete lines received, stopping while replies wait for the client. */
static void vd_ctlsrv_serve(struct vd_ctlsrv *s, struct vd_ctlsrv_client *c)
{
	while (c->fd >= 0 && c->out_len == 0) {
		_cleanup_json_ struct json_object *req = NULL;
		_cleanup_error_ struct vd_error *err = NULL;
		int r = vd_ctl_take_line(c->rd, &req, &err);
		if (r < 0)
			vd_ctlsrv_drop(c); /* a broken peer: drop it, never the server */
		if (r <= 0)
			return;
		s->handler(s->opaque, c, req);
	}
}

static void vd_ctlsrv_read(struct vd_ctlsrv *s, struct vd_ctlsrv_client *c)
{
	struct vd_ctl_reader *rd = c->rd;
	ssize_t n = read(c->fd, rd->buf + rd->len, VD_CTL_MAX_LINE - rd->len);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		vd_ctlsrv_drop(c);
		return;
	}
	rd->len += (size_t)n;
	c->last_ns = vd_now_mono_ns();
	vd_ctlsrv_serve(s, c);
}

static void vd_ctlsrv_expire(struct vd_ctlsrv *s)
{
	uint64_t now = vd_now_mono_ns();
	for (unsigned i = 0; i < VD_CTLSRV_SLOTS; i++)
		if (s->c[i].fd >= 0 && now - s->c[i].last_ns > VD_CTLSRV_IDLE_NS)
			vd_ctlsrv_drop(&s->c[i]);
}

unsigned vd_ctlsrv_pollfds(const struct vd_ctlsrv *s, struct pollfd *p)
{
	p[0] = (struct pollfd){ .fd = s->listen_fd, .events = POLLIN };
	for (unsigned i = 0; i < VD_CTLSRV_SLOTS; i++) {
		/* A client with replies waiting is not read from: it must take them first. */
		short ev = s->c[i].out_len ? POLLOUT : POLLIN;
		p[1 + i] = (struct pollfd){ .fd = s->c[i].fd, .events = ev };
	}
	return 1 + VD_CTLSRV_SLOTS;
}

static void vd_ctlsrv_client_event(struct vd_ctlsrv *s, struct vd_ctlsrv_client *c, short rev)
{
	if (c->fd < 0 || !rev)
		return;
	if (c->out_len) {
		if (!vd_ctlsrv_flush(c)) {
			vd_ctlsrv_drop(c);
			return;
		}
		vd_ctlsrv_serve(s, c); /* lines that waited for the client to take its replies */
		return;
	}
	if (rev & (POLLIN | POLLHUP | POLLERR))
		vd_ctlsrv_read(s, c);
}

void vd_ctlsrv_dispatch(struct vd_ctlsrv *s, const struct pollfd *p)
{
	for (unsigned i = 0; i < VD_CTLSRV_SLOTS; i++)
		if (p[1 + i].fd >= 0 && p[1 + i].fd == s->c[i].fd)
			vd_ctlsrv_client_event(s, &s->c[i], p[1 + i].revents);
	if (p[0].revents & POLLIN)
		vd_ctlsrv_accept(s);
	vd_ctlsrv_expire(s);
}

void vd_ctlsrv_close(struct vd_ctlsrv *s)
{
	for (unsigned i = 0; i < VD_CTLSRV_SLOTS; i++)
		vd_ctlsrv_drop(&s->c[i]);
}
