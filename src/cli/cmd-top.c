/* cmd-top.c - `virtdeck top -b`: batch output for scripts and benchmarks (text, CSV or JSON lines).
 */
#include <getopt.h>
#include <json-c/json.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "ui/columns.h"

enum top_format { TOP_TEXT, TOP_CSV, TOP_JSON };

struct top_opts {
	enum top_format fmt;
	long iterations; /* 0 = until interrupted */
	bool batch;
};

static volatile sig_atomic_t top_stop;

static void top_on_signal(int sig)
{
	top_stop = 1;
}

/* One CSV field; quoted only when it needs to be. */
static void top_csv_field(struct json_object *v, bool first)
{
	if (!first)
		putchar(',');
	if (!v)
		return;
	const char *s = json_object_get_string(v);
	if (!strpbrk(s, ",\"\n")) {
		fputs(s, stdout);
		return;
	}
	putchar('"');
	for (; *s; s++) {
		if (*s == '"')
			putchar('"');
		putchar(*s);
	}
	putchar('"');
}

/* The guest's JSON object is the single source of the column names and values. */
static struct json_object *top_row(const struct vd_guest *g, const char *stamp)
{
	struct json_object *row = json_object_new_object();
	json_object_object_add(row, "time", json_object_new_string(stamp));
	struct json_object *o = ui_guest_json(g);
	/* The CSV columns stay as they were: a guest's problem goes to stderr (top_tick). */
	json_object_object_del(o, "error");
	json_object_object_foreach(o, k, v) json_object_object_add(row, k, json_object_get(v));
	json_object_put(o);
	return row;
}

static void top_csv_header(struct json_object *row)
{
	bool first = true;
	json_object_object_foreach(row, k, v)
	{
		(void)v;
		printf(first ? "%s" : ",%s", k);
		first = false;
	}
	putchar('\n');
}

static void top_emit(struct json_object *row, enum top_format fmt, bool *header_done)
{
	if (fmt == TOP_JSON) {
		puts(json_object_to_json_string_ext(row, JSON_C_TO_STRING_PLAIN));
		return;
	}
	if (!*header_done) {
		top_csv_header(row);
		*header_done = true;
	}
	bool first = true;
	json_object_object_foreach(row, k, v)
	{
		(void)k;
		top_csv_field(v, first);
		first = false;
	}
	putchar('\n');
}

static void top_text(const struct vd_registry *reg, const struct vd_view *v, const char *stamp)
{
	struct vd_totals t;
	vd_registry_totals(reg, &t);
	char a[16], b[16];
	printf("virtdeck top %s - %zu guests, %u running - alloc %.1f vCPU, used %.2f CPUs - alloc %s, used %s\n",
	       stamp, reg->n_guests, t.n_running, t.vcpus_alloc, t.cpus_used,
	       vd_format_size(t.mem_alloc, a, sizeof(a)), vd_format_size(t.mem_used, b, sizeof(b)));
	ui_columns_print(stdout, NULL);
	for (size_t i = 0; i < v->n; i++)
		ui_columns_print(stdout, &reg->guests[v->idx[i]]);
	putchar('\n');
}

static void top_tick(struct vd_cli *cli, const struct top_opts *o, bool *header_done)
{
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", localtime_r(&now, &tm));
	struct vd_view v;
	vd_model_view(&cli->reg, NULL, VD_SORT_NAME, false, &v);
	if (o->fmt == TOP_TEXT) {
		top_text(&cli->reg, &v, stamp);
	} else {
		for (size_t i = 0; i < v.n; i++) {
			struct json_object *row = top_row(&cli->reg.guests[v.idx[i]], stamp);
			top_emit(row, o->fmt, header_done);
			json_object_put(row);
		}
	}
	if (fflush(stdout) != 0 || ferror(stdout))
		top_stop = 1; /* the reader went away (`| head`): end quietly */
	vd_cli_print_problems(&cli->reg);
	vd_view_free(&v);
}

static int top_parse(struct vd_cli *cli, int argc, char **argv, struct top_opts *o)
{
	static const struct option opts[] = {
		VD_CLI_GLOBAL_LONGOPTS,
		{ "batch", no_argument, NULL, 'b' }, { "iterations", required_argument, NULL, 'n' },
		{ "delay", required_argument, NULL, 'd' }, { "csv", no_argument, NULL, 'v' },
		{ "json", no_argument, NULL, 'j' }, { NULL, 0, NULL, 0 },
	};
	int c, code = 0;
	double secs;
	uint64_t n;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+bn:d:", opts, NULL)) != -1) {
		if (vd_cli_global_opt(cli, c, optarg, &code))
			continue;
		switch (c) {
		case 'b': o->batch = true; break;
		case 'v': o->fmt = TOP_CSV; break;
		case 'j': o->fmt = TOP_JSON; break;
		case 'n':
			if (vd_parse_u64(optarg, &n) < 0 || n == 0 || n > 100000000)
				return vd_cli_usage("top: bad -n '%s': give a count of refreshes >= 1", optarg);
			o->iterations = (long)n;
			break;
		case 'd':
			if (vd_parse_double(optarg, &secs) < 0 || secs < 0.01 || secs > 3600)
				return vd_cli_usage("top: bad -d '%s': give seconds between 0.01 and 3600", optarg);
			cli->interval_ms = (int)(secs * 1000);
			break;
		default: return vd_cli_usage("top: unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return vd_cli_usage("top: unexpected argument '%s'", argv[optind]);
	return 0;
}

static void top_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	while (!top_stop && nanosleep(&ts, &ts) < 0)
		;
}

int vd_cmd_top(struct vd_cli *cli, int argc, char **argv)
{
	struct top_opts o = { .fmt = TOP_TEXT };
	int r = top_parse(cli, argc, argv, &o);
	if (r)
		return r;
	if (!o.batch) {
		vd_cli_open(cli, true);
		return cli->console(cli);
	}
	vd_cli_open(cli, false);
	signal(SIGINT, top_on_signal);
	signal(SIGTERM, top_on_signal);
	/* SIGPIPE stays ignored: an engine's dropped connection (libvirtd restarting) must not kill
	 * us; `| head` ends the loop through the failed write instead (top_tick). */
	bool header_done = false;
	/* A first sample before the first row, so every printed row has CPU% (virt-top prints from
	 * tick 1). */
	vd_registry_refresh(&cli->reg);
	for (long i = 0; !top_stop && (o.iterations == 0 || i < o.iterations); i++) {
		top_sleep_ms(cli->interval_ms);
		if (top_stop)
			break;
		vd_registry_refresh(&cli->reg);
		top_tick(cli, &o, &header_done);
	}
	return VD_EXIT_OK;
}
