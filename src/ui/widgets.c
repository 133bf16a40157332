/* widgets.c - meter bars, sparklines and multi-row graphs built from braille, block or ASCII cells.
 */
#include "ui/widgets.h"

#include <math.h>

void ui_meter(struct ui_grid *g, int x, int y, int w, const char *label,
	      const struct ui_meter_seg *segs, size_t n, const char *text)
{
	int bar = w - ui_text_width(label) - 3;
	if (bar < 4)
		return;
	int cx = x + ui_grid_put(g, x, y, -1, UI_LABEL, label);
	cx += ui_grid_put(g, cx, y, -1, UI_NORMAL, " [");
	ui_grid_fill(g, cx, y, bar, ' ', UI_NORMAL);
	double acc = 0;
	int done = 0;
	for (size_t i = 0; i < n; i++) {
		acc += segs[i].frac > 0 ? segs[i].frac : 0;
		int upto = (int)lround((acc > 1 ? 1 : acc) * bar);
		ui_grid_fill(g, cx + done, y, upto - done, segs[i].glyph, segs[i].style);
		done = upto > done ? upto : done;
	}
	int tw = ui_text_width(text);
	if (tw < bar)
		ui_grid_put(g, cx + bar - tw, y, tw, UI_NORMAL, text);
	ui_grid_put(g, cx + bar, y, 1, UI_NORMAL, "]");
}

size_t ui_graph_capacity(int w, enum ui_glyphs glyphs)
{
	return (size_t)(w > 0 ? w : 0) * (glyphs == UI_GLYPHS_BRAILLE ? 2 : 1);
}

/* Dots lit (0..4) in a row of a braille cell for value level `lvl` counted in dots from the bottom.
 */
static int widget_dots(int lvl, int row_from_bottom)
{
	int d = lvl - 4 * row_from_bottom;
	return d < 0 ? 0 : d > 4 ? 4 : d;
}

/* Braille cell with `l` dots lit from the bottom in the left column and `r` in the right. */
static uint32_t widget_braille(int l, int r)
{
	static const uint8_t left[5] = { 0, 0x40, 0x44, 0x46, 0x47 };
	static const uint8_t right[5] = { 0, 0x80, 0xa0, 0xb0, 0xb8 };
	return 0x2800u + left[l] + right[r];
}

static uint32_t widget_block(int eighths)
{
	return eighths <= 0 ? ' ' : eighths >= 8 ? 0x2588u : 0x2580u + (uint32_t)eighths;
}

static uint32_t widget_ascii(int quarters)
{
	static const char lv[5] = { ' ', '.', ':', '|', '|' };
	return (uint32_t)lv[quarters < 0 ? 0 : quarters > 4 ? 4 : quarters];
}

/* Level of value v in `steps` steps (negative values stay blank). */
static int widget_level(float v, int steps)
{
	if (!(v > 0))
		return 0;
	int l = (int)lroundf(v * (float)steps);
	if (l == 0)
		l = 1; /* anything above zero shows */
	return l > steps ? steps : l;
}

/* The glyph for cell column c of a graph `h` rows high, in row r counted from the bottom. */
static uint32_t widget_cell(const float *vals, size_t n, size_t first, int c, int r, int h,
			    enum ui_glyphs gl)
{
	if (gl == UI_GLYPHS_BRAILLE) {
		size_t i = first + (size_t)c * 2;
		int l = i < n ? widget_dots(widget_level(vals[i], 4 * h), r) : 0;
		int rr = i + 1 < n ? widget_dots(widget_level(vals[i + 1], 4 * h), r) : 0;
		return l || rr ? widget_braille(l, rr) : ' ';
	}
	size_t i = first + (size_t)c;
	if (i >= n)
		return ' ';
	int per = gl == UI_GLYPHS_BLOCK ? 8 : 4;
	int lvl = widget_level(vals[i], per * h) - per * r;
	return gl == UI_GLYPHS_BLOCK ? widget_block(lvl) : widget_ascii(lvl);
}

void ui_graph(struct ui_grid *g, int x, int y, int w, int h, const float *vals, size_t n,
	      float limit, enum ui_glyphs glyphs, enum ui_style st)
{
	if (w <= 0 || h <= 0)
		return;
	size_t cap = ui_graph_capacity(w, glyphs);
	size_t first = n > cap ? n - cap : 0;
	/* Right-align: the newest sample sits at the right edge, like htop's and btop's graphs. */
	int used = (int)((n - first + (glyphs == UI_GLYPHS_BRAILLE ? 1 : 0)) /
			 (glyphs == UI_GLYPHS_BRAILLE ? 2 : 1));
	int off = w - used;
	int limit_row = limit >= 0 ? (int)lroundf(limit * (float)h) - 1 : -1;
	for (int r = 0; r < h; r++) {
		int row_y = y + h - 1 - r;
		for (int c = 0; c < w; c++) {
			uint32_t ch = c >= off ? widget_cell(vals, n, first, c - off, r, h, glyphs) : ' ';
			enum ui_style cs = st;
			if (ch == ' ' && r == limit_row) {
				ch = glyphs == UI_GLYPHS_ASCII ? '-' : 0x2500u;
				cs = UI_METER_ALLOC;
			}
			ui_grid_fill(g, x + c, row_y, 1, ch, cs);
		}
	}
}

void ui_sparkline(struct ui_grid *g, int x, int y, int w, const float *vals, size_t n,
		  enum ui_glyphs glyphs, enum ui_style st)
{
	ui_graph(g, x, y, w, 1, vals, n, -1, glyphs, st);
}
