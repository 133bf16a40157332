/* grid.h - an in-memory cell grid that screens draw into; only render.c shows it with ncurses. */
#ifndef VD_UI_GRID_H
#define VD_UI_GRID_H

#include <stdint.h>

#include "common/util.h"

enum ui_style {
	UI_NORMAL,
	UI_TITLE,     /* header line */
	UI_LABEL,     /* "CPU", "MEM" labels */
	UI_COLHEAD,   /* table column headings */
	UI_SORTHEAD,  /* the column the table is sorted by */
	UI_SELECTED,  /* cursor row */
	UI_STATUS,    /* bottom status line */
	UI_KEY,       /* key names in the function bar */
	UI_DIM,       /* stopped guests, unknown values */
	UI_GOOD,
	UI_WARN,
	UI_BAD,
	UI_METER_USED,
	UI_METER_ALLOC,
	UI_STYLE__COUNT,
};

struct ui_cell {
	uint32_t ch; /* Unicode scalar value; 0 = empty (space) */
	uint8_t style;
};

struct ui_grid {
	int w, h;
	struct ui_cell *cells;
};

void ui_grid_init(struct ui_grid *g, int w, int h);
void ui_grid_free(struct ui_grid *g);
void ui_grid_clear(struct ui_grid *g);
/* Write UTF-8 text at (x, y), clipped to max_w columns (and the grid); returns columns used. */
int ui_grid_put(struct ui_grid *g, int x, int y, int max_w, enum ui_style st, const char *utf8);
int ui_grid_printf(struct ui_grid *g, int x, int y, int max_w, enum ui_style st, const char *fmt,
		   ...) VD_PRINTF(6, 7);
/* Paint the style of a run of cells without changing their text. */
void ui_grid_style(struct ui_grid *g, int x, int y, int w, enum ui_style st);
void ui_grid_fill(struct ui_grid *g, int x, int y, int w, uint32_t ch, enum ui_style st);
/* Plain-text dump, one line per row with trailing spaces trimmed (golden tests). */
char *ui_grid_text(const struct ui_grid *g);
/* Display width of UTF-8 text (every scalar counts as one column here). */
int ui_text_width(const char *utf8);

#endif
