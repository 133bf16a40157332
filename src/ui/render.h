/* render.h - the only part of virtdeck that talks to ncurses. */
#ifndef VD_UI_RENDER_H
#define VD_UI_RENDER_H

#include "ui/app.h"

/* Run the console until the user quits or a signal arrives; restores the terminal on every
 * exit path. Returns an exit code. */
int ui_render_run(struct ui_app *app);

#endif
