/* grid.c - the cell grid: UTF-8 decoding, clipping and text dumps for snapshot tests. */
#include "ui/grid.h"

void ui_grid_init(struct ui_grid *g, int w, int h)
{
	g->w = w > 0 ? w : 0;
	g->h = h > 0 ? h : 0;
	g->cells = vd_xcalloc((size_t)g->w * (size_t)g->h + 1, sizeof(*g->cells));
}

void ui_grid_free(struct ui_grid *g)
{
	free(g->cells);
	g->cells = NULL;
	g->w = g->h = 0;
}

void ui_grid_clear(struct ui_grid *g)
{
	memset(g->cells, 0, (size_t)g->w * (size_t)g->h * sizeof(*g->cells));
}

/* Decode one UTF-8 scalar; invalid bytes become U+FFFD and advance one byte. */
static uint32_t grid_utf8_next(const char **sp)
{
	const unsigned char *s = (const unsigned char *)*sp;
	uint32_t c = s[0];
	int n = c < 0x80	     ? 0
		: (c & 0xe0) == 0xc0 ? 1
		: (c & 0xf0) == 0xe0 ? 2
		: (c & 0xf8) == 0xf0 ? 3
				     : -1;
	if (n < 0) {
		*sp += 1;
		return 0xfffd;
	}
	c = n == 0 ? c : c & (0x3f >> n);
	for (int i = 1; i <= n; i++) {
		if ((s[i] & 0xc0) != 0x80) {
			*sp += i;
			return 0xfffd;
		}
		c = (c << 6) | (s[i] & 0x3f);
	}
	*sp += n + 1;
	return c;
}

int ui_text_width(const char *utf8)
{
	int n = 0;
	while (*utf8) {
		grid_utf8_next(&utf8);
		n++;
	}
	return n;
}

int ui_grid_put(struct ui_grid *g, int x, int y, int max_w, enum ui_style st, const char *utf8)
{
	if (y < 0 || y >= g->h || x >= g->w)
		return 0;
	int limit = max_w < 0 || x + max_w > g->w ? g->w - x : max_w;
	int col = 0;
	while (*utf8 && col < limit) {
		uint32_t c = grid_utf8_next(&utf8);
		if (c < 0x20 || c == 0x7f)
			c = '?'; /* never let control bytes from a guest name reach the terminal */
		if (x + col >= 0) {
			struct ui_cell *cell = &g->cells[y * g->w + x + col];
			cell->ch = c;
			cell->style = (uint8_t)st;
		}
		col++;
	}
	return col;
}

int ui_grid_printf(struct ui_grid *g, int x, int y, int max_w, enum ui_style st, const char *fmt,
		   ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = vd_xvasprintf(fmt, ap);
	va_end(ap);
	int n = ui_grid_put(g, x, y, max_w, st, s);
	free(s);
	return n;
}

void ui_grid_style(struct ui_grid *g, int x, int y, int w, enum ui_style st)
{
	if (y < 0 || y >= g->h)
		return;
	for (int i = x < 0 ? 0 : x; i < x + w && i < g->w; i++)
		g->cells[y * g->w + i].style = (uint8_t)st;
}

void ui_grid_fill(struct ui_grid *g, int x, int y, int w, uint32_t ch, enum ui_style st)
{
	if (y < 0 || y >= g->h)
		return;
	for (int i = x < 0 ? 0 : x; i < x + w && i < g->w; i++)
		g->cells[y * g->w + i] = (struct ui_cell){ ch, (uint8_t)st };
}

static size_t grid_put_utf8(char *out, uint32_t c)
{
	if (c < 0x80) {
		out[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		out[0] = (char)(0xc0 | (c >> 6));
		out[1] = (char)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		out[0] = (char)(0xe0 | (c >> 12));
		out[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		out[2] = (char)(0x80 | (c & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (c >> 18));
	out[1] = (char)(0x80 | ((c >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((c >> 6) & 0x3f));
	out[3] = (char)(0x80 | (c & 0x3f));
	return 4;
}

char *ui_grid_text(const struct ui_grid *g)
{
	char *out = vd_xmalloc((size_t)g->w * (size_t)g->h * 4 + (size_t)g->h + 1);
	size_t n = 0;
	for (int y = 0; y < g->h; y++) {
		size_t line_start = n, last = n;
		for (int x = 0; x < g->w; x++) {
			uint32_t c = g->cells[y * g->w + x].ch;
			n += grid_put_utf8(out + n, c ? c : ' ');
			if (c && c != ' ')
				last = n;
		}
		n = last > line_start ? last : line_start;
		out[n++] = '\n';
	}
	out[n] = '\0';
	return out;
}
