/* render.c - ncurses front end: terminal setup and restore, colours, key decoding, grid output. */
#include "ui/render.h"

#include <curses.h>
#include <errno.h>
#include <locale.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>
#include <wchar.h>

#include "common/log.h"
#include "common/relay.h"
#include "ui/screen.h"

static volatile sig_atomic_t render_stop_signal;
static bool render_active;

static void render_end(void)
{
	if (!render_active)
		return;
	render_active = false;
	endwin();
}

static void render_on_stop(int sig)
{
	render_stop_signal = sig;
}

/* A crash must not leave the user's terminal in raw mode: restore it, then die as intended. */
static void render_on_fatal(int sig)
{
	render_end();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void render_signals(void)
{
	struct sigaction sa = { .sa_handler = render_on_stop };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = render_on_fatal;
	sa.sa_flags = SA_RESETHAND;
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGABRT, &sa, NULL);
	sigaction(SIGFPE, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static attr_t render_attrs[UI_STYLE__COUNT];

static attr_t render_attr_bits(unsigned a)
{
	return ((a & UI_A_BOLD) ? A_BOLD : 0) | ((a & UI_A_REVERSE) ? A_REVERSE : 0) |
	       ((a & UI_A_DIM) ? A_DIM : 0) | ((a & UI_A_UNDERLINE) ? A_UNDERLINE : 0);
}

/* The theme's colours when the terminal has them; its attributes always. */
static void render_colors(const struct ui_theme *t)
{
	bool color = t->color && has_colors() && start_color() != ERR;
	if (color)
		use_default_colors();
	for (int st = 0; st < UI_STYLE__COUNT; st++) {
		render_attrs[st] = render_attr_bits(t->st[st].attr);
		if (!color)
			continue;
		init_pair((short)(st + 1), t->st[st].fg, t->st[st].bg);
		render_attrs[st] |= COLOR_PAIR(st + 1);
	}
	if (!color) /* a theme meant for colour still needs its bars visible without it */
		render_attrs[UI_COLHEAD] |= A_REVERSE, render_attrs[UI_SELECTED] |= A_REVERSE,
			render_attrs[UI_STATUS] |= A_REVERSE;
}

static int render_init(const struct ui_theme *theme)
{
	setlocale(LC_ALL, "");
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		fputs("virtdeck: the console needs a terminal; use `virtdeck list` or `virtdeck list --json` in scripts\n",
		      stderr);
		return -1;
	}
	if (!initscr())
		return -1;
	render_active = true;
	atexit(render_end);
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	curs_set(0);
	set_escdelay(25);
	render_colors(theme);
	vd_log_quiet_stderr(true);
	return 0;
}

/* Write one row, batching runs of equal style. */
static void render_row(const struct ui_grid *g, int y)
{
	wchar_t run[512];
	int x = 0;
	while (x < g->w) {
		uint8_t st = g->cells[y * g->w + x].style;
		int start = x, n = 0;
		while (x < g->w && g->cells[y * g->w + x].style == st && n < 511) {
			uint32_t c = g->cells[y * g->w + x].ch;
			run[n++] = c ? (wchar_t)c : L' ';
			x++;
		}
		run[n] = 0;
		attrset(render_attrs[st < UI_STYLE__COUNT ? st : 0]);
		mvaddnwstr(y, start, run, n);
	}
}

static void render_grid(const struct ui_grid *g)
{
	for (int y = 0; y < g->h && y < LINES; y++)
		render_row(g, y);
	attrset(A_NORMAL);
	wnoutrefresh(stdscr);
	doupdate();
}

/* Mouse events become UI_KEY_MOUSE with the position and kind stored in the app. */
static int render_mouse(struct ui_app *app)
{
	MEVENT ev;
	if (getmouse(&ev) != OK)
		return UI_KEY_NONE;
	app->mouse_x = ev.x;
	app->mouse_y = ev.y;
	if (ev.bstate & BUTTON4_PRESSED)
		app->mouse_ev = UI_MOUSE_WHEEL_UP;
	else if (ev.bstate & BUTTON5_PRESSED)
		app->mouse_ev = UI_MOUSE_WHEEL_DOWN;
	else if (ev.bstate & BUTTON1_DOUBLE_CLICKED)
		app->mouse_ev = UI_MOUSE_DOUBLE;
	else if (ev.bstate & (BUTTON1_CLICKED | BUTTON1_PRESSED | BUTTON1_RELEASED))
		app->mouse_ev = UI_MOUSE_CLICK;
	else
		return UI_KEY_NONE;
	return UI_KEY_MOUSE;
}

static int render_key(struct ui_app *app, int ch)
{
	switch (ch) {
	case KEY_MOUSE: return render_mouse(app);
	case KEY_UP: return UI_KEY_UP;
	case KEY_DOWN: return UI_KEY_DOWN;
	case KEY_LEFT: return UI_KEY_LEFT;
	case KEY_RIGHT: return UI_KEY_RIGHT;
	case KEY_PPAGE: return UI_KEY_PGUP;
	case KEY_NPAGE: return UI_KEY_PGDN;
	case KEY_HOME: return UI_KEY_HOME;
	case KEY_END: return UI_KEY_END;
	case KEY_RESIZE: return UI_KEY_RESIZE;
	case KEY_BACKSPACE: return UI_KEY_BACKSPACE;
	case KEY_ENTER: case '\r': return UI_KEY_ENTER;
	default:
		if (ch >= KEY_F(1) && ch <= KEY_F(12))
			return UI_KEY_F(ch - KEY_F(0));
		return ch;
	}
}

static void render_draw(struct ui_app *app, struct ui_grid *g)
{
	ui_app_resize(app, COLS, LINES);
	ui_screen_draw(app, g);
	erase();
	render_grid(g);
}

/* Read every pending key; returns the combined reaction. */
static int render_keys(struct ui_app *app)
{
	int react = UI_REACT_NONE, ch;
	while (!(react & UI_REACT_QUIT) && (ch = getch()) != ERR) {
		int key = render_key(app, ch);
		if (key != UI_KEY_NONE)
			react |= ui_app_key(app, key);
	}
	return react;
}

/* One wait: the keyboard, the engines' event sources (libvirt events, supervisor sockets) and
 * the refresh timer, all in one poll() so the console sleeps while nothing happens. */
static int render_wait(struct ui_app *app, uint64_t next)
{
	struct pollfd fds[64] = { { .fd = STDIN_FILENO, .events = POLLIN } };
	uint64_t now = vd_now_mono_ns();
	int timeout = now >= next ? 0 : (int)((next - now) / 1000000ull) + 1;
	fds[1] = (struct pollfd){ .fd = vd_jobs_fd(&app->jobs), .events = POLLIN };
	int n = 2 + vd_registry_pollfds(app->reg, fds + 2, 62, &timeout);
	int r = poll(fds, (nfds_t)n, timeout);
	int react = render_keys(app); /* also after EINTR: SIGWINCH arrives as KEY_RESIZE */
	if (r > 0 && fds[1].revents)
		react |= ui_app_jobs_collect(app);
	if (r > 0 && n > 2 && vd_registry_dispatch(app->reg, fds + 2, n - 2) > 0)
		react |= UI_REACT_REFRESH;
	return react;
}

/* As the CLI's console: the terminal's size, or a line saying the console has none. */
static vd_relay_size_fn render_console_size(struct vd_console_ref *ref)
{
	_cleanup_free_ char *note = NULL;
	vd_relay_size_fn fn = vd_backend_console_attach_size(ref, "\r\n", &note);
	if (note)
		fputs(note, stdout);
	return fn;
}

/* Leave curses, hand the terminal to the guest's console until Ctrl-], then come back. */
static void render_console(struct ui_app *app)
{
	_cleanup_error_ struct vd_error *err = NULL;
	int fd = -1;
	if (vd_backend_console(app->console_be, app->console_name, &fd, &err) < 0) {
		ui_app_log(app, UI_BAD, "%s", err->msg);
		return;
	}
	def_prog_mode();
	endwin();
	printf("\r\nConnected to the console of %s. Ctrl-] detaches.\r\n", app->console_name);
	struct vd_console_ref ref = { app->console_be, app->console_name };
	vd_relay_size_fn size = render_console_size(&ref);
	fflush(stdout);
	int closed = vd_relay_console(fd, size, &ref);
	close(fd);
	reset_prog_mode();
	refresh();
	ui_app_log(app, UI_NORMAL, closed ? "console of %s closed" : "detached from %s",
		   app->console_name);
}

int ui_render_run(struct ui_app *app)
{
	if (render_init(app->theme) < 0)
		return 1;
	render_signals();
	nodelay(stdscr, TRUE);
	if (app->mouse) {
		mousemask(BUTTON1_CLICKED | BUTTON1_DOUBLE_CLICKED | BUTTON4_PRESSED | BUTTON5_PRESSED, NULL);
		mouseinterval(200);
	}
	struct ui_grid g;
	ui_grid_init(&g, COLS, LINES);
	ui_app_resize(app, COLS, LINES);
	ui_app_refresh(app);
	/* The second sample comes quickly so CPU% shows up without waiting a whole interval. */
	uint64_t first = (uint64_t)(app->interval_ms < 300 ? app->interval_ms : 300);
	uint64_t next = vd_now_mono_ns() + first * 1000000ull;
	int react = UI_REACT_REDRAW;
	while (!(react & UI_REACT_QUIT) && !render_stop_signal) {
		if (react & UI_REACT_REFRESH)
			ui_app_refresh(app);
		if (react & (UI_REACT_REDRAW | UI_REACT_REFRESH))
			render_draw(app, &g);
		if (react & UI_REACT_CONSOLE) {
			render_console(app);
			react = UI_REACT_REFRESH;
			continue;
		}
		react = render_wait(app, next);
		if (vd_now_mono_ns() >= next) {
			react |= UI_REACT_REFRESH;
			next = vd_now_mono_ns() + (uint64_t)app->interval_ms * 1000000ull;
		}
	}
	ui_grid_free(&g);
	render_end();
	vd_log_quiet_stderr(false);
	return render_stop_signal && render_stop_signal != SIGTERM && render_stop_signal != SIGINT ? 1 : 0;
}
