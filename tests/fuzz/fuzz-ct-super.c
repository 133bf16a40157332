/* fuzz-ct-super.c - libFuzzer target: the container supervisor's control requests. */
/* Requests are framed as on the socket; the supervisor state has no container behind it. */
#include <signal.h>
#include <stdlib.h>
#include <termios.h>

#include "fuzz.h"

/* The handlers signal the container's init. Here no signal reaches the kernel: each goes
 * through this check, and one to a pid the supervisor does not own (0 = its own process group,
 * -1 = every process, an init already reaped whose pid may be reused) is a finding. */
static int fuzz_kill(pid_t pid, int sig);
#define kill fuzz_kill
/* The supervisor's state and handlers are private to it: the target includes them. */
#include "containers/ct_super.c"
#undef kill

#define FUZZ_INIT_PID 4194303 /* never signalled for real: any value would do */

static pid_t fuzz_owned; /* the fake init while it "runs", 0 otherwise */
static struct ct_super fuzz_s;

static int fuzz_kill(pid_t pid, int sig)
{
	if (pid <= 0 || pid != fuzz_owned)
		fuzz_fail("kill(%d, %d): the supervisor signalled a process it does not own",
			  (int)pid, sig);
	return 0;
}

/* A supervisor without cgroups (they would be the host's) whose console is a real pty. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct ct_super *s = &fuzz_s;
	fuzz_quiet();
	signal(SIGPIPE, SIG_IGN);
	ct_super_init_struct(s);
	ct_def_init(&s->def, "fuzz");
	s->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	s->con.master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
	if (s->timerfd < 0 || s->con.master < 0 || grantpt(s->con.master) < 0 ||
	    unlockpt(s->con.master) < 0)
		fuzz_fail("timerfd/pty: %s", strerror(errno));
	s->con.slave = open(ptsname(s->con.master), O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
	return 0;
}

/* Flags pick the moment: init running, init just reaped (the same poll round still serves
 * clients), or no init yet; paused or not; with a network or not. */
static void fuzz_super_reset(struct ct_super *s, uint8_t flags)
{
	static const struct itimerspec off;
	s->init = flags % 3 == 2 ? 0 : FUZZ_INIT_PID;
	s->exited = flags % 3 == 1;
	fuzz_owned = flags % 3 == 0 ? FUZZ_INIT_PID : 0;
	s->paused = flags & 4;
	s->has_net = flags & 8;
	timerfd_settime(s->timerfd, 0, &off, NULL);
	tcflush(s->con.slave, TCIOFLUSH);
}

static void fuzz_super_drain(int fd)
{
	char buf[8192];
	while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
}

/* Input: a flags byte, then what one client sends, delivered 4 KiB at a time. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	struct ct_super *s = &fuzz_s;
	int sp[2];
	fuzz_super_reset(s, fuzz_u8(&in));
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sp) < 0)
		fuzz_fail("socketpair: %s", strerror(errno));
	struct ct_client *c = &s->cl[0];
	c->fd = sp[0];
	c->rd = vd_xcalloc(1, sizeof(*c->rd));
	while (in.n > 0 && c->fd >= 0) {
		uint8_t chunk[4096];
		size_t n = fuzz_bytes(&in, chunk, sizeof(chunk));
		if (send(sp[1], chunk, n, MSG_DONTWAIT) != (ssize_t)n)
			fuzz_fail("send: %s", strerror(errno));
		ct_super_client_read(s, c);
		fuzz_super_drain(sp[1]);
	}
	if (c->fd >= 0)
		ct_super_drop(c);
	close(sp[1]);
	return 0;
}
