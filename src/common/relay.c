/* relay.c - the byte relay shared by `virtdeck console`, the TUI's attach and `virtdeck exec`. */
#include "common/relay.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
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

bool vd_relay_winsize(int fd, struct winsize *ws)
{
	return ioctl(fd, TIOCGWINSZ, ws) == 0 && ws->ws_row > 0 && ws->ws_col > 0;
}

/* The write end of the pipe the SIGWINCH handler wakes the console relay with. A handler and
 * not a signalfd as in exec: in a threaded caller (the TUI's job thread, libvirt's console
 * pump) a signal blocked in this thread alone is taken by another thread, and lost to us. */
static volatile sig_atomic_t relay_winch_fd = -1;

static void relay_on_winch(int sig)
{
	(void)sig;
	int saved = errno;
	char c = 0;
	if (relay_winch_fd >= 0 && write(relay_winch_fd, &c, 1) < 0) {
		/* the pipe is full: a wake-up is pending already */
	}
	errno = saved;
}

/* The terminal's size as the console relay passes it on. */
struct relay_size {
	vd_relay_size_fn fn;
	void *data;
	int pipe[2];
	struct sigaction old;
};

static void relay_size_send(struct relay_size *s)
{
	struct winsize ws;
	if (s->fn && vd_relay_winsize(STDIN_FILENO, &ws) && s->fn(s->data, &ws) < 0)
		s->fn = NULL; /* the guest side has no size: stop asking */
}

static int relay_size_changed(struct vd_relay *r)
{
	struct relay_size *s = r->data;
	char buf[64];
	while (read(r->event_fd, buf, sizeof(buf)) > 0)
		;
	relay_size_send(s);
	return 0;
}

/* The handler goes in before the first size is sent, so no resize falls between the two. */
static int relay_size_start(struct relay_size *s)
{
	if (pipe2(s->pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		return -1;
	struct sigaction sa = { .sa_handler = relay_on_winch, .sa_flags = SA_RESTART };
	sigemptyset(&sa.sa_mask);
	relay_winch_fd = s->pipe[1];
	sigaction(SIGWINCH, &sa, &s->old);
	relay_size_send(s);
	return s->pipe[0];
}

static void relay_size_stop(struct relay_size *s)
{
	sigaction(SIGWINCH, &s->old, NULL);
	relay_winch_fd = -1;
	close(s->pipe[0]);
	close(s->pipe[1]);
}

int vd_relay_console(int fd, vd_relay_size_fn size, void *data)
{
	struct termios saved;
	bool tty = vd_relay_raw(STDIN_FILENO, &saved);
	struct relay_size s = { .fn = size, .data = data };
	struct vd_relay r = { .user_in = STDIN_FILENO, .user_out = STDOUT_FILENO, .guest = fd,
			      .event_fd = -1, .detach_key = VD_DETACH_KEY,
			      .on_event = relay_size_changed, .data = &s };
	if (tty && size)
		r.event_fd = relay_size_start(&s);
	enum vd_relay_end end = vd_relay_run(&r);
	if (r.event_fd >= 0)
		relay_size_stop(&s);
	if (tty)
		vd_relay_restore(STDIN_FILENO, &saved);
	return end == VD_RELAY_DETACHED ? 0 : 1;
}
