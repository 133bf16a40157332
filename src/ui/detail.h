/* detail.h - the per-guest detail view and its tabs. */
#ifndef VD_UI_DETAIL_H
#define VD_UI_DETAIL_H

#include "ui/app.h"

void ui_detail_open(struct ui_app *app, const struct vd_guest *g, enum ui_tab tab);
void ui_detail_draw(struct ui_app *app, struct ui_grid *g);
int ui_detail_key(struct ui_app *app, int key);
/* The guest the view shows, or NULL when it has gone. */
struct vd_guest *ui_detail_guest(struct ui_app *app);

#endif
