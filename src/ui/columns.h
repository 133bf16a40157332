/* columns.h - the guest columns as data: title, width, sort key, text and JSON formatters. */
#ifndef VD_UI_COLUMNS_H
#define VD_UI_COLUMNS_H

#include "backend/model.h"
#include "ui/grid.h"

enum ui_col_id {
	UI_COL_ENGINE,
	UI_COL_HOST,
	UI_COL_NAME,
	UI_COL_TYPE,
	UI_COL_STATE,
	UI_COL_VCPU,
	UI_COL_CPU,
	UI_COL_CPU_HOST,
	UI_COL_CPU_GRAPH, /* drawn by the table from the guest's trend: format is NULL */
	UI_COL_MEM_ALLOC,
	UI_COL_MEM_USED,
	UI_COL_MEM_PCT,
	UI_COL_MEM_SRC,
	UI_COL_ADVICE, /* right-sizing verdict, when a history is open */
	UI_COL_REC,    /* recommended size */
	UI_COL_OOM,    /* OOM kills in its cgroup */
	UI_COL_REASON, /* why it stopped (or is lost); printed last by list and top -b */
	UI_COL__COUNT,
};

struct ui_column {
	enum ui_col_id id;
	const char *title;  /* table heading */
	const char *key;    /* stable name for --json/--csv and the config file */
	int width;          /* minimum width; NAME grows */
	bool right;         /* right-aligned numbers */
	int priority;       /* lower shows first when the terminal is narrow */
	enum vd_sort_key sort;
	/* Text for the table; returns the style the cell should use. */
	enum ui_style (*format)(const struct vd_guest *g, char *buf, size_t len);
};

const struct ui_column *ui_columns(void);
const struct ui_column *ui_column_get(enum ui_col_id id);
/* Pick the columns that fit `width`, in display order; returns how many, widths in out_w.
 * With a chosen list (n_chosen > 0) those columns are kept in that order, as many as fit.
 */
#define UI_FIT_MULTI_HOST 1u /* guests from several hosts: HOST is as important as NAME */
#define UI_FIT_ADVICE 2u     /* advice exists: show ADVICE and REC SIZE */
size_t ui_columns_fit(int width, const enum ui_col_id *chosen, size_t n_chosen, unsigned flags,
		      enum ui_col_id *out, int *out_w, size_t max);
/* One plain-text line of every text column: the headings when g is NULL (list, top -b). */
void ui_columns_print(FILE *out, const struct vd_guest *g);
/* One guest as a JSON object with stable keys (list --json, top -b --json). */
struct json_object;
struct json_object *ui_guest_json(const struct vd_guest *g);

#endif
