#!/bin/sh
# run.sh: `make bench`, the main job: TPC-B and TPC-C on every engine,
# side by side, and the raw device as the limit.
#
#   make bench                          the default suite (about 12 min)
#   BENCH_SECONDS=60 BENCH_WAREHOUSES=10 make bench     a bigger one
#
# Runs `exobench tpcb` and `exobench tpcc` with every engine (exodb, lmdb,
# sqlite-exodb, sqlite) at 1 and 16 terminals, durability full, then
# `exobench raw` (and fio, when installed) on an image in the same
# directory.  Everything lands in bench/results/<UTC timestamp>/:
#
#   report.md      the tables, the settings of each engine, the plots
#   results.json   one object per run (the raw runs too)
#   results.csv    one line per TPC-B/TPC-C run
#   timeline.csv   transactions per second, per run
#   *.png          throughput by engine and terminals, latency, timeline
#   *.txt          what each command printed
#
# and bench/results/latest points to it.  Settings (environment):
# BENCH_ENGINES (all), BENCH_TERMINALS (1,16), BENCH_SECONDS (20),
# BENCH_WARMUP (5), BENCH_SCALE (TPC-B branches, 2), BENCH_WAREHOUSES (2),
# BENCH_DURABILITY (full), BENCH_CACHE_MB (256), BENCH_DIR (var),
# BENCH_RAW_SECONDS (3), BENCH_ONLY (a list of tpcb, tpcc, raw: just
# those), BENCH_TINY (1: a hundredth of the rows, for tests).
# Exits 1 when a run failed or a consistency check did not hold (the
# report is still written).
set -eu

BUILD=${BUILD:-build}
BIN=$BUILD/bin/exobench
ENGINES=${BENCH_ENGINES:-all}
TERMS=${BENCH_TERMINALS:-1,16}
SECS=${BENCH_SECONDS:-20}
WARMUP=${BENCH_WARMUP:-5}
SCALE=${BENCH_SCALE:-2}
WAREHOUSES=${BENCH_WAREHOUSES:-2}
DURABILITY=${BENCH_DURABILITY:-full}
CACHE_MB=${BENCH_CACHE_MB:-256}
DIR=${BENCH_DIR:-var}
RAW_SECS=${BENCH_RAW_SECONDS:-3}
ONLY=${BENCH_ONLY:-}
TINY=${BENCH_TINY:+--tiny}

stamp=$(date -u +%Y%m%d-%H%M%S)
out=bench/results/$stamp
load0=$(cut -d' ' -f1-3 /proc/loadavg)
mkdir -p "$out" "$DIR"
status=0

wants() {
	case ",${ONLY:-tpcb,tpcc,raw}," in
	*",$1,"*) return 0 ;;
	*) return 1 ;;
	esac
}

header() {
	rev=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
	cpu=$(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1)
	mem=$(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)
	dev=$(df -P "$DIR" | awk 'NR == 2 {print $1}')
	fs=$(findmnt -no FSTYPE -T "$DIR" 2>/dev/null || echo "?")
	jt=/sys/fs/ext4/$(basename "$dev")/journal_task
	[ "$fs" = ext4 ] && [ "$(cat "$jt" 2>/dev/null)" = "<none>" ] &&
		fs="ext4 without a journal"
	cat <<EOF
# exodb benchmark report

- date: $(date -u '+%Y-%m-%d %H:%M UTC'); revision: $rev
- machine: $(nproc) CPUs ($cpu), $mem RAM, Linux $(uname -r); load
  average $load0 at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end
- storage: $DIR on $dev ($fs)
- suite: TPC-B scale $SCALE, TPC-C $WAREHOUSES warehouse(s)${TINY:+ (--tiny:
  a hundredth of the rows, not a valid scale)}; terminals $TERMS; $SECS s
  measured after $WARMUP s warmup; durability $DURABILITY; cache
  $CACHE_MB MiB; engines $ENGINES

Terminals are threads with no think or keying times: the figures are
transactions per second (TPC-C: NewOrders per minute), not tpmC.  Every
run starts from a freshly loaded database and ends with the consistency
check, which fails the run when violated.  How each figure is taken:
docs/benchmarks.md.
EOF
}

# bench NAME SCALE-OPTION: one exobench TPC run into $out/NAME.*
bench() {
	name=$1
	shift
	echo "== $name"
	set +e
	"$BIN" "$name" "$@" $TINY --engine "$ENGINES" --terminals "$TERMS" \
		--seconds "$SECS" --warmup "$WARMUP" \
		--durability "$DURABILITY" --cache-mb "$CACHE_MB" \
		--dir "$DIR" --json "$out/$name.json" --csv "$out/$name.csv" \
		--timeline "$out/$name-timeline.csv" \
		--report "$out/$name.md" >"$out/$name.txt"
	rc=$?
	set -e
	cat "$out/$name.txt"
	[ "$rc" = 0 ] || status=1
}

raw() {
	echo "== raw"
	set +e
	"$BIN" raw --device "$DIR/raw.img" --size 1G --io all \
		--seconds "$RAW_SECS" --json "$out/raw.json" >"$out/raw.txt"
	rc=$?
	if [ "$rc" = 0 ] && command -v fio >/dev/null 2>&1; then
		sh bench/fio-raw.sh --seconds "$(awk -v s="$RAW_SECS" \
			'BEGIN { printf "%d", s < 1 ? 1 : s }')" \
			--json "$out/fio.json" "$DIR/raw.img" >"$out/fio.txt" &&
			sh bench/fio-raw.sh --compare "$out/raw.json" \
				"$out/fio.json" >>"$out/fio.txt"
	fi
	set -e
	cat "$out/raw.txt"
	[ -f "$out/fio.txt" ] && cat "$out/fio.txt"
	[ "$rc" = 0 ] || status=1
}

# merge_json FILE...: the JSON arrays of FILEs as one array.
merge_json() {
	echo "["
	first=1
	for f in "$@"; do
		[ -s "$f" ] || continue
		[ "$first" = 1 ] || echo ","
		sed '1d;$d' "$f"
		first=0
	done
	echo "]"
}

# merge_csv FILE...: one header, then every FILE's rows.
merge_csv() {
	head_done=0
	for f in "$@"; do
		[ -s "$f" ] || continue
		if [ "$head_done" = 0 ]; then
			cat "$f"
			head_done=1
		else
			sed 1d "$f"
		fi
	done
}

# summary CSV md|text: at the largest terminal count, each benchmark's
# throughput by engine and the ratios the goals are about.
summary() {
	awk -F, -v fmt="$2" '
	NR == 1 { next }
	{
		if ($3 + 0 > maxt[$1]) maxt[$1] = $3 + 0
		tput[$1 "," $2 "," $3] = ($5 == "ok") ? $6 : $5
		if (!($1 in seen)) { seen[$1] = 1; order[n++] = $1 }
	}
	function v(b, e,   t) {
		t = tput[b "," e "," maxt[b]]
		return t == "" ? "-" : t
	}
	function r(b, a, c,   x, y) {
		x = v(b, a); y = v(b, c)
		if (x + 0 > 0 && y + 0 > 0) return sprintf("%.2fx", x / y)
		return "-"
	}
	function goal(b, a, c, g,   x, y) {
		x = v(b, a); y = v(b, c)
		if (!(x + 0 > 0 && y + 0 > 0)) return "n/a"
		return (x / y >= g) ? "met" : "not met"
	}
	END {
		if (fmt == "md") {
			print "| benchmark | terminals | exodb | lmdb | " \
			      "sqlite-exodb | sqlite | exodb / lmdb | " \
			      "exodb / sqlite | sqlite-exodb / sqlite |"
			print "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
			f = "| %s | %d | %s | %s | %s | %s " \
			    "| %s (goal %dx: %s) | %s (goal %dx: %s) " \
			    "| %s (goal 1.5x: %s) |\n"
		} else {
			printf "%-5s %5s %10s %10s %12s %10s   %s\n", "", \
				"terms", "exodb", "lmdb", "sqlite-exodb", \
				"sqlite", "exodb/lmdb  exodb/sqlite  " \
				"sqlite-exodb/sqlite"
			f = "%-5s %5d %10s %10s %12s %10s   %s (%dx: %s)  " \
			    "%s (%dx: %s)  %s (1.5x: %s)\n"
		}
		for (i = 0; i < n; i++) {
			b = order[i]
			g = (b == "tpcb") ? 10 : 3
			printf f, b, maxt[b], v(b, "exodb"), v(b, "lmdb"), \
				v(b, "sqlite-exodb"), v(b, "sqlite"), \
				r(b, "exodb", "lmdb"), g, \
				goal(b, "exodb", "lmdb", g), \
				r(b, "exodb", "sqlite"), g, \
				goal(b, "exodb", "sqlite", g), \
				r(b, "sqlite-exodb", "sqlite"), \
				goal(b, "sqlite-exodb", "sqlite", 1.5)
		}
	}' "$1"
}

# pivot: the .dat files bench/plot.gp reads, for benchmark $1.
plot_data() {
	b=$1
	awk -F, -v b="$b" '
	NR > 1 && $1 == b {
		if (!($2 in se)) { se[$2] = 1; eng[ne++] = $2 }
		if (!($3 in st)) { st[$3] = 1; term[nt++] = $3 }
		tp[$2 "," $3] = ($5 == "ok") ? $6 : 0
	}
	END {
		printf "engine"
		for (j = 0; j < nt; j++) printf " \"%s term\"", term[j]
		printf "\n"
		for (i = 0; i < ne; i++) {
			printf "%s", eng[i]
			for (j = 0; j < nt; j++)
			printf " %s", tp[eng[i] "," term[j]] + 0
			printf "\n"
		}
	}' "$out/results.csv" >"$out/plot-$b-throughput.dat"
	awk -F, -v b="$b" '
	NR > 1 && $1 == b { if ($3 + 0 > maxt) maxt = $3 + 0; row[n++] = $0 }
	END {
		print "engine p50 p95 p99"
		for (k = 0; k < n; k++) {
			split(row[k], f, ",")
			if (f[3] + 0 == maxt && f[5] == "ok")
				print f[2], f[10], f[11], f[12]
		}
	}' "$out/results.csv" >"$out/plot-$b-latency.dat"
	awk -F, -v b="$b" 'NR > 1 && $1 == b && $3 + 0 > m { m = $3 + 0 }
		END { print m }' "$out/results.csv"
}

plots() {
	command -v gnuplot >/dev/null 2>&1 || {
		echo "(no gnuplot: no plots; run make deps)"
		return 0
	}
	for b in tpcb tpcc; do
		grep -q "^$b," "$out/results.csv" 2>/dev/null || continue
		terms=$(plot_data "$b")
		ncol=$(head -1 "$out/plot-$b-throughput.dat" |
			awk -F'"' '{print (NF - 1) / 2 + 1}')
		tl=0
		grep -q "^$b,[^,]*,$terms," "$out/timeline.csv" && tl=1
		gnuplot -e "dir='$out'; bench='$b'; terms=$terms" \
			-e "ncol=$ncol; timeline=$tl" bench/plot.gp || status=1
	done
}

report() {
	{
		header
		if [ -s "$out/results.csv" ]; then
			echo
			echo "## Summary"
			echo
			summary "$out/results.csv" md
		fi
		for b in tpcb tpcc; do
			[ -f "$out/$b.md" ] && cat "$out/$b.md"
			for p in throughput latency timeline; do
				[ -f "$out/$p-$b.png" ] &&
					printf '\n![%s %s](%s-%s.png)\n' \
						"$b" "$p" "$p" "$b"
			done
		done
		if [ -f "$out/raw.txt" ]; then
			printf '\n## The device: exobench raw\n\n```\n'
			cat "$out/raw.txt"
			[ -f "$out/fio.txt" ] && cat "$out/fio.txt"
			printf '```\n'
		fi
	} >"$out/report.md"
}

echo "exodb bench: results in $out"
[ -x "$BIN" ] || { echo "run.sh: no $BIN: run make" >&2; exit 1; }
wants tpcb && bench tpcb --scale "$SCALE"
wants tpcc && bench tpcc --warehouses "$WAREHOUSES"
wants raw && raw
merge_json "$out/tpcb.json" "$out/tpcc.json" "$out/raw.json" \
	>"$out/results.json"
merge_csv "$out/tpcb.csv" "$out/tpcc.csv" >"$out/results.csv"
merge_csv "$out/tpcb-timeline.csv" "$out/tpcc-timeline.csv" >"$out/timeline.csv"
plots
report
ln -sfn "$stamp" bench/results/latest
if [ -s "$out/results.csv" ]; then
	echo
	echo "== summary (largest terminal count; txn/s)"
	summary "$out/results.csv" text
fi
echo
echo "report: $out/report.md"
[ "$status" = 0 ] ||
	echo "run.sh: some runs failed or were inconsistent (see above)" >&2
exit "$status"
