#!/bin/sh
# run.sh: `make bench`, the main job.
#
# Today it measures the device through the exo interface (exobench raw)
# next to fio on the same image.  TPC-B and TPC-C against SQLite and LMDB
# arrive with the benchmark issue; until then this says so plainly.
set -eu
BUILD=${BUILD:-build}
IMG=${BENCH_IMAGE:-var/bench.img}
SIZE=${BENCH_SIZE:-1G}
SECONDS_PER_TEST=${BENCH_SECONDS:-3}
stamp=$(date -u +%Y%m%d-%H%M%S)
out=bench/results/$stamp
mkdir -p "$out" "$(dirname "$IMG")"

echo "exodb bench: TPC-B and TPC-C are not implemented yet (see the open"
echo "benchmark issue); running the raw device benchmark instead."
echo "image: $IMG ($SIZE), results: $out"
"$BUILD/bin/exobench" raw --device "$IMG" --size "$SIZE" --format \
	--io all --seconds "$SECONDS_PER_TEST" --json "$out/raw.json" |
	tee "$out/raw.txt"
if command -v fio >/dev/null 2>&1; then
	sh bench/fio-raw.sh "$IMG" "$out/raw.json" | tee "$out/fio.txt"
fi
ln -sfn "$stamp" bench/results/latest
echo "done: $out"
