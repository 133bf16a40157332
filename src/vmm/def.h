/* def.h - a VM definition (INI under <datadir>/vms/NAME.ini), shared by virtdeck-vmm and the
 * engine. */
#ifndef VD_VMM_DEF_H
#define VD_VMM_DEF_H

#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"

/* virtdeck-vmm's own limits: struct vmm holds VMM_MAX_VCPUS (vmm.h) vCPUs, below KVM's. */
#define VMM_VCPUS_MAX 64
#define VMM_MEM_MIN (64ull << 20)

struct vmm_def {
	char *name;
	unsigned vcpus;
	uint64_t mem_bytes;
	char *kernel;
	char *initrd;
	char *cmdline; /* appended to the VMM's defaults */
	char *disk;
	bool disk_readonly;
	char *net;     /* host bridge name for a tap, NULL = no network */
	bool balloon;
	bool rng;
	bool ksm;      /* offer guest RAM to KSM (MADV_MERGEABLE) */
	uint64_t console_log_size; /* bound of NAME.console (and of NAME.console.1); 0 = 1M */
};

void vmm_def_init(struct vmm_def *d);
void vmm_def_clear(struct vmm_def *d);
/* Parse an INI file ([vm] section); every bad line is reported as file:line. */
int vmm_def_load(const char *path, struct vmm_def *d, struct vd_error **err);
/* Temp file + rename, after reading the temp file back: a definition that would not read back
 * the same is refused. Text values are quoted as common/inival.h says, so any bytes survive. */
int vmm_def_save(const char *path, const struct vmm_def *d, struct vd_error **err);
/* Set one key (the INI keys: name, vcpus, memory, kernel, initrd, cmdline, disk, ...). */
int vmm_def_set(struct vmm_def *d, const char *key, const char *value, struct vd_error **err);
/* Check that a definition can boot: a name, a kernel, sane sizes. */
int vmm_def_check(const struct vmm_def *d, struct vd_error **err);

#endif
