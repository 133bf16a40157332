/* vmm-start-probe.c - bench helper: runs a VMM with its serial console on a pipe and reports
 * exec → first serial byte, exec → marker line, and the VMM's RSS outside guest RAM at the marker.
 * Usage: vmm-start-probe MARKER GUEST_MIB -- VMM [ARG]... ; prints "first_byte_ms= marker_ms=
 * rss_kb= guest_rss_kb= overhead_kb=". Static build, run inside the harness. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Sum Rss of the process and of its guest-RAM mapping (the one anonymous mapping of exactly
 * the guest's size), from /proc/PID/smaps. */
static void rss_of(pid_t pid, long guest_kb, long *total, long *guest)
{
	char path[64], line[512];
	snprintf(path, sizeof(path), "/proc/%d/smaps", (int)pid);
	FILE *f = fopen(path, "re");
	long size = 0, rss;
	*total = *guest = 0;
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "Size: %ld kB", &size) == 1)
			continue;
		if (sscanf(line, "Rss: %ld kB", &rss) == 1) {
			*total += rss;
			if (size == guest_kb)
				*guest += rss;
		}
	}
	fclose(f);
}

int main(int argc, char **argv)
{
	if (argc < 5 || strcmp(argv[3], "--") != 0) {
		fprintf(stderr, "usage: vmm-start-probe MARKER GUEST_MIB -- VMM [ARG]...\n");
		return 2;
	}
	const char *marker = argv[1];
	long guest_kb = atol(argv[2]) * 1024;
	int p[2];
	if (pipe(p) < 0)
		return 1;
	double t0 = now_ms();
	pid_t pid = fork();
	if (pid == 0) {
		dup2(p[1], 1);
		close(p[0]);
		close(p[1]);
		execvp(argv[4], argv + 4);
		_exit(127);
	}
	close(p[1]);
	char buf[4096], acc[8192] = "";
	size_t alen = 0;
	double first = -1, mark = -1;
	long total = 0, guest = 0;
	ssize_t n;
	while ((n = read(p[0], buf, sizeof(buf))) > 0) {
		if (first < 0)
			first = now_ms() - t0;
		if (mark >= 0)
			continue;
		for (ssize_t i = 0; i < n; i++) {
			acc[alen++ % (sizeof(acc) - 1)] = buf[i];
		}
		acc[alen < sizeof(acc) - 1 ? alen : sizeof(acc) - 1] = 0;
		if (alen < sizeof(acc) - 1 && strstr(acc, marker)) {
			mark = now_ms() - t0;
			usleep(300000); /* let the guest settle before sampling memory */
			rss_of(pid, guest_kb, &total, &guest);
		}
	}
	int st;
	waitpid(pid, &st, 0);
	printf("first_byte_ms=%.0f marker_ms=%.0f rss_kb=%ld guest_rss_kb=%ld overhead_kb=%ld exit=%d\n",
	       first, mark, total, guest, total - guest, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	return mark < 0;
}
