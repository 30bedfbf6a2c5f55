#!/bin/sh
# vfs.sh: the exodb VFS as a loadable extension in the sqlite3 shell.
# Loads build/lib/libexodb_vfs.so, creates a database on a new image (the
# image is created and formatted), reopens it in a new process, checks
# integrity, and checks that a second process gets "database is locked"
# while the first holds the disk.  Also: exodb_vfs.h's EXODB_VFS_DISK.
# Run by tests/run-cli.sh with $BUILD set; works in a temporary directory.
set -eu

BUILD=${BUILD:-build}
EXT=$(cd "$BUILD/lib" && pwd)/libexodb_vfs
tmp=$(mktemp -d)
holder=
trap '[ -n "$holder" ] && kill "$holder" 2>/dev/null; rm -rf "$tmp"' \
	EXIT INT TERM
cd "$tmp"

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# sql URI: run stdin's SQL in the sqlite3 shell on the exodb VFS.
sql() {
	{ echo ".load $EXT"; echo ".open $1"; cat; } | sqlite3 -batch -bail
}

uri="file:shop.db?vfs=exodb&disk=$tmp/sqlite.img&size=32M"
sql "$uri" <<'SQL' >out
PRAGMA journal_mode=WAL;
CREATE TABLE item(id INTEGER PRIMARY KEY, name TEXT, price REAL);
WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c
	WHERE i < 1000)
INSERT INTO item SELECT i, 'item' || i, i * 0.5 FROM c;
SELECT count(*), sum(price) FROM item;
SQL
[ "$(tail -n 1 out)" = "1000|250250.0" ] || fail "first session: $(cat out)"
[ -s sqlite.img ] || fail "image not created"

sql "file:shop.db?vfs=exodb&disk=$tmp/sqlite.img" <<'SQL' >out
PRAGMA integrity_check;
DELETE FROM item WHERE id > 500;
SELECT count(*) FROM item;
SQL
[ "$(cat out)" = "ok
500" ] || fail "second session: $(cat out)"

# A second process while the first holds the disk.
mkfifo hold
{ echo ".load $EXT"; echo ".open $uri"; echo "SELECT count(*) FROM item;";
  cat hold; } | sqlite3 -batch >holder.out 2>&1 &
holder=$!
exec 3>hold
i=0
while [ ! -s holder.out ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
[ "$(cat holder.out)" = 500 ] || fail "holder: $(cat holder.out)"
echo "SELECT count(*) FROM item;" | sql "$uri" >out 2>&1 || true
grep -q "database is locked" out || fail "second process: $(cat out)"
grep -q '^500$' out && fail "second process read a held disk"
exec 3>&-
wait "$holder"
holder=

# The disk from the environment.
EXODB_VFS_DISK=$tmp/sqlite.img sql "file:shop.db?vfs=exodb" <<'SQL' >out
SELECT count(*) FROM item;
SQL
[ "$(cat out)" = 500 ] || fail "EXODB_VFS_DISK: $(cat out)"
echo "vfs.sh: ok"
