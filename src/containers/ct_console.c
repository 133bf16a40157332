/* ct_console.c - pty pair for a container's console, with a small backlog for late attaches. */
#include "containers/ct_console.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

/* The slave through the master (TIOCGPTPEER, 4.13+), not by a path someone else may control. */
static int ct_console_peer(int master, const char *path)
{
	int s = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (s < 0 && (errno == EINVAL || errno == ENOTTY))
		s = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);
	return s;
}

int ct_console_open_at(struct ct_console *c, const char *name, const char *ptmx,
		       struct vd_error **err)
{
	memset(c, 0, sizeof(*c));
	c->master = c->slave = -1;
	/* Non-blocking: a container that never reads its terminal must not stop the supervisor. */
	_cleanup_close_ int m = open(ptmx, O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
	if (m < 0)
		return vd_error_errno(err, errno, "container %s: cannot open a pty (%s)", name, ptmx);
	if (unlockpt(m) < 0 || ptsname_r(m, c->slave_path, sizeof(c->slave_path)) != 0)
		return vd_error_errno(err, errno, "container %s: cannot set up the pty (%s)", name, ptmx);
	int s = ct_console_peer(m, c->slave_path);
	if (s < 0)
		return vd_error_errno(err, errno, "container %s: cannot open pty %s", name, c->slave_path);
	struct winsize ws = { .ws_row = 24, .ws_col = 80 };
	ioctl(m, TIOCSWINSZ, &ws);
	c->slave = s;
	c->master = TAKE_FD(m);
	return 0;
}

int ct_console_open(struct ct_console *c, const char *name, struct vd_error **err)
{
	return ct_console_open_at(c, name, "/dev/ptmx", err);
}

static void ct_console_closefd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

void ct_console_close(struct ct_console *c)
{
	ct_console_closefd(&c->master);
	ct_console_closefd(&c->slave);
	vd_ctl_outq_free(&c->in);
}

int ct_console_attach_child(struct ct_console *c, struct vd_error **err)
{
	/* A new session, so the container's tty can never push input into ours (CVE-2017-5226). */
	if (setsid() < 0)
		return vd_error_errno(err, errno, "setsid in the container");
	if (ioctl(c->slave, TIOCSCTTY, 0) < 0)
		return vd_error_errno(err, errno, "making %s the container's controlling tty", c->slave_path);
	for (int fd = 0; fd < 3; fd++)
		if (dup2(c->slave, fd) < 0)
			return vd_error_errno(err, errno, "dup2 of the console to fd %d", fd);
	return 0;
}

void ct_console_record(struct ct_console *c, const char *buf, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		c->ring[(c->ring_head + c->ring_len) % CT_CONSOLE_BACKLOG] = buf[i];
		if (c->ring_len < CT_CONSOLE_BACKLOG)
			c->ring_len++;
		else
			c->ring_head = (c->ring_head + 1) % CT_CONSOLE_BACKLOG;
	}
}

size_t ct_console_backlog(const struct ct_console *c, char *out)
{
	for (size_t i = 0; i < c->ring_len; i++)
		out[i] = c->ring[(c->ring_head + i) % CT_CONSOLE_BACKLOG];
	return c->ring_len;
}

int ct_console_flush(struct ct_console *c)
{
	while (c->in.len && c->master >= 0) {
		ssize_t w = write(c->master, c->in.buf, c->in.len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN)
			return 0;
		if (w < 0) {
			vd_ctl_outq_free(&c->in); /* EIO: nobody holds the terminal any more */
			return -EIO;
		}
		vd_ctl_outq_consume(&c->in, (size_t)w);
	}
	c->in_lost = false;
	return 0;
}

int ct_console_input(struct ct_console *c, const char *p, size_t n)
{
	if (c->master < 0)
		return -EIO;
	if (vd_ctl_outq_add(&c->in, p, n, CT_CONSOLE_INPUT_MAX) < 0 && ct_console_flush(c) == 0 &&
	    vd_ctl_outq_add(&c->in, p, n, CT_CONSOLE_INPUT_MAX) < 0) {
		bool first = !c->in_lost;
		c->in_lost = true;
		return first ? 1 : 0;
	}
	return ct_console_flush(c);
}

int ct_console_resize(struct ct_console *c, unsigned rows, unsigned cols)
{
	struct winsize ws = { .ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols };
	return ioctl(c->master, TIOCSWINSZ, &ws) < 0 ? -errno : 0;
}
