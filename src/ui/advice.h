/* advice.h - the console's side of history and right-sizing: recording, flags, apply and undo. */
#ifndef VD_UI_ADVICE_H
#define VD_UI_ADVICE_H

#include "backend/advice-run.h"
#include "ui/app.h"

/* Open the history (problems go to the console's log; the console runs on without it). */
void ui_advice_open(struct ui_app *app, const struct ui_settings *s,
		    const char *const *problems_unused);
void ui_advice_close(struct ui_app *app);
/* After each refresh: record the samples, recompute advice now and then, annotate guests. */
void ui_advice_after_refresh(struct ui_app *app);
/* The latest advice of g, or NULL. */
const struct vd_advice *ui_advice_of(const struct ui_app *app, const struct vd_guest *g);
/* Keys: ask, then apply / undo on the job thread. */
int ui_advice_apply_key(struct ui_app *app);
int ui_advice_undo_key(struct ui_app *app);
/* The advice tab of the detail view: verdict, reason, confidence, and use over time. */
void ui_advice_draw_tab(struct ui_app *app, struct ui_grid *g, const struct vd_guest *gu, int y);

#endif
