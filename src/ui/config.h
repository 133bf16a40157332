/* config.h - the user's settings: defaults, virtdeck.ini (read with inih), then the command line.
 */
#ifndef VD_UI_CONFIG_H
#define VD_UI_CONFIG_H

#include "backend/model.h"
#include "ui/columns.h"

#define UI_MAX_CONNECT 16
#define UI_MAX_BINDS 64
#define UI_MAX_PASSTHRU 32

enum ui_glyphs { UI_GLYPHS_AUTO, UI_GLYPHS_BRAILLE, UI_GLYPHS_BLOCK, UI_GLYPHS_ASCII };

struct ui_settings {
	int interval_ms;
	char theme[16];
	bool no_color;
	enum ui_glyphs glyphs;
	enum vd_sort_key sort;
	bool sort_desc;
	enum ui_col_id columns[UI_COL__COUNT]; /* chosen columns, display order */
	size_t n_columns;                      /* 0 = fit to the terminal */
	bool vi_keys;
	bool mouse;
	char *connect_uri[UI_MAX_CONNECT];
	char *connect_label[UI_MAX_CONNECT];
	size_t n_connect;
	struct {
		char action[24];
		int key;
	} binds[UI_MAX_BINDS];
	size_t n_binds;
	/* [advice] keys, kept verbatim for the advice engine (key, value, line). */
	struct {
		char *key, *value;
		int line;
	} advice[UI_MAX_PASSTHRU];
	size_t n_advice;
	char *path; /* the file the settings came from, NULL if none */
};

void ui_settings_default(struct ui_settings *s);
void ui_settings_free(struct ui_settings *s);
/* Read `path`. Every bad line adds "path:line: what is wrong" to *problems (a NULL-terminated
 * heap array) and the rest is still applied. A missing file is an error only when `required`. */
int ui_config_load(struct ui_settings *s, const char *path, bool required, char ***problems,
		   struct vd_error **err);
/* Parse a key name as used in the config file: "q", "F5", "Up", "C-f", "Space", "Enter". */
int ui_key_parse(const char *name, int *key);

#endif
