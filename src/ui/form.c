/* form.c - editing and drawing of the input forms; the app decides what a form does on submit. */
#include "ui/form.h"

#include "ui/app.h"

struct ui_field *ui_form_add(struct ui_form *form, const char *label, const char *value,
			     const char *hint)
{
	if (form->n >= UI_FORM_FIELDS)
		return NULL;
	struct ui_field *f = &form->f[form->n++];
	memset(f, 0, sizeof(*f));
	f->label = label;
	f->hint = hint;
	vd_strlcpy(f->value, value ? value : "", sizeof(f->value));
	return f;
}

struct ui_field *ui_form_add_choice(struct ui_form *form, const char *label,
				    const char *const *choices, size_t n)
{
	struct ui_field *f = ui_form_add(form, label, n ? choices[0] : "", "Left/Right to choose");
	if (!f)
		return NULL;
	for (size_t i = 0; i < n && i < UI_FORM_CHOICES; i++)
		f->choices[f->n_choices++] = choices[i];
	return f;
}

static struct ui_field *form_find(struct ui_form *form, const char *label)
{
	for (size_t i = 0; i < form->n; i++)
		if (vd_streq(form->f[i].label, label))
			return &form->f[i];
	return NULL;
}

const char *ui_form_value(const struct ui_form *form, const char *label)
{
	struct ui_field *f = form_find((struct ui_form *)form, label);
	return f ? f->value : "";
}

void ui_form_set(struct ui_form *form, const char *label, const char *value)
{
	struct ui_field *f = form_find(form, label);
	if (f)
		vd_strlcpy(f->value, value, sizeof(f->value));
}

static int form_choose(struct ui_form *form, int dir)
{
	struct ui_field *f = &form->f[form->focus];
	if (!f->n_choices)
		return UI_REACT_NONE;
	f->choice = (f->choice + f->n_choices + (size_t)(dir + (int)f->n_choices)) % f->n_choices;
	vd_strlcpy(f->value, f->choices[f->choice], sizeof(f->value));
	if (form->changed)
		form->changed(form, form->focus);
	return UI_REACT_REDRAW;
}

static int form_edit(struct ui_form *form, int key)
{
	struct ui_field *f = &form->f[form->focus];
	size_t len = strlen(f->value);
	if (f->n_choices)
		return UI_REACT_NONE;
	if ((key == UI_KEY_BACKSPACE || key == 8 || key == 0x107) && len)
		f->value[len - 1] = '\0';
	else if (key >= 0x20 && key < 0x7f && len + 1 < sizeof(f->value))
		f->value[len] = (char)key, f->value[len + 1] = '\0';
	else
		return UI_REACT_NONE;
	return UI_REACT_REDRAW;
}

int ui_form_key(struct ui_app *app, struct ui_form *form, int key)
{
	switch (key) {
	case UI_KEY_ESC:
		app->screen = UI_SCREEN_MAIN;
		ui_app_status(app, UI_NORMAL, "cancelled");
		return UI_REACT_REDRAW;
	case '\t': case UI_KEY_DOWN:
		form->focus = (form->focus + 1) % form->n;
		return UI_REACT_REDRAW;
	case UI_KEY_UP:
		form->focus = (form->focus + form->n - 1) % form->n;
		return UI_REACT_REDRAW;
	case UI_KEY_LEFT: return form_choose(form, -1);
	case UI_KEY_RIGHT: return form_choose(form, 1);
	case UI_KEY_ENTER:
		form->error[0] = '\0';
		if (form->submit(app, form) < 0)
			return UI_REACT_REDRAW;
		app->screen = UI_SCREEN_MAIN;
		return UI_REACT_REDRAW;
	default: return form_edit(form, key);
	}
}

void ui_form_draw(const struct ui_form *form, struct ui_grid *g, int w, int h)
{
	int bw = w - 8 < 76 ? w - 8 : 76, bh = (int)form->n + 6;
	int x = (w - bw) / 2, y = (h - bh) / 2 > 0 ? (h - bh) / 2 : 0;
	for (int r = 0; r < bh; r++)
		ui_grid_fill(g, x, y + r, bw, ' ', UI_NORMAL);
	ui_grid_fill(g, x, y, bw, ' ', UI_TITLE);
	ui_grid_printf(g, x + 1, y, bw - 2, UI_TITLE, "%s", form->title);
	for (size_t i = 0; i < form->n; i++) {
		const struct ui_field *f = &form->f[i];
		int fy = y + 2 + (int)i;
		bool focus = i == form->focus;
		ui_grid_put(g, x + 2, fy, 12, UI_LABEL, f->label);
		char val[200];
		snprintf(val, sizeof(val), f->n_choices ? "< %s >" : "%s%s", f->value,
			 focus && !f->n_choices ? "_" : "");
		ui_grid_put(g, x + 15, fy, bw - 17, focus ? UI_SELECTED : UI_NORMAL, val);
	}
	const struct ui_field *cur = &form->f[form->focus];
	ui_grid_put(g, x + 2, y + bh - 3, bw - 4, form->error[0] ? UI_BAD : UI_DIM,
		    form->error[0] ? form->error : cur->hint ? cur->hint : "");
	ui_grid_put(g, x + 2, y + bh - 2, bw - 4, UI_KEY, "Tab/Up/Down: field  Enter: apply  Esc: cancel");
}
