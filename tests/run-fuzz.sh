#!/bin/sh
# run-fuzz.sh SECONDS BIN...: run each libFuzzer harness for SECONDS from
# its corpus (tests/fuzz/corpus/NAME, grown in build/ between runs); any
# crash, leak or sanitizer report fails.  Ends with one total line.
secs=$1; shift
passed=0 failed=0
for f in "$@"; do
	name=$(basename "$f")
	work="$(dirname "$f")/corpus-$name"
	mkdir -p "$work"
	seed="tests/fuzz/corpus/$name"
	[ -d "$seed" ] || seed=""
	if "$f" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=0 -artifact_prefix="$(dirname "$f")/" \
		"$work" $seed >"$f.log" 2>&1; then
		passed=$((passed + 1))
		echo "ok   $name ($(grep -c . "$f.log") log lines, $(ls "$work" | wc -l) in corpus)"
	else
		failed=$((failed + 1))
		echo "FAIL $name (log: $f.log)"; tail -30 "$f.log"
	fi
done
echo "fuzz: $passed passed, $failed failed"
[ "$failed" = 0 ]
