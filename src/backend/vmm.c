/* vmm.c - the client engine of virtdeck-vmm: VM definitions under <datadir>/vms, one detached
 * virtdeck-vmm per running VM reached through <statedir>/vmm/NAME.sock. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "backend/backend.h"
#include "backend/engines.h"
#include "common/ctl.h"
#include "common/paths.h"
#include "vmm/def.h"

#define VMM_CTL_TIMEOUT_MS 5000
/* Listing must stay responsive with a hung VMM: it is shown as no-reply, not waited for. */
#define VMM_LIST_MS 1000

struct vmm_priv {
	char *defs;  /* <datadir>/vms */
	char *state; /* <statedir> (virtdeck-vmm adds /vmm) */
};

static int vmm_open(struct vd_backend *be, struct vd_error **err)
{
	_cleanup_free_ char *data = NULL, *state = NULL;
	int r = vd_paths_data_dir(&data, err);
	if (r < 0)
		return r;
	r = vd_paths_state_dir(&state, err);
	if (r < 0)
		return r;
	struct vmm_priv *p = vd_xcalloc(1, sizeof(*p));
	p->defs = vd_xasprintf("%s/vms", data);
	p->state = TAKE_PTR(state);
	be->priv = p;
	return 0;
}

static void vmm_close(struct vd_backend *be)
{
	struct vmm_priv *p = be->priv;
	if (!p)
		return;
	free(p->defs);
	free(p->state);
	free(p);
}

static char *vmm_def_path(struct vd_backend *be, const char *name)
{
	struct vmm_priv *p = be->priv;
	return vd_xasprintf("%s/%s.ini", p->defs, name);
}

static char *vmm_sock_path(struct vd_backend *be, const char *name)
{
	struct vmm_priv *p = be->priv;
	return vd_xasprintf("%s/vmm/%s.sock", p->state, name);
}

/* -ETIMEDOUT with what to do about a VMM that is there but does not answer. */
static int vmm_unanswered(struct vd_backend *be, const char *name, int timeout_ms,
			  struct vd_error **err)
{
	struct vmm_priv *p = be->priv;
	_cleanup_free_ char *pidf = vd_xasprintf("%s/vmm/%s.pid", p->state, name);
	int pid = vd_pid_file_live(pidf);
	if (vd_pid_stopped(pid))
		return vd_error_set(err, ETIMEDOUT, "VM %s: its virtdeck-vmm (pid %d) is stopped, "
				    "not answering: resume it with `kill -CONT %d`", name, pid,
				    pid);
	return vd_error_set(err, ETIMEDOUT, "VM %s: its virtdeck-vmm (pid %d) is not answering "
			    "within %d ms (hung?): retry, or kill it (`kill %d`)", name, pid,
			    timeout_ms, pid);
}

static bool vmm_stopped(struct vd_backend *be, const char *name)
{
	struct vmm_priv *p = be->priv;
	_cleanup_free_ char *pidf = vd_xasprintf("%s/vmm/%s.pid", p->state, name);
	return vd_pid_stopped(vd_pid_file_live(pidf));
}

/* One request to a running VMM within timeout_ms; -ENOENT/-ECONNREFUSED when it is not
 * running, -ETIMEDOUT when it is there but does not answer (a stopped one is not asked). */
static int vmm_call_ms(struct vd_backend *be, const char *name, const char *cmd,
		       struct json_object *extra, int timeout_ms, struct json_object **resp,
		       struct vd_error **err)
{
	if (vmm_stopped(be, name))
		return vmm_unanswered(be, name, timeout_ms, err);
	_cleanup_free_ char *sock = vmm_sock_path(be, name);
	_cleanup_json_ struct json_object *req = extra ? json_object_get(extra) : json_object_new_object();
	json_object_object_add(req, "cmd", json_object_new_string(cmd));
	_cleanup_json_ struct json_object *r = NULL;
	struct vd_error *e = NULL;
	int rc = vd_ctl_call(sock, req, timeout_ms, &r, &e);
	if (rc == -ETIMEDOUT) {
		vd_error_free(e);
		return vmm_unanswered(be, name, timeout_ms, err);
	}
	if (rc < 0)
		return vd_error_propagate(err, e);
	if (vd_ctl_check_reply(r, err) < 0)
		return vd_error_wrap(err, "VM %s: %s", name, cmd);
	if (resp)
		*resp = TAKE_PTR(r);
	return 0;
}

static int vmm_call(struct vd_backend *be, const char *name, const char *cmd,
		    struct json_object *extra, struct json_object **resp, struct vd_error **err)
{
	return vmm_call_ms(be, name, cmd, extra, VMM_CTL_TIMEOUT_MS, resp, err);
}

static bool vmm_gone(int r)
{
	return r == -ENOENT || r == -ECONNREFUSED;
}

static uint64_t vmm_u64(struct json_object *o, const char *k)
{
	int64_t v = vd_json_i64(o, k, 0);
	return v > 0 ? (uint64_t)v : 0;
}

/* Really used memory: guest MemTotal - MemAvailable from the balloon, else the VMM's RSS. */
static void vmm_fill_sample(struct vd_backend *be, struct json_object *st, struct vd_guest *g)
{
	struct vd_sample *s = &g->sample;
	struct json_object *b = NULL;
	memset(s, 0, sizeof(*s));
	s->valid = true;
	/* The VMM stamps its vCPU reading (CLOCK_MONOTONIC, as ours), keeps one a second back. */
	vd_backend_stamp_sample(be, s, st);
	s->mem_rss = vmm_u64(st, "rss");
	s->io_read = vmm_u64(st, "io_read");
	s->io_write = vmm_u64(st, "io_write");
	s->net_rx = vmm_u64(st, "net_rx");
	s->net_tx = vmm_u64(st, "net_tx");
	s->mem_used = s->mem_rss;
	s->mem_source = VD_MEM_SRC_RSS;
	if (json_object_object_get_ex(st, "balloon", &b)) {
		uint64_t total = vmm_u64(b, "total"), avail = vmm_u64(b, "available");
		if (vd_json_bool(b, "valid", false) && total >= avail) {
			s->mem_used = total - avail;
			s->mem_source = VD_MEM_SRC_BALLOON;
		}
		g->alloc.mem_bytes = vmm_u64(b, "target_bytes");
	}
}

static void vmm_fill_running(struct vd_backend *be, struct json_object *st, struct vd_guest *g)
{
	g->state = vd_streq(vd_json_str(st, "state", ""), "paused") ? VD_STATE_PAUSED : VD_STATE_RUNNING;
	g->alloc.vcpus = (unsigned)vd_json_i64(st, "vcpus", g->alloc.vcpus);
	g->alloc.mem_max_bytes = vmm_u64(st, "mem_bytes");
	g->alloc.mem_bytes = g->alloc.mem_max_bytes;
	vmm_fill_sample(be, st, g);
}

static void vmm_guest_init(struct vd_backend *be, struct vd_guest *g, const char *name)
{
	memset(g, 0, sizeof(*g));
	vd_strlcpy(g->name, name, sizeof(g->name));
	g->kind = VD_KIND_VM;
	g->state = VD_STATE_STOPPED;
	g->cpu_pct_alloc = g->cpu_pct_host = -1;
	g->backend = be;
}

static char *vmm_state_file(struct vd_backend *be, const char *name, const char *ext)
{
	struct vmm_priv *p = be->priv;
	return vd_xasprintf("%s/vmm/%s.%s", p->state, name, ext);
}

/* <data>/vms/NAME.exit: the VMM's copy of its exit record that survives a reboot. */
static char *vmm_exit_data_file(struct vd_backend *be, const char *name)
{
	struct vmm_priv *p = be->priv;
	return vd_xasprintf("%s/%s.exit", p->defs, name);
}

static const struct {
	const char *word;
	enum vd_exit_kind kind;
	bool crashed;
} vmm_exit_words[] = {
	{ "poweroff", VD_EXIT_POWEROFF, false }, { "reset", VD_EXIT_RESET, false },
	{ "killed", VD_EXIT_USER, false },       { "stopped", VD_EXIT_USER, false },
	{ "panicked", VD_EXIT_PANIC, true },
	{ "triple-fault", VD_EXIT_CRASH, true }, { "crashed", VD_EXIT_CRASH, true },
};

/* "WORD[: detail]" as virtdeck-vmm writes it into a guest's exit and state. */
static void vmm_parse_exit(const char *line, struct vd_guest *g)
{
	size_t n = strcspn(line, ":\n");
	const char *detail = line[n] == ':' ? line + n + 1 : "";
	while (*detail == ' ')
		detail++;
	for (size_t i = 0; i < VD_ARRAY_SIZE(vmm_exit_words); i++) {
		if (strlen(vmm_exit_words[i].word) != n || strncmp(line, vmm_exit_words[i].word, n))
			continue;
		g->exit.kind = vmm_exit_words[i].kind;
		g->state = vmm_exit_words[i].crashed ? VD_STATE_CRASHED : VD_STATE_STOPPED;
		vd_strlcpy(g->exit.detail, detail, sizeof(g->exit.detail));
		g->exit.detail[strcspn(g->exit.detail, "\n")] = '\0';
		return;
	}
}

/* How a VM's last run ended. The VMM records "crashed" when it starts and its real end when
 * it ends cleanly, so a VMM killed with SIGKILL shows as crashed too; the state dir's record
 * first, the data dir's after a reboot emptied /run. */
static void vmm_read_exit(struct vd_backend *be, const char *name, struct vd_guest *g)
{
	_cleanup_free_ char *path = vmm_state_file(be, name, "exit");
	_cleanup_free_ char *data = vmm_exit_data_file(be, name);
	_cleanup_free_ char *what = NULL;
	struct stat st;
	if (vd_read_file(path, &what, NULL) < 0 && vd_read_file(data, &what, NULL) < 0)
		return;
	vmm_parse_exit(what, g);
	if (stat(path, &st) == 0 || stat(data, &st) == 0)
		g->exit.time = (int64_t)st.st_mtime;
}

/* The process in NAME.pid when it is a live virtdeck-vmm (not a reused pid, not a zombie),
 * else 0. */
static pid_t vmm_pid(struct vd_backend *be, const char *name)
{
	_cleanup_free_ char *path = vmm_state_file(be, name, "pid"), *s = NULL, *stat = NULL;
	uint64_t pid = 0;
	if (vd_read_file(path, &s, NULL) < 0)
		return 0;
	s[strcspn(s, "\n")] = '\0';
	if (vd_parse_u64(s, &pid) < 0 || pid < 2 || pid > INT32_MAX)
		return 0;
	_cleanup_free_ char *spath = vd_xasprintf("/proc/%d/stat", (int)pid);
	if (vd_read_file(spath, &stat, NULL) < 0)
		return 0;
	const char *c = strstr(stat, " (virtdeck-vmm) ");
	return c && c[16] != 'Z' ? (pid_t)pid : 0;
}

/* A live VMM with a socket that does not answer is hung (or stopped): its state is unknown. */
static bool vmm_has_sock(struct vd_backend *be, const char *name)
{
	_cleanup_free_ char *sock = vmm_sock_path(be, name);
	return access(sock, F_OK) == 0;
}

/* A VMM that died without its clean-up (SIGKILL, OOM) leaves its socket and pid file. */
static void vmm_forget(struct vd_backend *be, const char *name)
{
	_cleanup_free_ char *sock = vmm_sock_path(be, name), *pid = vmm_state_file(be, name, "pid");
	unlink(sock);
	unlink(pid);
}

/* Build one guest from its definition (may be absent) and its VMM (may not run). */
static int vmm_guest(struct vd_backend *be, const char *name, struct vd_guest *g,
		     struct vd_error **err)
{
	_cleanup_free_ char *path = vmm_def_path(be, name);
	struct vmm_def d;
	vmm_def_init(&d);
	bool have_def = access(path, F_OK) == 0;
	_cleanup_error_ struct vd_error *bad = NULL;
	int r = have_def ? vmm_def_load(path, &d, &bad) : 0;
	vmm_guest_init(be, g, name);
	if (have_def && r == 0) {
		g->alloc.vcpus = d.vcpus;
		g->alloc.mem_bytes = g->alloc.mem_max_bytes = d.mem_bytes;
	} else if (r < 0) { /* listed as broken, so it can be fixed or deleted */
		vd_strlcpy(g->problem, bad->msg, sizeof(g->problem));
	}
	vmm_def_clear(&d);
	_cleanup_json_ struct json_object *st = NULL;
	_cleanup_error_ struct vd_error *e = NULL;
	int q = vmm_call_ms(be, name, "stats", NULL, VMM_LIST_MS, &st, &e);
	if (q == 0) {
		vmm_fill_running(be, st, g);
	} else if (!vmm_gone(q)) {
		/* There, but not answering: the row says so, the list goes on. */
		g->state = VD_STATE_NOREPLY;
		vd_strlcpy(g->problem, e ? e->msg : "its virtdeck-vmm does not answer",
			   sizeof(g->problem));
	} else if (!have_def)
		return vd_error_set(err, ENOENT, "no VM named %s in the vmm engine", name);
	else if (vmm_pid(be, name))
		g->state = vmm_has_sock(be, name) ? VD_STATE_UNKNOWN : VD_STATE_STARTING;
	else
		vmm_read_exit(be, name, g);
	if (!st && r < 0 && g->state == VD_STATE_STOPPED)
		g->state = VD_STATE_BROKEN;
	return 0;
}

static bool vmm_has_name(const struct vd_guest *v, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (vd_streq(v[i].name, name))
			return true;
	return false;
}

/* Names of files in dir ending in suffix that are not yet in the list. */
static void vmm_scan(struct vd_backend *be, const char *dir, const char *suffix,
		     struct vd_guest **v, size_t *n)
{
	_cleanup_closedir_ DIR *d = opendir(dir);
	struct dirent *e;
	size_t sl = strlen(suffix);
	while (d && (e = readdir(d))) {
		size_t l = strlen(e->d_name);
		if (l <= sl || l - sl >= VD_NAME_MAX || strcmp(e->d_name + l - sl, suffix))
			continue;
		char name[VD_NAME_MAX];
		memcpy(name, e->d_name, l - sl);
		name[l - sl] = '\0';
		_cleanup_error_ struct vd_error *err = NULL;
		struct vd_guest g;
		if (!vd_name_valid(name) || vmm_has_name(*v, *n, name) || vmm_guest(be, name, &g, &err) < 0)
			continue;
		*v = vd_xrealloc(*v, (*n + 1) * sizeof(**v));
		(*v)[(*n)++] = g;
	}
}

static int vmm_list(struct vd_backend *be, struct vd_guest **out, size_t *n, struct vd_error **err)
{
	struct vmm_priv *p = be->priv;
	_cleanup_free_ char *run = vd_xasprintf("%s/vmm", p->state);
	struct vd_guest *v = NULL;
	size_t count = 0;
	vmm_scan(be, p->defs, ".ini", &v, &count);
	vmm_scan(be, run, ".sock", &v, &count); /* running without a definition (started by hand) */
	*out = v;
	*n = count;
	return 0;
}

static int vmm_lookup(struct vd_backend *be, const char *name, struct vd_guest *out,
		      struct vd_error **err)
{
	return vmm_guest(be, name, out, err);
}

/* What the VMM and the host can give: vCPUs up to virtdeck-vmm's maximum, memory up to the RAM. */
static int vmm_check_size(const char *name, unsigned vcpus, uint64_t mem, struct vd_error **err)
{
	char host[16];
	if (vcpus > VMM_VCPUS_MAX)
		return vd_error_set(err, ERANGE, "VM %s: %u vCPUs is out of range: virtdeck-vmm "
				    "runs 1 to %d", name, vcpus, VMM_VCPUS_MAX);
	if (mem && vd_check_mem(mem, VMM_MEM_MIN) < 0)
		return vd_error_set(err, ERANGE, "VM %s: memory is out of range: give 64M to this "
				    "host's %s", name,
				    vd_format_size(vd_host_mem(), host, sizeof(host)));
	return 0;
}

static int vmm_def_from(const struct vd_guest_def *gd, struct vmm_def *d, struct vd_error **err)
{
	int r = vmm_check_size(gd->name, gd->vcpus, gd->mem_bytes, err);
	if (r < 0)
		return r;
	static const char *const keys[] = { "kernel", "initrd", "disk", "cmdline", "net", "balloon", "rng",
					     "ksm", "console_log_size" };
	vmm_def_set(d, "name", gd->name, err);
	if (gd->vcpus)
		d->vcpus = gd->vcpus;
	if (gd->mem_bytes)
		d->mem_bytes = gd->mem_bytes;
	for (size_t i = 0; i < VD_ARRAY_SIZE(keys); i++) {
		const char *v = vd_def_opt(gd, keys[i]);
		r = v ? vmm_def_set(d, keys[i], v, err) : 0;
		if (r < 0)
			return r;
	}
	return vmm_def_check(d, err);
}

/* Paths in a definition must not depend on the directory the CLI ran in. */
static void vmm_def_absolute(char **path)
{
	if (!*path || **path == '/')
		return;
	char *abs = realpath(*path, NULL);
	if (abs) {
		free(*path);
		*path = abs;
	}
}

static int vmm_create(struct vd_backend *be, const struct vd_guest_def *gd, struct vd_error **err)
{
	struct vmm_priv *p = be->priv;
	_cleanup_free_ char *path = vmm_def_path(be, gd->name);
	if (access(path, F_OK) == 0)
		return vd_error_set(err, EEXIST, "VM %s already exists: delete it first or pick another name",
				    gd->name);
	struct vmm_def d;
	vmm_def_init(&d);
	int r = vmm_def_from(gd, &d, err);
	vmm_def_absolute(&d.kernel);
	vmm_def_absolute(&d.initrd);
	vmm_def_absolute(&d.disk);
	if (r == 0 && access(d.kernel, R_OK) < 0)
		r = vd_error_errno(err, errno, "kernel %s of VM %s", d.kernel, gd->name);
	if (r == 0)
		r = vd_mkdir_p(p->defs, 0700) < 0 ? vd_error_errno(err, errno, "create %s", p->defs) : 0;
	if (r == 0)
		r = vmm_def_save(path, &d, err);
	vmm_def_clear(&d);
	return r;
}

/* Running, or there without answering: either way not to be started again or deleted. */
static bool vmm_running(struct vd_backend *be, const char *name)
{
	_cleanup_json_ struct json_object *st = NULL;
	return !vmm_gone(vmm_call(be, name, "status", NULL, &st, NULL));
}

static int vmm_remove(struct vd_backend *be, const char *name, struct vd_error **err)
{
	_cleanup_free_ char *path = vmm_def_path(be, name);
	if (vmm_running(be, name))
		return vd_error_set(err, EBUSY, "VM %s is running: stop or kill it before deleting", name);
	if (unlink(path) < 0)
		return vd_error_errno(err, errno, "delete VM %s (%s)", name, path);
	_cleanup_free_ char *exitf = vmm_exit_data_file(be, name);
	unlink(exitf);
	vd_guestlog_remove_guest("vmm", name);
	return 0;
}

/* virtdeck-vmm keeps the serial console's output in the data dir, with a time per line. */
static int vmm_logs(struct vd_backend *be, const char *name, uint64_t since_ns, size_t tail,
		    struct vd_log_lines *out, struct vd_error **err)
{
	(void)be;
	return vd_guestlog_read_guest("vmm", name, since_ns, tail, out, err);
}

/* Run virtdeck-vmm --daemon and wait for its verdict; its stderr becomes the error message. */
static int vmm_spawn(const char *helper, const char *def, const char *state, const char *name,
		     struct vd_error **err)
{
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return vd_error_errno(err, errno, "pipe");
	pid_t pid = fork();
	if (pid == 0) {
		dup2(pfd[1], STDERR_FILENO);
		execl(helper, "virtdeck-vmm", "--daemon", "--config", def, "--state-dir", state, (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	char msg[1024] = "";
	ssize_t n = pid > 0 ? read(pfd[0], msg, sizeof(msg) - 1) : -1;
	close(pfd[0]);
	int status = 0;
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return vd_error_errno(err, errno, "starting %s", helper);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (n > 0 && msg[n - 1] == '\n')
		msg[n - 1] = '\0';
	return vd_error_set(err, EIO, "starting VM %s: %s", name,
			    n > 0 ? msg : "virtdeck-vmm failed (see its log in the state directory)");
}

static int vmm_start(struct vd_backend *be, const char *name, struct vd_error **err)
{
	struct vmm_priv *p = be->priv;
	_cleanup_free_ char *def = vmm_def_path(be, name), *helper = NULL;
	if (access(def, R_OK) < 0)
		return vd_error_errno(err, errno, "VM %s has no definition %s", name, def);
	if (vmm_running(be, name))
		return vd_error_set(err, EALREADY, "VM %s is already running", name);
	int r = vd_paths_helper("virtdeck-vmm", &helper, err);
	if (r < 0)
		return r;
	if (!vmm_pid(be, name))
		vmm_forget(be, name);
	return vmm_spawn(helper, def, p->state, name, err);
}

static int vmm_simple(struct vd_backend *be, const char *name, const char *cmd,
		      struct vd_error **err)
{
	int r = vmm_call(be, name, cmd, NULL, NULL, err);
	if (vmm_gone(r))
		return vd_error_wrap(err, "VM %s is not running", name);
	return r;
}

static int vmm_stop(struct vd_backend *be, const char *name, int timeout_s, struct vd_error **err)
{
	_cleanup_json_ struct json_object *extra = json_object_new_object();
	json_object_object_add(extra, "timeout", json_object_new_int(timeout_s > 0 ? timeout_s : 30));
	int r = vmm_call(be, name, "shutdown", extra, NULL, err);
	if (r < 0)
		return r;
	/* The VMM forces the VM off at the deadline; wait a little longer than that. */
	uint64_t end = vd_now_mono_ns() + (uint64_t)(timeout_s > 0 ? timeout_s + 3 : 33) * 1000000000ull;
	while (vd_now_mono_ns() < end) {
		if (!vmm_running(be, name))
			return 0;
		usleep(100 * 1000);
	}
	return vd_error_set(err, ETIMEDOUT, "VM %s still running after %d s: kill it", name, timeout_s);
}

static int vmm_pause(struct vd_backend *be, const char *name, struct vd_error **err)
{
	return vmm_simple(be, name, "pause", err);
}

static int vmm_resume(struct vd_backend *be, const char *name, struct vd_error **err)
{
	return vmm_simple(be, name, "resume", err);
}

/* The record a killed VMM could not write itself (takes path). */
static void vmm_record_kill(char *path)
{
	static const char line[] = "killed: killed by user (its VMM did not answer)\n";
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd >= 0 && write(fd, line, sizeof(line) - 1) != (ssize_t)sizeof(line) - 1)
		unlink(path); /* no record beats a wrong one */
	if (fd >= 0)
		close(fd);
	free(path);
}

/* A VMM that does not answer (stopped, hung) is killed through its pid file. */
static int vmm_kill_hung(struct vd_backend *be, const char *name, struct vd_error **err)
{
	pid_t pid = vmm_pid(be, name);
	if (pid == 0) {
		vmm_forget(be, name); /* what a VMM killed with SIGKILL left */
		return vd_error_set(err, ESRCH, "VM %s is not running", name);
	}
	if (kill(pid, SIGKILL) < 0)
		return vd_error_errno(err, errno, "killing the VMM of VM %s (pid %d)", name,
				      (int)pid);
	for (int i = 0; i < 50 && vmm_pid(be, name) == pid; i++)
		usleep(100 * 1000);
	vmm_record_kill(vmm_state_file(be, name, "exit"));
	vmm_record_kill(vmm_exit_data_file(be, name));
	vmm_forget(be, name);
	return 0;
}

static int vmm_destroy(struct vd_backend *be, const char *name, struct vd_error **err)
{
	_cleanup_error_ struct vd_error *ctl_err = NULL;
	int r = vmm_call(be, name, "kill", NULL, NULL, &ctl_err);
	if (r < 0)
		return vmm_kill_hung(be, name, err);
	for (int i = 0; i < 50 && vmm_running(be, name); i++)
		usleep(100 * 1000);
	return 0;
}

static int vmm_stats(struct vd_backend *be, const char *name, struct vd_sample *out,
		     struct vd_error **err)
{
	_cleanup_json_ struct json_object *st = NULL;
	int r = vmm_call(be, name, "stats", NULL, &st, err);
	if (r < 0)
		return r;
	struct vd_guest g;
	vmm_guest_init(be, &g, name);
	vmm_fill_running(be, st, &g);
	*out = g.sample;
	return 0;
}

static int vmm_resize_config(struct vd_backend *be, const char *name, const struct vd_resize *req,
			     struct vd_error **err)
{
	_cleanup_free_ char *path = vmm_def_path(be, name);
	struct vmm_def d;
	vmm_def_init(&d);
	int r = vmm_def_load(path, &d, err);
	if (r == 0 && req->vcpus)
		d.vcpus = req->vcpus;
	if (r == 0 && req->mem_bytes)
		d.mem_bytes = (req->mem_bytes + (2u << 20) - 1) & ~((2ull << 20) - 1);
	if (r == 0)
		r = vmm_def_save(path, &d, err);
	vmm_def_clear(&d);
	return r;
}

/* Live memory resize is the balloon; vCPU hotplug is not offered, so vCPUs change in the config. */
static int vmm_resize(struct vd_backend *be, const char *name, const struct vd_resize *req,
		      struct vd_error **err)
{
	bool live = vmm_running(be, name) &&
		    !(req->flags & VD_RESIZE_CONFIG && !(req->flags & VD_RESIZE_LIVE));
	if (live && req->vcpus)
		return vd_error_set(err, ENOTSUP, "VM %s: vCPUs cannot change while it runs; use --config "
				    "and restart it", name);
	if (req->cpus != 0)
		return vd_error_set(err, ENOTSUP, "VM %s: a CPU quota is not supported by the vmm engine", name);
	int r = vmm_check_size(name, req->vcpus, req->mem_bytes, err);
	if (r < 0)
		return r;
	if (!live)
		return vmm_resize_config(be, name, req, err);
	_cleanup_json_ struct json_object *extra = json_object_new_object();
	json_object_object_add(extra, "bytes", json_object_new_int64((int64_t)req->mem_bytes));
	return vmm_call(be, name, "balloon", extra, NULL, err);
}

/* The VMM answers "console" with its status line and the pty in one message. */
static int vmm_console(struct vd_backend *be, const char *name, int *fd, struct vd_error **err)
{
	_cleanup_free_ char *sock = vmm_sock_path(be, name);
	_cleanup_close_ int s = vd_ctl_connect(sock, err);
	if (vmm_gone(s))
		return vd_error_wrap(err, "VM %s is not running", name);
	if (s < 0)
		return s;
	_cleanup_json_ struct json_object *req = json_object_new_object();
	json_object_object_add(req, "cmd", json_object_new_string("console"));
	int r = vd_ctl_send(s, req, err);
	if (r < 0)
		return r;
	struct pollfd p = { .fd = s, .events = POLLIN };
	if (poll(&p, 1, VMM_CTL_TIMEOUT_MS) == 0)
		return vmm_unanswered(be, name, VMM_CTL_TIMEOUT_MS, err);
	if (vd_ctl_recv_with_fd(s, NULL, fd, err) < 0)
		return vd_error_wrap(err, "VM %s did not hand over its console", name);
	return 0;
}

const struct vd_backend_ops vd_vmm_ops = {
	.name = "vmm",
	.open = vmm_open,
	.close = vmm_close,
	.list = vmm_list,
	.lookup = vmm_lookup,
	.create = vmm_create,
	.remove = vmm_remove,
	.start = vmm_start,
	.stop = vmm_stop,
	.pause = vmm_pause,
	.resume = vmm_resume,
	.destroy = vmm_destroy,
	.stats = vmm_stats,
	.resize = vmm_resize,
	.console = vmm_console,
	.logs = vmm_logs,
};
