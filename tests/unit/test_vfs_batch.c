/*
 * test_vfs_batch.c: SQLite's batch-atomic writes on the exodb VFS.
 *
 * Linked with SQLite built from Debian's source with
 * SQLITE_ENABLE_BATCH_ATOMIC_WRITE (Makefile: $(BUILD)/sqlite), since
 * Debian's library leaves that code out.  With SQLITE_IOCAP_BATCH_ATOMIC
 * SQLite keeps its rollback journal in memory and hands the VFS each
 * transaction's page writes as one batch; the VFS commits it as one store
 * transaction.  Checks: the same SQL gives the same results as on the
 * default VFS in DELETE, TRUNCATE and PERSIST modes; every write
 * transaction but the first is one atomic batch (counted by a shim VFS over
 * exodb's file methods); a transaction too large for one batch falls back
 * to the journal and stays correct; power cuts during transactions leave
 * every acknowledged commit and nothing half-done.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "exodb_vfs.h"
#include "port/fault.h"

#define OPEN_FLAGS (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | \
		    SQLITE_OPEN_URI)

static char tmpdir[] = "/tmp/test_vfs_batch.XXXXXX";

static sqlite3 *open_db(const char *uri)
{
	sqlite3 *db = NULL;
	int rc = sqlite3_open_v2(uri, &db, OPEN_FLAGS, NULL);

	if (rc != SQLITE_OK)
		fail_msg("open %s: %s", uri, sqlite3_errstr(rc));
	sqlite3_extended_result_codes(db, 1);
	return db;
}

static void exec(sqlite3 *db, const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
		fail_msg("%s: %s", sql, err);
}

static int collect(void *arg, int n, char **val, char **col)
{
	char **s = arg;
	size_t len = strlen(*s);
	int i;

	(void)col;
	for (i = 0; i < n; i++) {
		const char *v = val[i] ? val[i] : "NULL";

		*s = realloc(*s, len + strlen(v) + 2);
		assert_non_null(*s);
		len += (size_t)sprintf(*s + len, "%s%c", v,
				       i + 1 < n ? '|' : '\n');
	}
	return 0;
}

static char *query(sqlite3 *db, const char *sql)
{
	char *s = calloc(1, 1), *err = NULL;

	if (sqlite3_exec(db, sql, collect, &s, &err) != SQLITE_OK)
		fail_msg("%s: %s", sql, err);
	return s;
}

static long long query_int(sqlite3 *db, const char *sql)
{
	char *s = query(db, sql);
	long long v = atoll(s);

	free(s);
	return v;
}

static void check_integrity(sqlite3 *db)
{
	char *s = query(db, "PRAGMA integrity_check");

	assert_string_equal(s, "ok\n");
	free(s);
}

/* Does the exodb object name exist (and is not empty)? */
static int object_exists(const char *name)
{
	sqlite3_vfs *v = sqlite3_vfs_find(EXODB_VFS_NAME);
	int out = -1;

	assert_int_equal(v->xAccess(v, name, SQLITE_ACCESS_EXISTS, &out),
			 SQLITE_OK);
	return out;
}

/* ---- "count": exodb with its atomic-write commits counted ---- */

static sqlite3_vfs count_vfs;
static sqlite3_io_methods count_methods;
static int (*real_fcntl)(sqlite3_file *, int, void *);
static int atomic_commits;

static int count_fcntl(sqlite3_file *f, int op, void *arg)
{
	int rc = real_fcntl(f, op, arg);

	if (op == SQLITE_FCNTL_COMMIT_ATOMIC_WRITE && rc == SQLITE_OK)
		atomic_commits++;
	return rc;
}

static int count_open(sqlite3_vfs *v, const char *name, sqlite3_file *f,
		      int flags, int *out)
{
	sqlite3_vfs *exo = v->pAppData;
	int rc = exo->xOpen(exo, name, f, flags, out);

	if (rc == SQLITE_OK && f->pMethods) {
		count_methods = *f->pMethods;
		real_fcntl = f->pMethods->xFileControl;
		count_methods.xFileControl = count_fcntl;
		f->pMethods = &count_methods;
	}
	return rc;
}

static void register_count(void)
{
	sqlite3_vfs *exo = sqlite3_vfs_find(EXODB_VFS_NAME);

	count_vfs = *exo;
	count_vfs.zName = "count";
	count_vfs.pAppData = exo;
	count_vfs.xOpen = count_open;
	count_vfs.pNext = NULL;
	sqlite3_vfs_register(&count_vfs, 0);
}

/* Transactions of several sizes, one of them (big) larger than a batch
 * may be, and a rollback. */
static void workload(sqlite3 *db, int big)
{
	int i;

	exec(db, "CREATE TABLE t(id INTEGER PRIMARY KEY, v INTEGER, pad);"
		 "CREATE INDEX t_v ON t(v)");
	for (i = 0; i < 30; i++) {
		char sql[200];

		snprintf(sql, sizeof(sql),
			 "BEGIN; INSERT INTO t(v, pad) VALUES(%d, "
			 "printf('%%.*c', %d, 'p'));"
			 "UPDATE t SET v = v + 1 WHERE id %% 7 = %d; COMMIT",
			 i * 37 % 101, 100 + i * 50, i % 7);
		exec(db, sql);
	}
	exec(db, "BEGIN; DELETE FROM t WHERE id < 10; ROLLBACK");
	if (big)
		exec(db, "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL "
			 "SELECT i + 1 FROM c WHERE i < 3000) "
			 "INSERT INTO t(v, pad) SELECT i % 97, "
			 "printf('%.*c', 2000 + i % 500, 'b') FROM c");
	exec(db, "DELETE FROM t WHERE v % 11 = 0");
}

static const char *digest_sql =
	"SELECT count(*), sum(v), sum(length(pad)) FROM t;"
	"SELECT group_concat(id, ',') FROM (SELECT id FROM t ORDER BY v, id)";

static char *run(const char *uri, const char *mode, int big)
{
	char sql[64], *d;
	sqlite3 *db = open_db(uri);

	snprintf(sql, sizeof(sql), "PRAGMA journal_mode=%s", mode);
	free(query(db, sql));
	workload(db, big);
	check_integrity(db);
	d = query(db, digest_sql);
	sqlite3_close(db);
	return d;
}

static void run_mode(const char *mode, int big)
{
	char path[256], *ref, *d;
	sqlite3 *db;

	snprintf(path, sizeof(path), "%s/ref-%s-%d.db", tmpdir, mode, big);
	ref = run(path, mode, big);
	fault_disk_destroy("bm");
	atomic_commits = 0;
	d = run("file:b.db?vfs=count&disk=fault:bm&size=64M", mode, big);
	assert_string_equal(d, ref);
	free(d);
	/* Every write transaction on a non-empty database was one batch:
	 * 32 of them; not the first (it creates the file), nor the big one,
	 * nor (PERSIST keeps the journal file open) the one after it. */
	assert_int_equal(atomic_commits, big ? 31 : 32);

	db = open_db("file:b.db?vfs=exodb&disk=fault:bm");
	d = query(db, digest_sql);
	assert_string_equal(d, ref);
	check_integrity(db);
	assert_int_equal(object_exists("b.db-journal"),
			 !strcmp(mode, "PERSIST"));
	sqlite3_close(db);
	free(d);
	free(ref);
	assert_int_equal(fault_disk_destroy("bm"), 0);
}

static void test_delete(void **state)
{
	(void)state;
	run_mode("DELETE", 0);
}

static void test_truncate(void **state)
{
	(void)state;
	run_mode("TRUNCATE", 0);
}

static void test_persist(void **state)
{
	(void)state;
	run_mode("PERSIST", 0);
}

/* A transaction larger than one batch: SQLite falls back to the journal. */
static void test_big_fallback(void **state)
{
	(void)state;
	run_mode("PERSIST", 1);
}

/* Without batch atomic writes (synchronous=OFF turns them off) the
 * persistent journal is written: the check above does see journals. */
static void test_journal_seen(void **state)
{
	sqlite3 *db;

	(void)state;
	fault_disk_destroy("bj");
	db = open_db("file:j.db?vfs=exodb&disk=fault:bj&size=16M");
	exec(db, "PRAGMA journal_mode=PERSIST; PRAGMA synchronous=OFF;"
		 "CREATE TABLE t(x); INSERT INTO t VALUES(1)");
	assert_int_equal(object_exists("j.db-journal"), 1);
	sqlite3_close(db);
	assert_int_equal(fault_disk_destroy("bj"), 0);
}

/* Power cuts during batch-atomic transactions. */
static int transfers(sqlite3 *db, int ntx)
{
	char sql[256];
	int i;

	for (i = 1; i <= ntx; i++) {
		snprintf(sql, sizeof(sql),
			 "BEGIN; UPDATE acct SET bal = bal - %d WHERE id = %d;"
			 "UPDATE acct SET bal = bal + %d WHERE id = %d;"
			 "INSERT INTO hist VALUES(%d, randomblob(500)); COMMIT",
			 i, i % 40, i, (i * 3) % 40, i);
		if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
			return i - 1;
	}
	return ntx;
}

static void setup_crash(void)
{
	sqlite3 *db;

	fault_disk_destroy("bc");
	db = open_db("file:c.db?vfs=exodb&disk=fault:bc&size=64M");
	exec(db, "CREATE TABLE acct(id INTEGER PRIMARY KEY, bal INTEGER);"
		 "WITH RECURSIVE c(i) AS (SELECT 0 UNION ALL SELECT i + 1 "
		 "FROM c WHERE i < 39) INSERT INTO acct SELECT i, 0 FROM c;"
		 "CREATE TABLE hist(tx INTEGER PRIMARY KEY, pad BLOB)");
	sqlite3_close(db);
}

static void test_crash(void **state)
{
	const char *uri = "file:c.db?vfs=exodb&disk=fault:bc";
	struct fault_plan p = FAULT_PLAN_INIT;
	int64_t total;
	int cut, ntx = 30;
	sqlite3 *db;

	(void)state;
	setup_crash();
	assert_int_equal(fault_set_plan("bc", &p), 0);
	db = open_db(uri);
	assert_int_equal(transfers(db, ntx), ntx);
	assert_int_equal(object_exists("c.db-journal"), 0);
	sqlite3_close(db);
	total = fault_io_count("bc");
	for (cut = 1; cut < total; cut += (int)(total / 29) + 1) {
		int acked = 0;
		long long max;

		setup_crash();
		p.cut_at_io = (uint64_t)cut;
		p.seed = (uint64_t)cut * 7 + 1;
		assert_int_equal(fault_set_plan("bc", &p), 0);
		db = NULL;
		if (sqlite3_open_v2(uri, &db, OPEN_FLAGS, NULL) == SQLITE_OK)
			acked = transfers(db, ntx);
		sqlite3_close(db);
		p.cut_at_io = 0;
		assert_int_equal(fault_set_plan("bc", &p), 0);
		db = open_db(uri);
		check_integrity(db);
		max = query_int(db, "SELECT coalesce(max(tx), 0) FROM hist");
		assert_true(max >= acked);
		assert_int_equal(query_int(db, "SELECT count(*) FROM hist"),
				 max);
		assert_int_equal(query_int(db, "SELECT sum(bal) FROM acct"),
				 0);
		sqlite3_close(db);
	}
	assert_int_equal(fault_disk_destroy("bc"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_delete),
		cmocka_unit_test(test_truncate),
		cmocka_unit_test(test_persist),
		cmocka_unit_test(test_big_fallback),
		cmocka_unit_test(test_journal_seen),
		cmocka_unit_test(test_crash),
	};
	char cmd[300];
	int rc;

	if (!sqlite3_compileoption_used("ENABLE_BATCH_ATOMIC_WRITE")) {
		fprintf(stderr, "test_vfs_batch: SQLite lacks "
				"SQLITE_ENABLE_BATCH_ATOMIC_WRITE\n");
		return 1;
	}
	if (!mkdtemp(tmpdir) || exodb_vfs_register(0) != SQLITE_OK)
		return 1;
	register_count();
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	if (system(cmd) != 0)
		rc = 1;
	return rc;
}
