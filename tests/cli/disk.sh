#!/bin/sh
# disk.sh: `exodb disk format` and `exodb disk info`, and the CLI's help
# and error conventions: --help exits 0 everywhere, bad usage exits 2 with
# a "try ... --help" line, a failed operation exits 1 with one line naming
# the file and the problem, and nothing dumps core.
# Run by tests/run-cli.sh with $BUILD set; works in a temporary directory.
set -eu

BUILD=${BUILD:-build}
EXODB=$(cd "$BUILD/bin" && pwd)/exodb
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
ulimit -c 0 2>/dev/null || true # no core files
cd "$tmp"
checks=0

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
	checks=$((checks + 1))
	[ "$got" = "$want" ] || fail "'$*' exited $got, expected $want"
}

# A failed operation: exit 1, exactly one line on stderr, containing $1.
expect_fail() {
	pattern=$1
	shift
	expect 1 "$@"
	[ "$(wc -l <err)" -eq 1 ] || fail "'$*': not one line on stderr"
	grep -qi -- "$pattern" err || fail "'$*': stderr lacks '$pattern'"
}

# Bad usage: exit 2, an error line and a "try '... --help'" line.
expect_usage() {
	try=$1
	shift
	expect 2 "$@"
	[ "$(wc -l <err)" -eq 2 ] || fail "'$*': not two lines on stderr"
	grep -qF "try '$try --help'" err || fail "'$*': no hint to $try"
}

json_get() { # json_get EXPR: evaluate EXPR on the JSON in out (as d)
	python3 -c "import json,sys; d=json.load(open('out')); print($1)"
}

# --help and -h on every command and subcommand
for cmd in "" "disk" "disk format" "disk info"; do
	for h in --help -h; do
		# shellcheck disable=SC2086
		expect 0 "$EXODB" $cmd $h
		grep -q "^usage: exodb" out || fail "exodb $cmd $h: no usage"
	done
done
grep -q -- "--size" out && fail "disk info --help shows format's options"
expect 0 "$EXODB" disk --help
grep -q "format" out || fail "disk --help does not list format"
grep -q "info" out || fail "disk --help does not list info"

# usage errors
expect_usage "exodb" "$EXODB"
expect_usage "exodb" "$EXODB" nosuch
expect_usage "exodb" "$EXODB" --nosuch
expect_usage "exodb disk" "$EXODB" disk
expect_usage "exodb disk" "$EXODB" disk nosuch
expect_usage "exodb disk format" "$EXODB" disk format d.img
expect_usage "exodb disk format" "$EXODB" disk format --size 64M
expect_usage "exodb disk format" "$EXODB" disk format d.img --size
for size in 12X 1000 0 -5 64MM 1001K 99999999999999999999G; do
	expect_usage "exodb disk format" "$EXODB" disk format d.img \
		--size "$size"
	grep -q "size" err || fail "bad size $size: message lacks 'size'"
done
[ ! -e d.img ] || fail "a usage error created d.img"
expect_usage "exodb disk format" "$EXODB" disk format d.img --size 1M --x
expect_usage "exodb disk info" "$EXODB" disk info
expect_usage "exodb disk info" "$EXODB" disk info a b
expect_usage "exodb disk info" "$EXODB" disk info --json=yes d.img

# format: sizes in every spelling
expect 0 "$EXODB" disk format k.img --size 4096K
[ "$(stat -c %s k.img)" -eq 4194304 ] || fail "4096K image size"
expect 0 "$EXODB" disk format b.img --size 1052672
[ "$(stat -c %s b.img)" -eq 1052672 ] || fail "plain-bytes image size"
expect_fail "small" "$EXODB" disk format s.img --size 4096
expect 0 "$EXODB" disk format --size=64M d.img
[ "$(stat -c %s d.img)" -eq 67108864 ] || fail "64M image size"
grep -q "16384 blocks" out || fail "format does not report the size"

# info, text
expect 0 "$EXODB" disk info d.img
for want in "format version   1" "16384 blocks, 67108864 bytes" \
	"current map      generation" "owners           0"; do
	grep -qF "$want" out || fail "info text lacks '$want'"
done
grep -q "^owner " out && fail "a fresh disk lists an owner"

# info, JSON
expect 0 "$EXODB" disk info --json d.img
python3 -m json.tool out >/dev/null || fail "info --json is not JSON"
[ "$(json_get 'd["nblocks"]')" = 16384 ] || fail "json nblocks"
[ "$(json_get 'd["bytes"]')" = 67108864 ] || fail "json bytes"
[ "$(json_get 'len(d["owners"])')" = 0 ] || fail "json owners"
[ "$(json_get 'd["free_blocks"] == d["nblocks"] - d["meta_blocks"]')" = \
	True ] || fail "json free blocks"
[ "$(json_get 'd["meta_blocks"] == d["data_start"] > 2')" = True ] ||
	fail "json meta blocks"
[ "$(json_get 'len(d["uuid"])')" = 32 ] || fail "json uuid"
[ "$(json_get 'd["map_slot"] in ("A", "B") and d["map_gen"] >= 1')" = \
	True ] || fail "json map slot"

# failures: one line naming the file and the problem
expect_fail "missing.img: EXO_ENOENT" "$EXODB" disk info missing.img
expect_fail "nodir/x.img" "$EXODB" disk format nodir/x.img --size 64M
head -c 1048576 /dev/urandom >random.img
expect_fail "random.img: EXO_EBADDISK" "$EXODB" disk info random.img
expect_fail "random.img.*not an exodb disk" "$EXODB" disk info random.img
cp d.img t.img
truncate -s 8K t.img
expect_fail "t.img: EXO_E" "$EXODB" disk info t.img
: >empty.img
expect_fail "empty.img: EXO_E" "$EXODB" disk info empty.img
cp d.img c.img
# byte 16 is the low byte of nblocks (16384 = 0x4000): make it 1
printf '\001' | dd of=c.img bs=1 seek=16 conv=notrunc 2>/dev/null
expect_fail "c.img: .*corrupt" "$EXODB" disk info c.img
expect_fail "c.img: .*corrupt" "$EXODB" disk info --json c.img
[ ! -s out ] || fail "a failed info --json printed to stdout"

# a reformat gives a new uuid and an empty map again
expect 0 "$EXODB" disk info --json d.img
uuid1=$(json_get 'd["uuid"]')
expect 0 "$EXODB" disk format d.img --size 64M
expect 0 "$EXODB" disk info --json d.img
[ "$(json_get 'd["uuid"]')" != "$uuid1" ] || fail "reformat kept the uuid"

ls core* >/dev/null 2>&1 && fail "core dump"
echo "disk.sh: $checks checks passed"
