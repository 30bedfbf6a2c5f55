#!/bin/sh
# run.sh TRIALS BIN...: run each crash torture binary with --trials TRIALS,
# add up the "NAME: N passed, N failed" line each prints last, then print
# one total line.  A binary that dies without its line counts as a failure.
trials=$1; shift
passed=0 failed=0 bad=""
start=$(date +%s)
for t in "$@"; do
	name=$(basename "$t")
	out=$("$t" --trials "$trials" 2>&1); rc=$?
	printf '%s\n' "$out" | sed '$d'
	last=$(printf '%s\n' "$out" | tail -1)
	p=$(printf '%s\n' "$last" | sed -n "s/^$name: \([0-9]*\) passed, \([0-9]*\) failed$/\1/p")
	f=$(printf '%s\n' "$last" | sed -n "s/^$name: \([0-9]*\) passed, \([0-9]*\) failed$/\2/p")
	if [ -z "$p" ]; then
		printf '%s\n' "$last"
		p=0 f=1
	elif [ "$rc" != 0 ] && [ "$f" = 0 ]; then
		f=1
	fi
	passed=$((passed + p)); failed=$((failed + f))
	[ "$f" != 0 ] && bad="$bad $name"
done
echo "crash: $(($(date +%s) - start)) s with $trials random trials each"
[ -n "$bad" ] && echo "crash: failing:$bad"
echo "crash: $passed passed, $failed failed"
[ "$failed" = 0 ]
