#!/bin/sh
# qemu-compare.sh: the same TPC-B on exokern + dblibos and on Debian's
# Linux kernel + dblibos, in one emulator with the same settings, side by
# side (make qemu-compare).
#
# Both guests run qtpcb (exokern/user/bench/qtpcb.c): the benchmarks'
# TPC-B (bench/tpcb.c) on the exodb engine, on a fresh exodb disk image
# formatted on the host (virtio-blk, cache=none), TERMS terminals for
# SECONDS after a one-second warm-up.  Only what is below exo.h differs:
#   exokern  dblibos/port/exokern.c: system calls into exokern, the libOS's
#            user-level threads;
#   linux    dblibos/port/host.c + linux.c: O_DIRECT and io_uring on
#            /dev/vda, pthreads; linked statically, started by a small
#            initramfs (busybox, the virtio modules) on Debian's kernel
#            (package linux-image-amd64, fetched with apt-get download and
#            unpacked with dpkg -x under $BUILD/linux; never installed).
# QEMU: TCG (no KVM here), one CPU, the same memory, the same disk flags.
#
# The figures, all over the measured interval:
#   tps           committed TPC-B transactions per second
#   ios/txn       requests the virtio disk served: exokern counts the
#                 requests the environment submitted (info page); Linux
#                 the reads, writes and flushes vda completed
#                 (/sys/block/vda/stat, after the block layer merged)
#   syscalls/txn  kernel crossings by system call, counted by each kernel:
#                 exokern's per-environment counter (info page); Linux's
#                 raw_syscalls:sys_enter tracepoint, a histogram of the
#                 threads named qtpcb.  Interrupts and faults are not
#                 counted on either side.
#   flushes/txn   log flushes per transaction (the engine's count)
#
# Usage: BUILD=build sh tools/qemu-compare.sh [TERMS [SECONDS [MEM]]]
set -e
BUILD=${BUILD:-build}
TERMS=${1:-4}
SECONDS_RUN=${2:-10}
MEM=${3:-512M}
L=$BUILD/linux
OUT=$BUILD/compare
DISK=$OUT/disk.img
QEMU="qemu-system-x86_64 -accel tcg -smp 1 -m $MEM -display none \
-serial stdio -monitor none -no-reboot"
DRIVE="-drive file=$DISK,if=none,id=d0,format=raw,cache=none \
-device virtio-blk-pci,drive=d0"
MODULES="virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev \
virtio_pci virtio_blk"
LIMIT=$((SECONDS_RUN * 6 + 240))
mkdir -p "$OUT"

# Debian's kernel, unpacked under $L/root.
linux_kernel() {
	if ! ls "$L"/root/boot/vmlinuz-* >/dev/null 2>&1; then
		pkg=$(apt-cache depends linux-image-amd64 |
			sed -n 's/^ *Depends: \(linux-image-[0-9].*\)$/\1/p' |
			head -n 1)
		[ -n "$pkg" ] || { echo "qemu-compare: no kernel package" >&2
			exit 1; }
		echo "qemu-compare: fetching $pkg"
		rm -rf "$L/deb" && mkdir -p "$L/deb"
		(cd "$L/deb" && apt-get download "$pkg" >/dev/null 2>&1)
		dpkg -x "$L"/deb/"$pkg"_*.deb "$L/root"
	fi
	ls "$L"/root/boot/vmlinuz-* | head -n 1
}

# The initramfs: busybox, the virtio modules, init, qtpcb.
initramfs() {
	r=$L/initramfs
	rm -rf "$r" && mkdir -p "$r/bin" "$r/lib/modules"
	cp /bin/busybox "$r/bin/busybox"
	ln -s busybox "$r/bin/sh"
	for m in $MODULES; do
		f=$(find "$L"/root/lib/modules -name "$m.ko" | head -n 1)
		[ -n "$f" ] || { echo "qemu-compare: no $m.ko" >&2; exit 1; }
		cp "$f" "$r/lib/modules/"
	done
	cp tools/initramfs/init "$r/init"
	cp "$L/qtpcb" "$r/qtpcb"
	(cd "$r" && find . | busybox cpio -o -H newc 2>/dev/null) |
		gzip -1 >"$L/initramfs.cpio.gz"
}

newdisk() {
	rm -f "$DISK"
	"$BUILD/bin/exodb" disk format "$DISK" --size 256M >/dev/null
}

# run NAME QEMU-ARGS...: one guest, its console in $OUT/NAME.log.
run() {
	name=$1
	shift
	newdisk
	echo "qemu-compare: $name: TPC-B, $TERMS terminals, ${SECONDS_RUN} s"
	timeout -k 5 $LIMIT $QEMU $DRIVE "$@" </dev/null 2>&1 |
		tr -d '\r' >"$OUT/$name.log" || true
	if ! grep -q '^qtpcb-short: [0-9]* passed, 0 failed' "$OUT/$name.log"
	then
		echo "qemu-compare: $name failed:" >&2
		tail -n 15 "$OUT/$name.log" >&2
		exit 1
	fi
}

# field NAME KEY: the number after KEY on the qtpcb line of NAME's log.
field() {
	sed -n "s|^qtpcb: .*$2 \([-0-9.]*\).*|\1|p" "$OUT/$1.log" | head -n 1
}

vmlinuz=$(linux_kernel)
initramfs
run exokern -kernel "$BUILD/exokern.elf" \
	-device isa-debug-exit,iobase=0xf4,iosize=4 \
	-initrd "$BUILD/user/qtpcb short $TERMS $SECONDS_RUN"
run linux -kernel "$vmlinuz" -initrd "$L/initramfs.cpio.gz" \
	-append "console=ttyS0 quiet qtpcb=short,$TERMS,$SECONDS_RUN"

printf '\nTPC-B (bench/tpcb.c, exodb engine, scale 1 --tiny), %s terminals, ' \
	"$TERMS"
printf '%s s, QEMU TCG, 1 CPU, %s, virtio-blk cache=none\n\n' \
	"$SECONDS_RUN" "$MEM"
printf '%-26s %12s %12s\n' "" "exokern" "linux"
for k in tps ios/txn syscalls/txn "log flushes/txn"; do
	printf '%-26s %12s %12s\n' "$k" "$(field exokern "$k")" \
		"$(field linux "$k")"
done
echo
echo "exokern: $(grep '^qtpcb: ' "$OUT/exokern.log")"
echo "linux:   $(grep '^qtpcb: ' "$OUT/linux.log")"
echo "         ($(grep '^init: Linux' "$OUT/linux.log" | sed 's/^init: //'))"
