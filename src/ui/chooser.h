/* chooser.h - the column chooser screen. */
#ifndef VD_UI_CHOOSER_H
#define VD_UI_CHOOSER_H

#include "ui/app.h"

int ui_chooser_open(struct ui_app *app);
int ui_chooser_key(struct ui_app *app, int key);
void ui_chooser_draw(struct ui_app *app, struct ui_grid *g);

#endif
