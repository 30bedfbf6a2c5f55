#!/bin/sh
# raw.sh: `exobench raw` behaves (not how fast): a short run with every I/O
# engine on a small image prints figures for all three and valid JSON, the
# region it leaves is owned and reused by the next run, and bad usage exits
# 2.  Run by tests/run-cli.sh with $BUILD set; works in a temporary
# directory.
set -eu

BUILD=${BUILD:-build}
BIN=$(cd "$BUILD/bin" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
ulimit -c 0 2>/dev/null || true # no core files
cd "$tmp"

fail() {
	echo "FAIL: $*" >&2
	echo "--- stdout" >&2; cat out >&2
	echo "--- stderr" >&2; cat err >&2
	exit 1
}

# expect STATUS CMD...: run CMD, keep stdout in out and stderr in err.
expect() {
	want=$1
	shift
	set +e
	"$@" >out 2>err
	got=$?
	set -e
	[ "$got" = "$want" ] || fail "'$*' exited $got, expected $want"
}

py() { # py EXPR FILE: evaluate EXPR on the JSON in FILE (as d)
	python3 -c "import json; d=json.load(open('$2')); print($1)"
}

# usage
expect 0 "$BIN/exobench" --help
grep -q "raw" out || fail "exobench --help does not list raw"
expect 0 "$BIN/exobench" raw --help
grep -q -- "--seconds" out || fail "raw --help lacks --seconds"
expect 2 "$BIN/exobench"
expect 2 "$BIN/exobench" nosuch
expect 2 "$BIN/exobench" raw
grep -q "try 'exobench raw --help'" err || fail "no hint"
expect 2 "$BIN/exobench" raw --device d.img --io nosuch
expect 2 "$BIN/exobench" raw --device d.img --io io_uring,
expect 2 "$BIN/exobench" raw --device d.img --seconds 0
expect 2 "$BIN/exobench" raw --device d.img --seconds abc
expect 2 "$BIN/exobench" raw --device d.img --size 1000
expect 2 "$BIN/exobench" raw --device d.img --bogus
[ ! -e d.img ] || fail "a usage error created d.img"

# a missing image is formatted at --size; every engine reports figures
expect 0 "$BIN/exobench" raw --device d.img --size 64M --seconds 0.2 \
	--io all --json r.json
[ "$(stat -c %s d.img)" -eq 67108864 ] || fail "image not 64M"
head -1 out | grep -q "d.img" || fail "no header"
grep -q "io_uring *libaio *psync *$" out || fail "no engine columns"
for row in "randread 4k qd1 *IOPS" "randread 4k qd32 *IOPS" \
	"write+flush 4k *flushes/s" "seqread 1M qd8 *MB/s" \
	"seqwrite 1M qd8 *MB/s"; do
	line=$(grep "^$row" out) || fail "no row '$row'"
	# shellcheck disable=SC2086
	set -- $line
	shift $(($# - 3))
	for v in "$@"; do
		awk -v v="$v" 'BEGIN { exit !(v > 0) }' ||
			fail "'$row': figure $v"
	done
done
python3 -m json.tool r.json >/dev/null || fail "--json is not JSON"
[ "$(py 'len(d)' r.json)" = 15 ] || fail "15 results expected"
[ "$(py 'sorted(set(r["engine"] for r in d))' r.json)" = \
	"['exodb-io_uring', 'exodb-libaio', 'exodb-psync']" ] ||
	fail "engines in JSON"
[ "$(py 'all(r["benchmark"] == "raw" and r["iops"] > 0 and
	r["mbps"] > 0 and 0 < r["p50_us"] <= r["p99_us"] for r in d)' \
	r.json)" = True ] || fail "JSON figures"

# the region stays owned, as one extent, and the next run reuses it
expect 0 "$BIN/exodb" disk info --json d.img
cp out info1.json
[ "$(py 'len(d["owners"])' info1.json)" = 1 ] || fail "one owner expected"
[ "$(py 'd["owners"][0]["nextents"]' info1.json)" = 1 ] || fail "extents"
[ "$(py 'd["owners"][0]["blocks"] % 256 == 0 and
	d["owners"][0]["blocks"] * 8 >= (d["nblocks"] - d["meta_blocks"]) * 6' \
	info1.json)" = True ] || fail "region size"
expect 0 "$BIN/exobench" raw --device d.img --seconds 0.05 --io psync
expect 0 "$BIN/exodb" disk info --json d.img
[ "$(py 'd["owners"]' out)" = "$(py 'd["owners"]' info1.json)" ] ||
	fail "the second run did not reuse the region"

# --format makes a fresh disk
expect 0 "$BIN/exobench" raw --device d.img --format --size 32M \
	--seconds 0.05
[ "$(stat -c %s d.img)" -eq 33554432 ] || fail "--format --size 32M"

# a file that is not an exodb disk: exit 1, the problem named
head -c 1048576 /dev/urandom >random.img
expect 1 "$BIN/exobench" raw --device random.img --seconds 0.05
grep -q "random.img.*EXO_EBADDISK" err || fail "bad disk not named"

ls core* >/dev/null 2>&1 && fail "core dump"
echo "raw.sh: passed"
