# plot.gp: the plots of a `make bench` report, for one benchmark.
#
#   gnuplot -e "dir='bench/results/X'; bench='tpcc'; terms=16; ncol=3; \
#               timeline=1" bench/plot.gp
#
# Reads what bench/run.sh prepared in dir:
#   plot-BENCH-throughput.dat  engine, then txn/s per terminal count
#                              (ncol columns in all, with a header)
#   plot-BENCH-latency.dat     engine p50 p95 p99 (ms) at `terms`
#   timeline.csv               benchmark,engine,terminals,second,txn_per_s
# and writes throughput-BENCH.png (bars by engine and terminals),
# latency-BENCH.png (p50/p95/p99 at `terms` terminals, log scale) and
# timeline-BENCH.png (txn/s each second at `terms` terminals; only with
# timeline=1, when timeline.csv has such rows).

set terminal pngcairo size 900,500 font "sans,10"
set style data histogram
set style histogram cluster gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set grid ytics
set key top right
set xtics nomirror
title = bench eq "tpcb" ? "TPC-B" : "TPC-C"

set output sprintf("%s/throughput-%s.png", dir, bench)
set title sprintf("%s: transactions per second by engine and terminals", title)
set ylabel "txn/s"
set yrange [0:*]
plot for [i=2:ncol] sprintf("%s/plot-%s-throughput.dat", dir, bench) \
	using i:xtic(1) title columnheader(i)

set output sprintf("%s/latency-%s.png", dir, bench)
set title sprintf("%s: latency at %d terminals (all transaction types)", \
	title, terms)
set ylabel "ms (log scale)"
set logscale y
set yrange [*:*]
plot for [i=2:4] sprintf("%s/plot-%s-latency.dat", dir, bench) \
	using i:xtic(1) title columnheader(i)
unset logscale y

if (!timeline) exit
set output sprintf("%s/timeline-%s.png", dir, bench)
set title sprintf("%s: transactions per second over the run, %d terminals", \
	title, terms)
set style data lines
set xlabel "second"
set ylabel "txn/s"
set yrange [0:*]
engines = "exodb lmdb sqlite-exodb sqlite"
plot for [e in engines] sprintf("< awk -F, '$1 == \"%s\" && $2 == \"%s\" && $3 == %d {print $4, $5}' %s/timeline.csv", \
	bench, e, terms, dir) using 1:2 title e lw 2
