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

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
