/* fuzz-vm-def.c - libFuzzer target: VM definitions, with a save and load round trip. */
/* Whatever loads must survive a save and a second load unchanged. */
#include "fuzz.h"
#include "vmm/def.h"

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

static void fuzz_vm_def_equal(const struct vmm_def *a, const struct vmm_def *b)
{
	fuzz_str_equal("name", a->name, b->name);
	fuzz_str_equal("kernel", a->kernel, b->kernel);
	fuzz_str_equal("initrd", a->initrd, b->initrd);
	fuzz_str_equal("cmdline", a->cmdline, b->cmdline);
	fuzz_str_equal("disk", a->disk, b->disk);
	fuzz_str_equal("net", a->net, b->net);
	if (a->vcpus != b->vcpus || a->mem_bytes != b->mem_bytes)
		fuzz_fail("vcpus/memory changed by save and load: %u/%llu became %u/%llu", a->vcpus,
			  (unsigned long long)a->mem_bytes, b->vcpus,
			  (unsigned long long)b->mem_bytes);
	if (a->disk_readonly != b->disk_readonly || a->balloon != b->balloon || a->rng != b->rng ||
	    a->ksm != b->ksm)
		fuzz_fail("a yes/no key changed by save and load");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vmm_def a, b;
	struct vd_error *err = NULL;
	vmm_def_init(&a);
	vmm_def_init(&b);
	if (vmm_def_load(fuzz_file(data, size), &a, &err) < 0) {
		vd_error_free(err);
		vmm_def_clear(&a);
		return 0;
	}
	vmm_def_check(&a, &err);
	vd_error_free(err);
	err = NULL;
	_cleanup_free_ char *path = vd_xasprintf("%s/fuzz.ini", fuzz_tmpdir());
	if (vmm_def_save(path, &a, &err) < 0)
		fuzz_fail("saving a definition that loaded: %s", err->msg);
	if (vmm_def_load(path, &b, &err) < 0)
		fuzz_fail("the saved definition does not load again: %s", err->msg);
	fuzz_vm_def_equal(&a, &b);
	vmm_def_clear(&a);
	vmm_def_clear(&b);
	return 0;
}
