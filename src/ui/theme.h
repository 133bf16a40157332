/* theme.h - colour themes as data: per style a foreground, background and attributes. */
#ifndef VD_UI_THEME_H
#define VD_UI_THEME_H

#include "ui/grid.h"

enum { UI_A_BOLD = 1, UI_A_REVERSE = 2, UI_A_DIM = 4, UI_A_UNDERLINE = 8 };

/* Colours are the 8 ANSI colours (0 black .. 7 white); -1 is the terminal's default. */
struct ui_style_def {
	short fg, bg;
	unsigned attr;
};

struct ui_theme {
	const char *name;
	bool color; /* false: attributes only (mono, NO_COLOR) */
	struct ui_style_def st[UI_STYLE__COUNT];
};

const struct ui_theme *ui_theme_find(const char *name);
/* The monochrome theme, used for NO_COLOR and --no-color whatever the config says. */
const struct ui_theme *ui_theme_mono(void);

#endif
