/*
 * tpcb.c: vfs-tpcb, the same TPC-B-like SQL workload on SQLite's unix VFS
 * (a file on the host's filesystem) and on the exodb VFS, in one run.
 *
 *   build/bin/vfs-tpcb [--seconds N] [--accounts N] [--dir DIR]
 *                      [--modes wal,delete,truncate]
 *
 * Linked with SQLite built with SQLITE_ENABLE_BATCH_ATOMIC_WRITE (the
 * Makefile's $(BUILD)/sqlite), so that the exodb VFS's
 * SQLITE_IOCAP_BATCH_ATOMIC is used; on the unix VFS (ext4 offers no
 * atomic batches) the same build uses its rollback journal.  Every
 * transaction is durable when COMMIT returns (synchronous=FULL) on both.
 * Modes: "wal" (journal_mode=WAL on both), "delete" and "truncate"
 * (those journal modes: batch-atomic on exodb).  Each run starts from a
 * new database (DIR/tpcb-unix.db, and a new exodb image DIR/tpcb.img),
 * loads 1 branch, 10 tellers and --accounts accounts, then runs
 * transactions for --seconds: update an account, read its balance,
 * update its teller and branch, append to history.  Prints tps per VFS
 * and the ratio exodb/unix, and checks that the balances add up.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "exodb_vfs.h"

struct opts {
	double seconds;
	int accounts;
	const char *dir;
	char modes[128];
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int exec(sqlite3 *db, const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &err) == SQLITE_OK)
		return 0;
	fprintf(stderr, "vfs-tpcb: %s: %s\n", sql, err);
	sqlite3_free(err);
	return -1;
}

static int load(sqlite3 *db, int accounts)
{
	char sql[1024];

	snprintf(sql, sizeof(sql),
		 "CREATE TABLE branches(bid INTEGER PRIMARY KEY, bbalance, "
		 "filler);"
		 "CREATE TABLE tellers(tid INTEGER PRIMARY KEY, bid, tbalance, "
		 "filler);"
		 "CREATE TABLE accounts(aid INTEGER PRIMARY KEY, bid, "
		 "abalance, filler);"
		 "CREATE TABLE history(tid, bid, aid, delta, mtime, filler);"
		 "BEGIN;"
		 "INSERT INTO branches VALUES(1, 0, zeroblob(88));"
		 "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM "
		 "c WHERE i < 10) INSERT INTO tellers SELECT i, 1, 0, "
		 "zeroblob(84) FROM c;"
		 "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM "
		 "c WHERE i < %d) INSERT INTO accounts SELECT i, 1, 0, "
		 "zeroblob(84) FROM c;"
		 "COMMIT",
		 accounts);
	return exec(db, sql);
}

enum { S_BEGIN, S_ACCT, S_READ, S_TELLER, S_BRANCH, S_HIST, S_COMMIT, NS };

static const char *const stmt_sql[NS] = {
	"BEGIN",
	"UPDATE accounts SET abalance = abalance + ?1 WHERE aid = ?2",
	"SELECT abalance FROM accounts WHERE aid = ?2",
	"UPDATE tellers SET tbalance = tbalance + ?1 WHERE tid = ?3",
	"UPDATE branches SET bbalance = bbalance + ?1 WHERE bid = 1",
	"INSERT INTO history VALUES(?3, 1, ?2, ?1, ?4, zeroblob(22))",
	"COMMIT",
};

static int one_tx(sqlite3_stmt **st, uint64_t *seed, int accounts)
{
	int i, rc, delta, aid, tid;

	*seed = *seed * 6364136223846793005ull + 1442695040888963407ull;
	aid = 1 + (int)((*seed >> 33) % (uint64_t)accounts);
	tid = 1 + (int)((*seed >> 20) % 10);
	delta = (int)((*seed >> 40) % 10001) - 5000;
	for (i = 0; i < NS; i++) {
		sqlite3_bind_int(st[i], 1, delta);
		sqlite3_bind_int(st[i], 2, aid);
		sqlite3_bind_int(st[i], 3, tid);
		sqlite3_bind_int64(st[i], 4, (sqlite3_int64)time(NULL));
		do
			rc = sqlite3_step(st[i]);
		while (rc == SQLITE_ROW);
		sqlite3_reset(st[i]);
		if (rc != SQLITE_DONE)
			return rc;
	}
	return 0;
}

/* Balances add up: accounts = tellers = branches = history deltas. */
static int consistent(sqlite3 *db)
{
	const char *sql = "SELECT (SELECT sum(abalance) FROM accounts) = "
			  "(SELECT sum(tbalance) FROM tellers) AND "
			  "(SELECT sum(bbalance) FROM branches) = "
			  "(SELECT coalesce(sum(delta), 0) FROM history) AND "
			  "(SELECT sum(abalance) FROM accounts) = "
			  "(SELECT sum(bbalance) FROM branches)";
	sqlite3_stmt *st;
	int ok = 0;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return 0;
	if (sqlite3_step(st) == SQLITE_ROW)
		ok = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return ok;
}

/* Run the workload on a new database at uri; tps into *tps. */
static int run(const char *uri, const char *mode, const struct opts *o,
	       double *tps)
{
	sqlite3_stmt *st[NS] = { 0 };
	uint64_t seed = 12345;
	char sql[128];
	sqlite3 *db;
	double t0, t;
	long n = 0;
	int i, rc;

	rc = sqlite3_open_v2(uri, &db, SQLITE_OPEN_READWRITE |
			     SQLITE_OPEN_CREATE | SQLITE_OPEN_URI, NULL);
	if (rc != SQLITE_OK) {
		fprintf(stderr, "vfs-tpcb: open %s: %s\n", uri,
			sqlite3_errstr(rc));
		sqlite3_close(db);
		return -1;
	}
	snprintf(sql, sizeof(sql), "PRAGMA journal_mode=%s;"
		 "PRAGMA synchronous=FULL", mode);
	rc = exec(db, sql) || load(db, o->accounts);
	for (i = 0; rc == 0 && i < NS; i++)
		rc = sqlite3_prepare_v2(db, stmt_sql[i], -1, &st[i], NULL);
	t0 = now();
	for (t = t0; rc == 0 && t - t0 < o->seconds; n++) {
		rc = one_tx(st, &seed, o->accounts);
		if ((n & 15) == 0)
			t = now();
	}
	t = now();
	for (i = 0; i < NS; i++)
		sqlite3_finalize(st[i]);
	if (rc == 0 && !consistent(db)) {
		fprintf(stderr, "vfs-tpcb: balances do not add up\n");
		rc = -1;
	} else if (rc) {
		fprintf(stderr, "vfs-tpcb: %s\n", sqlite3_errmsg(db));
	}
	sqlite3_close(db);
	*tps = n / (t - t0);
	return rc ? -1 : 0;
}

static void remove_db(const char *path)
{
	char p[1100];

	unlink(path);
	snprintf(p, sizeof(p), "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-journal", path);
	unlink(p);
}

static int run_mode(const struct opts *o, const char *mode)
{
	char path[1024], uri[1200];
	double tu, te;

	snprintf(path, sizeof(path), "%s/tpcb-unix.db", o->dir);
	remove_db(path);
	snprintf(uri, sizeof(uri), "file:%s?vfs=unix", path);
	if (run(uri, mode, o, &tu) < 0)
		return -1;
	remove_db(path);
	snprintf(path, sizeof(path), "%s/tpcb.img", o->dir);
	unlink(path);
	snprintf(uri, sizeof(uri), "file:tpcb.db?vfs=exodb&disk=%s", path);
	if (run(uri, mode, o, &te) < 0)
		return -1;
	unlink(path);
	printf("%-9s unix %9.1f tps   exodb %9.1f tps   exodb/unix %.2fx%s\n",
	       mode, tu, te, te / tu,
	       strcmp(mode, "wal") ? "   (exodb: batch-atomic)" : "");
	fflush(stdout);
	return 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: vfs-tpcb [--seconds N] [--accounts N] "
			"[--dir DIR] [--modes wal,delete,truncate]\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct opts o = { .seconds = 10, .accounts = 100000, .dir = "var",
			  .modes = "wal,delete" };
	char *m, *save = NULL;
	int i, bad = 0;

	for (i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--seconds"))
			o.seconds = atof(argv[i + 1]);
		else if (!strcmp(argv[i], "--accounts"))
			o.accounts = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--dir"))
			o.dir = argv[i + 1];
		else if (!strcmp(argv[i], "--modes"))
			snprintf(o.modes, sizeof(o.modes), "%s", argv[i + 1]);
		else
			return usage();
	}
	if (i != argc || o.seconds <= 0 || o.accounts < 1)
		return usage();
	if (exodb_vfs_register(0) != SQLITE_OK)
		return 1;
	printf("vfs-tpcb: %d accounts, %.0f s per run, synchronous=FULL, "
	       "SQLite %s%s\n", o.accounts, o.seconds, sqlite3_libversion(),
	       sqlite3_compileoption_used("ENABLE_BATCH_ATOMIC_WRITE")
		       ? " (batch atomic writes enabled)" : "");
	for (m = strtok_r(o.modes, ",", &save); m;
	     m = strtok_r(NULL, ",", &save))
		if (run_mode(&o, m) < 0)
			bad = 1;
	return bad;
}
