#!/bin/sh
# libvirt-hosts.sh - the real console in tmux over two labelled libvirt connections (libvirt's
# in-process test driver, no daemon): both hosts visible, a domain paused and resumed with `p`.
set -u
. "$(dirname "$0")/lib.sh"
tui_require_tmux
out=$(mktemp -d)
trap 'tui_cleanup; rm -rf "$out"' EXIT
fail() {
	echo "FAIL: $*"
	tui_screen
	exit 1
}

cat > "$out/west.xml" <<'XML'
<node>
  <domain type='test'><name>alpha</name><memory>524288</memory><vcpu>1</vcpu><os><type>hvm</type></os></domain>
  <domain type='test'><name>beta</name><memory>1048576</memory><vcpu>2</vcpu><os><type>hvm</type></os></domain>
</node>
XML
tui_start 150 30 "$VD_BIN -d 1 --connect east=test:///default --connect west=test://$out/west.xml; echo EXIT=\$?; sleep 30"
tui_wait_for "beta" 10 || fail "west's domains did not show"
tui_wait_for "engines: libvirt@east 1, libvirt@west 2" 5 || fail "two libvirt connections expected"
screen=$(tui_screen)
echo "$screen" | grep -E "^libvirt +east +test +vm +running" >/dev/null || fail "east/test not shown running"
echo "$screen" | grep -E "^libvirt +west +alpha +vm +running" >/dev/null || fail "west/alpha not shown"

# Select the one row matching "test" and toggle pause with p.
tui_keys '\' t e s t Enter
tui_wait_for "1/1" 5 || fail "the filter did not leave one row"
tui_keys p
tui_wait_for "pause test: done" 5 || fail "p did not pause"
tui_wait_for "paused" 5 || fail "the row does not show paused"
tui_wait_re "^libvirt +east +test +vm +paused" || fail "east/test not paused on screen"
tui_keys p
tui_wait_for "resume test: done" 5 || fail "p did not resume"
tui_wait_re "^libvirt +east +test +vm +running" || fail "east/test not running again"
tui_keys q
tui_wait_for "EXIT=0" 5 || fail "virtdeck did not exit 0 on q"
echo "PASS: two labelled libvirt hosts in the console; p paused and resumed east/test"
