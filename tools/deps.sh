#!/bin/sh
# deps.sh: install the Debian packages exodb needs that are missing.
# A fast no-op when everything is there.  Run by `make deps`.
set -e
PKGS="build-essential clang libclang-rt-14-dev liburing-dev libaio-dev \
liblmdb-dev lmdb-utils libsqlite3-dev sqlite3 tcl-dev libcmocka-dev fio \
qemu-system-x86 grub-pc-bin grub-common xorriso mtools gnuplot-nox \
busybox-static"
missing=""
for p in $PKGS; do
	s=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$s" in
	"install ok installed") ;;
	*) missing="$missing $p" ;;
	esac
done
[ -z "$missing" ] && exit 0
echo "deps: installing$missing"
if [ "$(id -u)" != 0 ]; then
	echo "deps: missing packages:$missing; run 'make deps' as root" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends $missing
