#!/bin/sh
# fetch-src.sh DIR: put Debian's sqlite3 source package (the version of the
# installed libsqlite3) unpacked in DIR/sqlite3-VERSION and print that path.
# Adds a deb-src entry for the system's suites if apt has none.  Needs root
# for that step only; a no-op when the source is already there.
set -e
dir=$1
[ -n "$dir" ] || { echo "usage: fetch-src.sh DIR" >&2; exit 2; }
mkdir -p "$dir"
found=$(ls -d "$dir"/sqlite3-*/ 2>/dev/null | head -n 1)
if [ -n "$found" ] && [ -f "$found/src/pager.c" ]; then
	echo "${found%/}"
	exit 0
fi
src=/etc/apt/sources.list.d/exodb-deb-src.sources
if ! grep -rqs '^Types:.*deb-src\|^deb-src' /etc/apt/sources.list \
	/etc/apt/sources.list.d/; then
	[ "$(id -u)" = 0 ] || { echo "fetch-src: need a deb-src entry" \
		"(run as root once)" >&2; exit 1; }
	sed 's/^Types: deb$/Types: deb-src/' \
		/etc/apt/sources.list.d/debian.sources > "$src"
	apt-get update -qq >&2
fi
ver=$(dpkg-query -W -f='${Version}' libsqlite3-0)
(cd "$dir" && apt-get source -qq --download-only "sqlite3=$ver" >&2 &&
	dpkg-source -x --skip-patches sqlite3_*.dsc >&2) ||
	(cd "$dir" && apt-get source -qq "sqlite3=$ver" >&2)
found=$(ls -d "$dir"/sqlite3-*/ | head -n 1)
echo "${found%/}"
