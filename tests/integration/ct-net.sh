#!/bin/sh
# ct-net.sh - net=bridge: a veth pair per container on a host bridge, addresses from the
# configured private range, containers reach each other and the bridge; stop removes the veth.
. "$(dirname "$0")/ct-lib.sh"
command -v ip >/dev/null || skip "iproute2 (ip) is needed to inspect and remove the test bridge"

br=vdt$$
br=$(echo "$br" | cut -c1-15)
net=10.199.$(( $$ % 200 + 20 )).0
trap 'ct_cleanup; ip link del "$br" 2>/dev/null' EXIT

for n in na nb; do
	CT_NAMES="$CT_NAMES $n"
	vd create ct $n --rootfs "$ROOTFS" --memory 32M --net bridge -- /bin/sh >/dev/null || fail "create $n"
	printf 'bridge = %s\nsubnet = %s/24\n' "$br" "$net" >> "$VIRTDECK_DATA_DIR/containers/$n.ini"
	vd start $n >/dev/null || fail "start $n"
done
pfx=${net%.0}
[ "$(ct_field status na addr)" = "$pfx.2" ] || fail "na got $(ct_field status na addr), expected $pfx.2"
[ "$(ct_field status nb addr)" = "$pfx.3" ] || fail "nb got $(ct_field status nb addr), expected $pfx.3"
ctx na -- ip -4 addr show eth0 | grep -q "inet $pfx.2/24" || fail "eth0 of na not addressed"
ok "addresses $pfx.2 and $pfx.3 from $net/24 on bridge $br"

ctx na -- ping -c1 -W2 "$pfx.3" >/dev/null || fail "na cannot reach nb"
ctx nb -- ping -c1 -W2 "$pfx.1" >/dev/null || fail "nb cannot reach the bridge"
ip -4 addr show "$br" | grep -q "inet $pfx.1/24" || fail "bridge has no gateway address"
[ "$(ct_field stats na net_rx)" -gt 0 ] || fail "net_rx of na did not move"
ok "na -> nb and nb -> gateway ping; traffic counted"

veth=$(ls /sys/class/net/"$br"/brif/ | head -1)
[ -n "$veth" ] || fail "no veth enslaved to $br"
vd stop na >/dev/null && vd stop nb >/dev/null || fail "stop"
[ -z "$(ls /sys/class/net/"$br"/brif/)" ] || fail "veths left on $br: $(ls /sys/class/net/"$br"/brif/)"
[ ! -e "$VIRTDECK_STATE_DIR/ct/ip-$pfx.2" ] || fail "address claim left behind"
ok "stop removed the veth pairs and released the addresses"
