# lib.sh - helpers for driving the real virtdeck binary inside a private tmux server.
# Sourced by the tui tests; each test gets its own tmux socket and cleans it up.

VD_BIN=${VD_BIN:-$PWD/virtdeck}
TMUX_SOCK="vd-test-$$-0"

tui_require_tmux() {
	if ! command -v tmux >/dev/null 2>&1; then
		echo "SKIP: tmux is not installed (apt-get install tmux)"
		exit 77
	fi
}

tui_tmux() {
	tmux -f /dev/null -L "$TMUX_SOCK" "$@"
}

tui_cleanup() {
	tui_tmux kill-server 2>/dev/null || true
}

# Each scenario gets a fresh server on its own socket: reusing a socket right after
# kill-server races with the old server's exit.
tui_next_server() {
	tui_cleanup
	TUI_N=$((${TUI_N:-0} + 1))
	TMUX_SOCK="vd-test-$$-$TUI_N"
}

# tui_start W H CMD... : run CMD in a detached session of the given size.
tui_start() {
	w=$1 h=$2
	shift 2
	tui_tmux new-session -d -x "$w" -y "$h" -s vd "$*"
	tui_tmux set-option -t vd remain-on-exit on >/dev/null
}

tui_screen() {
	tui_tmux capture-pane -p -t vd
}

# Waits return as soon as the screen matches; the limit only bounds a failure. A loaded
# machine (nested KVM, parallel suites on 2 cores) can stall a redraw for seconds, so no limit
# is shorter than VD_TUI_WAIT_FLOOR (30 s unless set).
tui_limit() {
	floor=${VD_TUI_WAIT_FLOOR:-30}
	if [ "${1:-0}" -gt "$floor" ]; then echo "$1"; else echo "$floor"; fi
}

# tui_poll SECONDS CMD... : run CMD every 0.1 s until it succeeds or SECONDS pass.
tui_poll() {
	n=$(($(tui_limit "$1") * 10))
	shift
	i=0
	while [ "$i" -lt "$n" ]; do
		"$@" && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

tui_has() { tui_screen | grep -qF -- "$1"; }
tui_lacks() { ! tui_screen | grep -qF -- "$1"; }
tui_has_re() { tui_screen | grep -qE -- "$1"; }
tui_lacks_re() { ! tui_screen | grep -qE -- "$1"; }

# tui_wait PRED ARG SECONDS WHAT: poll until `PRED ARG` holds; else say WHAT, show the screen.
tui_wait() {
	tui_poll "$3" "$1" "$2" && return 0
	echo "FAIL: $4 within $(tui_limit "$3")s; the screen was:"
	tui_screen
	return 1
}

# TEXT shows up / a line matches the extended REGEX / no line matches it [within SECONDS].
tui_wait_for() { tui_wait tui_has "$1" "${2:-10}" "'$1' did not appear"; }
tui_wait_re() { tui_wait tui_has_re "$1" "${2:-10}" "/$1/ did not match"; }
tui_wait_gone_re() { tui_wait tui_lacks_re "$1" "${2:-10}" "/$1/ still on screen"; }

tui_keys() {
	tui_tmux send-keys -t vd "$@"
}

# tui_ct_setup TAG: what every tmux test of a real container needs: skip (77) without tmux, root
# or the ct engine; private state and data dirs under $T; a busybox rootfs in $T/rootfs; the
# container $name (TAG plus our pid) killed and deleted and tmux stopped however the test ends.
tui_ct_setup() {
	tui_require_tmux
	[ "$(id -u)" -eq 0 ] || { echo "SKIP: containers need root here"; exit 77; }
	"$VD_BIN" --version | grep -q ' ct' ||
		{ echo "SKIP: this virtdeck has no container engine"; exit 77; }
	T=$(mktemp -d "/tmp/vd-tui-$1.XXXXXX")
	name=$1$$
	export VIRTDECK_DATA_DIR=$T/data VIRTDECK_STATE_DIR=$T/state
	trap tui_ct_cleanup EXIT
	trap 'exit 1' INT TERM
	sh "${VD_SRCDIR:-$(dirname "$0")/../..}/data/mkrootfs-busybox.sh" "$T/rootfs" >/dev/null ||
		{ echo "FAIL: building the busybox rootfs"; exit 1; }
}

tui_ct_cleanup() {
	timeout 10 "$VD_BIN" kill "$name" >/dev/null 2>&1
	timeout 10 "$VD_BIN" delete "$name" >/dev/null 2>&1
	tui_cleanup
	rm -rf "$T"
}
