/* cli.c - global options, the command table, and opening the engines for a command. */
#include "cli/cli.h"

#include <errno.h>
#include <getopt.h>
#include <unistd.h>

#include "backend/engines.h"
#include "common/log.h"
#include "common/paths.h"
#include "config.h"

const char vd_cli_global_short[] = "";

static const struct vd_cmd vd_cmds[] = {
	{ "list", "[--json]", "list every guest with allocation and use (CPU% over the last 1-2 s)",
	  vd_cmd_list },
	{ "top", "[-b [-n N] [-d SECS] [--csv|--json]]",
	  "the console; -b prints rows for scripts instead", vd_cmd_top },
	{ "create", "ct|vm NAME [options]", "define a guest (see `virtdeck create --help`)",
	  vd_cmd_create },
	{ "start", "NAME", "start a guest", vd_cmd_lifecycle },
	{ "stop", "NAME [--timeout SECS]", "stop a guest gracefully, forced after the timeout",
	  vd_cmd_lifecycle },
	{ "pause", "NAME", "freeze a guest", vd_cmd_lifecycle },
	{ "resume", "NAME", "thaw a paused guest", vd_cmd_lifecycle },
	{ "kill", "NAME", "stop a guest at once", vd_cmd_lifecycle },
	{ "delete", "NAME", "delete a stopped guest's definition", vd_cmd_lifecycle },
	{ "resize", "NAME [--memory SIZE] [--cpus N] [--vcpus N] [--live] [--persistent]",
	  "change a guest's size (default both)", vd_cmd_resize },
	{ "console", "NAME", "attach to a guest's console (Ctrl-] detaches)", vd_cmd_console },
	{ "logs", "NAME [-f] [--since DUR] [--tail N] [-t]",
	  "what a guest printed on its console (-f: follow, -t: times)", vd_cmd_logs },
	{ "exec", "NAME -- CMD [ARGS...]", "run a command inside a running container",
	  vd_cmd_exec },
	{ "advise", "[--json] [--apply NAME] [--undo NAME]", "right-size guests from their history",
	  vd_cmd_advise },
	{ "sprawl", "[--json]", "idle and long-stopped guests, broken definitions, unused images",
	  vd_cmd_sprawl },
	{ "history", "NAME [--csv] [--since DUR]", "print a guest's recorded use", vd_cmd_history },
	{ "collect", "[--interval SECS] [--once]", "record history while no console is open",
	  vd_cmd_collect },
};

static void cli_help(void)
{
	printf("Usage: virtdeck [OPTIONS] [COMMAND [ARGS]]\n\n"
	       "A terminal console for the VMs and containers of one host: allocation against real use.\n"
	       "Without a command it starts the console.\n\n"
	       "Options:\n"
	       "  --demo             show the built-in fake engine's demo guests\n"
	       "  --connect [LABEL=]URI  open an engine URI (repeatable): fake:///demo, qemu+ssh://h/system\n"
	       "  --config FILE      read settings from FILE instead of the XDG config file\n"
	       "  -d, --delay SECS   refresh interval of the console (default 2)\n"
	       "  --ascii            draw graphs with ASCII only\n"
	       "  --no-color         no colours (also when NO_COLOR is set)\n"
	       "  --version          print version and compiled-in engines\n"
	       "  -h, --help         print this help\n\nCommands:\n");
	for (size_t i = 0; i < VD_ARRAY_SIZE(vd_cmds); i++)
		printf("  %s %s\n        %s\n", vd_cmds[i].name, vd_cmds[i].args, vd_cmds[i].help);
	printf("\nIn the console, press ? for the keys.\n");
}

static void cli_version(void)
{
	printf("virtdeck %s\nengines:", PACKAGE_VERSION);
	for (const struct vd_backend_ops *const *e = vd_backend_engines(); *e; e++)
		printf(" %s", (*e)->name);
	printf("\n");
}

int vd_cli_usage(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("virtdeck: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputs("\nTry 'virtdeck --help'.\n", stderr);
	va_end(ap);
	return VD_EXIT_USAGE;
}

int vd_cli_fail(const struct vd_error *err)
{
	fprintf(stderr, "virtdeck: %s\n", err ? err->msg : "failed");
	return VD_EXIT_FAIL;
}

void vd_cli_print_problems(const struct vd_registry *reg)
{
	for (size_t i = 0; i < reg->n_guests; i++)
		if (reg->guests[i].problem[0])
			fprintf(stderr, "virtdeck: %s\n", reg->guests[i].problem);
}

bool vd_cli_global_opt(struct vd_cli *cli, int c, const char *arg, int *exit_code)
{
	switch (c) {
	case 'D':
		cli->demo = true;
		return true;
	case 'c':
		cli->connect = vd_xrealloc(cli->connect, (cli->n_connect + 1) * sizeof(*cli->connect));
		cli->connect[cli->n_connect++] = vd_xstrdup(arg);
		return true;
	case 'C':
		cli->config = arg;
		return true;
	default:
		return false;
	}
}

static int cli_parse_delay(struct vd_cli *cli, const char *arg)
{
	double s;
	if (vd_parse_double(arg, &s) < 0 || s < 0.1 || s > 3600)
		return vd_cli_usage("bad --delay '%s': give seconds between 0.1 and 3600", arg);
	cli->interval_ms = (int)(s * 1000);
	cli->interval_set = true;
	return 0;
}

/* Which engine serves a URI: fake:// is the fake engine, everything else libvirt. */
static const char *cli_engine_for_uri(const char *uri)
{
	return vd_str_has_prefix(uri, "fake:") ? "fake" : "libvirt";
}

static void cli_problem(struct vd_cli *cli, const char *msg)
{
	size_t n = 0;
	while (cli->problems && cli->problems[n])
		n++;
	cli->problems = vd_xrealloc(cli->problems, (n + 2) * sizeof(char *));
	cli->problems[n] = vd_xstrdup(msg);
	cli->problems[n + 1] = NULL;
}

static void cli_add(struct vd_cli *cli, const char *engine, const char *uri, const char *label,
		    bool quiet)
{
	struct vd_backend *be = NULL;
	_cleanup_error_ struct vd_error *err = NULL;
	if (vd_backend_open(engine, uri, label, &be, &err) < 0) {
		if (!quiet)
			fprintf(stderr, "virtdeck: %s\n", err->msg);
		else /* the console shows it in its log (L); the log file keeps it too */
			cli_problem(cli, err->msg), vd_info("%s", err->msg);
		return;
	}
	be->clock = cli->clock;
	vd_registry_add(&cli->reg, be);
}

/* A host label for a URI: "lab1" for qemu+ssh://root@lab1/system, "a" for fake:///a,
 * "local" for qemu:///system. */
static char *cli_uri_label(const char *uri)
{
	const char *p = strstr(uri, "://");
	if (!p)
		return vd_xstrdup("local");
	p += 3;
	const char *at = strchr(p, '@'), *slash = strchr(p, '/');
	if (at && (!slash || at < slash))
		p = at + 1;
	size_t len = strcspn(p, "/:?");
	if (len)
		return vd_xasprintf("%.*s", (int)len, p);
	if (vd_str_has_prefix(uri, "fake:///") && uri[8])
		return vd_xasprintf("%.*s", (int)strcspn(uri + 8, "?"), uri + 8);
	return vd_xstrdup("local");
}

/* --connect [LABEL=]URI: a label is a plain word before '=' (no ':' or '/'). */
static void cli_connect(struct vd_cli *cli, const char *arg, bool quiet)
{
	const char *eq = strchr(arg, '=');
	size_t pre = eq ? (size_t)(eq - arg) : 0;
	if (eq && pre > 0 && !memchr(arg, ':', pre) && !memchr(arg, '/', pre)) {
		_cleanup_free_ char *label = vd_xasprintf("%.*s", (int)pre, arg);
		cli_add(cli, cli_engine_for_uri(eq + 1), eq + 1, label, quiet);
		return;
	}
	_cleanup_free_ char *label = cli_uri_label(arg);
	cli_add(cli, cli_engine_for_uri(arg), arg, label, quiet);
}

int vd_cli_open(struct vd_cli *cli, bool quiet)
{
	if (cli->opened) /* commands resolve names in helpers that each make sure engines are open */
		return 0;
	cli->opened = true;
	if (cli->demo)
		cli_add(cli, "fake", "fake:///demo", "demo", quiet);
	for (size_t i = 0; i < cli->n_connect; i++)
		cli_connect(cli, cli->connect[i], quiet);
	if (cli->demo || cli->n_connect)
		return 0;
	/* Default: every local engine this binary has (except the fake one), then the config's
	 * [connection NAME] entries. A default engine that cannot open (no libvirtd here) is not
	 * an error of this command: it is only noted (the console's log shows it). */
	for (const struct vd_backend_ops *const *e = vd_backend_engines(); *e; e++)
		if (!vd_streq((*e)->name, "fake"))
			cli_add(cli, (*e)->name, NULL, NULL, true);
	for (size_t i = 0; i < cli->settings.n_connect; i++) {
		_cleanup_free_ char *label = cli->settings.connect_label[i]
						     ? vd_xstrdup(cli->settings.connect_label[i])
						     : cli_uri_label(cli->settings.connect_uri[i]);
		cli_add(cli, cli_engine_for_uri(cli->settings.connect_uri[i]),
			cli->settings.connect_uri[i], label, quiet);
	}
	return 0;
}

void vd_cli_free(struct vd_cli *cli)
{
	vd_registry_free(&cli->reg);
	ui_settings_free(&cli->settings);
	for (size_t i = 0; cli->problems && cli->problems[i]; i++)
		free(cli->problems[i]);
	free(cli->problems);
	cli->problems = NULL;
	for (size_t i = 0; i < cli->n_connect; i++)
		free(cli->connect[i]);
	free(cli->connect);
	cli->connect = NULL;
	cli->n_connect = 0;
}

static const struct vd_cmd *cli_find(const char *name)
{
	for (size_t i = 0; i < VD_ARRAY_SIZE(vd_cmds); i++)
		if (vd_streq(vd_cmds[i].name, name))
			return &vd_cmds[i];
	return NULL;
}

static int cli_global(struct vd_cli *cli, int argc, char **argv, int *code)
{
	static const struct option opts[] = {
		VD_CLI_GLOBAL_LONGOPTS,
		{ "delay", required_argument, NULL, 'd' },
		{ "ascii", no_argument, NULL, 'A' },
		{ "no-color", no_argument, NULL, 'O' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+hd:", opts, NULL)) != -1) {
		if (vd_cli_global_opt(cli, c, optarg, code))
			continue;
		switch (c) {
		case 'd': *code = cli_parse_delay(cli, optarg); if (*code) return -1; break;
		case 'A': cli->ascii = true; break;
		case 'O': cli->no_color = true; break;
		case 'h': cli_help(); *code = 0; return -1;
		case 'V': cli_version(); *code = 0; return -1;
		case ':': *code = vd_cli_usage("option %s needs a value", argv[optind - 1]); return -1;
		default: *code = vd_cli_usage("unknown option '%s'", argv[optind - 1]); return -1;
		}
	}
	return 0;
}

/* Defaults, then the config file (every bad line is kept as a problem, the rest applies). */
static int cli_settings(struct vd_cli *cli)
{
	ui_settings_default(&cli->settings);
	_cleanup_free_ char *path = NULL;
	_cleanup_error_ struct vd_error *err = NULL;
	if (cli->config)
		path = vd_xstrdup(cli->config);
	else if (vd_paths_config_file(&path, NULL) < 0)
		return 0;
	if (ui_config_load(&cli->settings, path, cli->config != NULL, &cli->problems, &err) < 0) {
		fprintf(stderr, "virtdeck: %s: check the path given to --config\n", err->msg);
		return VD_EXIT_USAGE;
	}
	if (!cli->interval_set)
		cli->interval_ms = cli->settings.interval_ms;
	return 0;
}

/* Commands print config problems on stderr; the console shows them in its log. */
static void cli_print_problems(const struct vd_cli *cli)
{
	for (size_t i = 0; cli->problems && cli->problems[i]; i++)
		fprintf(stderr, "virtdeck: %s\n", cli->problems[i]);
}

int vd_cli_main(struct vd_cli *cli, int argc, char **argv)
{
	int code = 0;
	vd_registry_init(&cli->reg);
	if (!cli->interval_ms)
		cli->interval_ms = 2000;
	if (cli_global(cli, argc, argv, &code) < 0)
		return code;
	if ((code = cli_settings(cli)) != 0)
		return code;
	if (optind >= argc) {
		vd_cli_open(cli, true);
		return cli->console(cli);
	}
	const struct vd_cmd *cmd = cli_find(argv[optind]);
	if (!cmd)
		return vd_cli_usage("unknown command '%s'", argv[optind]);
	cli_print_problems(cli);
	int sub_argc = argc - optind;
	char **sub_argv = argv + optind;
	optind = 0; /* reset getopt for the command's own options */
	return cmd->exec(cli, sub_argc, sub_argv);
}
