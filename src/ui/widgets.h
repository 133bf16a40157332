/* widgets.h - meters, sparklines and graphs drawn into the cell grid (braille, block or ASCII). */
#ifndef VD_UI_WIDGETS_H
#define VD_UI_WIDGETS_H

#include "ui/config.h"
#include "ui/grid.h"

/* One meter segment: a share of the bar (0..1), the glyph that fills it and its style. In
 * monochrome the glyphs alone tell segments apart (htop's "|#*@"). */
struct ui_meter_seg {
	double frac;
	uint32_t glyph;
	enum ui_style style;
};

/* "LABEL [|||||###      text]" in w columns. */
void ui_meter(struct ui_grid *g, int x, int y, int w, const char *label,
	      const struct ui_meter_seg *segs, size_t n, const char *text);
/* One row of history: values are 0..1 (negative = unknown, drawn blank), newest last. Braille
 * packs two samples per cell, block and ASCII one. */
void ui_sparkline(struct ui_grid *g, int x, int y, int w, const float *vals, size_t n,
		  enum ui_glyphs glyphs, enum ui_style st);
/* A w x h graph of vals (0..1, newest at the right) with a horizontal line at `limit` (0..1,
 * negative = none) — the allocation the values are measured against. */
void ui_graph(struct ui_grid *g, int x, int y, int w, int h, const float *vals, size_t n,
	      float limit, enum ui_glyphs glyphs, enum ui_style st);
/* Samples that fit in w cells with these glyphs. */
size_t ui_graph_capacity(int w, enum ui_glyphs glyphs);

#endif
