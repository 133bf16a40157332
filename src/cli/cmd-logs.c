/* cmd-logs.c - `virtdeck logs NAME [-f] [--since DUR] [--tail N] [-t]`: what a guest printed. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include "backend/advice-run.h"
#include "cli/cli.h"

/* How often -f looks for new lines, and how often it asks whether the guest still runs. */
#define LOGS_POLL_MS 200
#define LOGS_STATE_EVERY 5

struct logs_opts {
	bool follow, stamps;
	uint64_t since_ns;
	size_t tail;
};

static volatile sig_atomic_t logs_stop;

static void logs_on_signal(int sig)
{
	(void)sig;
	logs_stop = 1;
}

static int logs_opt(struct logs_opts *o, int c, const char *arg)
{
	double d;
	uint64_t n;
	switch (c) {
	case 'f': o->follow = true; return 0;
	case 't': o->stamps = true; return 0;
	case 's':
		if (vd_advice_parse_duration(arg, &d) < 0 || d <= 0)
			return vd_cli_usage("logs: bad --since '%s': give a duration such as 90s, "
					    "30m, 24h or 7d", arg);
		o->since_ns = vd_now_real_ns() - (uint64_t)(d * 1e9);
		return 0;
	case 'n':
		if (vd_parse_u64(arg, &n) < 0 || n == 0 || n > 1000000)
			return vd_cli_usage("logs: bad --tail '%s': give a number of lines from 1 "
					    "to 1000000", arg);
		o->tail = (size_t)n;
		return 0;
	default:
		return vd_cli_usage("logs: unknown option '%s'", arg ? arg : "?");
	}
}

static int logs_parse(struct vd_cli *cli, int argc, char **argv, struct logs_opts *o)
{
	static const struct option opts[] = {
		VD_CLI_GLOBAL_LONGOPTS,
		{ "follow", no_argument, NULL, 'f' },
		{ "timestamps", no_argument, NULL, 't' },
		{ "since", required_argument, NULL, 's' },
		{ "tail", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	int c, code = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "ftn:", opts, NULL)) != -1) {
		if (vd_cli_global_opt(cli, c, optarg, &code))
			continue;
		const char *bad = c == '?' || c == ':' ? argv[optind - 1] : optarg;
		int r = logs_opt(o, c == '?' || c == ':' ? 0 : c, bad);
		if (r != 0)
			return -r;
	}
	if (optind + 1 != argc)
		return -vd_cli_usage("logs: give exactly one guest name");
	return optind;
}

/* Print lines verbatim; an unfinished last line without a newline (the rest follows). */
static void logs_print(const struct vd_log_lines *l, bool stamps, bool *mid_line)
{
	char ts[40];
	for (size_t i = 0; i < l->n; i++) {
		const struct vd_log_line *ln = &l->v[i];
		if (stamps && !*mid_line && ln->ts_ns)
			printf("%s ", vd_guestlog_stamp(ln->ts_ns, ts, sizeof(ts)));
		fputs(ln->text, stdout);
		if (ln->complete)
			fputc('\n', stdout);
		*mid_line = !ln->complete;
	}
	fflush(stdout);
}

static bool logs_guest_active(struct vd_guest *g)
{
	struct vd_guest now;
	struct vd_error *e = NULL;
	int r = vd_backend_lookup(g->backend, g->name, &now, &e);
	vd_error_free(e);
	return r >= 0 && (vd_state_is_active(now.state) || now.state == VD_STATE_STARTING);
}

static void logs_sleep(void)
{
	struct timespec ts = { 0, LOGS_POLL_MS * 1000000L };
	nanosleep(&ts, NULL);
}

/* Print new lines as they come until Ctrl-C or the guest stops (then what it printed last). */
static int logs_follow(struct vd_guest *g, const struct logs_opts *o, uint64_t from, bool mid)
{
	signal(SIGINT, logs_on_signal);
	signal(SIGTERM, logs_on_signal);
	bool last = false;
	for (unsigned round = 1; !logs_stop && !last; round++) {
		logs_sleep();
		if (round % LOGS_STATE_EVERY == 0)
			last = !logs_guest_active(g);
		struct vd_log_lines l;
		_cleanup_error_ struct vd_error *err = NULL;
		if (vd_backend_logs(g->backend, g->name, from, 0, &l, &err) < 0)
			return vd_cli_fail(err);
		logs_print(&l, o->stamps, &mid);
		if (l.n)
			from = l.v[l.n - 1].end_ns + 1;
		vd_log_lines_free(&l);
	}
	if (mid)
		fputc('\n', stdout);
	return VD_EXIT_OK;
}

int vd_cmd_logs(struct vd_cli *cli, int argc, char **argv)
{
	struct logs_opts o = { 0 };
	int i = logs_parse(cli, argc, argv, &o);
	if (i < 0)
		return -i;
	_cleanup_error_ struct vd_error *err = NULL;
	vd_cli_open(cli, false);
	vd_registry_refresh(&cli->reg);
	struct vd_guest *g = vd_registry_find(&cli->reg, argv[i], &err);
	if (!g)
		return vd_cli_fail(err);
	struct vd_log_lines l;
	if (vd_backend_logs(g->backend, g->name, o.since_ns, o.tail, &l, &err) < 0)
		return vd_cli_fail(err);
	bool mid = false;
	logs_print(&l, o.stamps, &mid);
	uint64_t from = l.n ? l.v[l.n - 1].end_ns + 1 : o.since_ns;
	vd_log_lines_free(&l);
	return o.follow ? logs_follow(g, &o, from, mid) : VD_EXIT_OK;
}
