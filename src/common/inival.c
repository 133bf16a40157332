/* inival.c - quoting INI values so inih's line limit, comments and blank stripping lose nothing. */
#include "common/inival.h"

#include <errno.h>

#include "common/util.h"

/* inih reads lines of 199 bytes at most; stay well below with room for "KEY+ = ". */
#define VD_INIVAL_CHUNK 120

static bool vd_inival_plain_byte(unsigned char c)
{
	return c >= 0x20 && c < 0x7f && c != ';' && c != '#';
}

static bool vd_inival_plain(const char *v)
{
	size_t n = strlen(v);
	if (n == 0 || n > VD_INIVAL_CHUNK || v[0] == ' ' || v[n - 1] == ' ' || v[0] == '"')
		return false;
	for (const char *p = v; *p; p++)
		if (!vd_inival_plain_byte((unsigned char)*p))
			return false;
	return true;
}

/* One byte as it appears between the quotes. */
static void vd_inival_escape(unsigned char c, char out[5])
{
	if (c == '\\' || c == '"')
		snprintf(out, 5, "\\%c", c);
	else if (c == '\n')
		snprintf(out, 5, "\\n");
	else if (c == '\t')
		snprintf(out, 5, "\\t");
	else if (vd_inival_plain_byte(c))
		snprintf(out, 5, "%c", c);
	else
		snprintf(out, 5, "\\x%02x", c);
}

void vd_inival_put(FILE *f, const char *key, const char *value)
{
	if (vd_inival_plain(value)) {
		fprintf(f, "%s = %s\n", key, value);
		return;
	}
	fprintf(f, "%s = \"", key);
	size_t len = 0;
	for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
		char e[5];
		vd_inival_escape(*p, e);
		if (len + strlen(e) > VD_INIVAL_CHUNK) { /* an escape is never split across lines */
			fprintf(f, "\"\n%s+ = \"", key);
			len = 0;
		}
		fputs(e, f);
		len += strlen(e);
	}
	fputs("\"\n", f);
}

static int vd_inival_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* One escape after the backslash at p: the byte in *c and its length, or 0 when not ours. */
static size_t vd_inival_unescape(const char *p, char *c)
{
	switch (p[1]) {
	case '\\': case '"': *c = p[1]; return 2;
	case 'n': *c = '\n'; return 2;
	case 't': *c = '\t'; return 2;
	case 'x': break;
	default: return 0;
	}
	int hi = vd_inival_hex(p[2]), lo = hi < 0 ? -1 : vd_inival_hex(p[3]);
	if (lo < 0 || (hi == 0 && lo == 0))
		return 0;
	*c = (char)(hi * 16 + lo);
	return 4;
}

/* The text of a quoted value, or NULL when raw is not one (then it is taken as written). */
static char *vd_inival_unquote(const char *raw)
{
	size_t n = strlen(raw);
	if (n < 2 || raw[0] != '"' || raw[n - 1] != '"')
		return NULL;
	_cleanup_free_ char *out = vd_xmalloc(n);
	const char *end = raw + n - 1; /* the closing quote */
	size_t k = 0;
	for (const char *p = raw + 1; p < end; k++) {
		size_t used = *p == '\\' ? vd_inival_unescape(p, &out[k]) : 1;
		if (*p == '"' || used == 0 || p + used > end)
			return NULL;
		if (*p != '\\')
			out[k] = *p;
		p += used;
	}
	out[k] = '\0';
	return TAKE_PTR(out);
}

int vd_inival_take(struct vd_inival *acc, const char *key, const char *raw, const char **k,
		   const char **v, struct vd_error **err)
{
	size_t kl = strlen(key);
	bool more = kl > 1 && key[kl - 1] == '+';
	_cleanup_free_ char *name = vd_xasprintf("%.*s", (int)(more ? kl - 1 : kl), key);
	char *text = vd_inival_unquote(raw);
	if (more && (!text || !vd_streq(acc->key, name))) {
		free(text);
		return vd_error_set(err, EINVAL, "%s must follow a %s line and hold a quoted value",
				    key, name);
	}
	if (!text)
		text = vd_xstrdup(raw);
	char *whole = more ? vd_xasprintf("%s%s", acc->value, text) : TAKE_PTR(text);
	free(text);
	vd_inival_clear(acc);
	acc->key = TAKE_PTR(name);
	acc->value = whole;
	*k = acc->key;
	*v = acc->value;
	return 0;
}

void vd_inival_clear(struct vd_inival *acc)
{
	free(acc->key);
	free(acc->value);
	acc->key = acc->value = NULL;
}
