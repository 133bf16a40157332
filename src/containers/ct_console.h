/* ct_console.h - the container's pty: the supervisor keeps the master, init gets the slave. */
#ifndef VD_CT_CONSOLE_H
#define VD_CT_CONSOLE_H

#include <stddef.h>

#include "common/ctl.h"
#include "common/error.h"

#define CT_CONSOLE_BACKLOG 16384
/* Input the container's terminal has not taken yet; past this it is dropped, never waited on. */
#define CT_CONSOLE_INPUT_MAX (64 * 1024)

struct ct_console {
	int master;
	int slave;           /* closed in the supervisor once init has it */
	char slave_path[64];
	/* Recent output, replayed to a console that attaches later (like a terminal's scrollback). */
	char ring[CT_CONSOLE_BACKLOG];
	size_t ring_len, ring_head;
	struct vd_ctl_outq in; /* typed, not yet taken by the (non-blocking) master */
	bool in_lost;          /* input was dropped since the queue last drained */
};

int ct_console_open(struct ct_console *c, const char *name, struct vd_error **err);
/* The same from a given ptmx (a container's own devpts: /dev/pts/ptmx). */
int ct_console_open_at(struct ct_console *c, const char *name, const char *ptmx,
		       struct vd_error **err);
void ct_console_close(struct ct_console *c);
/* In the child: new session, the slave as controlling terminal and stdio. */
int ct_console_attach_child(struct ct_console *c, struct vd_error **err);
/* Remember output for the next attach. */
void ct_console_record(struct ct_console *c, const char *buf, size_t n);
/* Copy the backlog, oldest first, into out (CT_CONSOLE_BACKLOG bytes); returns its length. */
size_t ct_console_backlog(const struct ct_console *c, char *out);
/* Queue input for the container and write what the pty takes now. Past CT_CONSOLE_INPUT_MAX
 * unread bytes input is dropped: 1 the first time since the queue last drained (say so once),
 * 0 otherwise; -EIO when the pty is gone. */
int ct_console_input(struct ct_console *c, const char *p, size_t n);
/* Write queued input the pty takes now (the master polled POLLOUT). */
int ct_console_flush(struct ct_console *c);
int ct_console_resize(struct ct_console *c, unsigned rows, unsigned cols);

#endif
