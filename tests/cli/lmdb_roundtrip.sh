#!/bin/sh
# lmdb_roundtrip.sh: data moves between LMDB and exodb both ways, exactly.
#
# A real LMDB environment is made with liblmdb (mdb_load -T from generated
# text): three named databases with printable keys, binary keys holding
# every byte value, and values from empty to 20000 bytes (LMDB overflow
# pages; exodb overflow chains).  Then, in both of mdb_dump's formats:
#   mdb_dump -a env1 > d1; exodb load; exodb dump -a > d2;
#   mdb_load d2 into env2; mdb_dump -a env2 > d3
# and d1, d2 and d3 must be byte for byte the same.  (The print-format
# pass leaves out backslashes: mdb_dump 0.9.24 -p prints them bare.)
set -eu
BUILD=${BUILD:-build}
X=$BUILD/bin/exodb
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

# key/value lines for mdb_load -T (print escapes)
gen() { # gen KIND BACKSLASH(0|1)
	awk -v kind="$1" -v bs="$2" 'BEGIN {
		if (kind == "users") {
			for (i = 1; i <= 400; i++) {
				printf "user%05d\n", i
				v = ""
				for (j = 0; j < (i * 7) % 200; j++)
					v = v sprintf("%c", 97 + (i + j) % 26)
				printf "%s\n", v
			}
		} else if (kind == "bin") {
			for (i = 0; i < 256; i++) {
				if (!bs && i == 92)
					continue
				printf "\\%02xk%d\n", i, i
				v = ""
				for (j = 0; j < i % 40; j++) {
					b = (i * 31 + j) % 256
					if (!bs && b == 92)
						b = 93
					v = v sprintf("\\%02x", b)
				}
				if (bs && i % 8 == 0)
					v = v "\\5c"
				printf "%s\n", v
			}
		} else {
			for (i = 0; i < 3; i++) {
				printf "big%d\n", i
				v = ""
				for (j = 0; j < 20000 - i * 7000; j++)
					v = v "x"
				printf "%s\n", v
			}
			printf "empty\n\n"
		}
	}'
}

roundtrip() { # roundtrip FORMAT_FLAG BACKSLASH
	fmt=$1
	rm -rf "$T/env1" "$T/env2" "$T/disk.img"
	mkdir "$T/env1" "$T/env2"
	for kind in users bin big; do
		gen $kind "$2" | mdb_load -T -s $kind "$T/env1"
	done
	mdb_dump -a $fmt "$T/env1" >"$T/d1"
	grep -q '^database=bin$' "$T/d1"

	$X create "$T/disk.img" --size 256M --store rt
	$X load "$T/disk.img" --store rt -f "$T/d1"
	$X dump "$T/disk.img" --store rt -a $fmt >"$T/d2"
	$X check "$T/disk.img" --store rt

	mdb_load -f "$T/d2" "$T/env2"
	mdb_dump -a $fmt "$T/env2" >"$T/d3"

	cmp "$T/d1" "$T/d2"
	cmp "$T/d1" "$T/d3"
	echo "round trip ok (${fmt:-bytevalue}): $(grep -c '^ ' "$T/d1") lines"
}

roundtrip "" 1
roundtrip -p 0

# a single database without database=, into the default tree and back
rm -rf "$T/env1" "$T/env2" "$T/disk.img"
mkdir "$T/env1" "$T/env2"
gen users 0 | mdb_load -T "$T/env1"
mdb_dump "$T/env1" >"$T/d1"
$X create "$T/disk.img" --size 64M
$X load "$T/disk.img" <"$T/d1"
$X dump "$T/disk.img" >"$T/d2"
cmp "$T/d1" "$T/d2"
mdb_load -f "$T/d2" "$T/env2"
mdb_dump "$T/env2" | cmp - "$T/d1"
echo "default tree round trip ok"
