/* theme.c - the built-in themes: default (dark terminals), light, contrast and mono. */
#include "ui/theme.h"

enum { BLK, RED, GRN, YEL, BLU, MAG, CYN, WHT, DEF = -1 };

static const struct ui_theme ui_themes[] = {
	{ "default",
	  true,
	  {
		  [UI_NORMAL] = { DEF, DEF, 0 },
		  [UI_TITLE] = { CYN, DEF, UI_A_BOLD },
		  [UI_LABEL] = { CYN, DEF, UI_A_BOLD },
		  [UI_COLHEAD] = { BLK, GRN, 0 },
		  [UI_SORTHEAD] = { BLK, CYN, UI_A_BOLD },
		  [UI_SELECTED] = { BLK, CYN, 0 },
		  [UI_STATUS] = { BLK, CYN, 0 },
		  [UI_KEY] = { CYN, DEF, UI_A_BOLD },
		  [UI_DIM] = { DEF, DEF, UI_A_DIM },
		  [UI_GOOD] = { GRN, DEF, 0 },
		  [UI_WARN] = { YEL, DEF, UI_A_BOLD },
		  [UI_BAD] = { RED, DEF, UI_A_BOLD },
		  [UI_METER_USED] = { GRN, DEF, UI_A_BOLD },
		  [UI_METER_ALLOC] = { BLU, DEF, UI_A_BOLD },
	  } },
	{ "light",
	  true,
	  {
		  [UI_NORMAL] = { DEF, DEF, 0 },
		  [UI_TITLE] = { BLU, DEF, UI_A_BOLD },
		  [UI_LABEL] = { BLU, DEF, UI_A_BOLD },
		  [UI_COLHEAD] = { WHT, BLU, 0 },
		  [UI_SORTHEAD] = { WHT, MAG, UI_A_BOLD },
		  [UI_SELECTED] = { WHT, BLU, 0 },
		  [UI_STATUS] = { WHT, BLU, 0 },
		  [UI_KEY] = { MAG, DEF, UI_A_BOLD },
		  [UI_DIM] = { DEF, DEF, UI_A_DIM },
		  [UI_GOOD] = { GRN, DEF, UI_A_BOLD },
		  [UI_WARN] = { MAG, DEF, UI_A_BOLD },
		  [UI_BAD] = { RED, DEF, UI_A_BOLD },
		  [UI_METER_USED] = { GRN, DEF, UI_A_BOLD },
		  [UI_METER_ALLOC] = { BLU, DEF, 0 },
	  } },
	{ "contrast",
	  true,
	  {
		  [UI_NORMAL] = { WHT, BLK, 0 },
		  [UI_TITLE] = { YEL, BLK, UI_A_BOLD },
		  [UI_LABEL] = { YEL, BLK, UI_A_BOLD },
		  [UI_COLHEAD] = { BLK, YEL, UI_A_BOLD },
		  [UI_SORTHEAD] = { BLK, WHT, UI_A_BOLD },
		  [UI_SELECTED] = { BLK, WHT, UI_A_BOLD },
		  [UI_STATUS] = { BLK, YEL, 0 },
		  [UI_KEY] = { YEL, BLK, UI_A_BOLD },
		  [UI_DIM] = { WHT, BLK, 0 },
		  [UI_GOOD] = { GRN, BLK, UI_A_BOLD },
		  [UI_WARN] = { YEL, BLK, UI_A_BOLD },
		  [UI_BAD] = { RED, BLK, UI_A_BOLD },
		  [UI_METER_USED] = { GRN, BLK, UI_A_BOLD },
		  [UI_METER_ALLOC] = { CYN, BLK, UI_A_BOLD },
	  } },
	/* No colour at all: styles differ by attribute, meter segments by glyph (htop's "|#*@"). */
	{ "mono",
	  false,
	  {
		  [UI_TITLE] = { DEF, DEF, UI_A_BOLD },
		  [UI_LABEL] = { DEF, DEF, UI_A_BOLD },
		  [UI_COLHEAD] = { DEF, DEF, UI_A_REVERSE },
		  [UI_SORTHEAD] = { DEF, DEF, UI_A_REVERSE | UI_A_BOLD | UI_A_UNDERLINE },
		  [UI_SELECTED] = { DEF, DEF, UI_A_REVERSE },
		  [UI_STATUS] = { DEF, DEF, UI_A_REVERSE },
		  [UI_KEY] = { DEF, DEF, UI_A_BOLD },
		  [UI_DIM] = { DEF, DEF, UI_A_DIM },
		  [UI_WARN] = { DEF, DEF, UI_A_BOLD },
		  [UI_BAD] = { DEF, DEF, UI_A_BOLD | UI_A_UNDERLINE },
		  [UI_METER_USED] = { DEF, DEF, UI_A_BOLD },
	  } },
};

const struct ui_theme *ui_theme_find(const char *name)
{
	for (size_t i = 0; i < VD_ARRAY_SIZE(ui_themes); i++)
		if (vd_streq(ui_themes[i].name, name))
			return &ui_themes[i];
	return NULL;
}

const struct ui_theme *ui_theme_mono(void)
{
	return ui_theme_find("mono");
}
