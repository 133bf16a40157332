/* logtab.c - the detail view's Logs tab: the guest's console output, scrolling and search. */
#include "ui/logtab.h"

#include <errno.h>
#include <string.h>

/* Lines kept on screen at most, and how often the log is read again while the tab shows. */
#define LOGTAB_MAX_LINES 5000
#define LOGTAB_RELOAD_NS 1000000000ull

struct ui_logtab {
	const struct vd_backend *be;
	char name[VD_NAME_MAX];
	uint64_t loaded_ns;        /* monotonic; 0 = read it now */
	struct vd_log_lines lines;
	char why[200];             /* why there are no lines (an error, an engine without logs) */
	size_t bottom;             /* lines hidden below the view (0 = the newest shows) */
	bool typing;               /* a search is being typed */
	char query[64];
	long match;                /* the line the search found, -1 none */
};

static struct ui_logtab *logtab_get(struct ui_app *app)
{
	if (!app->logtab) {
		struct ui_logtab *t = vd_xcalloc(1, sizeof(*t));
		t->match = -1;
		app->logtab = t;
	}
	return app->logtab;
}

void ui_logtab_free(struct ui_app *app)
{
	struct ui_logtab *t = app->logtab;
	if (!t)
		return;
	vd_log_lines_free(&t->lines);
	free(t);
	app->logtab = NULL;
}

/* A new guest in the view starts at its newest line with no search. */
static void logtab_switch(struct ui_logtab *t, const struct vd_guest *gu)
{
	if (t->be == gu->backend && vd_streq(t->name, gu->name))
		return;
	t->be = gu->backend;
	vd_strlcpy(t->name, gu->name, sizeof(t->name));
	t->loaded_ns = 0;
	t->bottom = 0;
	t->match = -1;
	t->query[0] = '\0';
}

/* Read the log again; an engine busy with an operation keeps what was shown (never waited on). */
static void logtab_load(struct ui_logtab *t, const struct vd_guest *gu)
{
	uint64_t now = vd_now_mono_ns();
	if (t->loaded_ns && now - t->loaded_ns < LOGTAB_RELOAD_NS)
		return;
	struct vd_log_lines l;
	struct vd_error *e = NULL;
	int r = vd_backend_trylogs(gu->backend, gu->name, LOGTAB_MAX_LINES, &l, &e);
	if (r == -EBUSY)
		return;
	t->loaded_ns = now;
	t->why[0] = '\0';
	if (r < 0)
		vd_strlcpy(t->why, e ? e->msg : "the log cannot be read", sizeof(t->why));
	vd_error_free(e);
	if (r < 0)
		return;
	vd_log_lines_free(&t->lines);
	t->lines = l;
}

/* The guest's bytes made safe for the grid: no control characters, no escape sequences. */
static void logtab_clean(const char *in, char *out, size_t len)
{
	size_t o = 0;
	for (const unsigned char *p = (const unsigned char *)in; *p && o + 1 < len; p++) {
		if (*p == 0x1b && p[1] == '[') { /* CSI: skip to its final byte */
			for (p += 2; *p && (*p < 0x40 || *p > 0x7e); p++)
				;
			if (!*p)
				break;
			continue;
		}
		if (*p == '\t')
			out[o++] = ' ';
		else if (*p >= 0x20 && *p != 0x7f)
			out[o++] = (char)*p;
	}
	out[o] = '\0';
}

int ui_logtab_last(struct ui_app *app, struct ui_grid *g, const struct vd_guest *gu, int x, int y,
		   int w, size_t n)
{
	struct ui_logtab *t = logtab_get(app);
	logtab_switch(t, gu);
	logtab_load(t, gu);
	size_t first = t->lines.n > n ? t->lines.n - n : 0;
	for (size_t i = first; i < t->lines.n; i++) {
		char clean[512];
		logtab_clean(t->lines.v[i].text, clean, sizeof(clean));
		ui_grid_put(g, x, y++, w, UI_DIM, clean);
	}
	return y;
}

static void logtab_empty(struct ui_app *app, struct ui_grid *g, const struct ui_logtab *t, int y)
{
	const char *msg = t->why[0] ? t->why : "it has printed nothing yet";
	ui_grid_printf(g, 1, y, app->w - 2, t->why[0] ? UI_WARN : UI_DIM, "%s: %s", t->name, msg);
}

void ui_logtab_draw(struct ui_app *app, struct ui_grid *g, const struct vd_guest *gu, int y)
{
	struct ui_logtab *t = logtab_get(app);
	logtab_switch(t, gu);
	logtab_load(t, gu);
	ui_grid_printf(g, 1, y++, app->w - 2, UI_TITLE,
		       "What %s printed (%zu lines, newest last)  /: search  n/N: older/newer "
		       "match  PgUp/PgDn  End: newest", gu->name, t->lines.n);
	if (t->lines.n == 0)
		return logtab_empty(app, g, t, y);
	int rows = app->h - 1 - y;
	if (t->bottom > t->lines.n - 1)
		t->bottom = t->lines.n - 1;
	size_t end = t->lines.n - t->bottom; /* one past the last line shown */
	size_t first = end > (size_t)rows ? end - (size_t)rows : 0;
	char text[1024];
	for (size_t i = first; i < end; i++, y++) {
		logtab_clean(t->lines.v[i].text, text, sizeof(text));
		bool hit = (long)i == t->match;
		ui_grid_put(g, 1, y, app->w - 2, hit ? UI_SELECTED : UI_NORMAL, text);
		if (hit)
			ui_grid_style(g, 1, y, app->w - 2, UI_SELECTED);
	}
}

/* Scroll so line i shows, two lines above the bottom when it can. */
static void logtab_show(struct ui_logtab *t, size_t i)
{
	size_t below = t->lines.n - 1 - i;
	t->bottom = below > 2 ? below - 2 : 0;
}

/* The next line containing the query, from `from` going older (dir -1) or newer (+1). */
static long logtab_find(const struct ui_logtab *t, long from, int dir)
{
	for (long i = from; i >= 0 && i < (long)t->lines.n; i += dir)
		if (strcasestr(t->lines.v[i].text, t->query))
			return i;
	return -1;
}

static int logtab_search(struct ui_app *app, struct ui_logtab *t, long from, int dir)
{
	long i = t->query[0] ? logtab_find(t, from, dir) : -1;
	if (i < 0) {
		ui_app_status(app, UI_WARN, "no %s line of %s contains '%s'",
			      dir < 0 ? "older" : "newer", t->name, t->query);
		return UI_REACT_REDRAW;
	}
	t->match = i;
	logtab_show(t, (size_t)i);
	ui_app_status(app, UI_NORMAL, "'%s' found in line %ld of %zu", t->query, i + 1, t->lines.n);
	return UI_REACT_REDRAW;
}

/* As in the table: each key typed searches again from the newest line; Enter/Esc end typing. */
static int logtab_typing(struct ui_app *app, struct ui_logtab *t, int key)
{
	size_t len = strlen(t->query);
	if (key == UI_KEY_ENTER || key == UI_KEY_ESC) {
		t->typing = false;
		return UI_REACT_REDRAW;
	}
	if ((key == UI_KEY_BACKSPACE || key == 8) && len > 0)
		t->query[len - 1] = '\0';
	else if (key >= 0x20 && key < 0x7f && len + 1 < sizeof(t->query))
		memcpy(t->query + len, (char[]){ (char)key, '\0' }, 2);
	else
		return UI_REACT_NONE;
	return logtab_search(app, t, (long)t->lines.n - 1, -1);
}

static int logtab_scroll(struct ui_logtab *t, long by, int rows)
{
	long b = (long)t->bottom + by * (rows > 2 ? rows - 2 : 1);
	long top = t->lines.n ? (long)t->lines.n - 1 : 0;
	t->bottom = (size_t)(b < 0 ? 0 : (b > top ? top : b));
	return UI_REACT_REDRAW;
}

static int logtab_begin(struct ui_logtab *t)
{
	t->typing = true;
	t->query[0] = '\0';
	t->match = -1;
	return UI_REACT_REDRAW;
}

int ui_logtab_key(struct ui_app *app, int key, bool *handled)
{
	struct ui_logtab *t = logtab_get(app);
	*handled = true;
	if (t->typing)
		return logtab_typing(app, t, key);
	int rows = app->h - 5;
	long newest = (long)t->lines.n - 1;
	switch (key) {
	case '/': return logtab_begin(t);
	case 'n': return logtab_search(app, t, t->match < 0 ? newest : t->match - 1, -1);
	case 'N': return logtab_search(app, t, t->match + 1, +1);
	case UI_KEY_PGUP: return logtab_scroll(t, 1, rows);
	case UI_KEY_PGDN: return logtab_scroll(t, -1, rows);
	case UI_KEY_UP: return logtab_scroll(t, 1, 3);
	case UI_KEY_DOWN: return logtab_scroll(t, -1, 3);
	case UI_KEY_END:
	case 'G':
		t->bottom = 0;
		t->match = -1;
		return UI_REACT_REDRAW;
	default: *handled = false; return UI_REACT_NONE;
	}
}

const char *ui_logtab_status(struct ui_app *app, char *buf, size_t len)
{
	struct ui_logtab *t = app->logtab;
	if (!t || !t->typing)
		return NULL;
	snprintf(buf, len, "search the output: %s_   (Enter/Esc done, then n/N older/newer)",
		 t->query);
	return buf;
}
