/* fuzz-ct-def.c - libFuzzer target: container definitions, with a save and load round trip. */
/* Whatever loads must survive a save and a second load unchanged, and every command line
 * must survive quoting. */
#include "containers/ct_def.h"
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_quiet();
	return 0;
}

static void fuzz_str_equal(const char *what, const char *a, const char *b)
{
	if (!a != !b || (a && strcmp(a, b) != 0))
		fuzz_fail("%s changed by save and load: \"%s\" became \"%s\"", what,
			  a ? a : "(unset)", b ? b : "(unset)");
}

static void fuzz_u64_equal(const char *what, uint64_t a, uint64_t b)
{
	if (a != b)
		fuzz_fail("%s changed by save and load: %llu became %llu", what,
			  (unsigned long long)a, (unsigned long long)b);
}

static void fuzz_ct_def_equal(const struct ct_def *a, const struct ct_def *b)
{
	fuzz_str_equal("rootfs", a->rootfs, b->rootfs);
	fuzz_str_equal("hostname", a->hostname, b->hostname);
	fuzz_str_equal("cmd", a->cmd, b->cmd);
	fuzz_str_equal("cwd", a->cwd, b->cwd);
	fuzz_str_equal("bridge", a->bridge, b->bridge);
	fuzz_str_equal("subnet", a->subnet, b->subnet);
	fuzz_str_equal("cpuset", a->cpuset, b->cpuset);
	fuzz_u64_equal("net", a->net, b->net);
	fuzz_u64_equal("cgroups", a->cgroups, b->cgroups);
	fuzz_u64_equal("seccomp", a->seccomp, b->seccomp);
	fuzz_u64_equal("memory", a->mem_max, b->mem_max);
	fuzz_u64_equal("memory_high", a->mem_high, b->mem_high);
	fuzz_u64_equal("cpu_weight", a->cpu_weight, b->cpu_weight);
	fuzz_u64_equal("pids_max", a->pids_max, b->pids_max);
	fuzz_u64_equal("nofile", a->nofile, b->nofile);
	fuzz_u64_equal("userns_base", a->userns_base, b->userns_base);
	fuzz_u64_equal("userns_size", a->userns_size, b->userns_size);
	if (a->cpus != b->cpus)
		fuzz_fail("cpus changed by save and load: %.17g became %.17g", a->cpus, b->cpus);
}

/* ct_def_quote promises that ct_def_argv gives every quoted word back unchanged. */
static void fuzz_ct_def_quoting(const struct ct_def *d)
{
	_cleanup_strv_ char **argv = ct_def_argv(d);
	_cleanup_free_ char *line = vd_xstrdup("");
	for (char **p = argv; *p; p++) {
		_cleanup_free_ char *q = ct_def_quote(*p), *old = line;
		line = vd_xasprintf("%s%s%s", old, *old ? " " : "", q);
	}
	struct ct_def again = { .cmd = line };
	_cleanup_strv_ char **back = ct_def_argv(&again);
	size_t i = 0;
	for (; argv[i] && back[i]; i++)
		if (strcmp(argv[i], back[i]) != 0)
			fuzz_fail("argument %zu \"%s\" came back from quoting as \"%s\"", i,
				  argv[i], back[i]);
	if (argv[i] || back[i])
		fuzz_fail("quoting changed the number of arguments of \"%s\"",
			  d->cmd ? d->cmd : "");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ct_def a, b;
	struct vd_error *err = NULL;
	if (ct_def_load_file(fuzz_file(data, size), "fuzz", &a, &err) < 0) {
		vd_error_free(err);
		return 0;
	}
	fuzz_ct_def_quoting(&a);
	free(a.path);
	a.path = vd_xasprintf("%s/fuzz.ini", fuzz_tmpdir());
	if (ct_def_save(&a, &err) < 0)
		fuzz_fail("saving a definition that loaded: %s", err->msg);
	if (ct_def_load_file(a.path, "fuzz", &b, &err) < 0)
		fuzz_fail("the saved definition does not load again: %s", err->msg);
	fuzz_ct_def_equal(&a, &b);
	ct_def_free(&a);
	ct_def_free(&b);
	return 0;
}
