#!/bin/sh
# run.sh - `make fuzz-run`: each target in turn for FUZZ_SECONDS on its corpus, at low priority.
# New inputs that reach new code go to a scratch corpus (merge them into corpus/NAME by hand
# when they are worth keeping); a finding is written to crashes/NAME/ and stops that target.
# Usage: run.sh SRCDIR BINDIR TARGET...
set -u
src=$1/tests/fuzz bin=$2
shift 2
secs=${FUZZ_SECONDS:-600}
status=0
for name in "$@"; do
	work=$bin/../work/$name
	mkdir -p "$work" "$src/crashes/$name"
	dict=
	[ -f "$src/dict/$name.dict" ] && dict=-dict=$src/dict/$name.dict
	echo "fuzz-run: $name for ${secs}s"
	nice -n 10 "$bin/fuzz-$name" -max_total_time="$secs" -print_final_stats=1 -timeout=10 \
		-rss_limit_mb=2048 -artifact_prefix="$src/crashes/$name/" $dict \
		"$work" "$src/corpus/$name" >"$work.log" 2>&1
	rc=$?
	grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb)|cov:' "$work.log" | tail -n 3
	if [ $rc -ne 0 ]; then
		echo "fuzz-run: FINDING in $name (exit $rc), see $work.log and $src/crashes/$name/"
		status=1
	fi
done
exit $status
