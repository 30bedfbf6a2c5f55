#!/bin/sh
# fio-raw.sh: the fio baseline for `exobench raw`.
#
#   bench/fio-raw.sh [--seconds S] [--json FILE] IMAGE
#   bench/fio-raw.sh --compare EXOBENCH.json FIO.json
#
# The first form runs fio on the blocks `exobench raw` used on IMAGE: 4 KiB
# random reads, O_DIRECT, at queue depth 1 and 32, with the io_uring, libaio
# and psync engines, S seconds each (default 3), and prints IOPS and
# p50/p99 latency (submission to completion, as exobench measures it) per
# engine and depth.  fio reads only the region exobench wrote (the largest
# extent on the disk, found with `exodb disk info --json`): the rest of a
# preallocated image is unwritten, and the filesystem answers reads of
# unwritten extents without touching the disk.  So run
# `exobench raw --device IMAGE` first.  psync is synchronous: at
# "depth 32" fio, like exodb's psync engine, still reads one block at a
# time in one thread, so both measure depth 1.  --json writes the figures as
# [{"engine": "fio-io_uring", "io": ..., "depth": ..., "iops": ...}, ...].
#
# The second form reads the JSON of `exobench raw --json` and of the first
# form and prints exobench/fio IOPS ratios per engine and depth.
#
# The exodb binary is $EXODB, else $BUILD/bin/exodb (BUILD default build).
set -eu

usage() {
	cat <<'EOF'
usage: bench/fio-raw.sh [--seconds S] [--json FILE] IMAGE
       bench/fio-raw.sh --compare EXOBENCH.json FIO.json

Run fio 4k random reads (O_DIRECT, depth 1 and 32; io_uring, libaio,
psync) on the region `exobench raw` wrote on IMAGE and print IOPS; or
compare the JSON outputs of exobench raw and of this script.
EOF
}

die() {
	echo "fio-raw.sh: $*" >&2
	exit 1
}

usage_error() {
	echo "fio-raw.sh: $*" >&2
	echo "try 'bench/fio-raw.sh --help'" >&2
	exit 2
}

compare() {
	python3 - "$1" "$2" <<'EOF'
import json, sys

def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        sys.exit("fio-raw.sh: %s: %s" % (path, e))

exo = {}
for r in load(sys.argv[1]):
    if r.get("benchmark") == "raw" and r["test"].startswith("randread-4k-qd"):
        exo[(r["io"], int(r["test"][len("randread-4k-qd"):]))] = r["iops"]
fio = {(r["io"], r["depth"]): r["iops"] for r in load(sys.argv[2])}
keys = [k for k in fio if k in exo]
if not keys:
    sys.exit("fio-raw.sh: no engine and depth in both files")
print("%-10s %5s %12s %12s %8s" % ("io", "depth", "exobench", "fio",
                                   "ratio"))
for io, depth in sorted(keys, key=lambda k: (k[0], k[1])):
    e, f = exo[(io, depth)], fio[(io, depth)]
    print("%-10s %5d %12.0f %12.0f %8.2f" % (io, depth, e, f,
                                             e / f if f else 0.0))
EOF
}

# Print "offset size" in bytes of the largest extent on the disk.
region() {
	info=$("$EXODB" disk info --json "$1") || return 1
	printf '%s\n' "$info" | python3 -c '
import json, sys
d = json.load(sys.stdin)
x = [e for o in d["owners"] for e in o["extents"]]
if not x:
    sys.exit("no owned blocks: run exobench raw --device IMAGE first")
e = max(x, key=lambda e: e["len"])
print(e["start"] * d["block_size"], e["len"] * d["block_size"])'
}

# run_fio IO DEPTH OUT: one fio job on the region, JSON into OUT.
run_fio() {
	fio --name="randread-$1-qd$2" --filename="$image" \
		--offset="$offset" --size="$size" --rw=randread --bs=4k \
		--direct=1 --ioengine="$1" --iodepth="$2" \
		--runtime="$seconds" --time_based --norandommap --randrepeat=0 \
		--lat_percentiles=1 \
		--output-format=json --output="$3" >/dev/null
}

# Print the table from the fio outputs in $tmp and write $json if set.
summarize() {
	python3 - "$tmp" "${json:-}" <<'EOF'
import json, sys, os
tmp, out = sys.argv[1], sys.argv[2]
rows = []
for io in ("io_uring", "libaio", "psync"):
    for depth in (1, 32):
        with open(os.path.join(tmp, "%s-%d.json" % (io, depth))) as f:
            r = json.load(f)["jobs"][0]["read"]
        pct = r["lat_ns"].get("percentile", {})
        rows.append({"benchmark": "raw", "engine": "fio-" + io, "io": io,
                     "test": "randread-4k-qd%d" % depth, "depth": depth,
                     "iops": r["iops"],
                     "p50_us": pct.get("50.000000", 0) / 1e3,
                     "p99_us": pct.get("99.000000", 0) / 1e3})
print("%-10s %5s %12s %10s %10s" % ("io", "depth", "IOPS", "p50 us",
                                    "p99 us"))
for r in rows:
    print("%-10s %5d %12.0f %10.1f %10.1f" % (r["io"], r["depth"], r["iops"],
                                              r["p50_us"], r["p99_us"]))
if out:
    with open(out, "w") as f:
        json.dump(rows, f, indent=1)
        f.write("\n")
EOF
}

seconds=3 json="" image=""
while [ $# -gt 0 ]; do
	case "$1" in
	-h | --help) usage; exit 0 ;;
	--compare)
		[ $# -eq 3 ] || usage_error "--compare takes two files"
		compare "$2" "$3"
		exit 0 ;;
	--seconds)
		[ $# -ge 2 ] || usage_error "--seconds needs an argument"
		seconds=$2; shift ;;
	--json)
		[ $# -ge 2 ] || usage_error "--json needs an argument"
		json=$2; shift ;;
	-*) usage_error "unknown option '$1'" ;;
	*)
		[ -z "$image" ] || usage_error "too many arguments"
		image=$1 ;;
	esac
	shift
done
[ -n "$image" ] || usage_error "missing IMAGE"
[ -e "$image" ] || die "$image: no such file"
command -v fio >/dev/null || die "fio not found (make deps installs it)"
EXODB=${EXODB:-${BUILD:-build}/bin/exodb}
[ -x "$EXODB" ] || die "$EXODB not found: run make first"

r=$(region "$image") || die "$image: cannot find the exobench region"
# shellcheck disable=SC2086 # two numbers
set -- $r
offset=$1 size=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
echo "fio-raw.sh: $image, region of $((size / 4096)) blocks from block" \
	"$((offset / 4096)), $seconds s per test" >&2
for io in io_uring libaio psync; do
	for depth in 1 32; do
		run_fio "$io" "$depth" "$tmp/$io-$depth.json" ||
			die "fio failed ($io, depth $depth)"
	done
done
summarize
