#!/bin/sh
# run.sh TESTFIXTURE SRCDIR LIST [JOBS]: run SQLite's Tcl tests named in
# LIST (one test file name per line, without .test; '#' starts a comment)
# from SRCDIR/test with TESTFIXTURE, whose default VFS is exodb
# (tests/sqlite/exodb_init.c).  Each test file runs in a directory of its
# own, as the unprivileged user exodbtest (created if missing: SQLite's
# tests refuse to run as root), with an in-memory exodb disk of its own
# (EXODB_VFS_DISK=fault:tcl), JOBS files at a time (default 2), each with
# a time limit (SQLITE_TEST_TIMEOUT seconds, default 600).  A file passes
# when testfixture ends with "0 errors out of N tests".  Logs go to
# $LOGDIR, or to a temporary directory removed when every file passed.
set -eu

# run.sh --one NAME: one test file (xargs calls this; settings in env).
if [ "$1" = --one ]; then
	t=$2
	mkdir -p "$RUN_LOGS/$t.dir"
	chown "$RUN_USER" "$RUN_LOGS/$t.dir"
	start=$(date +%s)
	(cd "$RUN_LOGS/$t.dir" && timeout "$RUN_LIMIT" runuser -u "$RUN_USER" \
		-- env EXODB_VFS_DISK=fault:tcl EXODB_VFS_SIZE=512M \
		"$RUN_TF" "$RUN_SRC/test/$t.test" >"$RUN_LOGS/$t.log" 2>&1) ||
		true
	secs=$(($(date +%s) - start))
	if grep -q '^0 errors out of' "$RUN_LOGS/$t.log"; then
		echo "ok   $t (${secs}s)"
	else
		echo "FAIL $t (${secs}s): $(grep -m1 -E '^!|errors out of' \
			"$RUN_LOGS/$t.log" ||
			echo "no summary: crash or timeout")"
	fi
	rm -rf "$RUN_LOGS/$t.dir"
	exit 0
fi

RUN_TF=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
RUN_SRC=$(cd "$2" && pwd)
list=$3
jobs=${4:-2}
RUN_USER=exodbtest
RUN_LIMIT=${SQLITE_TEST_TIMEOUT:-600}
if ! id "$RUN_USER" >/dev/null 2>&1; then
	useradd --system --no-create-home --shell /usr/sbin/nologin "$RUN_USER"
fi
RUN_LOGS=${LOGDIR:-$(mktemp -d /tmp/exodb-sqlite.XXXXXX)}
mkdir -p "$RUN_LOGS"
chmod 755 "$RUN_LOGS"
chown "$RUN_USER" "$RUN_LOGS"
export RUN_TF RUN_SRC RUN_USER RUN_LIMIT RUN_LOGS

sed 's/#.*//' "$list" | awk 'NF { print $1 }' |
	xargs -P "$jobs" -n 1 sh "$0" --one | tee "$RUN_LOGS/results"
passed=$(grep -c '^ok' "$RUN_LOGS/results" || true)
failed=$(grep -c '^FAIL' "$RUN_LOGS/results" || true)
if [ "$failed" = 0 ] && [ -z "${LOGDIR:-}" ]; then
	rm -rf "$RUN_LOGS"
else
	echo "logs: $RUN_LOGS"
fi
echo "sqlite: $passed passed, $failed failed"
[ "$failed" = 0 ]
