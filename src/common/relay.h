/* relay.h - copy bytes between the user's terminal and a guest side (console, exec pty). */
#ifndef VD_COMMON_RELAY_H
#define VD_COMMON_RELAY_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <termios.h>

#define VD_DETACH_KEY 0x1d /* Ctrl-] as in telnet and virsh console */

/* Why vd_relay_run returned. */
enum vd_relay_end {
	VD_RELAY_DETACHED,     /* the user typed the detach key */
	VD_RELAY_USER_CLOSED,  /* user_in reached EOF (or the guest refused more input) */
	VD_RELAY_GUEST_CLOSED, /* the guest side closed */
	VD_RELAY_OUTPUT_CLOSED, /* user_out refused more output */
	VD_RELAY_EVENT,        /* on_event asked to stop */
	VD_RELAY_ERROR,        /* poll failed */
};

/* A relay: user_in -> guest, guest -> user_out, and event_fd watched alongside. Any fd may be
 * -1 (not relayed). The guest fd is made non-blocking, so a guest that stops reading our input
 * cannot stall its output; user_out is written as it is (a terminal's own flow control). */
struct vd_relay {
	int user_in, user_out, guest, event_fd;
	int detach_key; /* a byte from user_in that ends the relay, or -1 */
	/* Called when event_fd is readable; nonzero ends the relay with VD_RELAY_EVENT. */
	int (*on_event)(struct vd_relay *r);
	void *data;
	char pending[4096]; /* read from user_in, not yet taken by the guest */
	size_t pending_len, pending_off;
};

/* Relay until one of the ends above; the caller may change the fds and call it again. */
enum vd_relay_end vd_relay_run(struct vd_relay *r);
/* Copy to user_out what the guest side holds right now, without waiting for more. */
void vd_relay_drain(struct vd_relay *r);
/* Put terminal fd in raw mode, keeping its settings in *saved; false when fd is no terminal. */
bool vd_relay_raw(int fd, struct termios *saved);
void vd_relay_restore(int fd, const struct termios *saved);

/* The size of terminal fd; false when fd is no terminal or does not know its size (0x0). */
bool vd_relay_winsize(int fd, struct winsize *ws);

/* Passes the user's terminal size on to the guest side; a negative errno stops further calls. */
typedef int (*vd_relay_size_fn)(void *data, const struct winsize *ws);

/* Put stdin in raw mode (when it is a terminal), copy bytes both ways between the terminal
 * and fd until the user types the detach key or the guest side closes, then restore the
 * terminal. When size is given and stdin is a terminal, it gets the terminal's size at the
 * start and after every SIGWINCH, whose handler is the relay's meanwhile (curses, resumed
 * after endwin, reads the size again itself). Returns 0 on detach, 1 when the guest closed the
 * console. */
int vd_relay_console(int fd, vd_relay_size_fn size, void *data);

#endif
