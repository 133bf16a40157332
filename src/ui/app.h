/* app.h - the console's state and its key handling, independent of any terminal. */
#ifndef VD_UI_APP_H
#define VD_UI_APP_H

#include "backend/jobs.h"
#include "backend/registry.h"
#include "ui/keymap.h"
#include "ui/config.h"
#include "ui/form.h"
#include "ui/table.h"
#include "ui/theme.h"

#define UI_MIN_W 60
#define UI_MIN_H 8

enum ui_screen_id {
	UI_SCREEN_MAIN,
	UI_SCREEN_HELP,
	UI_SCREEN_LOG,
	UI_SCREEN_DETAIL,
	UI_SCREEN_FORM,
	UI_SCREEN_COLUMNS
};
enum ui_tab {
	UI_TAB_OVERVIEW, UI_TAB_GRAPHS, UI_TAB_CONSOLE, UI_TAB_ADVICE, UI_TAB_LOG, UI_TAB_LOGS,
	UI_TAB__COUNT
};

#define UI_LOG_MAX 200

struct ui_log_entry {
	char when[16];
	enum ui_style style;
	char text[240];
};
enum ui_mode { UI_MODE_NORMAL, UI_MODE_FILTER, UI_MODE_SEARCH, UI_MODE_CONFIRM };

struct ui_app {
	struct vd_registry *reg;
	struct vd_view view;
	struct ui_table table;
	enum ui_screen_id screen;
	enum ui_mode mode;
	char filter[64];
	char search[64];
	char status[256];
	enum ui_style status_style;
	char confirm[256];              /* question shown while confirming */
	int (*confirm_fn)(struct ui_app *app);
	char banner[64];                /* e.g. "demo: fake engine" */
	int w, h;
	int help_scroll;
	int interval_ms;
	bool follow; /* the user moved the cursor: keep it on its guest across refreshes */
	const struct ui_theme *theme;
	enum ui_glyphs glyphs; /* never AUTO once the console runs */
	struct ui_log_entry log[UI_LOG_MAX]; /* ring: action results, errors, config problems */
	size_t log_n, log_head;
	int log_scroll;
	bool (*clock_text)(char *buf, size_t len); /* tests pin the log's timestamps */
	/* detail view: which guest (by backend and name, so refreshes do not lose it) and tab */
	const struct vd_backend *detail_be;
	char detail_name[VD_NAME_MAX];
	enum ui_tab detail_tab;
	/* console attach requested: the renderer suspends curses and relays this guest's console */
	struct vd_backend *console_be;
	char console_name[VD_NAME_MAX];
	struct vd_jobs jobs; /* engine operations run here, never on the UI thread */
	struct ui_form form; /* the open form (create, resize) */
	int mouse_x, mouse_y;
	enum { UI_MOUSE_CLICK, UI_MOUSE_DOUBLE, UI_MOUSE_WHEEL_UP, UI_MOUSE_WHEEL_DOWN } mouse_ev;
	bool mouse; /* enabled in the settings */
	void *advice;             /* struct ui_advice_state (ui/advice.c): history and advice */
	void *logtab;             /* struct ui_logtab (ui/logtab.c): the Logs tab's lines */
	struct vd_job *pending_job; /* waits for a y/n confirmation */
	int chooser_pos;
	struct vd_backend *form_be;
	char form_guest[VD_NAME_MAX];
};

void ui_app_init(struct ui_app *app, struct vd_registry *reg);
void ui_app_free(struct ui_app *app);
/* Poll the engines and rebuild the view, keeping the cursor on the same guest. */
void ui_app_refresh(struct ui_app *app);
/* Rebuild the view from the registry (after sort/filter changes). */
void ui_app_rebuild(struct ui_app *app);
int ui_app_key(struct ui_app *app, int key);
void ui_app_resize(struct ui_app *app, int w, int h);
/* The guest under the cursor, or NULL. */
struct vd_guest *ui_app_selected(struct ui_app *app);
void ui_app_status(struct ui_app *app, enum ui_style st, const char *fmt, ...) VD_PRINTF(3, 4);
/* Status line plus an entry in the log screen (L). */
void ui_app_log(struct ui_app *app, enum ui_style st, const char *fmt, ...) VD_PRINTF(3, 4);
const struct ui_log_entry *ui_app_log_get(const struct ui_app *app, size_t i); /* 0 = oldest */
/* Settings from the config file and command line: sort, columns, keys, theme, glyphs. */
void ui_app_apply_settings(struct ui_app *app, const struct ui_settings *s, bool no_color,
			   bool ascii);
/* Ask the renderer to attach the terminal to g's console; returns the reaction to pass up. */
int ui_app_console_request(struct ui_app *app, const struct vd_guest *g);
/* Queue an operation on a guest; the status line says it is under way. */
int ui_app_submit(struct ui_app *app, struct vd_job *job);
/* Log the results of finished jobs; returns the reaction (refresh when anything finished). */
int ui_app_jobs_collect(struct ui_app *app);
/* Tests: block until every queued job finished, then collect. */
void ui_app_jobs_wait(struct ui_app *app);
/* Rows the table body gets at the current size. */
int ui_app_table_rows(const struct ui_app *app);

#endif
