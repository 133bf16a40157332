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

# tui_wait_for TEXT [SECONDS] : poll the screen until TEXT shows up.
tui_wait_for() {
	text=$1 limit=${2:-10}
	i=0
	while [ "$i" -lt $((limit * 10)) ]; do
		if tui_screen | grep -qF -- "$text"; then
			return 0
		fi
		sleep 0.1
		i=$((i + 1))
	done
	echo "FAIL: '$text' did not appear within ${limit}s; the screen was:"
	tui_screen
	return 1
}

tui_keys() {
	tui_tmux send-keys -t vd "$@"
}
