/* libvirt-floor.c - the floor for bench/libvirt-refresh: only virConnectGetAllDomainStats, N times. */
#include <stdio.h>
#include <stdlib.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: libvirt-floor URI N\n");
		return 2;
	}
	virConnectPtr conn = virConnectOpenReadOnly(argv[1]);
	if (!conn) {
		fprintf(stderr, "libvirt-floor: cannot open %s\n", argv[1]);
		return 1;
	}
	long n = atol(argv[2]), domains = 0;
	for (long i = 0; i < n; i++) {
		virDomainStatsRecordPtr *recs = NULL;
		/* stats = 0: every group the driver supports, as a monitor that trusts the driver would */
		int cnt = virConnectGetAllDomainStats(conn, 0, &recs, 0);
		if (cnt < 0) {
			fprintf(stderr, "libvirt-floor: %s\n", virGetLastErrorMessage());
			return 1;
		}
		domains = cnt;
		virDomainStatsRecordListFree(recs);
	}
	printf("%ld domains, %ld calls\n", domains, n);
	virConnectClose(conn);
	return 0;
}
