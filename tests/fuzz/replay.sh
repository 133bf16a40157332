#!/bin/sh
# replay.sh - `make check`: every fuzz target's corpus and past crashes, replayed once each.
# A replay binary that was not built (its engine is configured out) is skipped with a note.
set -u
src=${VD_SRCDIR:-.}/tests/fuzz
bin=${VD_BUILDDIR:-.}/tests/fuzz
fail=0 ran=0
for dir in "$src"/corpus/*/; do
	name=$(basename "$dir")
	if [ ! -x "$bin/replay-$name" ]; then
		echo "replay.sh: $name: not built here (its engine is configured out), skipped"
		continue
	fi
	if "$bin/replay-$name" "$src/corpus/$name" "$src/crashes/$name" >"$bin/replay-$name.log" 2>&1; then
		echo "replay.sh: $name: $(tail -n 1 "$bin/replay-$name.log")"
		grep '^replay: known' "$bin/replay-$name.log" || true
		ran=$((ran + 1))
	else
		echo "replay.sh: FAIL $name: the last input was the one that failed:"
		tail -n 40 "$bin/replay-$name.log"
		fail=1
	fi
done
[ "$ran" -gt 0 ] || { echo "replay.sh: no replay binary was built"; exit 77; }
exit $fail
