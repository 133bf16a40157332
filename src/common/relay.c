/* relay.c - the console relay shared by `virtdeck console` and the TUI's attach. */
#include "common/relay.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

/* Copy one chunk; returns bytes moved, 0 at EOF, -1 when the user asked to detach. */
static ssize_t relay_pump(int from, int to, bool from_user)
{
	char buf[4096];
	ssize_t n = read(from, buf, sizeof(buf));
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 1;
	if (n <= 0)
		return 0;
	if (from_user && memchr(buf, VD_DETACH_KEY, (size_t)n))
		return -1;
	for (ssize_t off = 0; off < n;) {
		ssize_t w = write(to, buf + off, (size_t)(n - off));
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return 0;
		off += w;
	}
	return n;
}

static int relay_loop(int fd)
{
	struct pollfd p[2] = { { .fd = STDIN_FILENO, .events = POLLIN }, { .fd = fd, .events = POLLIN } };
	for (;;) {
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			return 1;
		if (p[0].revents & (POLLIN | POLLHUP)) {
			ssize_t r = relay_pump(STDIN_FILENO, fd, true);
			if (r <= 0)
				return r < 0 ? 0 : 1;
		}
		if (p[1].revents & (POLLIN | POLLHUP | POLLERR) && relay_pump(fd, STDOUT_FILENO, false) <= 0)
			return 1;
	}
}

int vd_relay_console(int fd)
{
	struct termios saved, raw;
	bool tty = tcgetattr(STDIN_FILENO, &saved) == 0;
	if (tty) {
		raw = saved;
		cfmakeraw(&raw);
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw);
	}
	int r = relay_loop(fd);
	if (tty)
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
	return r;
}
