/* cmd-guest.c - create, lifecycle, resize, console and exec commands, all through the dispatcher.
 */
#include <errno.h>
#include <getopt.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/relay.h"

/* Lines of a guest's output shown when its start fails. */
#define CLI_LAST_LINES 10

/* An option function's return when it has printed its own message. */
#define CLI_REPORTED (-2)

/* Refresh once and resolve NAME (or ENGINE:NAME, HOST/NAME) to a guest. */
static struct vd_guest *cli_guest(struct vd_cli *cli, const char *spec, struct vd_error **err)
{
	vd_cli_open(cli, false);
	vd_registry_refresh(&cli->reg);
	return vd_registry_find(&cli->reg, spec, err);
}

static struct vd_backend *cli_backend(struct vd_cli *cli, const char *engine, struct vd_error **err)
{
	vd_cli_open(cli, false);
	for (size_t i = 0; i < cli->reg.n_backends; i++)
		if (vd_streq(vd_backend_name(cli->reg.backends[i]), engine))
			return cli->reg.backends[i];
	vd_error_set(err, ENOENT,
		     "engine %s is not available here: see `virtdeck --version` for the engines",
		     engine);
	return NULL;
}

/* Parse global options plus the command's own; returns optind or -exitcode. */
static int cli_opts(struct vd_cli *cli, int argc, char **argv, const char *shorts,
		    const struct option *own, size_t n_own,
		    int (*fn)(void *ctx, int c, const char *arg), void *ctx)
{
	struct option all[24] = { VD_CLI_GLOBAL_LONGOPTS };
	size_t n = 3;
	for (size_t i = 0; i < n_own && n < VD_ARRAY_SIZE(all) - 1; i++)
		all[n++] = own[i];
	int c, code = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, shorts, all, NULL)) != -1) {
		if (vd_cli_global_opt(cli, c, optarg, &code))
			continue;
		int r = c == '?' || c == ':' || !fn ? -1 : fn(ctx, c, optarg);
		if (r == CLI_REPORTED)
			return -VD_EXIT_USAGE;
		if (r < 0)
			return -vd_cli_usage("%s: bad or unknown option '%s'", argv[0], argv[optind - 1]);
	}
	return optind;
}

/* A bad option value, said precisely; cli_opts then adds nothing. */
static int VD_PRINTF(1, 2) cli_bad_value(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	_cleanup_free_ char *msg = vd_xvasprintf(fmt, ap);
	va_end(ap);
	vd_cli_usage("%s", msg);
	return CLI_REPORTED;
}

/* Only the syntax and what is never valid are checked here: the engine knows its host's CPUs
 * and RAM (a libvirt URI may be another machine) and checks the range. */
static int cli_cpus_opt(const char *opt, const char *arg, double *out)
{
	if (vd_parse_double(arg, out) < 0 || *out <= 0)
		return cli_bad_value("%s %s: give a number of CPUs above 0, such as 0.5 or 2", opt,
				     arg);
	if (*out < VD_CPUS_MIN)
		return cli_bad_value("%s %s is out of range: a CPU quota is %.2g CPUs at least",
				     opt, arg, VD_CPUS_MIN);
	return 0;
}

static int cli_memory_opt(const char *arg, uint64_t *out)
{
	int r = vd_parse_size(arg, out);
	if (r == -ERANGE)
		return cli_bad_value("--memory %s is out of range: give a size such as 512M or 2G",
				     arg);
	if (r < 0 || *out == 0)
		return cli_bad_value("--memory %s: give a size such as 512M or 2G", arg);
	return 0;
}

typedef int (*cli_name_op)(struct vd_backend *be, const char *name, struct vd_error **err);

static cli_name_op cli_lifecycle_op(const char *verb)
{
	if (vd_streq(verb, "start")) return vd_backend_start;
	if (vd_streq(verb, "pause")) return vd_backend_pause;
	if (vd_streq(verb, "resume")) return vd_backend_resume;
	if (vd_streq(verb, "kill")) return vd_backend_destroy;
	if (vd_streq(verb, "delete")) return vd_backend_remove;
	return NULL;
}

static int stop_timeout_opt(void *ctx, int c, const char *arg)
{
	uint64_t v;
	if (c != 't' || vd_parse_u64(arg, &v) < 0 || v > 3600)
		return -1;
	*(int *)ctx = (int)v;
	return 0;
}

/* A start that failed may have left the guest's last words in its log: show them on stderr,
 * only those printed since this start began (older runs' lines would mislead). */
static void cli_last_output(struct vd_guest *g, uint64_t since_ns)
{
	struct vd_log_lines l;
	struct vd_error *e = NULL;
	if (vd_backend_logs(g->backend, g->name, since_ns, CLI_LAST_LINES, &l, &e) < 0)
		l = (struct vd_log_lines){ 0 };
	vd_error_free(e);
	if (l.n)
		fprintf(stderr, "virtdeck: the last %zu lines %s printed (virtdeck logs %s):\n",
			l.n, g->name, g->name);
	for (size_t i = 0; i < l.n; i++)
		fprintf(stderr, "  %s\n", l.v[i].text);
	vd_log_lines_free(&l);
}

int vd_cmd_lifecycle(struct vd_cli *cli, int argc, char **argv)
{
	static const struct option own[] = { { "timeout", required_argument, NULL, 't' } };
	const char *verb = argv[0];
	int timeout = 10;
	int i = cli_opts(cli, argc, argv, "t:", own, 1, stop_timeout_opt, &timeout);
	if (i < 0)
		return -i;
	if (i + 1 != argc)
		return vd_cli_usage("%s: give exactly one guest name", verb);
	_cleanup_error_ struct vd_error *err = NULL;
	struct vd_guest *g = cli_guest(cli, argv[i], &err);
	if (!g)
		return vd_cli_fail(err);
	cli_name_op op = cli_lifecycle_op(verb);
	uint64_t began = vd_now_real_ns();
	int r = op ? op(g->backend, g->name, &err) : vd_backend_stop(g->backend, g->name, timeout, &err);
	if (r < 0 && vd_streq(verb, "start"))
		cli_last_output(g, began);
	if (r < 0)
		return vd_cli_fail(err);
	printf("%s: %s done\n", g->name, verb);
	return VD_EXIT_OK;
}

struct create_ctx {
	struct vd_guest_def def;
	const char *engine;
	char *opts[16];
	size_t n_opts;
	bool bad;
};

static int create_opt(void *vctx, int c, const char *arg)
{
	struct create_ctx *x = vctx;
	static const char *const keys[] = {
		['r'] = "rootfs",  ['k'] = "kernel", ['i'] = "initrd",	 ['b'] = "disk",
		['a'] = "cmdline", ['n'] = "net",    ['H'] = "hostname", ['B'] = "bridge"
	};
	uint64_t u;
	switch (c) {
	case 'm': return cli_memory_opt(arg, &x->def.mem_bytes);
	case 'p': return cli_cpus_opt("--cpus", arg, &x->def.cpus);
	case 'v':
		if (vd_parse_u64(arg, &u) < 0 || u == 0 || u > 256)
			return -1;
		x->def.vcpus = (unsigned)u;
		return 0;
	case 'e': x->engine = arg; return 0;
	default:
		if (c < 0 || (size_t)c >= VD_ARRAY_SIZE(keys) || !keys[c] ||
		    x->n_opts + 2 >= VD_ARRAY_SIZE(x->opts))
			return -1;
		x->opts[x->n_opts++] = vd_xasprintf("%s=%s", keys[c], arg);
		return 0;
	}
}

static void create_help(void)
{
	printf("Usage: virtdeck create ct|vm NAME [options] [-- COMMAND ARGS...]\n"
	       "  --memory SIZE   memory limit / RAM (512M, 2G)\n"
	       "  --cpus N        CPU quota in CPUs (0.5)\n"
	       "  --vcpus N       vCPUs of a VM\n"
	       "  --rootfs DIR    container root filesystem\n"
	       "  --kernel FILE   VM kernel (bzImage or vmlinux)\n"
	       "  --initrd FILE   VM initramfs\n"
	       "  --disk FILE     VM raw disk image\n"
	       "  --cmdline STR   VM kernel command line\n"
	       "  --net MODE      none | loopback | bridge (a VM: the host bridge for its tap)\n"
	       "  --bridge NAME   host bridge of a container with --net bridge (15 characters)\n"
	       "  --hostname H    container hostname\n"
	       "  --engine E      engine to create it in (default: ct for ct, vmm for vm)\n");
}

static int create_run(struct vd_cli *cli, struct create_ctx *x)
{
	_cleanup_error_ struct vd_error *err = NULL;
	struct vd_backend *be = cli_backend(cli, x->engine, &err);
	if (!be || vd_backend_create(be, &x->def, &err) < 0)
		return vd_cli_fail(err);
	printf("%s: created (%s %s)\n", x->def.name, vd_backend_name(be), vd_kind_name(x->def.kind));
	return VD_EXIT_OK;
}

int vd_cmd_create(struct vd_cli *cli, int argc, char **argv)
{
	static const struct option own[] = {
		{ "memory", required_argument, NULL, 'm' }, { "cpus", required_argument, NULL, 'p' },
		{ "vcpus", required_argument, NULL, 'v' },  { "rootfs", required_argument, NULL, 'r' },
		{ "kernel", required_argument, NULL, 'k' }, { "initrd", required_argument, NULL, 'i' },
		{ "disk", required_argument, NULL, 'b' },   { "cmdline", required_argument, NULL, 'a' },
		{ "net", required_argument, NULL, 'n' },    { "hostname", required_argument, NULL, 'H' },
		{ "engine", required_argument, NULL, 'e' }, { "help", no_argument, NULL, 'h' },
		{ "bridge", required_argument, NULL, 'B' },
	};
	if (argc == 2 && (vd_streq(argv[1], "--help") || vd_streq(argv[1], "-h"))) {
		create_help();
		return VD_EXIT_OK;
	}
	if (argc < 3 || (!vd_streq(argv[1], "ct") && !vd_streq(argv[1], "vm")))
		return vd_cli_usage("create: say what to create: `virtdeck create ct|vm NAME [options]`");
	struct create_ctx x = { .def = { .name = argv[2],
					 .kind = vd_streq(argv[1], "vm") ? VD_KIND_VM
									 : VD_KIND_CT } };
	x.engine = x.def.kind == VD_KIND_VM ? "vmm" : "ct";
	int i = cli_opts(cli, argc - 2, argv + 2, "+", own, VD_ARRAY_SIZE(own), create_opt, &x);
	int code = VD_EXIT_USAGE;
	if (i >= 0) {
		/* Words after the options (getopt has consumed a "--") are the guest's command. */
		for (int k = i; k < argc - 2 && x.n_opts + 1 < VD_ARRAY_SIZE(x.opts); k++)
			x.opts[x.n_opts++] = vd_xasprintf("%s=%s", k == i ? "cmd" : "arg", argv[2 + k]);
		x.def.opts = (const char *const *)x.opts;
		code = create_run(cli, &x);
	} else {
		code = -i;
	}
	for (size_t k = 0; k < x.n_opts; k++)
		free(x.opts[k]);
	return code;
}

struct resize_ctx {
	struct vd_resize req;
};

static int resize_opt(void *vctx, int c, const char *arg)
{
	struct resize_ctx *x = vctx;
	uint64_t u;
	switch (c) {
	case 'm': return cli_memory_opt(arg, &x->req.mem_bytes);
	case 'p': return cli_cpus_opt("--cpus", arg, &x->req.cpus);
	case 'v':
		if (vd_parse_u64(arg, &u) < 0 || u == 0 || u > 256)
			return -1;
		x->req.vcpus = (unsigned)u;
		return 0;
	case 'l': x->req.flags |= VD_RESIZE_LIVE; return 0;
	case 'f': x->req.flags |= VD_RESIZE_CONFIG; return 0;
	default: return -1;
	}
}

int vd_cmd_resize(struct vd_cli *cli, int argc, char **argv)
{
	static const struct option own[] = {
		{ "memory", required_argument, NULL, 'm' }, { "cpus", required_argument, NULL, 'p' },
		{ "vcpus", required_argument, NULL, 'v' },  { "live", no_argument, NULL, 'l' },
		{ "persistent", no_argument, NULL, 'f' }, /* virsh's --config; ours names the settings file */
	};
	struct resize_ctx x = { { 0 } };
	int i = cli_opts(cli, argc, argv, "", own, VD_ARRAY_SIZE(own), resize_opt, &x);
	if (i < 0)
		return -i;
	if (i + 1 != argc)
		return vd_cli_usage("resize: give exactly one guest name");
	if (!x.req.flags)
		x.req.flags = VD_RESIZE_LIVE | VD_RESIZE_CONFIG;
	_cleanup_error_ struct vd_error *err = NULL;
	struct vd_guest *g = cli_guest(cli, argv[i], &err);
	if (!g || vd_backend_resize(g->backend, g->name, &x.req, &err) < 0)
		return vd_cli_fail(err);
	printf("%s: resized\n", g->name);
	return VD_EXIT_OK;
}

/* The console gets the terminal's size; one that has none (a VM's serial line) is said so,
 * with the command that gives a shell there the same size. NULL: nothing to pass on. */
static vd_relay_size_fn cli_console_size(struct vd_console_ref *ref)
{
	_cleanup_free_ char *note = NULL;
	vd_relay_size_fn fn = vd_backend_console_attach_size(ref, "\n", &note);
	if (note)
		fputs(note, stderr);
	return fn;
}

int vd_cmd_console(struct vd_cli *cli, int argc, char **argv)
{
	int i = cli_opts(cli, argc, argv, "", NULL, 0, NULL, NULL);
	if (i < 0)
		return -i;
	if (i + 1 != argc)
		return vd_cli_usage("console: give exactly one guest name");
	_cleanup_error_ struct vd_error *err = NULL;
	struct vd_guest *g = cli_guest(cli, argv[i], &err);
	int fd = -1;
	if (!g || vd_backend_console(g->backend, g->name, &fd, &err) < 0)
		return vd_cli_fail(err);
	fprintf(stderr, "Connected to %s's console. Escape character is ^]\n", g->name);
	struct vd_console_ref ref = { g->backend, g->name };
	int r = vd_relay_console(fd, cli_console_size(&ref), &ref);
	close(fd);
	if (r)
		fprintf(stderr, "\nThe console of %s closed.\n", g->name);
	else
	fprintf(stderr, "\nDetached from %s.\n", g->name);
	return VD_EXIT_OK;
}

int vd_cmd_exec(struct vd_cli *cli, int argc, char **argv)
{
	int i = cli_opts(cli, argc, argv, "+", NULL, 0, NULL, NULL);
	if (i < 0)
		return -i;
	if (i + 1 >= argc)
		return vd_cli_usage("exec: usage: virtdeck exec NAME -- CMD [ARGS...]");
	const char *name = argv[i++];
	if (vd_streq(argv[i], "--"))
		i++;
	if (i >= argc)
		return vd_cli_usage("exec: no command given after the guest name");
	_cleanup_error_ struct vd_error *err = NULL;
	struct vd_guest *g = cli_guest(cli, name, &err);
	int status = 0;
	if (!g || vd_backend_exec(g->backend, g->name, argv + i, &status, &err) < 0)
		return vd_cli_fail(err);
	return status;
}
