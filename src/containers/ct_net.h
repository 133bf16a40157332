/* ct_net.h - container networking over netlink (libnl-route-3): none, loopback, veth to a bridge.
 */
#ifndef VD_CT_NET_H
#define VD_CT_NET_H

#include <netinet/in.h>
#include <stdbool.h>
#include <sys/types.h>

#include "common/error.h"

struct ct_net_plan {
	char bridge[16];
	char host_if[16];     /* host end of the veth pair */
	struct in_addr addr;  /* the container's address */
	struct in_addr gw;    /* the bridge's address (first of the range) */
	unsigned prefix;
};

/* Parse "a.b.c.d/len" into the gateway (first host) and prefix; host addresses start at .2. */
int ct_net_parse_subnet(const char *subnet, struct in_addr *net, unsigned *prefix,
			struct vd_error **err);
/* Host side, after clone: bridge (created if missing), veth pair, peer moved into pid's netns. */
int ct_net_host_setup(const char *name, const struct ct_net_plan *p, pid_t pid,
		      struct vd_error **err);
/* Host side cleanup of a veth whose container is gone (normally the kernel removes it). */
void ct_net_host_cleanup(const struct ct_net_plan *p);
/* Inside the container's netns: lo up; with a plan, eth0 addressed, up, default route. */
int ct_net_child_setup(const char *name, const struct ct_net_plan *p, struct vd_error **err);

#endif
