/* cmd-advise.c - `virtdeck advise`, `sprawl`, `history` and `collect`: right-sizing from the
 * command line. */
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <math.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include "backend/advice-run.h"
#include "backend/sprawl.h"
#include "cli/cli.h"
#include "common/paths.h"
#include "ui/config.h"

/* ------------------------------------------------------------------ clock */

/* VIRTDECK_TEST_CLOCK=SECONDS runs every command on a virtual wall clock starting there;
 * sleeping advances it at once, so a test can collect a simulated day in a second. */
static int64_t adv_virtual_s;
static volatile sig_atomic_t adv_stop;

static uint64_t adv_test_clock(void)
{
	return (uint64_t)adv_virtual_s * 1000000000ull;
}

static void adv_clock_init(struct vd_cli *cli)
{
	const char *v = getenv("VIRTDECK_TEST_CLOCK");
	uint64_t s;
	if (!v || vd_parse_u64(v, &s) < 0 || s == 0)
		return;
	adv_virtual_s = (int64_t)s;
	cli->clock = adv_test_clock;
}

static int64_t adv_now(void)
{
	return adv_virtual_s ? adv_virtual_s : (int64_t)(vd_now_real_ns() / 1000000000ull);
}

static void adv_sleep(unsigned s)
{
	if (adv_virtual_s) {
		adv_virtual_s += s;
		return;
	}
	struct timespec ts = { (time_t)s, 0 };
	while (!adv_stop && nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* ------------------------------------------------------------------ shared option handling */

struct adv_opts {
	bool json, csv, once;
	const char *apply, *undo;
	int64_t since_s, for_s;
	unsigned interval_s;
	int res;
	struct vd_advice_config cfg;
};

static int adv_parse_dur(const char *s, int64_t *out)
{
	double d;
	if (vd_advice_parse_duration(s, &d) < 0)
		return -EINVAL;
	*out = (int64_t)d;
	return 0;
}

static int adv_param(struct adv_opts *o, const char *kv)
{
	_cleanup_free_ char *key = vd_xstrdup(kv);
	char *eq = strchr(key, '=');
	const char *msg = NULL;
	if (!eq)
		return vd_cli_usage("--param %s: write KEY=VALUE", kv);
	*eq = '\0';
	if (vd_advice_config_set(&o->cfg, key, eq + 1, &msg) < 0)
		return vd_cli_usage("--param %s: %s", kv, msg);
	return 0;
}

/* The [advice] section of the config file; a bad line is reported and skipped. */
static void adv_config(struct vd_cli *cli, struct adv_opts *o)
{
	const struct ui_settings *s = &cli->settings;
	for (size_t i = 0; i < s->n_advice; i++) {
		const char *msg = NULL;
		if (vd_advice_config_set(&o->cfg, s->advice[i].key, s->advice[i].value, &msg) < 0)
			fprintf(stderr, "virtdeck: %s:%d: %s=%s: %s\n", s->path ? s->path : "config", s->advice[i].line,
				s->advice[i].key, s->advice[i].value, msg);
	}
}

static int adv_res(const char *s)
{
	static const char *const names[] = { "raw", "minute", "hour" };
	for (int i = 0; i < VD_HISTORY__RES; i++)
		if (vd_streq(s, names[i]))
			return i;
	return -2;
}

static int adv_opt(struct adv_opts *o, int c, const char *arg)
{
	uint64_t u;
	switch (c) {
	case 'j': o->json = true; return 0;
	case 'v': o->csv = true; return 0;
	case '1': o->once = true; return 0;
	case 'a': o->apply = arg; return 0;
	case 'u': o->undo = arg; return 0;
	case 'p': return adv_param(o, arg);
	case 's':
		return adv_parse_dur(arg, &o->since_s) < 0
			       ? vd_cli_usage("bad --since '%s': say 90m, 24h, 7d", arg)
			       : 0;
	case 'f':
		return adv_parse_dur(arg, &o->for_s) < 0
			       ? vd_cli_usage("bad --for '%s': say 90m, 24h, 7d", arg)
			       : 0;
	case 'r':
		o->res = adv_res(arg);
		return o->res < -1 ? vd_cli_usage("bad --res '%s': raw, minute or hour", arg) : 0;
	case 'i':
		if (vd_parse_u64(arg, &u) < 0 || u < 1 || u > 86400)
			return vd_cli_usage("bad --interval '%s': give seconds between 1 and 86400", arg);
		o->interval_s = (unsigned)u;
		return 0;
	default: return vd_cli_usage("unknown option '%c'", c);
	}
}

static const struct option adv_longopts[] = {
	VD_CLI_GLOBAL_LONGOPTS,
	{ "json", no_argument, NULL, 'j' },
	{ "csv", no_argument, NULL, 'v' },
	{ "once", no_argument, NULL, '1' },
	{ "apply", required_argument, NULL, 'a' },
	{ "undo", required_argument, NULL, 'u' },
	{ "param", required_argument, NULL, 'p' },
	{ "since", required_argument, NULL, 's' },
	{ "for", required_argument, NULL, 'f' },
	{ "res", required_argument, NULL, 'r' },
	{ "interval", required_argument, NULL, 'i' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct adv_help {
	const char *cmd, *text;
};

static const struct adv_help adv_helps[] = {
	{ "advise",
	  "Usage: virtdeck advise [--json] [--apply NAME | --undo NAME] [--param KEY=VALUE]...\n\n"
	  "For every guest, a verdict from its recorded history -- OVER (some dimension can shrink and none\n"
	  "must grow), UNDER, OK, IDLE, or 'collecting: Nh of 24h' -- and a recommended size:\n"
	  "  CPU    = P95 of the CPUs used x 1.15, whole vCPUs for a VM, 0.1 CPU steps for a container\n"
	  "  memory = P95 of the daily peaks x 1.15 (floor 256M VM / 32M container, 64M / 16M steps),\n"
	  "           raised to max(+100M, x1.2) over the allocation after an OOM kill\n"
	  "Older samples count less (half-life 24 h). --apply NAME resizes the guest live through its\n"
	  "engine after recording the old size; --undo NAME puts that size back. A size below what the\n"
	  "guest uses right now is refused. Parameters: the [advice] section of virtdeck.ini or --param.\n" },
	{ "sprawl",
	  "Usage: virtdeck sprawl [--json] [--param idle_days=N] [--param stopped_days=N]\n\n"
	  "Guests idle (CPU < 3 %, near-zero I/O) or stopped for N days (default 7), definitions under\n"
	  "the data directory whose rootfs/disk/kernel is missing, and images under <data>/images that no\n"
	  "definition uses, with their size on disk.\n" },
	{ "history",
	  "Usage: virtdeck history NAME [--csv] [--since DUR] [--res raw|minute|hour]\n\n"
	  "A guest's recorded use, oldest first (DUR like 90m, 24h, 7d; default 24h). Rows hold the\n"
	  "average and the maximum of each bucket: raw (10 s) for 24 h, minutes for 7 days, hours for 90.\n" },
	{ "collect",
	  "Usage: virtdeck collect [--interval SECS] [--once] [--for DUR]\n\n"
	  "Record every engine's guests into <data>/history.db every SECS (default 10) so advice has data\n"
	  "while no console is open. Only one process records: while a console records, collect waits and\n"
	  "takes over when it closes. Run it detached, e.g.\n"
	  "  setsid -f virtdeck collect >/dev/null 2>&1      (or: nohup virtdeck collect &)\n"
	  "or from cron, once a minute:  * * * * * virtdeck collect --once\n"
	  "SIGTERM or SIGINT make it write what it holds and exit.\n" },
};

static int adv_help(const char *cmd)
{
	for (size_t i = 0; i < VD_ARRAY_SIZE(adv_helps); i++)
		if (vd_streq(adv_helps[i].cmd, cmd))
			fputs(adv_helps[i].text, stdout);
	return -VD_EXIT_OK - 1;
}

/* Parse argv against the options this command allows (a string of their short letters).
 * Returns optind, or -(exit code) - 1 when the command is done (help, bad usage). */
static int adv_parse(struct vd_cli *cli, int argc, char **argv, const char *allowed,
		     struct adv_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->res = -1;
	o->since_s = 86400;
	o->interval_s = 10;
	vd_advice_config_default(&o->cfg);
	adv_config(cli, o);
	int c, code = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", adv_longopts, NULL)) != -1) {
		if (vd_cli_global_opt(cli, c, optarg, &code))
			continue;
		if (c == 'h')
			return adv_help(argv[0]);
		if (c == '?' || c == ':' || !strchr(allowed, c))
			return -vd_cli_usage("%s: bad or unknown option '%s'", argv[0], argv[optind - 1]) - 1;
		if ((code = adv_opt(o, c, optarg)) != 0)
			return -code - 1;
	}
	adv_clock_init(cli);
	return optind;
}

static int adv_open_history(const struct adv_opts *o, bool recorder, struct vd_history **h,
			    struct vd_error **err)
{
	struct vd_history_opts ho = o->cfg.history;
	ho.recorder = recorder;
	return vd_history_open(&ho, h, err);
}

static const char *adv_move_name(enum vd_advice_move m)
{
	static const char *const names[] = { "keep", "shrink", "grow", "n/a" };
	return names[m];
}

/* ------------------------------------------------------------------ advise */

static void adv_cpu_text(const struct vd_guest *g, const struct vd_advice *a, char *buf, size_t len)
{
	if (a->cpu_move == VD_MOVE_NA)
		snprintf(buf, len, "unlimited");
	else if (a->cpu_move == VD_MOVE_KEEP || a->verdict == VD_VERDICT_COLLECTING)
		snprintf(buf, len, "%g", a->cpu_alloc);
	else
		snprintf(buf, len, "%g->%g", a->cpu_alloc, a->cpu_rec);
}

static void adv_mem_text(const struct vd_advice *a, char *buf, size_t len)
{
	char x[16], y[16];
	vd_format_size(a->mem_alloc, x, sizeof(x));
	vd_format_size(a->mem_rec, y, sizeof(y));
	if (a->mem_move == VD_MOVE_NA)
		snprintf(buf, len, "unlimited");
	else if (a->mem_move == VD_MOVE_KEEP || a->verdict == VD_VERDICT_COLLECTING)
		snprintf(buf, len, "%s", x);
	else
		snprintf(buf, len, "%s->%s", x, y);
}

static void adv_text_row(const struct vd_guest *g, const struct vd_advice *a,
			 const struct vd_advice_params *p)
{
	char label[48], cpu[32], mem[40];
	vd_advice_label(a, p, label, sizeof(label));
	adv_cpu_text(g, a, cpu, sizeof(cpu));
	adv_mem_text(a, mem, sizeof(mem));
	printf("%-8s %-10s %-20s %-22s %-10s %-14s %s\n", vd_backend_name(g->backend), g->host,
	       g->name, label, cpu, mem, a->reason);
}

static struct json_object *adv_json_guest(const struct vd_guest *g, const struct vd_advice *a,
					  const struct vd_advice_params *p)
{
	char label[48];
	struct json_object *o = json_object_new_object(), *cpu = json_object_new_object(),
			   *mem = json_object_new_object();
	json_object_object_add(o, "engine", json_object_new_string(vd_backend_name(g->backend)));
	json_object_object_add(o, "host", json_object_new_string(g->host));
	json_object_object_add(o, "name", json_object_new_string(g->name));
	json_object_object_add(o, "type", json_object_new_string(vd_kind_name(g->kind)));
	json_object_object_add(o, "state", json_object_new_string(vd_state_name(g->state)));
	json_object_object_add(o, "verdict", json_object_new_string(vd_advice_verdict_name(a->verdict)));
	json_object_object_add(o, "label",
			       json_object_new_string(vd_advice_label(a, p, label, sizeof(label))));
	json_object_object_add(o, "confidence_hours", json_object_new_double(a->hours));
	json_object_object_add(o, "reason", json_object_new_string(a->reason));
	json_object_object_add(cpu, "alloc", json_object_new_double(a->cpu_alloc));
	json_object_object_add(cpu, "used_pctl", json_object_new_double(a->cpu_pctl));
	json_object_object_add(cpu, "need", json_object_new_double(a->cpu_need));
	json_object_object_add(cpu, "recommended", json_object_new_double(a->cpu_rec));
	json_object_object_add(cpu, "move", json_object_new_string(adv_move_name(a->cpu_move)));
	json_object_object_add(o, "cpu", cpu);
	json_object_object_add(mem, "alloc_bytes", json_object_new_int64((int64_t)a->mem_alloc));
	json_object_object_add(mem, "daily_peak_bytes", json_object_new_int64((int64_t)a->mem_peak_pctl));
	const char *src = a->mem_kernel_peak ? "kernel-peak" : "samples";
	json_object_object_add(mem, "daily_peak_source", json_object_new_string(src));
	json_object_object_add(mem, "need_bytes", json_object_new_int64((int64_t)a->mem_need));
	json_object_object_add(mem, "recommended_bytes", json_object_new_int64((int64_t)a->mem_rec));
	json_object_object_add(mem, "move", json_object_new_string(adv_move_name(a->mem_move)));
	json_object_object_add(mem, "oom_events", json_object_new_int((int)a->ooms));
	json_object_object_add(o, "memory", mem);
	json_object_object_add(o, "io_net_p95_bytes_per_sec", json_object_new_double(a->io_pctl));
	return o;
}

/* What shrinking every OVER and IDLE guest to its recommendation would give back. */
struct adv_total {
	unsigned guests;
	double cpus;
	uint64_t mem;
};

static void adv_total_add(struct adv_total *t, const struct vd_advice *a)
{
	if (a->verdict != VD_VERDICT_OVER && a->verdict != VD_VERDICT_IDLE)
		return;
	t->guests++;
	if (a->cpu_move == VD_MOVE_SHRINK)
		t->cpus += a->cpu_alloc - a->cpu_rec;
	if (a->mem_move == VD_MOVE_SHRINK)
		t->mem += a->mem_alloc - a->mem_rec;
}

static void adv_list_json(const struct vd_registry *reg, const struct vd_advice *v,
			  const struct adv_total *t, struct vd_history *h,
			  const struct vd_advice_params *p)
{
	struct json_object *root = json_object_new_object(), *arr = json_object_new_array();
	struct json_object *rec = json_object_new_object();
	for (size_t i = 0; i < reg->n_guests; i++)
		json_object_array_add(arr, adv_json_guest(&reg->guests[i], &v[i], p));
	json_object_object_add(rec, "guests", json_object_new_int((int)t->guests));
	json_object_object_add(rec, "cpus", json_object_new_double(t->cpus));
	json_object_object_add(rec, "memory_bytes", json_object_new_int64((int64_t)t->mem));
	json_object_object_add(root, "history", json_object_new_string(vd_history_path(h)));
	json_object_object_add(root, "guests", arr);
	json_object_object_add(root, "reclaimable", rec);
	puts(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED));
	json_object_put(root);
}

static void adv_list_text(const struct vd_registry *reg, const struct vd_advice *v,
			  const struct adv_total *t, const struct vd_advice_params *p)
{
	char mem[16];
	printf("%-8s %-10s %-20s %-22s %-10s %-14s %s\n", "ENGINE", "HOST", "NAME", "ADVICE", "CPU",
	       "MEMORY", "WHY");
	for (size_t i = 0; i < reg->n_guests; i++)
		adv_text_row(&reg->guests[i], &v[i], p);
	printf("\nreclaimable from %u over-provisioned or idle guest%s: %.1f CPUs, %s of memory\n",
	       t->guests, t->guests == 1 ? "" : "s", t->cpus,
	       vd_format_size(t->mem, mem, sizeof(mem)));
}

static int adv_list(struct vd_cli *cli, struct vd_history *h, const struct adv_opts *o)
{
	_cleanup_error_ struct vd_error *err = NULL;
	_cleanup_free_ struct vd_advice *v = NULL;
	if (vd_advice_all(h, &o->cfg.advice, &cli->reg, adv_now(), &v, &err) < 0)
		return vd_cli_fail(err);
	struct adv_total t = { 0 };
	for (size_t i = 0; i < cli->reg.n_guests; i++)
		adv_total_add(&t, &v[i]);
	if (o->json)
		adv_list_json(&cli->reg, v, &t, h, &o->cfg.advice);
	else
		adv_list_text(&cli->reg, v, &t, &o->cfg.advice);
	return VD_EXIT_OK;
}

/* "memory 512M -> 48M, CPU limit 1 -> 0.1": only what the engine now reports as changed. */
static void adv_print_resize(const char *verb, const struct vd_guest *g, const struct vd_alloc *now)
{
	char a[16], b[16];
	const char *sep = "";
	printf("%s %s:", verb, g->name);
	if (g->alloc.mem_bytes != now->mem_bytes) {
		printf(" memory %s -> %s", vd_format_size(g->alloc.mem_bytes, a, sizeof(a)),
		       vd_format_size(now->mem_bytes, b, sizeof(b)));
		sep = ",";
	}
	if (g->alloc.vcpus != now->vcpus) {
		printf("%s vCPUs %u -> %u", sep, g->alloc.vcpus, now->vcpus);
		sep = ",";
	}
	if (fabs(g->alloc.cpu_limit - now->cpu_limit) > 1e-6)
		printf("%s CPU limit %g -> %g", sep, g->alloc.cpu_limit, now->cpu_limit);
	printf("\n");
}

/* Apply or undo for one guest, then show the size the engine now reports. */
static int adv_change(struct vd_cli *cli, struct vd_history *h, const struct adv_opts *o)
{
	_cleanup_error_ struct vd_error *err = NULL;
	struct vd_guest *g = vd_registry_find(&cli->reg, o->apply ? o->apply : o->undo, &err);
	if (!g)
		return vd_cli_fail(err);
	struct vd_advice a;
	int r = o->apply ? vd_advice_for_guest(h, &o->cfg.advice, g, adv_now(), &a, &err) : 0;
	if (r == 0)
		r = o->apply ? vd_advice_apply(h, g, &a, adv_now(), &err) : vd_advice_undo(h, g, &err);
	if (r < 0)
		return vd_cli_fail(err);
	struct vd_guest after;
	if (vd_backend_lookup(g->backend, g->name, &after, &err) < 0)
		return vd_cli_fail(err);
	adv_print_resize(o->apply ? "applied" : "undone", g, &after.alloc);
	if (o->apply)
		printf("undo with: virtdeck advise --undo %s\n", g->name);
	return VD_EXIT_OK;
}

int vd_cmd_advise(struct vd_cli *cli, int argc, char **argv)
{
	struct adv_opts o;
	int i = adv_parse(cli, argc, argv, "jaup", &o);
	if (i < 0)
		return -i - 1;
	if (i < argc)
		return vd_cli_usage("advise: unexpected argument '%s'", argv[i]);
	if (o.apply && o.undo)
		return vd_cli_usage("advise: give --apply or --undo, not both");
	_cleanup_error_ struct vd_error *err = NULL;
	struct vd_history *h = NULL;
	if (adv_open_history(&o, false, &h, &err) < 0)
		return vd_cli_fail(err);
	vd_cli_open(cli, false);
	vd_registry_refresh(&cli->reg);
	usleep(adv_virtual_s ? 0 : 250 * 1000);
	vd_registry_refresh(&cli->reg); /* a second sample, so "used right now" has a CPU figure */
	int code = o.apply || o.undo ? adv_change(cli, h, &o) : adv_list(cli, h, &o);
	vd_history_close(h);
	return code;
}

/* ------------------------------------------------------------------ sprawl */

static void adv_sprawl_text(const struct vd_sprawl_item *v, size_t n)
{
	char sz[16];
	printf("%-8s %-8s %-20s %8s %8s  %s\n", "KIND", "ENGINE", "NAME", "DAYS", "SIZE", "DETAIL");
	for (size_t i = 0; i < n; i++)
		printf("%-8s %-8s %-20s %8.1f %8s  %s%s%s\n", vd_sprawl_kind_name(v[i].kind),
		       v[i].engine, v[i].name, v[i].days,
		       v[i].bytes ? vd_format_size(v[i].bytes, sz, sizeof(sz)) : "-", v[i].detail,
		       v[i].path[0] ? ": " : "", v[i].path);
}

static void adv_sprawl_json(const struct vd_sprawl_item *v, size_t n, const char *warning)
{
	struct json_object *root = json_object_new_object(), *arr = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "kind", json_object_new_string(vd_sprawl_kind_name(v[i].kind)));
		json_object_object_add(o, "engine", json_object_new_string(v[i].engine));
		json_object_object_add(o, "host", json_object_new_string(v[i].host));
		json_object_object_add(o, "name", json_object_new_string(v[i].name));
		json_object_object_add(o, "path", json_object_new_string(v[i].path));
		json_object_object_add(o, "days", json_object_new_double(v[i].days));
		json_object_object_add(o, "bytes", json_object_new_int64((int64_t)v[i].bytes));
		json_object_object_add(o, "detail", json_object_new_string(v[i].detail));
		json_object_array_add(arr, o);
	}
	json_object_object_add(root, "items", arr);
	json_object_object_add(root, "warning", warning ? json_object_new_string(warning) : NULL);
	puts(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED));
	json_object_put(root);
}

int vd_cmd_sprawl(struct vd_cli *cli, int argc, char **argv)
{
	struct adv_opts o;
	int i = adv_parse(cli, argc, argv, "jp", &o);
	if (i < 0)
		return -i - 1;
	if (i < argc)
		return vd_cli_usage("sprawl: unexpected argument '%s'", argv[i]);
	_cleanup_error_ struct vd_error *err = NULL, *herr = NULL;
	_cleanup_free_ char *datadir = NULL;
	if (vd_paths_data_dir(&datadir, &err) < 0)
		return vd_cli_fail(err);
	struct vd_history *h = NULL;
	if (adv_open_history(&o, false, &h, &herr) < 0 && !o.json)
		fprintf(stderr, "virtdeck: %s\nvirtdeck: checking definitions and images only\n", herr->msg);
	_cleanup_free_ struct vd_sprawl_item *v = NULL;
	size_t n = 0;
	vd_cli_open(cli, true);
	vd_registry_refresh(&cli->reg);
	/* with every engine reachable, deleted guests are left out; otherwise judge the history alone */
	const struct vd_registry *live =
		vd_registry_refresh(&cli->reg) == 0 && cli->reg.n_backends ? &cli->reg : NULL;
	int r = vd_sprawl_report(h, &o.cfg.advice, &o.cfg.sprawl, live, datadir, NULL, 0, adv_now(),
				 &v, &n, &err);
	vd_history_close(h);
	if (r < 0)
		return vd_cli_fail(err);
	if (o.json)
		adv_sprawl_json(v, n, herr ? herr->msg : NULL);
	else
		adv_sprawl_text(v, n);
	return VD_EXIT_OK;
}

/* ------------------------------------------------------------------ history */

static void adv_time(int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void adv_history_row(const struct vd_advice_point *p, bool csv)
{
	char ts[32];
	adv_time(p->t, ts, sizeof(ts));
	printf(csv ? "%s,%s,%u,%.4f,%.4f,%.0f,%.0f,%.0f,%.0f,%.0f,%u,%u,%g,%llu\n"
		   : "%-20s %-8s %5u %8.3f %8.3f %12.0f %12.0f %10.0f %10.0f %10.0f %3u %5u %6g %12llu\n",
	       ts, vd_state_name(p->state), p->dur, p->cpu_avg, p->cpu_max, p->mem_avg, p->mem_max,
	       p->io_bps, p->net_bps, p->io_max, p->oom, p->alloc.vcpus, p->alloc.cpu_limit,
	       (unsigned long long)p->alloc.mem_bytes);
}

static void adv_history_print(const struct vd_advice_point *pts, size_t n, bool csv)
{
	static const char *const cols[] = { "time",	 "state",      "secs",	  "cpu_avg",
					    "cpu_max",	 "mem_avg",    "mem_max", "io_Bps",
					    "net_Bps",	 "io_net_max", "oom",	  "vcpus",
					    "cpu_limit", "mem_alloc" };
	for (size_t c = 0; c < VD_ARRAY_SIZE(cols); c++)
		printf(csv ? "%s%s" : "%s%s", cols[c], c + 1 < VD_ARRAY_SIZE(cols) ? (csv ? "," : " ") : "\n");
	for (size_t i = 0; i < n; i++)
		adv_history_row(&pts[i], csv);
}

int vd_cmd_history(struct vd_cli *cli, int argc, char **argv)
{
	struct adv_opts o;
	int i = adv_parse(cli, argc, argv, "vsr", &o);
	if (i < 0)
		return -i - 1;
	if (i + 1 != argc)
		return vd_cli_usage("history: give exactly one guest name");
	_cleanup_error_ struct vd_error *err = NULL;
	struct vd_history *h = NULL;
	if (adv_open_history(&o, false, &h, &err) < 0)
		return vd_cli_fail(err);
	struct vd_history_guest g = { 0 };
	_cleanup_free_ struct vd_advice_point *pts = NULL;
	size_t n = 0;
	int64_t now = adv_now();
	int r = vd_history_find(h, argv[i], &g, &err);
	struct vd_history_key k = { g.engine, g.host, g.name };
	if (r == 0)
		r = vd_history_series(h, &k, now - o.since_s, now, o.res, &pts, &n, &err);
	vd_history_close(h);
	if (r < 0)
		return vd_cli_fail(err);
	adv_history_print(pts, n, o.csv);
	return VD_EXIT_OK;
}

/* ------------------------------------------------------------------ collect */

static void adv_on_signal(int sig)
{
	adv_stop = 1;
}

static void adv_signals(void)
{
	struct sigaction sa = { .sa_handler = adv_on_signal };
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

/* One round: refresh every engine and record. 0, or -1 after an error worth retrying (a lock),
 * or -2 when retrying cannot help (a damaged file, no permission, a full disk). */
static int adv_collect_once(struct vd_cli *cli, struct vd_history *h)
{
	_cleanup_error_ struct vd_error *err = NULL;
	vd_registry_refresh(&cli->reg);
	if (vd_history_record(h, &cli->reg, adv_now(), &err) == 0)
		return 0;
	fprintf(stderr, "virtdeck: %s\n", err->msg);
	return err->code == EILSEQ || err->code == EACCES || err->code == ENOSPC ? -2 : -1;
}

static int adv_collect_loop(struct vd_cli *cli, struct vd_history *h, const struct adv_opts *o)
{
	int64_t end = o->for_s ? adv_now() + o->for_s : INT64_MAX;
	bool told = false;
	while (!adv_stop && adv_now() <= end) {
		if (!vd_history_recording(h) && !told) {
			fprintf(stderr, "virtdeck: another virtdeck records the history now (%s.recorder is locked): "
				"waiting until it stops\n", vd_history_path(h));
			told = true;
		}
		int r = adv_collect_once(cli, h);
		if (r == -2 || (r < 0 && o->once))
			return VD_EXIT_FAIL;
		if (o->once)
			break;
		adv_sleep(o->interval_s);
	}
	return VD_EXIT_OK;
}

int vd_cmd_collect(struct vd_cli *cli, int argc, char **argv)
{
	struct adv_opts o;
	int i = adv_parse(cli, argc, argv, "i1f", &o);
	if (i < 0)
		return -i - 1;
	if (i < argc)
		return vd_cli_usage("collect: unexpected argument '%s'", argv[i]);
	_cleanup_error_ struct vd_error *err = NULL;
	struct vd_history *h = NULL;
	if (adv_open_history(&o, true, &h, &err) < 0)
		return vd_cli_fail(err);
	if (o.once && !vd_history_recording(h)) {
		fprintf(stderr, "virtdeck: another virtdeck records the history now (%s.recorder is locked)\n",
			vd_history_path(h));
		vd_history_close(h);
		return VD_EXIT_FAIL;
	}
	adv_signals();
	vd_cli_open(cli, false);
	if (cli->reg.n_backends == 0) {
		fprintf(stderr, "virtdeck: collect: no engine could be opened, so there is nothing to record: "
			"see `virtdeck --version` and --connect\n");
		vd_history_close(h);
		return VD_EXIT_FAIL;
	}
	int code = adv_collect_loop(cli, h, &o);
	vd_history_close(h);
	return code;
}
