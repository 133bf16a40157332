/* libvirt-logs.c - a libvirt domain's log file (what QEMU or LXC wrote), where readable. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "backend/libvirt-priv.h"

/* Where libvirtd keeps a domain's log for a local URI (libvirt's LOCALSTATEDIR layout, and
 * $XDG_CACHE_HOME for session daemons); NULL with an error for the others. */
static char *lv_logs_path(const struct lv_priv *p, const char *name, struct vd_error **err)
{
	_cleanup_free_ char *host = lv_uri_host(p->uri);
	bool qemu = vd_str_has_prefix(p->uri, "qemu:"), lxc = vd_str_has_prefix(p->uri, "lxc:");
	if (!vd_streq(host, "local") || (!qemu && !lxc)) {
		vd_error_set(err, ENOTSUP, "domain %s: its log is not readable from here (%s): "
			     "only qemu:/// and lxc:/// URIs of this host have a log file", name,
			     p->uri);
		return NULL;
	}
	if (strstr(p->uri, "/session")) {
		const char *cache = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
		_cleanup_free_ char *base = NULL;
		if (cache && *cache)
			base = vd_xstrdup(cache);
		else
			base = vd_xasprintf("%s/.cache", home ? home : "");
		return vd_xasprintf("%s/libvirt/%s/log/%s.log", base, qemu ? "qemu" : "lxc", name);
	}
	return vd_xasprintf("/var/log/libvirt/%s/%s.log", qemu ? "qemu" : "lxc", name);
}

int lv_ops_logs(struct vd_backend *be, const char *name, uint64_t since_ns, size_t tail,
		struct vd_log_lines *out, struct vd_error **err)
{
	struct lv_priv *p = be->priv;
	_cleanup_free_ char *path = lv_logs_path(p, name, err);
	if (!path)
		return -ENOTSUP;
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	int r = vd_read_file(path, &buf, &len);
	if (r == -ENOENT)
		return 0; /* never started here: nothing written yet */
	if (r == -EACCES)
		return vd_error_errno(err, EACCES, "domain %s: cannot read its log %s: it "
				      "belongs to libvirtd (root); run virtdeck as root to see it",
				      name, path);
	if (r < 0)
		return vd_error_errno(err, -r, "domain %s: cannot read its log %s", name, path);
	vd_guestlog_parse_plain(buf, len, since_ns, out);
	vd_log_lines_tail(out, tail);
	return 0;
}
