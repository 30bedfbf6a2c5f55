#!/bin/sh
# engine.sh: the exodb CLI's store commands (create, put, get, del, scan,
# stat, check, dump, load): what they print, their exit status (0 ok,
# 1 failure, 2 bad usage), and that bad input changes nothing.
set -eu
BUILD=${BUILD:-build}
X=$BUILD/bin/exodb
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
IMG=$T/disk.img
fails=0

# expect STATUS CMD...: run CMD, compare its exit status
expect() {
	want=$1
	shift
	set +e
	"$@" >"$T/out" 2>"$T/err"
	got=$?
	set -e
	if [ "$got" != "$want" ]; then
		echo "FAIL: '$*' exited $got, want $want"
		cat "$T/out" "$T/err"
		fails=$((fails + 1))
	fi
}

# same FILE TEXT: the file holds exactly TEXT (and a newline)
same() {
	printf '%s\n' "$2" | cmp -s - "$1" || {
		echo "FAIL: $1 is '$(cat "$1")', want '$2'"
		fails=$((fails + 1))
	}
}

for c in create stat check get put del scan dump load; do
	expect 0 $X $c --help
	grep -q "^usage: exodb $c" "$T/out" || {
		echo "FAIL: $c --help"
		fails=$((fails + 1))
	}
done

# create: needs a disk; --size formats one, never over an existing one
expect 1 $X create "$IMG"
grep -q 'no such file' "$T/err"
expect 0 $X create "$IMG" --size 64M --store bank
expect 1 $X create "$IMG" --size 64M --store other
grep -q 'already an exodb disk' "$T/err"
expect 1 $X create "$IMG" --store bank
grep -q "already exists" "$T/err"
expect 0 $X create "$IMG" --store other
echo precious >"$T/file"
expect 1 $X create "$T/file" --size 64M
grep -q 'not an exodb disk' "$T/err"
same "$T/file" precious
expect 2 $X create "$IMG" --size 12345
expect 2 $X create
expect 2 $X create "$IMG" --bogus

# put, get, del
expect 0 $X put "$IMG" --store bank alice 100
expect 0 $X put "$IMG" --store bank -s acct bob 250
expect 0 $X get "$IMG" --store bank alice
same "$T/out" 100
expect 1 $X get "$IMG" --store bank bob
grep -q 'key not found' "$T/err"
expect 0 $X get "$IMG" --store bank -s acct bob
same "$T/out" 250
expect 1 $X get "$IMG" --store bank -s nosuch bob
grep -q "no tree 'nosuch'" "$T/err"
expect 1 $X get "$IMG" --store nosuch alice
grep -q "no store 'nosuch'" "$T/err"
expect 1 $X put "$IMG" --store bank -N alice 1
grep -q 'key exists' "$T/err"
expect 0 $X put "$IMG" --store bank --hex 00ff 5c0a41
expect 0 $X get "$IMG" --store bank --hex 00ff
same "$T/out" 5c0a41
expect 0 $X get "$IMG" --store bank -x 00ff
same "$T/out" 5c0a41
expect 0 $X get "$IMG" --store bank --raw --hex 00ff
printf '\\\nA' | cmp -s - "$T/out" || {
	echo "FAIL: --raw"; fails=$((fails + 1)); }
expect 2 $X put "$IMG" --store bank --hex 0g 00
expect 2 $X put "$IMG" --store bank '' x
expect 2 $X get "$IMG" --store bank
printf 'from stdin' | $X put "$IMG" --store bank stdinkey -
expect 0 $X get "$IMG" --store bank stdinkey
same "$T/out" 'from stdin'
expect 0 $X del "$IMG" --store bank alice
expect 1 $X del "$IMG" --store bank alice
expect 1 $X get "$IMG" --store bank alice

# scan
for i in 1 2 3 4 5 6 7 8 9; do
	$X put "$IMG" --store other -s s k$i v$i >/dev/null
done
expect 0 $X scan "$IMG" --store other -s s --from k3 --to k6
printf 'k3\tv3\nk4\tv4\nk5\tv5\n' | cmp -s - "$T/out" || {
	echo "FAIL: scan range"; cat "$T/out"; fails=$((fails + 1)); }
expect 0 $X scan "$IMG" --store other -s s --reverse --from k5 --limit 2
printf 'k5\tv5\nk4\tv4\n' | cmp -s - "$T/out" || {
	echo "FAIL: scan reverse"; cat "$T/out"; fails=$((fails + 1)); }
expect 0 $X scan "$IMG" --store bank --hex
grep -q "^00ff	5c0a41$" "$T/out"
expect 2 $X scan "$IMG" --store bank --limit x

# stat and check
expect 0 $X stat "$IMG" --store other
grep -q "'s' .* 9 entries, depth 1" "$T/out"
expect 0 $X check "$IMG" --store bank
grep -q "store 'bank' ok: 2 trees, 3 entries" "$T/out"

# load: bad input is refused whole, with its line; nothing is written
$X dump "$IMG" --store other -s s >"$T/good"
sed 's/^ 6b35$/ 6b3/' "$T/good" >"$T/badhex"
printf 'VERSION=3\nformat=print\ndatabase=dups\ntype=btree\n' >"$T/dups"
printf 'dupsort=1\nHEADER=END\n a\n 1\nDATA=END\n' >>"$T/dups"
head -n 12 "$T/good" >"$T/short"
printf 'VERSION=3\nformat=print\nHEADER=END\n k\\zz\n v\nDATA=END\n' \
	>"$T/badesc"
for bad in badhex dups short badesc; do
	sed 's/database=s$/database=t_'$bad'/' "$T/$bad" >"$T/in"
	expect 1 $X load "$IMG" --store other -f "$T/in"
	grep -q 'line [0-9]*: .*(nothing loaded)' "$T/err" || {
		echo "FAIL: load $bad: $(cat "$T/err")"; fails=$((fails + 1)); }
done
expect 0 $X dump "$IMG" --store other -l
same "$T/out" s
grep -v '^database=' "$T/good" >"$T/nodb" # -s names sections without one
expect 0 $X load "$IMG" --store other -s copy -f "$T/nodb"
grep -q 'loaded 9 records into 1 tree' "$T/out"
expect 0 $X dump "$IMG" --store other -s copy
sed 's/^database=s$/database=copy/' "$T/good" | cmp -s - "$T/out" || {
	echo "FAIL: load/dump copy"; fails=$((fails + 1)); }
printf 'x\ny\nz\n' >"$T/odd"
expect 1 $X load "$IMG" --store other -T -s t -f "$T/odd"
printf 'x\ny\n\\41\\\\\nb\n' >"$T/text"
expect 0 $X load "$IMG" --store other -T -s t -f "$T/text"
expect 0 $X scan "$IMG" --store other -s t
printf 'A\\\\\tb\nx\ty\n' | cmp -s - "$T/out" || {
	echo "FAIL: load -T"; cat "$T/out"; fails=$((fails + 1)); }
expect 0 $X check "$IMG" --store other

[ "$fails" = 0 ] || { echo "$fails failures"; exit 1; }
echo "engine cli: ok"
