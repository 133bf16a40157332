/* bus.c - the port-IO and MMIO buses: address ranges mapped to device ops, looked up per exit. */
#include <errno.h>

#include "vmm/vmm.h"

int vmm_bus_add(struct vmm_bus *bus, uint64_t base, uint64_t len, const struct vmm_dev_ops *ops,
		void *dev)
{
	if (bus->n >= VMM_MAX_DEVS)
		return -ENOSPC;
	for (unsigned i = 0; i < bus->n; i++)
		if (base < bus->e[i].base + bus->e[i].len && bus->e[i].base < base + len)
			return -EEXIST;
	bus->e[bus->n++] = (struct vmm_bus_entry){ .base = base, .len = len, .ops = ops, .dev = dev };
	return 0;
}

/* A handful of devices: a linear scan beats a tree at this size. */
bool vmm_bus_access(struct vmm_bus *bus, uint64_t addr, uint8_t *data, unsigned len, bool write)
{
	for (unsigned i = 0; i < bus->n; i++) {
		struct vmm_bus_entry *e = &bus->e[i];
		if (addr < e->base || addr - e->base >= e->len)
			continue;
		if (write && e->ops->write)
			e->ops->write(e->dev, addr - e->base, data, len);
		else if (!write && e->ops->read)
			e->ops->read(e->dev, addr - e->base, data, len);
		return true;
	}
	return false;
}
