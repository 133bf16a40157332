/* relay.c - the byte relay shared by `virtdeck console`, the TUI's attach and `virtdeck exec`. */
#include "common/relay.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

/* Steps that do not end the relay; the ends are enum vd_relay_end (>= 0). */
#define RELAY_MOVED (-1)
#define RELAY_AGAIN (-2)

static int relay_write_all(int fd, const char *buf, size_t n)
{
	for (size_t off = 0; off < n;) {
		ssize_t w = write(fd, buf + off, n - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		off += (size_t)w;
	}
	return 0;
}

/* Hand pending input to the guest as far as it takes it now. */
static int relay_flush(struct vd_relay *r)
{
	while (r->pending_off < r->pending_len) {
		ssize_t w = write(r->guest, r->pending + r->pending_off, r->pending_len - r->pending_off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN)
			return RELAY_AGAIN;
		if (w <= 0)
			return VD_RELAY_USER_CLOSED;
		r->pending_off += (size_t)w;
	}
	r->pending_len = r->pending_off = 0;
	return RELAY_MOVED;
}

static int relay_from_user(struct vd_relay *r)
{
	ssize_t n = read(r->user_in, r->pending, sizeof(r->pending));
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return RELAY_AGAIN;
	if (n <= 0)
		return VD_RELAY_USER_CLOSED;
	if (r->detach_key >= 0 && memchr(r->pending, r->detach_key, (size_t)n))
		return VD_RELAY_DETACHED;
	r->pending_len = (size_t)n;
	r->pending_off = 0;
	return relay_flush(r);
}

static int relay_from_guest(struct vd_relay *r)
{
	char buf[4096];
	ssize_t n = read(r->guest, buf, sizeof(buf));
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return RELAY_AGAIN;
	if (n <= 0) /* EOF, or EIO from a pty master whose slave is closed everywhere */
		return VD_RELAY_GUEST_CLOSED;
	return relay_write_all(r->user_out, buf, (size_t)n) < 0 ? VD_RELAY_OUTPUT_CLOSED : RELAY_MOVED;
}

static int relay_step(struct vd_relay *r, const struct pollfd *p)
{
	const short ready = POLLIN | POLLHUP | POLLERR;
	int s = RELAY_AGAIN;
	if (p[0].revents & ready)
		s = relay_from_user(r);
	if (s < 0 && p[1].revents & POLLOUT)
		s = relay_flush(r);
	if (s < 0 && p[1].revents & ready)
		s = relay_from_guest(r);
	if (s < 0 && p[2].revents & POLLIN && r->on_event(r))
		s = VD_RELAY_EVENT;
	return s;
}

enum vd_relay_end vd_relay_run(struct vd_relay *r)
{
	if (r->guest >= 0)
		fcntl(r->guest, F_SETFL, fcntl(r->guest, F_GETFL) | O_NONBLOCK);
	for (;;) {
		bool busy = r->pending_off < r->pending_len;
		/* poll ignores negative fds: a closed direction simply drops out. */
		struct pollfd p[3] = {
			{ .fd = busy ? -1 : r->user_in, .events = POLLIN },
			{ .fd = r->guest, .events = (short)(POLLIN | (busy ? POLLOUT : 0)) },
			{ .fd = r->event_fd, .events = POLLIN },
		};
		if (poll(p, 3, -1) < 0 && errno != EINTR)
			return VD_RELAY_ERROR;
		int s = relay_step(r, p);
		if (s >= 0)
			return (enum vd_relay_end)s;
	}
}

void vd_relay_drain(struct vd_relay *r)
{
	if (r->guest < 0)
		return;
	fcntl(r->guest, F_SETFL, fcntl(r->guest, F_GETFL) | O_NONBLOCK);
	/* Bounded: what is left after the guest's end is at most a pty's or pipe's buffer, and
	 * something left behind that keeps writing must not hold us here. */
	for (int i = 0; i < 256 && relay_from_guest(r) == RELAY_MOVED; i++)
		;
}

bool vd_relay_raw(int fd, struct termios *saved)
{
	if (tcgetattr(fd, saved) < 0)
		return false;
	struct termios raw = *saved;
	cfmakeraw(&raw);
	tcsetattr(fd, TCSAFLUSH, &raw);
	return true;
}

void vd_relay_restore(int fd, const struct termios *saved)
{
	tcsetattr(fd, TCSAFLUSH, saved);
}

int vd_relay_console(int fd)
{
	struct termios saved;
	bool tty = vd_relay_raw(STDIN_FILENO, &saved);
	struct vd_relay r = { .user_in = STDIN_FILENO, .user_out = STDOUT_FILENO, .guest = fd,
			      .event_fd = -1, .detach_key = VD_DETACH_KEY };
	enum vd_relay_end end = vd_relay_run(&r);
	if (tty)
		vd_relay_restore(STDIN_FILENO, &saved);
	return end == VD_RELAY_DETACHED ? 0 : 1;
}
