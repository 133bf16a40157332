/* vmm-hostile-client.c - control clients that misbehave, for vmm-hostile-payload.sh (built static
 * by vmm-hostile.sh, run inside the harness where busybox has no unix-socket client):
 *   console SOCK SECS        take the console pty and flood it with input, never reading
 *   pipeline SOCK N SECS     send N status requests at once, never read a reply
 *   idle SOCK N SECS         hold N connections that send nothing
 * Each holds on for SECS seconds, then exits 0; 2 when it could not even connect. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static int hc_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror(path);
		exit(2);
	}
	return fd;
}

static int hc_console_fd(const char *path)
{
	int s = hc_connect(path);
	const char req[] = "{\"cmd\":\"console\"}\n";
	char line[4096];
	union { char buf[CMSG_SPACE(sizeof(int))]; struct cmsghdr align; } u;
	struct iovec iov = { .iov_base = line, .iov_len = sizeof(line) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
			      .msg_controllen = sizeof(u.buf) };
	int fd = -1;
	if (write(s, req, strlen(req)) < 0 || recvmsg(s, &msg, 0) <= 0 || !CMSG_FIRSTHDR(&msg)) {
		fprintf(stderr, "console: no pty from %s\n", path);
		exit(2);
	}
	memcpy(&fd, CMSG_DATA(CMSG_FIRSTHDR(&msg)), sizeof(int));
	close(s);
	return fd;
}

/* Write into the pty until the deadline; the writes block once the guest stops taking input. */
static void hc_console(const char *path, int secs)
{
	int fd = hc_console_fd(path);
	char junk[4096];
	memset(junk, 'x', sizeof(junk));
	alarm((unsigned)secs);
	unsigned long long total = 0;
	for (;;) {
		ssize_t w = write(fd, junk, sizeof(junk));
		if (w < 0 && errno != EINTR)
			break;
		if (w > 0)
			total += (unsigned long long)w;
	}
	printf("console flood: %llu bytes written\n", total);
}

static void hc_pipeline(const char *path, int n, int secs)
{
	int s = hc_connect(path);
	fcntl(s, F_SETFL, O_NONBLOCK);
	const char req[] = "{\"cmd\":\"status\"}\n";
	int sent = 0;
	time_t end = time(NULL) + secs;
	while (sent < n && time(NULL) < end) {
		if (write(s, req, strlen(req)) == (ssize_t)strlen(req))
			sent++;
		else
			usleep(10000); /* our side is full too: the server must cope, not us */
	}
	printf("pipeline: %d requests sent, no reply read\n", sent);
	fflush(stdout);
	while (time(NULL) < end)
		sleep(1);
}

static void hc_idle(const char *path, int n, int secs)
{
	for (int i = 0; i < n; i++)
		hc_connect(path);
	printf("idle: %d connections open\n", n);
	fflush(stdout);
	sleep((unsigned)secs);
}

static void hc_on_alarm(int sig)
{
	(void)sig;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = hc_on_alarm };
	sigaction(SIGALRM, &sa, NULL); /* no SA_RESTART: the alarm ends a blocked write */
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 4 && !strcmp(argv[1], "console"))
		hc_console(argv[2], atoi(argv[3]));
	else if (argc == 5 && !strcmp(argv[1], "pipeline"))
		hc_pipeline(argv[2], atoi(argv[3]), atoi(argv[4]));
	else if (argc == 5 && !strcmp(argv[1], "idle"))
		hc_idle(argv[2], atoi(argv[3]), atoi(argv[4]));
	else {
		fprintf(stderr, "usage: %s console SOCK SECS | pipeline SOCK N SECS | "
			"idle SOCK N SECS\n", argv[0]);
		return 2;
	}
	return 0;
}
