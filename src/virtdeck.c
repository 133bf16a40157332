/* virtdeck.c - main(): the command line, and the console when no command is given. */
#include <langinfo.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>

#include "cli/cli.h"
#include "common/log.h"
#include "common/paths.h"
#include "config.h"
#include "ui/advice.h"
#include "ui/app.h"
#include "ui/render.h"

/* Log to <state>/virtdeck.log so nothing is written over the console. */
static void main_open_log(void)
{
	_cleanup_free_ char *dir = NULL;
	if (vd_paths_state_dir(&dir, NULL) < 0 || vd_paths_ensure(dir, NULL) < 0)
		return;
	_cleanup_free_ char *path = vd_xasprintf("%s/virtdeck.log", dir);
	vd_log_open(path);
}

/* Braille needs a UTF-8 locale; anything else gets ASCII graphs. */
static enum ui_glyphs main_glyphs(enum ui_glyphs want)
{
	if (want != UI_GLYPHS_AUTO)
		return want;
	setlocale(LC_ALL, "");
	return vd_streq(nl_langinfo(CODESET), "UTF-8") ? UI_GLYPHS_BRAILLE : UI_GLYPHS_ASCII;
}

static int main_console(struct vd_cli *cli)
{
	struct ui_app app;
	ui_app_init(&app, &cli->reg);
	ui_app_apply_settings(&app, &cli->settings, cli->no_color, cli->ascii);
	app.glyphs = main_glyphs(app.glyphs);
	app.interval_ms = cli->interval_ms;
	for (size_t i = 0; cli->problems && cli->problems[i]; i++)
		ui_app_log(&app, UI_WARN, "%s", cli->problems[i]);
	ui_advice_open(&app, &cli->settings, NULL);
	if (cli->demo)
		snprintf(app.banner, sizeof(app.banner), "demo: fake engine");
	main_open_log();
	int code = ui_render_run(&app);
	ui_app_free(&app);
	return code;
}

int main(int argc, char **argv)
{
	/* A supervisor that exits while we talk to it must give an EPIPE error, not kill us. */
	signal(SIGPIPE, SIG_IGN);
	struct vd_cli cli = { .console = main_console };
	int code = vd_cli_main(&cli, argc, argv);
	vd_cli_free(&cli);
	vd_log_close();
	return code;
}
