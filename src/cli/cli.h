/* cli.h - the command line: global options, the command table and shared helpers. */
#ifndef VD_CLI_CLI_H
#define VD_CLI_CLI_H

#include "backend/registry.h"
#include "ui/config.h"

/* Exit codes: 0 ok, 1 the operation failed, 2 bad usage (like grep and virsh). */
enum { VD_EXIT_OK = 0, VD_EXIT_FAIL = 1, VD_EXIT_USAGE = 2 };

struct vd_cli {
	bool demo;
	char **connect; /* --connect URIs, in order */
	size_t n_connect;
	const char *config;
	int interval_ms;
	bool ascii;
	bool no_color;
	bool interval_set;   /* -d given: it beats the config file */
	struct ui_settings settings;
	char **problems;     /* config problems, "file:line: what", NULL-terminated */
	vd_clock_fn clock; /* tests inject a clock; NULL = monotonic */
	struct vd_registry reg;
	int (*console)(struct vd_cli *cli); /* the TUI entry, provided by the binary */
	bool opened; /* engines are open: a second vd_cli_open does nothing */
};

struct vd_cmd {
	const char *name;
	const char *args;
	const char *help;
	int (*exec)(struct vd_cli *cli, int argc, char **argv);
};

/* Parse argv and run the command (no command = the console). Returns the exit code. */
int vd_cli_main(struct vd_cli *cli, int argc, char **argv);
void vd_cli_free(struct vd_cli *cli);
/* Open the engines the options ask for (--demo, --connect, else every local engine). Engines
 * that fail to open are reported on stderr (quiet=false) or the log and skipped. */
int vd_cli_open(struct vd_cli *cli, bool quiet);
/* Print "virtdeck: <msg>" plus a pointer to --help; returns VD_EXIT_USAGE. */
int vd_cli_usage(const char *fmt, ...) VD_PRINTF(1, 2);
/* Print an error to stderr; returns VD_EXIT_FAIL. */
int vd_cli_fail(const struct vd_error *err);
/* Print "virtdeck: <problem>" for every listed guest its engine could not read (a supervisor
 * that does not answer): the row alone cannot say which process or what to do. */
void vd_cli_print_problems(const struct vd_registry *reg);
/* Handle one of the global options inside a command's getopt loop; false if c is not one. */
bool vd_cli_global_opt(struct vd_cli *cli, int c, const char *arg, int *exit_code);
/* The long options every command also accepts (terminated), and their short string. */
extern const char vd_cli_global_short[];
#define VD_CLI_GLOBAL_LONGOPTS                                                                     \
	{ "demo", no_argument, NULL, 'D' }, { "connect", required_argument, NULL, 'c' },           \
		{ "config", required_argument, NULL, 'C' }

/* Commands (one file each). */
int vd_cmd_list(struct vd_cli *cli, int argc, char **argv);
int vd_cmd_top(struct vd_cli *cli, int argc, char **argv);
int vd_cmd_create(struct vd_cli *cli, int argc, char **argv);
int vd_cmd_lifecycle(struct vd_cli *cli, int argc, char **argv);
int vd_cmd_resize(struct vd_cli *cli, int argc, char **argv);
int vd_cmd_console(struct vd_cli *cli, int argc, char **argv);
int vd_cmd_exec(struct vd_cli *cli, int argc, char **argv);
int vd_cmd_logs(struct vd_cli *cli, int argc, char **argv);
int vd_cmd_advise(struct vd_cli *cli, int argc, char **argv);
int vd_cmd_sprawl(struct vd_cli *cli, int argc, char **argv);
int vd_cmd_history(struct vd_cli *cli, int argc, char **argv);
int vd_cmd_collect(struct vd_cli *cli, int argc, char **argv);

#endif
