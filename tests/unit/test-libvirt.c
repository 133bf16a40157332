/* test-libvirt.c - the libvirt engine against libvirt's in-process test driver (no daemon). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "backend/libvirt-priv.h"
#include "backend/registry.h"

#define GIB (1024ull * 1024 * 1024)
#define MIB (1024ull * 1024)

static struct vd_backend *open_ok(const char *uri)
{
	struct vd_backend *be = NULL;
	struct vd_error *err = NULL;
	int r = vd_backend_open("libvirt", uri, NULL, &be, &err);
	if (r < 0)
		fail_msg("opening %s: %s", uri, err->msg);
	return be;
}

/* The guest called name in a fresh list, copied out; fails the test when absent. */
static struct vd_guest list_one(struct vd_backend *be, const char *name, size_t *count)
{
	struct vd_guest *v = NULL, found = { 0 };
	size_t n = 0;
	struct vd_error *err = NULL;
	if (vd_backend_list(be, &v, &n, &err) < 0)
		fail_msg("list: %s", err->msg);
	bool hit = false;
	for (size_t i = 0; i < n; i++)
		if (vd_streq(v[i].name, name))
			found = v[i], hit = true;
	free(v);
	if (count)
		*count = n;
	if (!hit && name)
		fail_msg("guest %s not listed", name);
	return found;
}

static void test_uri_label_and_host(void **state)
{
	char *label = NULL;
	assert_string_equal(lv_split_label("web=qemu+tcp://10.0.0.2/system", &label), "qemu+tcp://10.0.0.2/system");
	assert_string_equal(label, "web");
	free(label);
	assert_string_equal(lv_split_label("qemu:///system?socket=/run/x", &label), "qemu:///system?socket=/run/x");
	assert_null(label);
	char *h = lv_uri_host("qemu+ssh://root@kvm1.example:2222/system");
	assert_string_equal(h, "kvm1.example");
	free(h);
	h = lv_uri_host("qemu:///system");
	assert_string_equal(h, "local");
	free(h);
	h = lv_uri_host("qemu+tcp://127.0.0.1/system");
	assert_string_equal(h, "127.0.0.1");
	free(h);
	h = lv_uri_host("qemu+tcp://[::1]:16510/system");
	assert_string_equal(h, "[::1]");
	free(h);
	/* the port probed before connecting, so a dead host fails in 2 s instead of TCP's minutes */
	assert_int_equal(lv_uri_port("qemu:///system"), 0);
	assert_int_equal(lv_uri_port("qemu+unix:///system"), 0);
	assert_int_equal(lv_uri_port("qemu+tcp://127.0.0.1/system"), 16509);
	assert_int_equal(lv_uri_port("qemu+tcp://qemu:16600/system"), 16600);
	assert_int_equal(lv_uri_port("qemu+ssh://root@kvm1/system"), 22);
	assert_int_equal(lv_uri_port("qemu+ssh://root@kvm1:2222/system?keyfile=/k"), 2222);
	assert_int_equal(lv_uri_port("qemu://kvm1/system"), 16514);
	assert_int_equal(lv_uri_port("qemu+tcp://[::1]:16510/system"), 16510);
}

/* The bulk-stats fields a real QEMU driver sends (names from virsh.rst `domstats`), as the test
 * driver cannot: summed NICs and disks, per-vCPU fields ignored, balloon "used" and units. */
static void test_parse_bulk_fields(void **state)
{
	struct vd_backend be = { .label = "h1" };
	struct lv_priv p = { .be = &be, .kind = VD_KIND_VM, .groups = LV_GROUPS_WANTED, .bulk = true };
	uint64_t now_s = (uint64_t)time(NULL);
	struct { const char *f; int type; unsigned long long v; } in[] = {
		{ "state.state", VIR_TYPED_PARAM_INT, VIR_DOMAIN_RUNNING }, { "state.reason", VIR_TYPED_PARAM_INT, 1 },
		{ "cpu.time", VIR_TYPED_PARAM_ULLONG, 5000000000ull }, { "cpu.user", VIR_TYPED_PARAM_ULLONG, 1 },
		{ "balloon.current", VIR_TYPED_PARAM_ULLONG, 262144 }, { "balloon.maximum", VIR_TYPED_PARAM_ULLONG, 524288 },
		{ "balloon.available", VIR_TYPED_PARAM_ULLONG, 250000 }, { "balloon.usable", VIR_TYPED_PARAM_ULLONG, 150000 },
		{ "balloon.rss", VIR_TYPED_PARAM_ULLONG, 300000 }, { "balloon.last-update", VIR_TYPED_PARAM_ULLONG, now_s },
		{ "vcpu.current", VIR_TYPED_PARAM_UINT, 2 }, { "vcpu.maximum", VIR_TYPED_PARAM_UINT, 4 },
		{ "vcpu.0.time", VIR_TYPED_PARAM_ULLONG, 999 }, { "net.count", VIR_TYPED_PARAM_UINT, 2 },
		{ "net.0.rx.bytes", VIR_TYPED_PARAM_ULLONG, 100 }, { "net.1.rx.bytes", VIR_TYPED_PARAM_ULLONG, 50 },
		{ "net.0.tx.bytes", VIR_TYPED_PARAM_ULLONG, 7 }, { "net.0.rx.pkts", VIR_TYPED_PARAM_ULLONG, 3 },
		{ "block.count", VIR_TYPED_PARAM_UINT, 1 }, { "block.0.rd.bytes", VIR_TYPED_PARAM_ULLONG, 4096 },
		{ "block.0.wr.bytes", VIR_TYPED_PARAM_ULLONG, 512 }, { "block.0.rd.reqs", VIR_TYPED_PARAM_ULLONG, 3 },
		{ "block.0.capacity", VIR_TYPED_PARAM_ULLONG, 1 << 30 },
	};
	virTypedParameter tp[VD_ARRAY_SIZE(in)];
	memset(tp, 0, sizeof(tp));
	for (size_t i = 0; i < VD_ARRAY_SIZE(in); i++) {
		vd_strlcpy(tp[i].field, in[i].f, sizeof(tp[i].field));
		tp[i].type = in[i].type;
		if (in[i].type == VIR_TYPED_PARAM_INT)
			tp[i].value.i = (int)in[i].v;
		else if (in[i].type == VIR_TYPED_PARAM_UINT)
			tp[i].value.ui = (unsigned)in[i].v;
		else
			tp[i].value.ul = in[i].v;
	}
	struct vd_guest g;
	lv_stats_parse(&p, NULL, "web", tp, (int)VD_ARRAY_SIZE(tp), 42, &g);
	assert_string_equal(g.name, "web");
	assert_string_equal(g.host, "h1");
	assert_int_equal(g.state, VD_STATE_RUNNING);
	assert_int_equal(g.sample.cpu_ns, 5000000000ull);
	assert_int_equal(g.sample.t_ns, 42);
	assert_int_equal(g.alloc.vcpus, 2);
	assert_int_equal(g.alloc.mem_bytes, 256 * MIB);
	assert_int_equal(g.alloc.mem_max_bytes, 512 * MIB);
	assert_int_equal(g.sample.mem_source, VD_MEM_SRC_BALLOON);
	assert_int_equal(g.sample.mem_used, 100000ull * 1024);
	assert_int_equal(g.sample.mem_rss, 300000ull * 1024);
	assert_int_equal(g.sample.net_rx, 150);
	assert_int_equal(g.sample.net_tx, 7);
	assert_int_equal(g.sample.io_read, 4096);
	assert_int_equal(g.sample.io_write, 512);
	/* Guest stats an hour old (the guest's driver stopped reporting): fall back to host RSS. */
	tp[9].value.ul = now_s - 3600;
	lv_stats_parse(&p, NULL, "web", tp, (int)VD_ARRAY_SIZE(tp), 42, &g);
	assert_int_equal(g.sample.mem_source, VD_MEM_SRC_RSS);
	assert_int_equal(g.sample.mem_used, 300000ull * 1024);
	/* A stopped domain keeps its allocation but uses nothing. */
	tp[0].value.i = VIR_DOMAIN_SHUTOFF;
	lv_stats_parse(&p, NULL, "web", tp, (int)VD_ARRAY_SIZE(tp), 42, &g);
	assert_int_equal(g.state, VD_STATE_STOPPED);
	assert_int_equal(g.sample.mem_used, 0);
	assert_int_equal(g.alloc.mem_bytes, 256 * MIB);
}

/* The default test domain: 2 vCPUs, 2 GiB current of 8 GiB, balloon stats with 1 GiB usable. */
static void test_list_default_domain(void **state)
{
	struct vd_backend *be = open_ok("test:///default");
	size_t n;
	struct vd_guest g = list_one(be, "test", &n);
	assert_int_equal(n, 1);
	assert_string_equal(g.host, "local");
	assert_int_equal(g.kind, VD_KIND_VM);
	assert_int_equal(g.state, VD_STATE_RUNNING);
	assert_int_equal(g.alloc.vcpus, 2);
	assert_int_equal(g.alloc.mem_bytes, 2 * GIB);
	assert_int_equal(g.alloc.mem_max_bytes, 8 * GIB);
	assert_true(g.sample.valid);
	assert_true(g.sample.cpu_ns > 0);
	assert_true(g.sample.t_ns > 0);
	/* available 2 GiB - usable 1 GiB, from the guest's balloon driver */
	assert_int_equal(g.sample.mem_source, VD_MEM_SRC_BALLOON);
	assert_int_equal(g.sample.mem_used, 1 * GIB);
	assert_int_equal(g.sample.mem_rss, 1 * GIB);
	assert_true(g.sample.io_read > 0 || g.sample.io_write > 0); /* vda, via virDomainBlockStats */
	vd_backend_close(be);
}

/* The test driver's bulk call gives only the state group: the rest must come per domain. */
static void test_fallback_detected_at_run_time(void **state)
{
	struct vd_backend *be = open_ok("test:///default");
	struct lv_priv *p = be->priv;
	assert_true(p->bulk);
	assert_true(p->groups & VIR_DOMAIN_STATS_STATE);
	assert_false(p->groups & VIR_DOMAIN_STATS_CPU_TOTAL);
	assert_false(p->groups & VIR_DOMAIN_STATS_BALLOON);
	struct vd_guest g = list_one(be, "test", NULL);
	assert_true(g.sample.cpu_ns > 0);       /* virDomainGetInfo */
	assert_int_equal(g.alloc.vcpus, 2);     /* virDomainGetInfo */
	assert_int_equal(g.sample.mem_used, GIB); /* virDomainMemoryStats */
	vd_backend_close(be);
}

/* CPU% comes from two samples through the registry, like the console computes it. */
static void test_cpu_time_grows(void **state)
{
	struct vd_registry reg;
	vd_registry_init(&reg);
	vd_registry_add(&reg, open_ok("test:///default"));
	vd_registry_refresh(&reg);
	uint64_t cpu0 = reg.guests[0].sample.cpu_ns;
	usleep(200 * 1000);
	assert_int_equal(vd_registry_refresh(&reg), 0);
	assert_int_equal(reg.n_guests, 1);
	assert_true(reg.guests[0].sample.cpu_ns > cpu0);
	assert_true(reg.guests[0].cpu_pct_alloc >= 0);
	vd_registry_free(&reg);
}

static void expect_state(struct vd_backend *be, enum vd_state st)
{
	struct vd_guest g = list_one(be, "test", NULL);
	assert_string_equal(vd_state_name(g.state), vd_state_name(st));
}

static void test_state_changes(void **state)
{
	struct vd_backend *be = open_ok("test:///default");
	struct vd_error *err = NULL;
	assert_int_equal(vd_backend_pause(be, "test", &err), 0);
	expect_state(be, VD_STATE_PAUSED);
	assert_int_equal(vd_backend_resume(be, "test", &err), 0);
	expect_state(be, VD_STATE_RUNNING);
	assert_int_equal(vd_backend_destroy(be, "test", &err), 0);
	expect_state(be, VD_STATE_STOPPED);
	struct vd_guest g = list_one(be, "test", NULL);
	assert_int_equal(g.sample.mem_used, 0);
	/* Why it is off comes from libvirt's state reason: destroyed on request. */
	char why[160];
	assert_int_equal(g.exit.kind, VD_EXIT_USER);
	assert_string_equal(vd_guest_reason(&g, why, sizeof(why)), "destroyed (forced off)");
	assert_int_equal(vd_backend_start(be, "test", &err), 0);
	expect_state(be, VD_STATE_RUNNING);
	assert_int_equal(vd_backend_stop(be, "test", 2, &err), 0);
	expect_state(be, VD_STATE_STOPPED);
	assert_int_equal(vd_backend_start(be, "test", &err), 0);
	assert_null(err);
	vd_backend_close(be);
}

/* Errors name the operation, the domain and the URI, and carry an errno-style code. */
static void test_errors_name_domain_and_uri(void **state)
{
	struct vd_backend *be = open_ok("test:///default");
	struct vd_error *err = NULL;
	assert_int_equal(vd_backend_start(be, "nosuch", &err), -ENOENT);
	assert_non_null(strstr(err->msg, "nosuch"));
	assert_non_null(strstr(err->msg, "test:///default"));
	vd_error_freep(&err);
	assert_true(vd_backend_resume(be, "test", &err) < 0); /* it is running */
	assert_non_null(strstr(err->msg, "resuming domain test at test:///default"));
	vd_error_freep(&err);
	struct vd_resize cpu = { .cpus = 1.5 };
	assert_int_equal(vd_backend_resize(be, "test", &cpu, &err), -ENOTSUP);
	vd_error_freep(&err);
	vd_backend_close(be);
}

static void test_resize_live(void **state)
{
	struct vd_backend *be = open_ok("test:///default");
	struct vd_error *err = NULL;
	struct vd_resize mem = { .mem_bytes = 1 * GIB, .flags = VD_RESIZE_LIVE };
	if (vd_backend_resize(be, "test", &mem, &err) < 0)
		fail_msg("%s", err->msg);
	struct vd_guest g = list_one(be, "test", NULL);
	assert_int_equal(g.alloc.mem_bytes, 1 * GIB);
	struct vd_resize cpus = { .vcpus = 1, .flags = VD_RESIZE_LIVE | VD_RESIZE_CONFIG };
	if (vd_backend_resize(be, "test", &cpus, &err) < 0)
		fail_msg("%s", err->msg);
	g = list_one(be, "test", NULL);
	assert_int_equal(g.alloc.vcpus, 1);
	struct vd_resize huge = { .mem_bytes = 64 * GIB, .flags = VD_RESIZE_LIVE };
	assert_true(vd_backend_resize(be, "test", &huge, &err) < 0);
	assert_non_null(strstr(err->msg, "setting the memory (balloon) of domain test"));
	vd_error_freep(&err);
	vd_backend_close(be);
}

static void test_create_and_remove(void **state)
{
	struct vd_backend *be = open_ok("test:///default");
	struct vd_error *err = NULL;
	struct vd_guest_def def = { .name = "vdnew", .kind = VD_KIND_VM, .vcpus = 1, .mem_bytes = 128 * MIB };
	if (vd_backend_create(be, &def, &err) < 0)
		fail_msg("%s", err->msg);
	size_t n;
	struct vd_guest g = list_one(be, "vdnew", &n);
	assert_int_equal(n, 2);
	assert_int_equal(g.state, VD_STATE_STOPPED);
	assert_int_equal(g.alloc.mem_max_bytes, 128 * MIB);
	assert_int_equal(vd_backend_start(be, "vdnew", &err), 0);
	assert_int_equal(vd_backend_remove(be, "vdnew", &err), -EBUSY);
	vd_error_freep(&err);
	assert_int_equal(vd_backend_destroy(be, "vdnew", &err), 0);
	assert_int_equal(vd_backend_remove(be, "vdnew", &err), 0);
	list_one(be, NULL, &n);
	assert_int_equal(n, 1);
	def.kind = VD_KIND_CT;
	assert_int_equal(vd_backend_create(be, &def, &err), -EINVAL);
	vd_error_freep(&err);
	vd_backend_close(be);
}

/* A lifecycle change arrives as a libvirt event through the registry's poll fds. */
static void test_events_through_poll(void **state)
{
	struct vd_registry reg;
	vd_registry_init(&reg);
	struct vd_backend *be = open_ok("test:///default");
	vd_registry_add(&reg, be);
	struct vd_error *err = NULL;
	assert_int_equal(vd_backend_pause(be, "test", &err), 0);
	int changed = 0;
	uint64_t end = vd_now_mono_ns() + 3000000000ull;
	while (!changed && vd_now_mono_ns() < end) {
		struct pollfd fds[16];
		int timeout = 500;
		int n = vd_registry_pollfds(&reg, fds, 16, &timeout);
		assert_true(n >= 1);
		if (poll(fds, (nfds_t)n, timeout) > 0)
			changed = vd_registry_dispatch(&reg, fds, n);
	}
	assert_true(changed > 0);
	assert_int_equal(vd_backend_resume(be, "test", &err), 0);
	vd_registry_free(&reg);
}

/* A list that fails within max_ns with a message containing want. */
static void expect_list_error(struct vd_backend *be, const char *want, uint64_t max_ns)
{
	struct vd_guest *v = NULL;
	size_t n = 0;
	struct vd_error *err = NULL;
	uint64_t t0 = vd_now_mono_ns();
	assert_true(vd_backend_list(be, &v, &n, &err) < 0);
	assert_true(vd_now_mono_ns() - t0 < max_ns);
	if (!strstr(err->msg, want))
		fail_msg("list error '%s' lacks '%s'", err->msg, want);
	vd_error_freep(&err);
}

/* Without a daemon the default URI fails at once and says what to do; an explicit URI opens
 * as a lost host that the console shows and retries. */
static void test_no_daemon_fails_fast(void **state)
{
	struct vd_backend *be = NULL;
	struct vd_error *err = NULL;
	setenv("LIBVIRT_DEFAULT_URI", "qemu:///system?socket=/nonexistent/libvirt-sock", 1);
	uint64_t t0 = vd_now_mono_ns();
	assert_true(vd_backend_open("libvirt", NULL, NULL, &be, &err) < 0);
	unsetenv("LIBVIRT_DEFAULT_URI");
	assert_true(vd_now_mono_ns() - t0 < 2000000000ull);
	assert_non_null(strstr(err->msg, "is libvirtd running?"));
	vd_error_freep(&err);

	be = open_ok("qemu:///system?socket=/nonexistent/libvirt-sock");
	expect_list_error(be, "is libvirtd running?", 500000000ull);
	expect_list_error(be, "next try in", 500000000ull);
	vd_backend_close(be);
	be = open_ok("qemu+tcp://127.0.0.1:1/system");
	expect_list_error(be, "cannot reach 127.0.0.1 port 1", 500000000ull);
	vd_backend_close(be);
}

/* A host that drops our SYNs (a listener whose backlog is full): opening gives up after the
 * 2 s probe instead of waiting for TCP's minutes of retries, and later reconnect attempts
 * never wait at all (the probe runs across refreshes). */
static void test_silent_host_times_out(void **state)
{
	int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	assert_int_equal(bind(l, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(l, 0), 0);
	assert_int_equal(getsockname(l, (struct sockaddr *)&a, &len), 0);
	int filler[4];
	for (int i = 0; i < 4; i++) { /* fill the backlog: later SYNs are dropped */
		filler[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		connect(filler[i], (struct sockaddr *)&a, sizeof(a));
	}
	usleep(100 * 1000);
	char *uri = vd_xasprintf("qemu+tcp://127.0.0.1:%d/system", ntohs(a.sin_port));
	uint64_t t0 = vd_now_mono_ns();
	struct vd_backend *be = open_ok(uri);
	uint64_t took = vd_now_mono_ns() - t0;
	assert_true(took >= 1900000000ull && took < 3500000000ull); /* the whole probe time, no more */
	expect_list_error(be, "cannot reach 127.0.0.1", 500000000ull);
	usleep(1100 * 1000); /* the first backoff step */
	expect_list_error(be, "waiting for 127.0.0.1", 500000000ull);
	expect_list_error(be, "waiting for 127.0.0.1", 500000000ull);
	vd_backend_close(be);
	free(uri);
	for (int i = 0; i < 4; i++)
		close(filler[i]);
	close(l);
}

static const char *three_xml =
	"<node>"
	"<domain type='test'><name>alpha</name><memory>524288</memory><vcpu>1</vcpu>"
	"<os><type>hvm</type></os></domain>"
	"<domain type='test'><name>beta</name><memory>1048576</memory><vcpu>2</vcpu>"
	"<os><type>hvm</type></os></domain>"
	"<domain type='test'><name>gamma</name><memory>262144</memory><vcpu>4</vcpu>"
	"<os><type>hvm</type></os></domain>"
	"</node>";

/* A test-driver file with several domains, opened with a label: the label is the host. */
static void test_labelled_file_uri(void **state)
{
	char path[] = "/tmp/vd-lv-XXXXXX.xml";
	int fd = mkstemps(path, 4);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, three_xml, strlen(three_xml)), (ssize_t)strlen(three_xml));
	close(fd);
	char *uri = vd_xasprintf("lab=test://%s", path);
	struct vd_backend *be = open_ok(uri);
	size_t n;
	struct vd_guest g = list_one(be, "gamma", &n);
	assert_int_equal(n, 3);
	assert_string_equal(g.host, "lab");
	assert_string_equal(be->label, "lab");
	assert_int_equal(g.alloc.vcpus, 4);
	assert_int_equal(g.alloc.mem_bytes, 256 * MIB);
	vd_backend_close(be);
	free(uri);
	unlink(path);
}

/* ---------------------------------------------------------------- the event loop itself */

struct ev_probe {
	int handle_calls, last_events, timer_calls, freed;
	int watch, timer;
	bool remove_in_cb;
};

static void ev_handle_cb(int watch, int fd, int events, void *opaque)
{
	struct ev_probe *e = opaque;
	char c;
	e->handle_calls++;
	e->last_events = events;
	if (read(fd, &c, 1) < 0)
		fail_msg("read");
	if (e->remove_in_cb) {
		virEventRemoveHandle(watch);
		assert_int_equal(e->freed, 0); /* freeing waits until the callback returned */
	}
}

static void ev_timer_cb(int timer, void *opaque)
{
	struct ev_probe *e = opaque;
	e->timer_calls++;
	if (e->remove_in_cb)
		virEventRemoveTimeout(timer);
}

static void ev_free(void *opaque)
{
	((struct ev_probe *)opaque)->freed++;
}

/* One iteration as a console would run it: fds, poll, dispatch. */
static void ev_iterate(int timeout_ms)
{
	struct pollfd fds[64];
	int n = lv_event_fill_pump(fds, 64, &timeout_ms);
	if (poll(fds, (nfds_t)n, timeout_ms) >= 0)
		lv_event_run_pump(fds, n);
}

/* Handles libvirt adds through virEventAddHandle reach poll() and come back as callbacks. */
static void test_event_handles(void **state)
{
	lv_event_init();
	int p[2];
	assert_int_equal(pipe(p), 0);
	struct ev_probe e = { 0 };
	e.watch = virEventAddHandle(p[0], VIR_EVENT_HANDLE_READABLE, ev_handle_cb, &e, ev_free);
	assert_true(e.watch > 0);
	ev_iterate(0);
	assert_int_equal(e.handle_calls, 0);
	assert_int_equal(write(p[1], "x", 1), 1);
	ev_iterate(1000);
	assert_int_equal(e.handle_calls, 1);
	assert_int_equal(e.last_events, VIR_EVENT_HANDLE_READABLE);
	virEventUpdateHandle(e.watch, 0); /* disabled: data waits */
	assert_int_equal(write(p[1], "y", 1), 1);
	ev_iterate(50);
	assert_int_equal(e.handle_calls, 1);
	virEventUpdateHandle(e.watch, VIR_EVENT_HANDLE_READABLE);
	e.remove_in_cb = true;
	ev_iterate(1000);
	assert_int_equal(e.handle_calls, 2);
	assert_int_equal(e.freed, 1); /* freed after the callback, in the same iteration */
	assert_int_equal(write(p[1], "z", 1), 1);
	ev_iterate(50);
	assert_int_equal(e.handle_calls, 2);
	assert_true(virEventRemoveHandle(e.watch) < 0);
	close(p[0]);
	close(p[1]);
}

/* Timers: disabled (-1) never fires, 0 fires once per iteration, N ms after N ms. */
static void test_event_timers(void **state)
{
	lv_event_init();
	ev_iterate(0); /* finish whatever iteration an earlier test left */
	struct ev_probe off = { 0 }, every = { 0 }, later = { 0 };
	off.timer = virEventAddTimeout(-1, ev_timer_cb, &off, ev_free);
	every.timer = virEventAddTimeout(0, ev_timer_cb, &every, ev_free);
	uint64_t t0 = vd_now_mono_ns();
	later.timer = virEventAddTimeout(100, ev_timer_cb, &later, ev_free);
	later.remove_in_cb = true;
	for (int i = 0; i < 3; i++)
		ev_iterate(0);
	assert_int_equal(every.timer_calls, 3); /* once per iteration */
	assert_int_equal(later.timer_calls, 0);
	while (later.timer_calls == 0 && vd_now_mono_ns() - t0 < 2000000000ull)
		ev_iterate(500); /* the poll timeout is lowered to the 100 ms timer */
	assert_int_equal(later.timer_calls, 1);
	assert_true(vd_now_mono_ns() - t0 >= 100000000ull);
	assert_int_equal(later.freed, 1); /* removed in its own callback */
	assert_int_equal(off.timer_calls, 0);
	virEventUpdateTimeout(off.timer, 0);
	ev_iterate(0);
	assert_true(off.timer_calls >= 1);
	virEventRemoveTimeout(off.timer);
	virEventRemoveTimeout(every.timer);
	ev_iterate(0);
	assert_int_equal(off.freed + every.freed, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uri_label_and_host),
		cmocka_unit_test(test_parse_bulk_fields),
		cmocka_unit_test(test_list_default_domain),
		cmocka_unit_test(test_fallback_detected_at_run_time),
		cmocka_unit_test(test_cpu_time_grows),
		cmocka_unit_test(test_state_changes),
		cmocka_unit_test(test_errors_name_domain_and_uri),
		cmocka_unit_test(test_resize_live),
		cmocka_unit_test(test_create_and_remove),
		cmocka_unit_test(test_events_through_poll),
		cmocka_unit_test(test_no_daemon_fails_fast),
		cmocka_unit_test(test_silent_host_times_out),
		cmocka_unit_test(test_labelled_file_uri),
		cmocka_unit_test(test_event_handles),
		cmocka_unit_test(test_event_timers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
