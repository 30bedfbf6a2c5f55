#!/bin/sh
# build.sh DIR WHAT: build SQLite from Debian's sqlite3 source package
# (the installed library's version) under DIR, which make puts in
# $(BUILD)/sqlite.  WHAT is
#   amalgamation  DIR/sqlite3.c (then compiled by the Makefile with
#                 SQLITE_ENABLE_BATCH_ATOMIC_WRITE)
#   testfixture   DIR/testfixture: SQLite's Tcl test harness with the exodb
#                 VFS as its default VFS (tests/sqlite/exodb_init.c), linked
#                 with the library archive given as $3
# Needs tclsh and tcl-dev (make deps).  Each step is skipped when done.
set -e
unset MAKEFLAGS MFLAGS MAKELEVEL # SQLite's make is not part of ours
dir=$1 what=$2
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
src=$(sh "$here/fetch-src.sh" "$dir/src")
bld=$dir/bld
mkdir -p "$bld"
if [ ! -f "$bld/Makefile" ]; then
	(cd "$bld" && "$src/configure" --with-tcl=/usr/lib/tcl8.6 \
		--disable-readline >configure.log 2>&1) ||
		{ tail -20 "$bld/configure.log" >&2; exit 1; }
fi
case $what in
amalgamation)
	make -C "$bld" -s sqlite3.c >/dev/null
	cp "$bld/sqlite3.c" "$dir/sqlite3.c.tmp"
	mv "$dir/sqlite3.c.tmp" "$dir/sqlite3.c"
	;;
testfixture)
	lib=$(cd "$(dirname "$3")" && pwd)/$(basename "$3")
	cc -O2 -g -I"$bld" -I"$here/../../sqlite-vfs" -c \
		"$here/exodb_init.c" -o "$dir/exodb_init.o"
	rm -f "$bld/testfixture"
	make -C "$bld" -s testfixture \
		OPTS="-DSQLITE_EXTRA_INIT=exodb_testfixture_init" \
		TLIBS="$dir/exodb_init.o $lib -luring -laio -lpthread -lm -lz" \
		>"$bld/testfixture.log" 2>&1 ||
		{ tail -20 "$bld/testfixture.log" >&2; exit 1; }
	cp "$bld/testfixture" "$dir/testfixture"
	;;
*)
	echo "build.sh: unknown target $what" >&2
	exit 2
	;;
esac
