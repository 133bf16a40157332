/* keymap.h - key codes independent of curses, and the key → action table. */
#ifndef VD_UI_KEYMAP_H
#define VD_UI_KEYMAP_H

#include <stdbool.h>
#include <stddef.h>

/* Printable keys are their ASCII code; the rest live above 0x100. */
enum ui_key {
	UI_KEY_ENTER = '\n',
	UI_KEY_ESC = 27,
	UI_KEY_BACKSPACE = 0x7f,
	UI_KEY_UP = 0x101,
	UI_KEY_DOWN,
	UI_KEY_LEFT,
	UI_KEY_RIGHT,
	UI_KEY_PGUP,
	UI_KEY_PGDN,
	UI_KEY_HOME,
	UI_KEY_END,
	UI_KEY_RESIZE,
	UI_KEY_MOUSE, /* details in app->mouse_* */
	UI_KEY_F1 = 0x120, /* F1..F12 are UI_KEY_F1 + n - 1 */
	UI_KEY_NONE = -1,
};
#define UI_KEY_F(n) (UI_KEY_F1 + (n) - 1)

/* What a key handler asks the main loop to do (htop's Htop_Reaction). */
enum ui_reaction {
	UI_REACT_NONE = 0,
	UI_REACT_REDRAW = 1 << 0,
	UI_REACT_REFRESH = 1 << 1, /* poll the engines now */
	UI_REACT_QUIT = 1 << 2,
	UI_REACT_CONSOLE = 1 << 3, /* attach to app->console_* (the renderer leaves curses for it) */
};

struct ui_app;
struct ui_settings;

/* An action a key can be bound to: name (used in [keys] of the config), help, function. */
struct ui_action {
	const char *name;
	const char *help;
	int (*fn)(struct ui_app *app);
	int keys[4]; /* default keys, 0-terminated */
};

/* Build the key table: defaults, vi extras when asked, then the config's [keys]. */
void ui_keymap_init(const struct ui_settings *s);
const struct ui_action *ui_keymap_lookup(int key);
bool ui_keymap_action_exists(const char *name);
/* Every action in help order; keys_text() names the keys bound to it now ("j Down"). */
const struct ui_action *ui_keymap_actions(size_t *n);
const char *ui_keymap_keys_text(const struct ui_action *a, char *buf, size_t len);
/* Printable name of a key ("j", "F1", "Up", "C-f"). */
const char *ui_key_name(int key, char *buf, size_t len);

#endif
