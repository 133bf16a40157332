/* config.c - virtdeck.ini: inih does the parsing; here every value is checked and bad lines
 * reported. */
#include "ui/config.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <strings.h>

#include "ui/keymap.h"

void ui_settings_default(struct ui_settings *s)
{
	memset(s, 0, sizeof(*s));
	s->interval_ms = 2000;
	vd_strlcpy(s->theme, "default", sizeof(s->theme));
	s->sort = VD_SORT_CPU;
	s->sort_desc = true;
	s->mouse = true;
}

void ui_settings_free(struct ui_settings *s)
{
	for (size_t i = 0; i < s->n_connect; i++) {
		free(s->connect_uri[i]);
		free(s->connect_label[i]);
	}
	for (size_t i = 0; i < s->n_advice; i++) {
		free(s->advice[i].key);
		free(s->advice[i].value);
	}
	free(s->path);
	memset(s, 0, sizeof(*s));
}

struct cfg_ctx {
	struct ui_settings *s;
	const char *path;
	FILE *f;
	int line;
	char **problems;
	size_t n_problems;
};

static void cfg_problem(struct cfg_ctx *c, const char *fmt, ...) VD_PRINTF(2, 3);
static void cfg_problem(struct cfg_ctx *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = vd_xvasprintf(fmt, ap);
	va_end(ap);
	c->problems = vd_xrealloc(c->problems, (c->n_problems + 2) * sizeof(char *));
	c->problems[c->n_problems++] = vd_xasprintf("%s:%d: %s", c->path, c->line, msg);
	c->problems[c->n_problems] = NULL;
	free(msg);
}

static int cfg_bool(const char *v, bool *out)
{
	if (!strcasecmp(v, "true") || !strcasecmp(v, "yes") || !strcmp(v, "1") || !strcasecmp(v, "on"))
		*out = true;
	else if (!strcasecmp(v, "false") || !strcasecmp(v, "no") || !strcmp(v, "0") ||
		 !strcasecmp(v, "off"))
		*out = false;
	else
		return -EINVAL;
	return 0;
}

static const char *const cfg_themes[] = { "default", "light", "mono", "contrast", NULL };

static int cfg_columns(struct cfg_ctx *c, const char *v)
{
	struct ui_settings *s = c->s;
	_cleanup_free_ char *copy = vd_xstrdup(v);
	size_t n = 0;
	for (char *save = NULL, *tok = strtok_r(copy, ", ", &save); tok;
	     tok = strtok_r(NULL, ", ", &save)) {
		int found = -1;
		for (int i = 0; i < UI_COL__COUNT; i++)
			if (!strcasecmp(ui_columns()[i].key, tok))
				found = i;
		if (found < 0) {
			cfg_problem(
				c,
				"unknown column '%s' (columns: engine, host, name, type, state, vcpus, cpu_pct_alloc, cpu_pct_host, mem_alloc, mem_used, mem_pct_alloc, mem_source, cpu_graph)",
				tok);
			return -EINVAL;
		}
		if (n < UI_COL__COUNT)
			s->columns[n++] = (enum ui_col_id)found;
	}
	if (n == 0) {
		cfg_problem(c, "columns is empty: list at least one column, or remove the line");
		return -EINVAL;
	}
	s->n_columns = n;
	return 0;
}

static int cfg_display(struct cfg_ctx *c, const char *k, const char *v)
{
	struct ui_settings *s = c->s;
	double d;
	bool b;
	if (!strcmp(k, "interval")) {
		if (vd_parse_double(v, &d) < 0 || d < 0.1 || d > 3600)
			return cfg_problem(c, "interval '%s' must be seconds between 0.1 and 3600", v), -EINVAL;
		s->interval_ms = (int)(d * 1000);
	} else if (!strcmp(k, "theme")) {
		for (size_t i = 0; cfg_themes[i]; i++)
			if (!strcmp(cfg_themes[i], v))
				return vd_strlcpy(s->theme, v, sizeof(s->theme)), 0;
		return cfg_problem(c, "unknown theme '%s' (themes: default, light, mono, contrast)", v), -EINVAL;
	} else if (!strcmp(k, "color")) {
		if (strcmp(v, "auto") && strcmp(v, "never"))
			return cfg_problem(c, "color must be auto or never, not '%s'", v), -EINVAL;
		s->no_color = !strcmp(v, "never");
	} else if (!strcmp(k, "graphs")) {
		static const char *const g[] = { "auto", "braille", "block", "ascii" };
		for (int i = 0; i < 4; i++)
			if (!strcmp(g[i], v))
				return s->glyphs = (enum ui_glyphs)i, 0;
		return cfg_problem(c, "graphs must be auto, braille, block or ascii, not '%s'", v), -EINVAL;
	} else if (!strcmp(k, "columns")) {
		return cfg_columns(c, v);
	} else if (!strcmp(k, "sort")) {
		if (vd_sort_key_parse(v, &s->sort) < 0)
			return cfg_problem(
				       c,
				       "unknown sort key '%s' (engine, host, name, type, state, vcpu, cpu, cpu_host, mem_alloc, mem_used, mem_pct)",
				       v),
			       -EINVAL;
	} else if (!strcmp(k, "sort_order")) {
		if (strcmp(v, "asc") && strcmp(v, "desc"))
			return cfg_problem(c, "sort_order must be asc or desc, not '%s'", v), -EINVAL;
		s->sort_desc = !strcmp(v, "desc");
	} else if (!strcmp(k, "vi_keys") || !strcmp(k, "mouse")) {
		if (cfg_bool(v, &b) < 0)
			return cfg_problem(c, "%s must be true or false, not '%s'", k, v), -EINVAL;
		*(!strcmp(k, "vi_keys") ? &s->vi_keys : &s->mouse) = b;
	} else {
		return cfg_problem(c, "unknown key '%s' in [display]", k), -EINVAL;
	}
	return 0;
}

static int cfg_keys(struct cfg_ctx *c, const char *action, const char *v)
{
	struct ui_settings *s = c->s;
	if (!ui_keymap_action_exists(action))
		return cfg_problem(
			       c,
			       "unknown action '%s' in [keys] (see the help screen for the actions)",
			       action),
		       -EINVAL;
	_cleanup_free_ char *copy = vd_xstrdup(v);
	for (char *save = NULL, *tok = strtok_r(copy, ", ", &save); tok;
	     tok = strtok_r(NULL, ", ", &save)) {
		int key;
		if (ui_key_parse(tok, &key) < 0)
			return cfg_problem(
				       c,
				       "unknown key name '%s' for %s (use a character, F1..F12, Up, Down, PgUp, PgDn, Home, End, Enter, Esc, Space or C-x)",
				       tok, action),
			       -EINVAL;
		if (s->n_binds >= UI_MAX_BINDS)
			return cfg_problem(c, "too many key bindings (max %d)", UI_MAX_BINDS), -E2BIG;
		vd_strlcpy(s->binds[s->n_binds].action, action, sizeof(s->binds[0].action));
		s->binds[s->n_binds++].key = key;
	}
	return 0;
}

/* [connection LABEL] uri = qemu+ssh://host/system */
static int cfg_connection(struct cfg_ctx *c, const char *label, const char *k, const char *v)
{
	struct ui_settings *s = c->s;
	if (strcmp(k, "uri"))
		return cfg_problem(c, "unknown key '%s' in [connection %s]: only uri is allowed", k,
				   label),
		       -EINVAL;
	if (!*v || !strstr(v, ":"))
		return cfg_problem(
			       c,
			       "uri '%s' is not a URI (e.g. qemu:///system, qemu+ssh://host/system)",
			       v),
		       -EINVAL;
	if (s->n_connect >= UI_MAX_CONNECT)
		return cfg_problem(c, "too many connections (max %d)", UI_MAX_CONNECT), -E2BIG;
	s->connect_uri[s->n_connect] = vd_xstrdup(v);
	s->connect_label[s->n_connect++] = *label ? vd_xstrdup(label) : NULL;
	return 0;
}

static int cfg_advice(struct cfg_ctx *c, const char *k, const char *v)
{
	struct ui_settings *s = c->s;
	if (s->n_advice >= UI_MAX_PASSTHRU)
		return cfg_problem(c, "too many [advice] settings"), -E2BIG;
	s->advice[s->n_advice].key = vd_xstrdup(k);
	s->advice[s->n_advice].value = vd_xstrdup(v);
	s->advice[s->n_advice++].line = c->line;
	return 0;
}

static int cfg_handler(void *user, const char *section, const char *k, const char *v)
{
	struct cfg_ctx *c = user;
	if (!strcmp(section, "display"))
		cfg_display(c, k, v);
	else if (!strcmp(section, "keys"))
		cfg_keys(c, k, v);
	else if (!strncmp(section, "connection", 10) && (section[10] == ' ' || !section[10]))
		cfg_connection(c, section[10] ? section + 11 : "", k, v);
	else if (!strcmp(section, "advice"))
		cfg_advice(c, k, v);
	else if (!*section)
		cfg_problem(
			c,
			"'%s' is outside any section: put it under [display], [keys], [connection NAME] or [advice]",
			k);
	else
		cfg_problem(c, "unknown section [%s]", section);
	return 1; /* keep going: one bad line must not cost the user the rest of the file */
}

/* A line inih would reject: not blank, not a comment, not [section], no '=' or ':'. */
static bool cfg_line_malformed(const char *line)
{
	while (isspace((unsigned char)*line))
		line++;
	if (!*line || *line == ';' || *line == '#')
		return false;
	if (*line == '[')
		return !strchr(line, ']');
	return !strpbrk(line, "=:");
}

/* inih's reader: counts lines so every problem carries its line number. */
static char *cfg_reader(char *buf, int size, void *stream)
{
	struct cfg_ctx *c = stream;
	char *r = fgets(buf, size, c->f);
	if (!r)
		return NULL;
	c->line++;
	if (cfg_line_malformed(buf)) {
		cfg_problem(c, "not a `key = value` line or a [section] header");
		buf[0] = '\n'; /* hand inih a blank line instead */
		buf[1] = '\0';
	}
	return r;
}

int ui_config_load(struct ui_settings *s, const char *path, bool required, char ***problems,
		   struct vd_error **err)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	if (!f) {
		if (!required && errno == ENOENT)
			return 0;
		return vd_error_errno(err, errno, "cannot read config file %s", path);
	}
	struct cfg_ctx c = { .s = s, .path = path, .f = f, .problems = *problems };
	for (size_t n = 0; c.problems && c.problems[n]; n++)
		c.n_problems = n + 1;
	ini_parse_stream(cfg_reader, &c, cfg_handler, &c);
	free(s->path);
	s->path = vd_xstrdup(path);
	*problems = c.problems;
	return 0;
}

static const struct {
	const char *name;
	int key;
} cfg_key_names[] = {
	{ "Up", UI_KEY_UP },
	{ "Down", UI_KEY_DOWN },
	{ "Left", UI_KEY_LEFT },
	{ "Right", UI_KEY_RIGHT },
	{ "PgUp", UI_KEY_PGUP },
	{ "PgDn", UI_KEY_PGDN },
	{ "Home", UI_KEY_HOME },
	{ "End", UI_KEY_END },
	{ "Enter", UI_KEY_ENTER },
	{ "Esc", UI_KEY_ESC },
	{ "Space", ' ' },
	{ "Tab", '\t' },
	{ "Backspace", UI_KEY_BACKSPACE },
};

int ui_key_parse(const char *name, int *key)
{
	size_t n = strlen(name);
	if (n == 1 && isprint((unsigned char)name[0])) {
		*key = name[0];
		return 0;
	}
	if (n == 3 && (name[0] == 'C' || name[0] == '^') && name[1] == '-' &&
	    isalpha((unsigned char)name[2])) {
		*key = tolower((unsigned char)name[2]) - 'a' + 1;
		return 0;
	}
	if ((name[0] == 'F' || name[0] == 'f') && n >= 2 && n <= 3) {
		uint64_t fn;
		if (vd_parse_u64(name + 1, &fn) == 0 && fn >= 1 && fn <= 12) {
			*key = UI_KEY_F((int)fn);
			return 0;
		}
	}
	for (size_t i = 0; i < VD_ARRAY_SIZE(cfg_key_names); i++)
		if (!strcasecmp(cfg_key_names[i].name, name)) {
			*key = cfg_key_names[i].key;
			return 0;
		}
	return -EINVAL;
}
