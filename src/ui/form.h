/* form.h - small input forms (create a guest from a template, resize) drawn over the table. */
#ifndef VD_UI_FORM_H
#define VD_UI_FORM_H

#include "ui/grid.h"

#define UI_FORM_FIELDS 12
#define UI_FORM_CHOICES 16

struct ui_app;

struct ui_field {
	const char *label;
	char value[160];
	const char *choices[UI_FORM_CHOICES]; /* non-empty: a choice field (Left/Right) */
	size_t n_choices;
	size_t choice;
	const char *hint;
};

struct ui_form {
	char title[96];
	struct ui_field f[UI_FORM_FIELDS];
	size_t n;
	size_t focus;
	char error[200];
	char hint_buf[128]; /* a hint built at open time (e.g. current use) */
	/* Called on Enter: < 0 keeps the form open with form->error set. */
	int (*submit)(struct ui_app *app, struct ui_form *form);
	/* Called when a choice field changes (templates fill other fields). */
	void (*changed)(struct ui_form *form, size_t field);
	void *ctx;
};

struct ui_field *ui_form_add(struct ui_form *form, const char *label, const char *value,
			     const char *hint);
struct ui_field *ui_form_add_choice(struct ui_form *form, const char *label,
				    const char *const *choices, size_t n);
const char *ui_form_value(const struct ui_form *form, const char *label);
void ui_form_set(struct ui_form *form, const char *label, const char *value);
/* Returns a reaction: typing edits, Tab/Up/Down move, Left/Right choose, Enter submits, Esc
 * cancels. */
int ui_form_key(struct ui_app *app, struct ui_form *form, int key);
void ui_form_draw(const struct ui_form *form, struct ui_grid *g, int w, int h);

#endif
