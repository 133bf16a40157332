/* screen.h - the screens (main table, help, too-small) built into a grid. */
#ifndef VD_UI_SCREEN_H
#define VD_UI_SCREEN_H

#include "ui/app.h"

#define UI_HEADER_ROWS 4

/* Build whatever screen the app is on into g (sized app->w x app->h). */
void ui_screen_draw(struct ui_app *app, struct ui_grid *g);
int ui_screen_help_key(struct ui_app *app, int key);
int ui_screen_log_key(struct ui_app *app, int key);

#endif
