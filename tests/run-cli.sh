#!/bin/sh
# run-cli.sh: run every tests/cli/*.sh; each exits 0 on success.
BUILD=${BUILD:-build}; export BUILD
mkdir -p "$BUILD/test"
passed=0 failed=0
for t in tests/cli/*.sh; do
	[ -f "$t" ] || continue
	if sh "$t" >"$BUILD/test/$(basename "$t").log" 2>&1; then
		passed=$((passed + 1)); echo "ok   $t"
	else
		failed=$((failed + 1)); echo "FAIL $t (log: $BUILD/test/$(basename "$t").log)"
		tail -20 "$BUILD/test/$(basename "$t").log"
	fi
done
echo "cli: $passed passed, $failed failed"
[ "$failed" = 0 ]
