/* guestforms.h - forms that create and resize guests. */
#ifndef VD_UI_GUESTFORMS_H
#define VD_UI_GUESTFORMS_H

#include "ui/app.h"

/* Open the create form (engines that can create, templates that fill the sizes). */
int ui_forms_create(struct ui_app *app);
/* Open the resize form for g, prefilled with its current allocation. */
int ui_forms_resize(struct ui_app *app, const struct vd_guest *g);

#endif
