#!/bin/sh
# bench.sh: `exobench tpcb|tpcc` and `make bench`'s driver behave (not how
# fast): a tiny run of each benchmark on every engine passes its
# consistency check and reports every figure, in the table, the JSON, the
# CSV, the markdown and the timeline; an engine this build cannot run is
# reported as such, not dropped; durability lazy really syncs less; bad
# usage exits 2; and bench/run.sh makes a whole report.  Run by
# tests/run-cli.sh with $BUILD set; works in a temporary directory.
set -eu

BUILD=${BUILD:-build}
BIN=$(cd "$BUILD/bin" && pwd)
SRC=$(pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
ulimit -c 0 2>/dev/null || true
cd "$tmp"

fail() {
	echo "FAIL: $*" >&2
	echo "--- stdout" >&2; cat out >&2
	echo "--- stderr" >&2; cat err >&2
	exit 1
}

# expect STATUS CMD...: run CMD (at most 5 minutes), stdout in out,
# stderr in err.
expect() {
	want=$1
	shift
	set +e
	timeout 300 "$@" >out 2>err
	got=$?
	set -e
	[ "$got" = "$want" ] || fail "'$*' exited $got, expected $want"
}

py() { # py EXPR FILE: evaluate EXPR on the JSON in FILE (as d)
	python3 -c "import json; d=json.load(open('$2')); print($1)"
}

# ---- usage ----
expect 0 "$BIN/exobench" --help
grep -q "tpcb" out && grep -q "tpcc" out || fail "--help lists no tpcb/tpcc"
expect 0 "$BIN/exobench" tpcc --help
for o in --engine --warehouses --terminals --seconds --warmup --durability \
	--cache-mb --dir --device --io --seed --json; do
	grep -q -- "$o" out || fail "tpcc --help lacks $o"
done
expect 0 "$BIN/exobench" tpcb --help
grep -q -- "--scale" out || fail "tpcb --help lacks --scale"
expect 2 "$BIN/exobench" tpcb --engine nosuch
grep -q "unknown engine 'nosuch'" err || fail "bad engine not named"
expect 2 "$BIN/exobench" tpcb --terminals 0
expect 2 "$BIN/exobench" tpcb --terminals 1,x
expect 2 "$BIN/exobench" tpcb --durability sometimes
expect 2 "$BIN/exobench" tpcb --seconds 0
expect 2 "$BIN/exobench" tpcc --warehouses 0
expect 2 "$BIN/exobench" tpcc --scale 2
expect 2 "$BIN/exobench" tpcb --io nosuch
expect 2 "$BIN/exobench" tpcb extra
[ ! -e var ] || fail "a usage error created var/"

# ---- a tiny run of each benchmark on every engine ----
# check_run BENCH FILE: every engine ran and is consistent (or, for
# sqlite-exodb only, is reported as not available, with the reason).
check_run() {
	b=$1 j=$2
	python3 - "$b" "$j" <<'EOF' || fail "$b: JSON figures"
import json, sys
b, path = sys.argv[1], sys.argv[2]
d = json.load(open(path))
assert len(d) == 8, len(d)
assert [r["engine"] for r in d[:4]] == \
    ["exodb", "lmdb", "sqlite-exodb", "sqlite"], [r["engine"] for r in d]
assert sorted(set(r["terminals"] for r in d)) == [1, 3]
for r in d:
    assert r["benchmark"] == b and r["durability"] == "full", r
    if not r["available"]:
        assert r["engine"] == "sqlite-exodb" and "VFS" in r["error"], r
        assert r["status"] == "unavailable" and not r["consistent"], r
        continue
    assert r["status"] == "ok" and r["consistent"] is True, r
    assert r["throughput"] > 0 and r["transactions"] > 0, r
    for k in ("p50", "p95", "p99", "max"):
        assert r["latency_%s_ms" % k] > 0, (k, r)
    assert r["latency_p50_ms"] <= r["latency_p99_ms"] <= r["latency_max_ms"]
    assert r["flushes_per_txn"] > 0.05, r  # durable commits flush
    assert r["writes_per_txn"] > 0 and r["bytes_written_per_txn"] > 0, r
    assert r["cpu_s_per_txn"] > 0 and r["maxrss_mb"] > 1, r
    assert r["settings"], r
    assert isinstance(r["timeline"], list), r
    if b == "tpcc":
        assert r["new_orders_per_min"] > 0, r
        for t in ("new_order", "payment", "order_status", "delivery",
                  "stock_level"):
            assert ("latency_%s_p99_ms" % t) in r, (t, r)
lm = [r for r in d if r["engine"] == "lmdb" and r["terminals"] == 3][0]
assert lm["x_lmdb"] == 1, lm
EOF
}

for b in tpcb tpcc; do
	scale=--scale
	[ "$b" = tpcc ] && scale=--warehouses
	expect 0 "$BIN/exobench" "$b" --tiny "$scale" 2 --engine all \
		--terminals 1,3 --seconds 1.1 --warmup 0.2 --dir db \
		--cache-mb 32 --json "$b.json" --csv "$b.csv" \
		--report "$b.md" --timeline "$b-tl.csv" --quiet
	check_run "$b" "$b.json"
	for e in exodb lmdb sqlite; do
		grep -q "^$e  *[0-9]" out || fail "$b: no row for $e"
	done
	grep -q "^sqlite-exodb  *\(not available: \|[0-9]\)" out ||
		fail "$b: sqlite-exodb neither run nor said unavailable"
	[ "$(wc -l <"$b.csv")" = 9 ] || fail "$b: CSV lines"
	grep -q "^$b,exodb,3,full,ok," "$b.csv" || fail "$b: CSV row"
	grep -q "### TPC-., 3 terminals" "$b.md" || fail "$b: markdown"
	grep -q "^- lmdb: default sync" "$b.md" || fail "$b: settings"
	grep -q "^$b,exodb,1,1," "$b-tl.csv" || fail "$b: timeline"
done
[ -f db/exodb.img ] && [ -f db/lmdb/data.mdb ] && [ -f db/sqlite.db ] ||
	fail "the databases are not in --dir"

# ---- durability lazy: the same meaning, fewer syncs ----
expect 0 "$BIN/exobench" tpcb --tiny --engine exodb,sqlite \
	--durability lazy --terminals 2 --seconds 0.5 --warmup 0.1 \
	--dir db --json lazy.json --quiet
[ "$(py '[r["consistent"] for r in d]' lazy.json)" = "[True, True]" ] ||
	fail "lazy runs inconsistent"
[ "$(py '[r["durability"] for r in d]' lazy.json)" = "['lazy', 'lazy']" ] ||
	fail "durability not recorded"
[ "$(py 'd[1]["flushes_per_txn"] < 0.5' lazy.json)" = True ] ||
	fail "sqlite lazy (synchronous=NORMAL) still syncs every commit"
grep -q "synchronous=NORMAL" lazy.json || fail "sqlite lazy settings"
grep -q "EXODB_LAZY" lazy.json || fail "exodb lazy settings"

# ---- an engine that fails is reported, and the exit status says so ----
mkdir -p bad/exodb.img
: >bad/lmdb
expect 1 "$BIN/exobench" tpcb --tiny --engine exodb,lmdb,sqlite --dir bad \
	--seconds 0.2 --warmup 0 --quiet
grep -q "^exodb  *FAILED: open" out || fail "exodb's failed open not shown"
grep -q "^lmdb  *FAILED: open" out || fail "lmdb's failed open not shown"
grep -q "^sqlite  *[0-9].* ok$" out || fail "sqlite did not run on"

# ---- make bench's driver, tiny ----
mkdir -p bench
cp "$SRC/bench/run.sh" "$SRC/bench/plot.gp" "$SRC/bench/fio-raw.sh" bench/
expect 0 env BUILD="$BIN/.." BENCH_TINY=1 BENCH_ONLY=tpcb,tpcc \
	BENCH_TERMINALS=2 BENCH_SECONDS=1.1 BENCH_WARMUP=0 \
	BENCH_DIR=db BENCH_CACHE_MB=32 sh bench/run.sh
r=bench/results/latest
[ -L "$r" ] && [ -f "$r/report.md" ] || fail "run.sh: no report"
python3 -m json.tool "$r/results.json" >/dev/null || fail "results.json"
[ "$(py 'len(d)' "$r/results.json")" = 8 ] || fail "results.json runs"
[ "$(wc -l <"$r/results.csv")" = 9 ] || fail "results.csv lines"
grep -q "^| tpcc | 2 |" "$r/report.md" || fail "report: no summary"
grep -q "## TPC-C" "$r/report.md" && grep -q "## TPC-B" "$r/report.md" ||
	fail "report: sections"
grep -q "exodb/sqlite" out || fail "run.sh printed no comparison"
if command -v gnuplot >/dev/null 2>&1; then
	for p in throughput-tpcb throughput-tpcc latency-tpcc timeline-tpcc; do
		[ -s "$r/$p.png" ] || fail "run.sh: no $p.png"
	done
fi

ls core* >/dev/null 2>&1 && fail "core dump"
echo "bench.sh: passed"
