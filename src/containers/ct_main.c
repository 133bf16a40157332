/* ct_main.c - virtdeck-ct: the container supervisor and exec helper, started by the ct engine. */
#include <errno.h>
#include <stdio.h>

#include "common/ctl.h"
#include "common/error.h"
#include "common/log.h"
#include "containers/ct_cgroup.h"
#include "containers/ct_exec.h"
#include "containers/ct_init.h"
#include "containers/ct_selfexe.h"
#include "containers/ct_super.h"


static int ct_main_usage(FILE *f)
{
	fprintf(f,
		"usage: virtdeck-ct start NAME [--foreground]\n"
		"       virtdeck-ct exec NAME -- COMMAND [ARG...]\n"
		"       virtdeck-ct status|stats NAME\n"
		"       virtdeck-ct cgroup-scope -   (the vd-HASH level of this state directory)\n"
		"       virtdeck-ct --version\n"
		"Definitions live in $VIRTDECK_DATA_DIR/containers/NAME.ini; state in $VIRTDECK_STATE_DIR/ct.\n");
	return f == stdout ? 0 : 2;
}

static int ct_main_report(struct vd_error *e, int code)
{
	fprintf(stderr, "virtdeck-ct: %s\n", e ? e->msg : "failed");
	vd_error_free(e);
	return code;
}

static int ct_main_start(int argc, char **argv)
{
	bool fg = argc > 3 && vd_streq(argv[3], "--foreground");
	struct vd_error *e = NULL;
	/* Whatever the caller leaked to us (a console's tty fds, sockets) must not reach the daemon. */
	ct_init_close_fds(3, NULL);
	if (ct_super_start(argv[2], fg, &e) < 0)
		return ct_main_report(e, 1);
	return 0;
}

/* `virtdeck-ct status|stats NAME`: the supervisor's reply as JSON, for scripts and tests. */
static int ct_main_query(const char *op, const char *name)
{
	_cleanup_free_ char *sock = NULL;
	struct vd_error *e = NULL;
	if (ct_super_state_path(name, "sock", &sock, &e) < 0)
		return ct_main_report(e, 1);
	_cleanup_json_ struct json_object *req = json_object_new_object(), *resp = NULL;
	json_object_object_add(req, "op", json_object_new_string(op));
	if (vd_ctl_call(sock, req, 5000, &resp, &e) < 0 || vd_ctl_check_reply(resp, &e) < 0)
		return ct_main_report(e, 1);
	printf("%s\n", json_object_to_json_string_ext(resp, JSON_C_TO_STRING_PLAIN));
	return 0;
}

static int ct_main_exec(int argc, char **argv)
{
	int first = 3;
	if (first < argc && vd_streq(argv[first], "--"))
		first++;
	if (first >= argc)
		return ct_main_usage(stderr);
	struct vd_error *e = NULL;
	int r = ct_exec_run(argv[2], argv + first, &e);
	if (r < 0)
		return ct_main_report(e, 125);
	return r;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && vd_streq(argv[1], "--version")) {
		printf("virtdeck-ct %s\n", PACKAGE_VERSION);
		return 0;
	}
	if (argc >= 2 && (vd_streq(argv[1], "--help") || vd_streq(argv[1], "-h")))
		return ct_main_usage(stdout);
	if (argc < 3)
		return ct_main_usage(stderr);
	bool start = vd_streq(argv[1], "start");
	if (start || vd_streq(argv[1], "exec")) {
		struct vd_error *e = NULL;
		if (ct_selfexe_ensure(argv, &e) < 0)
			return ct_main_report(e, start ? 1 : 125);
		return start ? ct_main_start(argc, argv) : ct_main_exec(argc, argv);
	}
	if (vd_streq(argv[1], "status") || vd_streq(argv[1], "stats"))
		return ct_main_query(argv[1], argv[2]);
	if (vd_streq(argv[1], "cgroup-scope") && vd_streq(argv[2], "-")) {
		_cleanup_free_ char *scope = ct_cgroup_scope();
		printf("%s\n", scope ? scope : "");
		return 0;
	}
	return ct_main_usage(stderr);
}
