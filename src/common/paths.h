/* paths.h - where virtdeck keeps runtime state, persistent data and user configuration. */
#ifndef VD_COMMON_PATHS_H
#define VD_COMMON_PATHS_H

#include "common/error.h"

/*
 * State (sockets, pids, logs of running guests): /run/virtdeck as root, else
 * $XDG_RUNTIME_DIR/virtdeck. Data (definitions, history): /var/lib/virtdeck as root, else
 * $XDG_DATA_HOME/virtdeck. Config: $XDG_CONFIG_HOME/virtdeck/virtdeck.ini.
 * $VIRTDECK_STATE_DIR / $VIRTDECK_DATA_DIR override both (tests and side-by-side installs).
 * Returned strings are heap-allocated.
 */
int vd_paths_state_dir(char **out, struct vd_error **err);
int vd_paths_data_dir(char **out, struct vd_error **err);
int vd_paths_config_file(char **out, struct vd_error **err);
/* Create the directory (mode 0700) if needed. */
int vd_paths_ensure(const char *dir, struct vd_error **err);

/* Locate a helper binary (virtdeck-ct, virtdeck-vmm): $VIRTDECK_<NAME>_BIN, then next to the
 * running executable (build tree), then the install's libexec directory. */
int vd_paths_helper(const char *name, char **out, struct vd_error **err);

#endif
