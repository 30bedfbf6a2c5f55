#!/bin/sh
# run-unit.sh: run CMocka test binaries, then print one total line.
# Usage: run-unit.sh BIN...   Exit status 1 if any test failed.
passed=0 failed=0 bad=""
for t in "$@"; do
	out=$("$t" 2>&1); rc=$?
	printf '%s\n' "$out"
	p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | awk '{s+=$1} END {print s+0}')
	f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | awk '{s+=$1} END {print s+0}')
	if [ "$rc" != 0 ] && [ "$f" = 0 ]; then f=1; fi # crashed or exited early
	passed=$((passed + p)); failed=$((failed + f))
	[ "$f" != 0 ] && bad="$bad $(basename "$t")"
done
[ -n "$bad" ] && echo "unit: failing:$bad"
echo "unit: $passed passed, $failed failed"
[ "$failed" = 0 ]
