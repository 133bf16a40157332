/* fuzz-config.c - libFuzzer target: the settings file (virtdeck.ini) and key names. */
#include "fuzz.h"
#include "ui/config.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_quiet();
	return 0;
}

static void fuzz_config_check(const struct ui_settings *s)
{
	if (s->n_connect > UI_MAX_CONNECT || s->n_binds > UI_MAX_BINDS ||
	    s->n_advice > UI_MAX_PASSTHRU || s->n_columns > UI_COL__COUNT)
		fuzz_fail("settings overflow: %zu connections, %zu binds, %zu advice, %zu columns",
			  s->n_connect, s->n_binds, s->n_advice, s->n_columns);
	if (!memchr(s->theme, '\0', sizeof(s->theme)))
		fuzz_fail("theme name not terminated");
	for (size_t i = 0; i < s->n_binds; i++)
		if (!memchr(s->binds[i].action, '\0', sizeof(s->binds[i].action)))
			fuzz_fail("key action name not terminated");
}

/* The whole input as the file; its first line also as a key name. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ui_settings s;
	char **problems = NULL;
	struct vd_error *err = NULL;
	ui_settings_default(&s);
	if (ui_config_load(&s, fuzz_file(data, size), true, &problems, &err) < 0)
		fuzz_fail("a readable file was refused: %s", err->msg);
	fuzz_config_check(&s);
	for (char **p = problems; p && *p; p++)
		free(*p);
	free(problems);
	ui_settings_free(&s);
	_cleanup_free_ char *key = strndup((const char *)data, size);
	key[strcspn(key, "\n")] = '\0';
	int k;
	ui_key_parse(key, &k);
	return 0;
}
