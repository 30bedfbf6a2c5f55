#!/bin/sh
# run.sh: the exokern test suite.  Boots the kernel in QEMU (software
# emulation) several times with different boot modules, reads the serial
# console, and checks:
#   - QEMU's exit status: 33 means the kernel exited through isa-debug-exit
#     with its success code after every environment had ended; anything
#     else (35: kernel panic, 124: the hard timeout) fails;
#   - each test program's line "LABEL: N passed, M failed" (N and M are
#     added to the totals; a missing line is a failure);
#   - for each `fault KIND` module, that the kernel reported the vector the
#     program announced and killed that environment, and nothing else.
# The disk suite (boots named disk-*) runs on 64 MiB images made by
# `exodb disk format` ($BUILD/bin/exodb) under $BUILD/test/exokern, with a
# virtio-blk disk, and also checks with `exodb disk info` that Linux reads
# the ownership map exokern wrote as exokern sees it, including after QEMU
# was killed in the middle of ownership changes.
# The libOS suite runs dblibos, the engine and the benchmarks' TPC-B
# (bench/tpcb.c) inside exokern: dbtest (threads, stores, objects,
# recovery, group commit), two database environments under a revocation,
# qtpcb (a short TPC-B with its consistency check), the exodb CLI's
# check, and two power cuts (QEMU killed while commits go on; after the
# reboot every commit the guest acknowledged on the console is there).
# Logs go to $BUILD/test/exokern/NAME.log.  The last line is the total:
# "N passed, N failed".  Exit status 1 if anything failed.
#
# Usage: BUILD=build sh tests/exokern/run.sh     (make test-exokern)

BUILD=${BUILD:-build}
U=$BUILD/user
KERNEL=$BUILD/exokern.elf
EXODB=$BUILD/bin/exodb
LOGDIR=$BUILD/test/exokern
DISK=$LOGDIR/disk.img
TIMEOUT=${EXOKERN_TIMEOUT:-60}
QEMU="qemu-system-x86_64 -accel tcg -display none -serial stdio \
-monitor none -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=4"
FAULTS="nullread nullwrite nullcall kernread kernwrite kernjump physread
noncanon textwrite infowrite stackexec stackoverflow div0 ud2 cli sti hlt
in outexit rdmsr wrmsr movcr3 readcr3 lidt lgdt invlpg swapgs sysret int3
inttimer int80 ltr loadkseg iretkern trapflag tfsyscall"

passed=0 failed=0
mkdir -p "$LOGDIR"

ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL $name: $*"; }

# boot NAME MEM QEMU-ARGS...: run QEMU, keep the console in $log.
boot() {
	name=$1 mem=$2
	shift 2
	log=$LOGDIR/$name.log
	t0=$(date +%s.%N)
	timeout -k 5 "$TIMEOUT" $QEMU -m "$mem" "$@" </dev/null \
		>"$log.raw" 2>&1
	rc=$?
	tr -d '\r' <"$log.raw" >"$log" && rm -f "$log.raw"
	secs=$(echo "$t0 $(date +%s.%N)" | awk '{printf "%.1f", $2 - $1}')
	case $rc in
	33) ok ;;
	124) bad "timed out after ${TIMEOUT}s" ;;
	35) bad "kernel panic: $(grep 'exokern: panic' "$log")" ;;
	*) bad "QEMU exit status $rc" ;;
	esac
	echo "boot $name: QEMU status $rc, ${secs}s (log: $log)"
}

# modules PROG-ARGS...: the -initrd list, programs from $U.
modules() {
	m=""
	for p in "$@"; do m="$m${m:+,}$U/$p"; done
	echo "$m"
}

# result LABEL [COUNT]: COUNT (default 1) result lines of LABEL.
result() {
	lines=$(grep "^$1: [0-9]* passed, [0-9]* failed$" "$log")
	n=$(printf '%s' "$lines" | grep -c .)
	if [ "$n" != "${2:-1}" ]; then
		bad "$1: $n result lines, want ${2:-1}"
		return
	fi
	p=$(printf '%s\n' "$lines" | awk '{s += $2} END {print s + 0}')
	f=$(printf '%s\n' "$lines" | awk '{s += $4} END {print s + 0}')
	passed=$((passed + p))
	failed=$((failed + f))
	[ "$f" = 0 ] || bad "$1: $f checks failed: $(grep '^FAIL' "$log")"
}

# killed KIND: the fault module KIND died of the vector it announced.
killed() {
	v=$(sed -n "s/^fault-$1: expect vector \([0-9]*\)$/\1/p" "$log")
	tag="/fault $1]:"
	if [ -n "$v" ] &&
	    grep -F "$tag" "$log" | grep -q "(vector $v) err 0x" &&
	    grep -F "$tag" "$log" | grep -q "killed by vector $v\$" &&
	    ! grep -q "^fault-$1: survived" "$log"; then
		ok
	else
		bad "fault $1: not killed by the expected vector"
	fi
}

# has TEXT: the console shows TEXT.
has() {
	if grep -qF "$1" "$log"; then ok; else bad "no \"$1\""; fi
}

# 1. The runtime and the page calls used as intended, two FPU users.
boot basic 128M -kernel "$KERNEL" \
	-initrd "$(modules "hello a b c" ulibtest ulibtest pages)"
result hello
result ulibtest 2
result pages
has "hello from env 1: a b c"

# 2. Attacks: refused calls (hostile, victim), killed faults, modules that
# are not x86-64 programs; hello runs last to show the kernel lived.
set -- victim hostile
for k in $FAULTS; do set -- "$@" "fault $k"; done
boot hostile 128M -kernel "$KERNEL" -initrd \
	"$(modules "$@" "hello after the attacks"),exokern/kernel.mk,$KERNEL"
result victim
result hostile
for k in $FAULTS; do killed "$k"; done
result hello
has "[exokern/kernel.mk]: not started: EXO_EINVAL"
has "[$KERNEL]: not started: EXO_EINVAL"
has "all environments exited ($(echo $FAULTS | wc -w) killed)"

# 3. Revocation under memory pressure.
boot revoke 64M -kernel "$KERNEL" \
	-initrd "$(modules "revoke coop 256" "revoke uncoop 256" \
		"revoke hog 128")"
result revoke-coop
result revoke-uncoop
result revoke-hog
has "revoke uncoop 256]: repossessed 64 pages"

# 4. Measurements (printed below).
boot bench 128M -kernel "$KERNEL" -initrd "$(modules bench)"
result bench
grep '^bench: .*[0-9] \(us\|cycles\|x function call\)$' "$log"

# 5. The GRUB image (make iso): Multiboot through a real boot loader.
boot grub 128M -cdrom "$BUILD/exodb.iso"
result hello
result ulibtest
result pages

# ---- the disk suite ----

# drive IMAGE: the QEMU arguments for a virtio-blk disk.
drive() {
	echo "-drive file=$1,if=none,id=d0,format=raw,cache=none" \
		"-device virtio-blk-pci,drive=d0"
}

# newdisk: a fresh 64 MiB exodb disk at $DISK, formatted on Linux.
newdisk() {
	rm -f "$DISK"
	"$EXODB" disk format "$DISK" --size 64M >/dev/null ||
		bad "exodb disk format $DISK failed"
}

# diskinfo: `exodb disk info --json $DISK` into $LOGDIR/$name.json (every
# extent listed, one owner a line); 1 if it fails.
diskinfo() {
	info=$LOGDIR/$name.json
	if "$EXODB" disk info --json "$DISK" >"$info" 2>&1; then
		ok
		return 0
	fi
	bad "exodb disk info: $(cat "$info")"
	return 1
}

# mapcheck: every "diskmap: ..." line of $log (an owner's view of the map
# inside exokern) is what `exodb disk info` on Linux says of some owner.
mapcheck() {
	diskinfo || return
	want=$(awk '
	function num(key) {
		if (!match(line, "\"" key "\": [0-9a-z]+"))
			return ""
		return substr(line, RSTART + length(key) + 4,
			      RLENGTH - length(key) - 4)
	}
	/"free_blocks":/ { line = $0; free = num("free_blocks") }
	/^ *\{"id":/ {
		line = $0
		root = num("root")
		if (root == "null")
			root = "none"
		out = "diskmap: free " free " blocks " num("blocks") \
			" root " root " extents"
		while (match(line, /"start": [0-9]+, "len": [0-9]+/)) {
			split(substr(line, RSTART, RLENGTH), f, /[^0-9]+/)
			out = out " " f[2] "+" f[3]
			line = substr(line, RSTART + RLENGTH)
		}
		print out
	}' "$info")
	n=0
	grep '^diskmap: ' "$log" >"$LOGDIR/$name.map"
	while read -r line; do
		n=$((n + 1))
		if printf '%s\n' "$want" | grep -qxF "$line"; then
			ok
		else
			bad "exokern's \"$line\" is not in exodb disk info"
		fi
	done <"$LOGDIR/$name.map"
	[ "$n" -gt 0 ] || bad "no diskmap lines"
}

# genmatch: the map generation and slot exokern opened at boot are the
# ones `exodb disk info` reported just before ($info).
genmatch() {
	g=$(sed -n 's/^ *"map_gen": \([0-9]*\),$/\1/p' "$info")
	sl=$(sed -n 's/^ *"map_slot": "\(.\)",$/\1/p' "$info")
	has "exokern: disk: map generation $g in slot $sl,"
}

# 6. Use as intended, by one environment and by two at once, on an image
# formatted on Linux.
newdisk
boot disk-basic 128M -kernel "$KERNEL" $(drive "$DISK") -initrd \
	"$(modules "diskrw basic cap-basic" "diskrw pair cap-pair-1" \
		"diskrw pair cap-pair-2")"
result diskrw-basic
result diskrw-pair 2
has "exokern: disk: map generation 1 in slot A, 0 owners"

# 7. Attacks on the disk and on a victim using it; a program killed with
# I/O in flight; hello runs last to show the kernel lived.
newdisk
boot disk-hostile 128M -kernel "$KERNEL" $(drive "$DISK") -initrd \
	"$(modules diskvictim diskhostile "diskrw ringwrite cap-ring" \
		"hello after the disk attacks")"
result diskvictim
result diskhostile
result hello
if grep -qF "diskrw ringwrite cap-ring]: page fault (vector 14)" "$log" &&
    grep -q "ringwrite cap-ring\]: killed by vector 14$" "$log" &&
    ! grep -q "^diskrw-ringwrite: survived" "$log"; then
	ok
else
	bad "diskrw ringwrite: not killed by a page fault"
fi
has "all environments exited (1 killed)"

# 8. Persistence: write, quit, boot again: the owner finds its data,
# another owner does not, and gets the freed blocks as zeros; Linux reads
# the map exokern wrote.
newdisk
boot disk-persist-1 128M -kernel "$KERNEL" $(drive "$DISK") -initrd \
	"$(modules "diskpersist write cap-p")"
result diskpersist-write
boot disk-persist-2 128M -kernel "$KERNEL" $(drive "$DISK") -initrd \
	"$(modules "diskpersist read cap-p" "diskpersist other cap-q")"
result diskpersist-read
result diskpersist-other
diskinfo
boot disk-persist-3 128M -kernel "$KERNEL" $(drive "$DISK") \
	-initrd "$(modules "diskpersist map cap-p" "diskpersist map cap-q")"
genmatch
result diskpersist-map 2
mapcheck

# churn ROUND: kill QEMU (SIGKILL) at a random moment while a program
# allocates and frees blocks, then check the map from Linux and from
# exokern, which must agree.
churn() {
	name=disk-churn-$1
	log=$LOGDIR/$name.log
	$QEMU -m 128M -kernel "$KERNEL" $(drive "$DISK") -initrd \
		"$(modules "diskpersist churn cap-churn")" </dev/null \
		>"$log.raw" 2>&1 &
	qpid=$!
	i=0
	while [ $i -lt 300 ] && kill -0 $qpid 2>/dev/null &&
	    ! grep -q "^diskpersist-churn: running" "$log.raw" 2>/dev/null; do
		sleep 0.1
		i=$((i + 1))
	done
	r=$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')
	delay=$(awk -v r="$r" 'BEGIN { printf "%.3f", (r % 1000) / 1000 }')
	sleep "$delay"
	kill -KILL $qpid 2>/dev/null
	wait $qpid 2>/dev/null
	tr -d '\r' <"$log.raw" >"$log" && rm -f "$log.raw"
	if grep -q "^diskpersist-churn: running" "$log" &&
	    ! grep -q "^FAIL" "$log"; then
		ok
	else
		bad "churn did not run: $(tail -n 3 "$log")"
	fi
	echo "boot $name: killed QEMU ${delay}s into the churn (log: $log)"
	diskinfo || return
	boot "$name-after" 128M -kernel "$KERNEL" $(drive "$DISK") -initrd \
		"$(modules "diskpersist map cap-churn")"
	genmatch
	result diskpersist-map
	mapcheck
}

newdisk
for round in 1 2 3; do churn $round; done

# 9. No disk, and a disk that is not an exodb disk: attach says why.
boot disk-none 128M -kernel "$KERNEL" \
	-initrd "$(modules "diskrw absent EXO_ENOENT")"
result diskrw-absent
has "exokern: disk: none"
rm -f "$DISK" && truncate -s 64M "$DISK"
boot disk-raw 128M -kernel "$KERNEL" $(drive "$DISK") \
	-initrd "$(modules "diskrw absent EXO_EBADDISK")"
result diskrw-absent
has "exokern: disk: not used: EXO_EBADDISK"

# 10. Disk measurements (printed below).
newdisk
boot disk-bench 128M -kernel "$KERNEL" $(drive "$DISK") \
	-initrd "$(modules diskbench)"
result diskbench
grep '^diskbench: .* ops/s' "$log"

# ---- the database libOS (dblibos on exokern) ----

# 11. dblibos's own checks inside the guest: threads, a store created on
# the disk, transactions on objects, reopen, recovery, group commit.
newdisk
boot db-store 256M -kernel "$KERNEL" $(drive "$DISK") \
	-initrd "$(modules "dbtest store cap-db")"
result dbtest-store
grep '^dbtest: ' "$log"

# acked_ok LOG: every "ack T SEQ" of the cut run ($1) is below the
# "durable T N" the verifying boot ($log) found for thread T.
acked_ok() {
	awk '
	FNR == NR && /^ack [0-9]+ [0-9]+$/ {
		if (!($2 in max) || $3 + 0 > max[$2]) max[$2] = $3 + 0
		acks++
		next
	}
	FNR != NR && /^durable [0-9]+ -?[0-9]+$/ { dur[$2] = $3 + 0 }
	END {
		bad = 0
		for (t in max)
			if (!(t in dur) || max[t] >= dur[t]) {
				printf "thread %s: ack %d, durable %s\n", t,
				       max[t], (t in dur) ? dur[t] : "none"
				bad = 1
			}
		if (acks == 0) { print "no acknowledged commits"; bad = 1 }
		exit bad
	}' "$1" "$log"
}

# cutrun NAME MEM MODULE READY: boot MODULE on $DISK, wait for its line
# READY, let it run 0.5 to 1.5 s more and kill QEMU (SIGKILL: a power
# cut); the console goes to $LOGDIR/NAME.log ($cutlog).
cutrun() {
	name=$1
	cutlog=$LOGDIR/$name.log
	$QEMU -m "$2" -kernel "$KERNEL" $(drive "$DISK") -initrd \
		"$(modules "$3")" </dev/null >"$cutlog.raw" 2>&1 &
	qpid=$!
	i=0
	while [ $i -lt 300 ] && kill -0 $qpid 2>/dev/null &&
	    ! grep -q "^$4" "$cutlog.raw" 2>/dev/null; do
		sleep 0.1
		i=$((i + 1))
	done
	r=$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')
	delay=$(awk -v r="$r" \
		'BEGIN { printf "%.3f", 0.5 + (r % 1000) / 1000 }')
	sleep "$delay"
	kill -KILL $qpid 2>/dev/null
	wait $qpid 2>/dev/null
	tr -d '\r' <"$cutlog.raw" >"$cutlog" && rm -f "$cutlog.raw"
	# a line the kill cut short is no acknowledgement
	[ -z "$(tail -c 1 "$cutlog")" ] || sed -i '$d' "$cutlog"
	if grep -q "^$4" "$cutlog" && ! grep -q "^FAIL" "$cutlog"; then
		ok
	else
		bad "the committing run did not run: $(tail -n 3 "$cutlog")"
	fi
	echo "boot $name: killed QEMU ${delay}s into the run," \
		"$(grep -c '^ack ' "$cutlog") commits acknowledged" \
		"(log: $cutlog)"
}

# 12. Power cut: kill QEMU while threads commit, boot again, recover,
# check the store, and find every acknowledged commit.
newdisk
cutrun db-cut 256M "dbtest cut cap-cut" "dbtest-cut: running"
boot db-cut-after 256M -kernel "$KERNEL" $(drive "$DISK") \
	-initrd "$(modules "dbtest verify cap-cut")"
result dbtest-verify
if why=$(acked_ok "$cutlog"); then ok; else bad "lost commits: $why"; fi

# 13. Two database environments, each with its own capability and store
# on one disk, at the same time; a third takes all free memory, the
# kernel asks the others for pages, their caches choose what to give
# back (nothing is repossessed), and the runs go on and verify.
newdisk
boot db-pair 128M -kernel "$KERNEL" $(drive "$DISK") -initrd \
	"$(modules "dbtest run cap-a 3" "dbtest run cap-b 3" "dbtest hog 256")"
result dbtest-run 2
result dbtest-hog
grep '^dbtest: ' "$log"
if grep -q "^dbtest: store cap-.*, [1-9][0-9]* given back" "$log" &&
    ! grep -q "repossessed" "$log"; then
	ok
else
	bad "no cache gave pages back, or the kernel repossessed some"
fi

# ---- the engine and the benchmarks' TPC-B in the guest ----

# engine_check: the exodb CLI, run inside exokern, checks the store the
# TPC-B runs use ("bench") completely.
engine_check() {
	boot "$1" 256M -kernel "$KERNEL" $(drive "$DISK") -initrd \
		"$(modules "exodb check /dev/vda --store bench --cache 16M")"
	has "/dev/vda: store 'bench' ok:"
}

# 14. A short TPC-B (bench/tpcb.c on the engine), its consistency check,
# then the engine's own check.
newdisk
boot tpcb-short 256M -kernel "$KERNEL" $(drive "$DISK") \
	-initrd "$(modules "qtpcb short 4 2")"
result qtpcb-short
grep '^qtpcb: ' "$log"
engine_check tpcb-short-check

# 15. Power cut during TPC-B; after the reboot every acknowledged commit
# (the history rows each terminal acknowledged) is there, the balances
# agree, and the engine's check passes.
newdisk
cutrun tpcb-cut 256M "qtpcb run 4" "qtpcb-run: running"
acks=$(awk '/^ack [0-9]+ [0-9]+$/ { if ($3 + 0 > m[$2]) m[$2] = $3 + 0 }
	END { for (t in m) printf "%s%s:%d", n++ ? " " : "", t, m[t] }' \
	"$cutlog")
[ -n "$acks" ] || bad "tpcb-cut: no acknowledged commits"
boot tpcb-cut-after 256M -kernel "$KERNEL" $(drive "$DISK") \
	-initrd "$(modules "qtpcb verify $acks")"
result qtpcb-verify
grep '^qtpcb: ' "$log"
engine_check tpcb-cut-check

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
