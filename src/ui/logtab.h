/* logtab.h - the detail view's Logs tab: what the guest printed, newest last, with search. */
#ifndef VD_UI_LOGTAB_H
#define VD_UI_LOGTAB_H

#include "ui/app.h"
#include "ui/grid.h"

/* Draw the tab from row y (reloading the guest's log at most once a second). */
void ui_logtab_draw(struct ui_app *app, struct ui_grid *g, const struct vd_guest *gu, int y);
/* The tab's own keys (search, scroll); UI_REACT_NONE with *handled false for the others. */
int ui_logtab_key(struct ui_app *app, int key, bool *handled);
/* The status line while a search is typed, or NULL. */
const char *ui_logtab_status(struct ui_app *app, char *buf, size_t len);
/* The last n lines the guest printed at (x, y), from the tab's cache; returns the next row. */
int ui_logtab_last(struct ui_app *app, struct ui_grid *g, const struct vd_guest *gu, int x, int y,
		   int w, size_t n);
void ui_logtab_free(struct ui_app *app);

#endif
