/* guest.c - names and small predicates of the guest model. */
#include "backend/guest.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

const char *vd_state_name(enum vd_state s)
{
	static const char *names[VD_STATE__COUNT] = {
		[VD_STATE_UNKNOWN] = "unknown",   [VD_STATE_RUNNING] = "running",
		[VD_STATE_PAUSED] = "paused",     [VD_STATE_STOPPED] = "stopped",
		[VD_STATE_CRASHED] = "crashed",   [VD_STATE_STARTING] = "starting",
		[VD_STATE_STOPPING] = "stopping", [VD_STATE_BROKEN] = "broken",
		[VD_STATE_NOREPLY] = "no-reply",
		[VD_STATE_LOST] = "lost",
	};
	return (unsigned)s < VD_STATE__COUNT ? names[s] : "unknown";
}

const char *vd_kind_name(enum vd_kind k)
{
	return k == VD_KIND_VM ? "vm" : "ct";
}

const char *vd_mem_source_name(enum vd_mem_source s)
{
	switch (s) {
	case VD_MEM_SRC_CGROUP: return "cgroup";
	case VD_MEM_SRC_BALLOON: return "balloon";
	case VD_MEM_SRC_RSS: return "host-rss";
	case VD_MEM_SRC_MODEL: return "demo";
	default: return "none";
	}
}

/* A lost guest still runs (its use is read from its cgroup), so it counts as active. */
bool vd_state_is_active(enum vd_state s)
{
	return s == VD_STATE_RUNNING || s == VD_STATE_PAUSED || s == VD_STATE_STARTING ||
	       s == VD_STATE_STOPPING || s == VD_STATE_LOST;
}

static const char *const vd_exit_names[VD_EXIT__COUNT] = {
	[VD_EXIT_NONE] = "none",         [VD_EXIT_USER] = "user",   [VD_EXIT_CODE] = "exited",
	[VD_EXIT_SIGNAL] = "signal",     [VD_EXIT_OOM] = "oom",     [VD_EXIT_LOST] = "lost",
	[VD_EXIT_POWEROFF] = "poweroff", [VD_EXIT_RESET] = "reset", [VD_EXIT_PANIC] = "panic",
	[VD_EXIT_CRASH] = "crash",
};

const char *vd_exit_kind_name(enum vd_exit_kind k)
{
	return (unsigned)k < VD_EXIT__COUNT ? vd_exit_names[k] : "none";
}

enum vd_exit_kind vd_exit_kind_parse(const char *name)
{
	for (int k = 0; name && k < VD_EXIT__COUNT; k++)
		if (strcmp(name, vd_exit_names[k]) == 0)
			return (enum vd_exit_kind)k;
	return VD_EXIT_NONE;
}

/* Only a guest that is down has a last exit worth showing in place of its state. */
static bool vd_guest_ended(const struct vd_guest *g)
{
	return g->state == VD_STATE_STOPPED || g->state == VD_STATE_CRASHED;
}

const char *vd_guest_state_label(const struct vd_guest *g, char *buf, size_t len)
{
	const char *word = NULL;
	switch (vd_guest_ended(g) ? g->exit.kind : VD_EXIT_NONE) {
	case VD_EXIT_CODE: snprintf(buf, len, "exited %d", g->exit.code); return buf;
	case VD_EXIT_SIGNAL: snprintf(buf, len, "signal %d", g->exit.code); return buf;
	case VD_EXIT_OOM: word = "oom-killed"; break;
	case VD_EXIT_RESET: word = "reset"; break;
	case VD_EXIT_PANIC: word = "panicked"; break;
	case VD_EXIT_CRASH: word = "crashed"; break;
	default: word = vd_state_name(g->state); break;
	}
	snprintf(buf, len, "%s", word);
	return buf;
}

static const char *vd_exit_default_reason(enum vd_exit_kind k)
{
	switch (k) {
	case VD_EXIT_USER: return "stopped by user";
	case VD_EXIT_LOST: return "supervisor lost";
	case VD_EXIT_POWEROFF: return "the guest powered off";
	case VD_EXIT_RESET: return "the guest reset (rebooted)";
	case VD_EXIT_PANIC: return "guest kernel panic";
	case VD_EXIT_CRASH: return "crashed";
	default: return "";
	}
}

/* The signal's name, "SIGSEGV", or its number when it has none. */
static void vd_signal_text(int sig, char *buf, size_t len)
{
	const char *abbrev = sig > 0 && sig < NSIG ? sigabbrev_np(sig) : NULL;
	if (abbrev)
		snprintf(buf, len, "SIG%s", abbrev);
	else
		snprintf(buf, len, "signal %d", sig);
}

static void vd_exit_reason(const struct vd_exit *e, char *buf, size_t len)
{
	char sig[24];
	if (e->kind == VD_EXIT_CODE) {
		snprintf(buf, len, "exited with status %d", e->code);
	} else if (e->kind == VD_EXIT_SIGNAL) {
		vd_signal_text(e->code, sig, sizeof(sig));
		snprintf(buf, len, "killed by %s", sig);
	} else if (e->kind == VD_EXIT_OOM) {
		snprintf(buf, len, "OOM kill: its cgroup ran out of memory");
	} else {
		snprintf(buf, len, "%s", e->detail[0] ? e->detail : vd_exit_default_reason(e->kind));
		return;
	}
	if (e->detail[0])
		snprintf(buf + strlen(buf), len - strlen(buf), " (%s)", e->detail);
}

const char *vd_guest_reason(const struct vd_guest *g, char *buf, size_t len)
{
	buf[0] = '\0';
	if (vd_guest_ended(g) || g->state == VD_STATE_LOST)
		vd_exit_reason(&g->exit, buf, len);
	return buf;
}

uint64_t vd_guest_oom_kills(const struct vd_guest *g)
{
	if (vd_state_is_active(g->state))
		return g->sample.oom_events;
	return g->exit.oom_kills;
}

bool vd_name_valid(const char *name)
{
	size_t n = name ? strlen(name) : 0;
	if (n == 0 || n >= VD_NAME_MAX || name[0] == '.' || name[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			  c == '_' || c == '.' || c == '-';
		if (!ok)
			return false;
	}
	return true;
}

const char *vd_def_opt(const struct vd_guest_def *def, const char *key)
{
	size_t kl = strlen(key);
	for (const char *const *o = def->opts; o && *o; o++)
		if (strncmp(*o, key, kl) == 0 && (*o)[kl] == '=')
			return *o + kl + 1;
	return NULL;
}

double vd_guest_cpu_capacity(const struct vd_guest *g, unsigned host_cpus)
{
	if (g->alloc.cpu_limit > 0)
		return g->alloc.cpu_limit;
	if (g->alloc.vcpus > 0)
		return g->alloc.vcpus;
	return host_cpus ? host_cpus : 1;
}
