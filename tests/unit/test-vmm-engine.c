/* test-vmm-engine.c - the vmm engine (src/backend/vmm.c) against a stand-in virtdeck-vmm: a thread
 * serving the control socket with canned replies, so definitions, state, the balloon-based
 * "memory really used", resize and lifecycle requests are checked without KVM. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "backend/engines.h"
#include "backend/registry.h"
#include "common/ctl.h"
#include "vmm/def.h"

static char tmpdir[] = "/tmp/vd-test-vmm-XXXXXX";
static char last_cmd[64];
static int64_t last_bytes;

/* Replies as virtdeck-vmm would: a running 2-vCPU 512M VM whose guest has 400M of 480M free. */
static struct json_object *fake_reply(struct json_object *req)
{
	const char *cmd = vd_json_str(req, "cmd", "");
	vd_strlcpy(last_cmd, cmd, sizeof(last_cmd));
	last_bytes = vd_json_i64(req, "bytes", -1);
	struct json_object *o = vd_ctl_reply_ok();
	json_object_object_add(o, "state", json_object_new_string(vd_streq(cmd, "pause") ? "paused" : "running"));
	json_object_object_add(o, "vcpus", json_object_new_int(2));
	json_object_object_add(o, "mem_bytes", json_object_new_int64(512ll << 20));
	json_object_object_add(o, "cpu_ns", json_object_new_int64(3000000000ll));
	/* read at 7 s on the VMM's clock; the reading it kept: 2.5 s of vCPU time at 6 s */
	json_object_object_add(o, "t_ns", json_object_new_int64(7000000000ll));
	json_object_object_add(o, "win_t_ns", json_object_new_int64(6000000000ll));
	json_object_object_add(o, "win_cpu_ns", json_object_new_int64(2500000000ll));
	json_object_object_add(o, "rss", json_object_new_int64(300ll << 20));
	struct json_object *b = json_object_new_object();
	json_object_object_add(b, "valid", json_object_new_boolean(1));
	json_object_object_add(b, "total", json_object_new_int64(480ll << 20));
	json_object_object_add(b, "available", json_object_new_int64(400ll << 20));
	json_object_object_add(b, "target_bytes", json_object_new_int64(384ll << 20));
	json_object_object_add(o, "balloon", b);
	return o;
}

static void *fake_vmm(void *arg)
{
	int lfd = *(int *)arg;
	for (;;) {
		struct vd_error *err = NULL;
		int fd = vd_ctl_accept(lfd, &err);
		if (fd < 0) {
			vd_error_free(err);
			return NULL;
		}
		struct vd_ctl_reader *rd = calloc(1, sizeof(*rd));
		struct json_object *req = NULL;
		if (vd_ctl_recv(fd, rd, 2000, &req, &err) == 0) {
			struct json_object *reply = fake_reply(req);
			vd_ctl_send(fd, reply, &err);
			json_object_put(reply);
			json_object_put(req);
		}
		vd_error_free(err);
		free(rd);
		close(fd);
	}
}

static struct vd_backend *open_vmm(void)
{
	struct vd_backend *be = NULL;
	struct vd_error *err = NULL;
	assert_int_equal(vd_backend_open_ops(&vd_vmm_ops, NULL, NULL, &be, &err), 0);
	return be;
}

static void test_definitions(void **state)
{
	struct vd_backend *be = open_vmm();
	struct vd_error *err = NULL;
	const char *opts[] = { "kernel=/bin/sh", "cmdline=quiet", NULL };
	struct vd_guest_def def = { .name = "web", .kind = VD_KIND_VM, .vcpus = 2, .mem_bytes = 512ull << 20,
				    .opts = opts };
	assert_int_equal(vd_backend_create(be, &def, &err), 0);
	assert_int_equal(vd_backend_create(be, &def, &err), -EEXIST);
	vd_error_freep(&err);
	const char *bad_opts[] = { "kernel=/no/such/kernel", NULL };
	struct vd_guest_def bad = { .name = "bad", .kind = VD_KIND_VM, .opts = bad_opts };
	assert_true(vd_backend_create(be, &bad, &err) < 0);
	assert_non_null(strstr(err->msg, "/no/such/kernel"));
	vd_error_freep(&err);

	struct vd_guest *g = NULL;
	size_t n = 0;
	assert_int_equal(vd_backend_list(be, &g, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(g[0].name, "web");
	assert_int_equal(g[0].state, VD_STATE_STOPPED);
	assert_int_equal(g[0].alloc.vcpus, 2);
	assert_int_equal(g[0].alloc.mem_bytes, 512ull << 20);
	free(g);
	/* A VM whose last run crashed says so (virtdeck-vmm leaves NAME.exit). */
	_cleanup_free_ char *dir = vd_xasprintf("%s/state/vmm", tmpdir);
	_cleanup_free_ char *exitf = vd_xasprintf("%s/web.exit", dir);
	assert_int_equal(vd_mkdir_p(dir, 0700), 0);
	FILE *f = fopen(exitf, "w");
	fputs("crashed\n", f);
	fclose(f);
	struct vd_guest one;
	assert_int_equal(vd_backend_lookup(be, "web", &one, &err), 0);
	assert_int_equal(one.state, VD_STATE_CRASHED);
	/* A panic seen on the serial line: the table says panicked and the reason quotes it. */
	char label[32], why[160];
	f = fopen(exitf, "w");
	fputs("panicked: Kernel panic - not syncing: sysrq triggered crash\n", f);
	fclose(f);
	assert_int_equal(vd_backend_lookup(be, "web", &one, &err), 0);
	assert_string_equal(vd_guest_state_label(&one, label, sizeof(label)), "panicked");
	assert_string_equal(vd_guest_reason(&one, why, sizeof(why)),
			    "Kernel panic - not syncing: sysrq triggered crash");
	unlink(exitf);
	/* After a reboot emptied the state dir, the data dir's copy still says how it ended. */
	_cleanup_free_ char *dataf = vd_xasprintf("%s/data/vms/web.exit", tmpdir);
	f = fopen(dataf, "w");
	fputs("poweroff: ACPI poweroff (S5)\n", f);
	fclose(f);
	assert_int_equal(vd_backend_lookup(be, "web", &one, &err), 0);
	assert_int_equal(one.state, VD_STATE_STOPPED);
	assert_int_equal(one.exit.kind, VD_EXIT_POWEROFF);
	assert_string_equal(vd_guest_reason(&one, why, sizeof(why)), "ACPI poweroff (S5)");
	unlink(dataf);
	/* A stopped VM cannot be paused: the engine says it is not running. */
	assert_true(vd_backend_pause(be, "web", &err) < 0);
	assert_non_null(strstr(err->msg, "not running"));
	vd_error_freep(&err);
	vd_backend_close(be);
}

static void test_running_vm_through_socket(void **state)
{
	struct vd_backend *be = open_vmm();
	struct vd_error *err = NULL;
	_cleanup_free_ char *dir = vd_xasprintf("%s/state/vmm", tmpdir);
	_cleanup_free_ char *sock = vd_xasprintf("%s/web.sock", dir);
	assert_int_equal(vd_mkdir_p(dir, 0700), 0);
	int lfd = vd_ctl_listen(sock, &err);
	assert_true(lfd >= 0);
	pthread_t th;
	pthread_create(&th, NULL, fake_vmm, &lfd);

	struct vd_guest g;
	assert_int_equal(vd_backend_lookup(be, "web", &g, &err), 0);
	assert_int_equal(g.state, VD_STATE_RUNNING);
	/* Really used = guest MemTotal - MemAvailable from the balloon, not the VMM's RSS. */
	assert_int_equal(g.sample.mem_source, VD_MEM_SRC_BALLOON);
	assert_int_equal(g.sample.mem_used, 80ull << 20);
	assert_int_equal(g.sample.mem_rss, 300ull << 20);
	assert_int_equal(g.sample.cpu_ns, 3000000000ull);
	/* Timed by the VMM's reading, not by when the reply got here; one reply gives a rate. */
	assert_int_equal(g.sample.t_ns, 7000000000ull);
	vd_registry_rates(&g, NULL, 4);
	assert_float_equal(g.cpu_window_s, 1.0, 1e-9);
	assert_float_equal(g.cpu_pct_alloc, 25.0, 1e-9); /* 0.5 s in 1 s on 2 vCPUs */
	assert_int_equal(g.alloc.mem_bytes, 384ull << 20); /* the balloon target is the allocation */
	assert_int_equal(g.alloc.mem_max_bytes, 512ull << 20);

	assert_int_equal(vd_backend_pause(be, "web", &err), 0);
	assert_string_equal(last_cmd, "pause");
	struct vd_resize req = { .mem_bytes = 256ull << 20, .flags = VD_RESIZE_LIVE };
	assert_int_equal(vd_backend_resize(be, "web", &req, &err), 0);
	assert_string_equal(last_cmd, "balloon");
	assert_int_equal(last_bytes, 256ll << 20);
	struct vd_resize cpus = { .vcpus = 4, .flags = VD_RESIZE_LIVE };
	assert_int_equal(vd_backend_resize(be, "web", &cpus, &err), -ENOTSUP);
	vd_error_freep(&err);
	/* A running VM is not deleted from under its VMM. */
	assert_int_equal(vd_backend_remove(be, "web", &err), -EBUSY);
	vd_error_freep(&err);

	shutdown(lfd, SHUT_RDWR);
	close(lfd);
	pthread_join(th, NULL);
	unlink(sock);
	assert_int_equal(vd_backend_remove(be, "web", &err), 0);
	vd_backend_close(be);
}

/* VM definitions keep long and hostile values (kernel command lines pass inih's 199 bytes). */
static void test_definition_values(void **state)
{
	char cmdline[351];
	memset(cmdline, 'q', 350);
	memcpy(cmdline + 180, " ; x # y\nvcpus=9 ", 17);
	cmdline[350] = '\0';
	_cleanup_free_ char *path = vd_xasprintf("%s/hostile.ini", tmpdir);
	struct vmm_def d, back;
	struct vd_error *err = NULL;
	vmm_def_init(&d);
	vmm_def_init(&back);
	d.name = vd_xstrdup("hostile");
	d.kernel = vd_xstrdup("/boot/a ;b #c");
	d.cmdline = vd_xstrdup(cmdline);
	d.disk = vd_xstrdup("  /srv/disk.img  ");
	assert_int_equal(vmm_def_save(path, &d, &err), 0);
	assert_int_equal(vmm_def_load(path, &back, &err), 0);
	assert_string_equal(back.cmdline, cmdline);
	assert_string_equal(back.kernel, d.kernel);
	assert_string_equal(back.disk, d.disk);
	assert_int_equal(back.vcpus, 1);
	vmm_def_clear(&back);
	vmm_def_clear(&d);
	assert_true(vmm_def_set(&d, "net", "a-bridge-name-that-is-forty-characters-x", &err) < 0);
	if (!strstr(err->msg, "15"))
		fail_msg("got '%s'", err->msg);
	vd_error_freep(&err);
	vmm_def_clear(&d);
}

/* Create refuses what the kernel or the host cannot give, saying why. */
static void test_create_bounds(void **state)
{
	struct vd_backend *be = open_vmm();
	struct vd_error *err = NULL;
	const char *net_opts[] = { "kernel=/bin/sh", "net=a-bridge-name-that-is-forty-characters-x",
				   NULL };
	struct vd_guest_def def = { .name = "b1", .kind = VD_KIND_VM, .opts = net_opts };
	assert_true(vd_backend_create(be, &def, &err) < 0);
	if (!strstr(err->msg, "15"))
		fail_msg("got '%s'", err->msg);
	vd_error_freep(&err);
	const char *opts[] = { "kernel=/bin/sh", NULL };
	struct vd_guest_def big = { .name = "b2", .kind = VD_KIND_VM,
				    .mem_bytes = vd_host_mem() + (2ull << 20), .opts = opts };
	assert_true(vd_backend_create(be, &big, &err) < 0);
	assert_non_null(strstr(err->msg, "memory"));
	vd_error_freep(&err);
	struct vd_guest_def many = { .name = "b3", .kind = VD_KIND_VM, .vcpus = 65, .opts = opts };
	assert_true(vd_backend_create(be, &many, &err) < 0);
	assert_non_null(strstr(err->msg, "vCPU"));
	vd_error_freep(&err);
	vd_backend_close(be);
}

/* A definition that does not parse is listed as broken with file:line, and can be deleted. */
static void test_broken_definition_listed(void **state)
{
	struct vd_backend *be = open_vmm();
	struct vd_error *err = NULL;
	_cleanup_free_ char *dir = vd_xasprintf("%s/data/vms", tmpdir);
	_cleanup_free_ char *path = vd_xasprintf("%s/broken.ini", dir);
	assert_int_equal(vd_mkdir_p(dir, 0700), 0);
	FILE *f = fopen(path, "w");
	fputs("[vm]\nvcpus = lots\n", f);
	fclose(f);
	struct vd_guest *g = NULL;
	size_t n = 0;
	assert_int_equal(vd_backend_list(be, &g, &n, &err), 0);
	const struct vd_guest *b = NULL;
	for (size_t i = 0; i < n; i++)
		if (vd_streq(g[i].name, "broken"))
			b = &g[i];
	assert_non_null(b);
	assert_int_equal(b->state, VD_STATE_BROKEN);
	_cleanup_free_ char *where = vd_xasprintf("%s:2:", path);
	if (!strstr(b->problem, where))
		fail_msg("got '%s', want '%s'", b->problem, where);
	free(g);
	assert_int_equal(vd_backend_remove(be, "broken", &err), 0);
	assert_int_equal(access(path, F_OK), -1);
	vd_backend_close(be);
}

/* A VMM that holds its socket but answers nothing (hung, or stopped with SIGSTOP): the list
 * shows it as no-reply with the reason within its short timeout, and requests fail with
 * -ETIMEDOUT saying what to do, instead of crashing or hanging the console. */
static void test_unanswering_vmm(void **state)
{
	struct vd_backend *be = open_vmm();
	struct vd_error *err = NULL;
	_cleanup_free_ char *dir = vd_xasprintf("%s/state/vmm", tmpdir);
	_cleanup_free_ char *sock = vd_xasprintf("%s/mute.sock", dir);
	_cleanup_free_ char *pidf = vd_xasprintf("%s/mute.pid", dir);
	assert_int_equal(vd_mkdir_p(dir, 0700), 0);
	int lfd = vd_ctl_listen(sock, &err); /* listens, never accepts */
	assert_true(lfd >= 0);
	struct vd_guest g;
	uint64_t t0 = vd_now_mono_ns();
	assert_int_equal(vd_backend_lookup(be, "mute", &g, &err), 0);
	assert_true(vd_now_mono_ns() - t0 < 3000000000ull);
	assert_int_equal(g.state, VD_STATE_NOREPLY);
	assert_non_null(strstr(g.problem, "VM mute: its virtdeck-vmm"));
	assert_non_null(strstr(g.problem, "not answering within"));
	assert_int_equal(vd_backend_pause(be, "mute", &err), -ETIMEDOUT);
	assert_non_null(strstr(err->msg, "not answering"));
	vd_error_freep(&err);

	pid_t child = fork();
	if (child == 0) {
		pause();
		_exit(0);
	}
	kill(child, SIGSTOP);
	FILE *f = fopen(pidf, "w");
	fprintf(f, "%d\n", (int)child);
	fclose(f);
	for (int i = 0; i < 100 && !vd_pid_stopped(child); i++)
		usleep(10000);
	t0 = vd_now_mono_ns();
	assert_int_equal(vd_backend_lookup(be, "mute", &g, &err), 0);
	assert_true(vd_now_mono_ns() - t0 < 500000000ull); /* a stopped VMM is not even asked */
	assert_int_equal(g.state, VD_STATE_NOREPLY);
	_cleanup_free_ char *hint = vd_xasprintf("kill -CONT %d", (int)child);
	assert_non_null(strstr(g.problem, hint));
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	close(lfd);
	unlink(sock);
	unlink(pidf);
	vd_backend_close(be);
}

static int setup(void **state)
{
	if (!mkdtemp(tmpdir))
		return -1;
	_cleanup_free_ char *st = vd_xasprintf("%s/state", tmpdir);
	_cleanup_free_ char *data = vd_xasprintf("%s/data", tmpdir);
	setenv("VIRTDECK_STATE_DIR", st, 1);
	setenv("VIRTDECK_DATA_DIR", data, 1);
	return 0;
}

static int teardown(void **state)
{
	_cleanup_free_ char *cmd = vd_xasprintf("rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_definitions),
		cmocka_unit_test(test_running_vm_through_socket),
		cmocka_unit_test(test_definition_values),
		cmocka_unit_test(test_create_bounds),
		cmocka_unit_test(test_broken_definition_listed),
		cmocka_unit_test(test_unanswering_vmm),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
