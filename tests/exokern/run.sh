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
# Logs go to $BUILD/test/exokern/NAME.log.  The last line is the total:
# "N passed, N failed".  Exit status 1 if anything failed.
#
# Usage: BUILD=build sh tests/exokern/run.sh     (make test-exokern)

BUILD=${BUILD:-build}
U=$BUILD/user
KERNEL=$BUILD/exokern.elf
LOGDIR=$BUILD/test/exokern
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

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
