/* paths.c - XDG and root-mode locations of virtdeck's state, data and config. */
#include "common/paths.h"

#include <ctype.h>
#include <errno.h>
#include <unistd.h>

static const char *vd_env(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? v : NULL;
}

static int vd_paths_xdg(const char *override, const char *root_dir, const char *xdg,
			const char *home_rel, char **out, struct vd_error **err)
{
	const char *v = vd_env(override);
	if (v) {
		*out = vd_xstrdup(v);
		return 0;
	}
	if (geteuid() == 0) {
		*out = vd_xstrdup(root_dir);
		return 0;
	}
	if ((v = vd_env(xdg))) {
		*out = vd_xasprintf("%s/virtdeck", v);
		return 0;
	}
	const char *home = vd_env("HOME");
	if (!home || !home_rel)
		return vd_error_set(err, ENOENT, "neither $%s nor $HOME is set: set %s to a private directory",
				    xdg, override);
	*out = vd_xasprintf("%s/%s/virtdeck", home, home_rel);
	return 0;
}

int vd_paths_state_dir(char **out, struct vd_error **err)
{
	return vd_paths_xdg("VIRTDECK_STATE_DIR", "/run/virtdeck", "XDG_RUNTIME_DIR", NULL, out, err);
}

int vd_paths_data_dir(char **out, struct vd_error **err)
{
	return vd_paths_xdg("VIRTDECK_DATA_DIR", "/var/lib/virtdeck", "XDG_DATA_HOME", ".local/share",
			    out, err);
}

int vd_paths_config_file(char **out, struct vd_error **err)
{
	const char *v = vd_env("XDG_CONFIG_HOME");
	if (v) {
		*out = vd_xasprintf("%s/virtdeck/virtdeck.ini", v);
		return 0;
	}
	const char *home = vd_env("HOME");
	if (!home)
		return vd_error_set(
			err, ENOENT,
			"cannot locate the config file: $HOME is not set; use --config FILE");
	*out = vd_xasprintf("%s/.config/virtdeck/virtdeck.ini", home);
	return 0;
}

int vd_paths_ensure(const char *dir, struct vd_error **err)
{
	int r = vd_mkdir_p(dir, 0700);
	if (r < 0)
		return vd_error_errno(err, r, "cannot create directory %s", dir);
	return 0;
}

static char *paths_env_name(const char *name)
{
	char *env = vd_xasprintf("VIRTDECK_%s_BIN",
				 vd_str_has_prefix(name, "virtdeck-") ? name + 9 : name);
	for (char *c = env; *c; c++)
		*c = *c == '-' ? '_' : (char)toupper((unsigned char)*c);
	return env;
}

int vd_paths_helper(const char *name, char **out, struct vd_error **err)
{
	_cleanup_free_ char *env = paths_env_name(name);
	const char *v = vd_env(env);
	if (v) {
		*out = vd_xstrdup(v);
		return 0;
	}
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		char *slash = strrchr(self, '/');
		if (slash) {
			*slash = '\0';
			_cleanup_free_ char *cand = vd_xasprintf("%s/%s", self, name);
			if (access(cand, X_OK) == 0) {
				*out = TAKE_PTR(cand);
				return 0;
			}
		}
	}
#ifdef VD_LIBEXECDIR
	_cleanup_free_ char *inst = vd_xasprintf("%s/%s", VD_LIBEXECDIR, name);
	if (access(inst, X_OK) == 0) {
		*out = TAKE_PTR(inst);
		return 0;
	}
#endif
	return vd_error_set(err, ENOENT,
			    "helper %s not found: install virtdeck, or set $%s to its path", name,
			    env);
}
