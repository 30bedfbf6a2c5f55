/*
 * test_vfs.c: SQLite on the exodb VFS (sqlite-vfs/).
 *
 * Runs the same SQL workload through the exodb VFS, on fault disks (the
 * in-memory test port) and on an image file, and through SQLite's default
 * VFS on a file in a temporary directory, in every journal mode, and
 * compares what queries return; checks PRAGMA integrity_check and that the
 * data survives a close and reopen.  Then: several connections in one
 * process (locks, WAL readers; threads writing at once), a second process
 * (SQLITE_BUSY), batch atomic writes through the VFS methods, power cuts
 * during SQL transactions (every acknowledged commit present after
 * recovery), a full disk (SQLITE_FULL, database intact), injected I/O
 * errors, a damaged block (SQLITE_CORRUPT) and a foreign image
 * (SQLITE_CANTOPEN).
 *
 * The second-process test runs this binary again as
 * `test_vfs --open-child DISK`.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "exodb_vfs.h"
#include "port/fault.h"

#define OPEN_FLAGS (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | \
		    SQLITE_OPEN_URI)

static char tmpdir[] = "/tmp/test_vfs.XXXXXX";

/* ---- helpers ---- */

static sqlite3 *open_db(const char *uri)
{
	sqlite3 *db = NULL;
	int rc = sqlite3_open_v2(uri, &db, OPEN_FLAGS, NULL);

	if (rc != SQLITE_OK)
		fail_msg("open %s: %s", uri, sqlite3_errstr(rc));
	sqlite3_busy_timeout(db, 0);
	sqlite3_extended_result_codes(db, 1);
	return db;
}

static sqlite3 *open_exo(const char *disk, const char *name)
{
	char uri[512];

	snprintf(uri, sizeof(uri), "file:%s?vfs=exodb&disk=%s&size=64M",
		 name, disk);
	return open_db(uri);
}

static void close_db(sqlite3 *db)
{
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

static void exec(sqlite3 *db, const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
		fail_msg("%s: %s", sql, err);
}

static int try_exec(sqlite3 *db, const char *sql)
{
	return sqlite3_exec(db, sql, NULL, NULL, NULL);
}

struct out {
	char *s;
	size_t len;
};

static int collect(void *arg, int n, char **val, char **col)
{
	struct out *o = arg;
	int i;

	(void)col;
	for (i = 0; i < n; i++) {
		const char *v = val[i] ? val[i] : "NULL";
		size_t l = strlen(v);

		o->s = realloc(o->s, o->len + l + 2);
		assert_non_null(o->s);
		memcpy(o->s + o->len, v, l);
		o->len += l;
		o->s[o->len++] = i + 1 < n ? '|' : '\n';
		o->s[o->len] = 0;
	}
	return 0;
}

/* The rows of a query as text (free() it). */
static char *query(sqlite3 *db, const char *sql)
{
	struct out o = { .s = calloc(1, 1) };
	char *err = NULL;

	if (sqlite3_exec(db, sql, collect, &o, &err) != SQLITE_OK)
		fail_msg("%s: %s", sql, err);
	return o.s;
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

/* ---- the workload ---- */

static uint64_t lcg(uint64_t *s)
{
	*s = *s * 6364136223846793005ull + 1442695040888963407ull;
	return *s >> 33;
}

/* A deterministic mix of DDL, inserts, updates, deletes, transactions
 * (some rolled back unless no_rollback), savepoints and a VACUUM. */
static void workload(sqlite3 *db, int no_rollback)
{
	uint64_t seed = 42;
	char sql[256];
	int i, j;

	exec(db, "CREATE TABLE acct(id INTEGER PRIMARY KEY, bal INTEGER, "
		 "note TEXT);"
		 "CREATE INDEX acct_bal ON acct(bal);"
		 "CREATE TABLE hist(id INTEGER PRIMARY KEY, acct, delta)");
	exec(db, "BEGIN");
	for (i = 1; i <= 400; i++) {
		snprintf(sql, sizeof(sql),
			 "INSERT INTO acct VALUES(%d, %d, "
			 "printf('%%.*c', %d, 'x'))",
			 i, (int)(lcg(&seed) % 1000), (int)(lcg(&seed) % 300));
		exec(db, sql);
	}
	exec(db, "COMMIT");
	for (i = 0; i < 40; i++) {
		exec(db, "BEGIN");
		for (j = 0; j < 5; j++) {
			int a = 1 + (int)(lcg(&seed) % 400);
			int d = (int)(lcg(&seed) % 200) - 100;

			snprintf(sql, sizeof(sql),
				 "UPDATE acct SET bal = bal + %d WHERE id = %d;"
				 "INSERT INTO hist(acct, delta) VALUES(%d, %d)",
				 d, a, a, d);
			exec(db, sql);
		}
		exec(db, !no_rollback && i % 7 == 3 ? "ROLLBACK" : "COMMIT");
	}
	if (!no_rollback) {
		exec(db, "SAVEPOINT s1; DELETE FROM acct WHERE id > 300;"
			 "ROLLBACK TO s1; RELEASE s1");
	}
	exec(db, "DELETE FROM acct WHERE id % 13 = 0;"
		 "UPDATE acct SET note = upper(note) WHERE id % 5 = 1");
	exec(db, "VACUUM");
}

static const char *digest_sql =
	"SELECT count(*), sum(bal), sum(length(note)), total(id * bal) "
	"FROM acct;"
	"SELECT group_concat(id || ':' || bal, ',') FROM "
	"(SELECT * FROM acct ORDER BY bal, id);"
	"SELECT count(*), sum(delta), group_concat(acct, ',') FROM hist;"
	"SELECT sum(length(note)) FROM acct WHERE note GLOB 'X*'";

/* The workload on the default VFS: its digest (free() it). */
static char *reference_digest(const char *mode, int no_rollback)
{
	char path[256], sql[64];
	sqlite3 *db;
	char *d;

	snprintf(path, sizeof(path), "%s/ref-%s.db", tmpdir, mode);
	unlink(path);
	db = open_db(path);
	snprintf(sql, sizeof(sql), "PRAGMA journal_mode=%s", mode);
	free(query(db, sql));
	workload(db, no_rollback);
	d = query(db, digest_sql);
	close_db(db);
	return d;
}

static void run_mode(const char *disk, const char *name, const char *mode)
{
	int no_rb = !strcmp(mode, "OFF");
	char *ref = reference_digest(mode, no_rb), *d, *m, sql[64];
	sqlite3 *db;

	db = open_exo(disk, name);
	snprintf(sql, sizeof(sql), "PRAGMA journal_mode=%s", mode);
	m = query(db, sql);
	assert_true(!strncasecmp(m, mode, strlen(mode)));
	free(m);
	workload(db, no_rb);
	d = query(db, digest_sql);
	assert_string_equal(d, ref);
	check_integrity(db);
	free(d);
	close_db(db);

	/* Everything is in the store: reopen (a new store open). */
	db = open_exo(disk, name);
	d = query(db, digest_sql);
	assert_string_equal(d, ref);
	check_integrity(db);
	free(d);
	close_db(db);
	free(ref);
}

/* Start with no disk of that name: the VFS creates it. */
static void fresh_disk(const char *name)
{
	fault_disk_destroy(name);
}

#define MODE_TEST(fn, mode)                                    \
	static void fn(void **state)                           \
	{                                                      \
		(void)state;                                   \
		fresh_disk("jm_" mode);                        \
		run_mode("fault:jm_" mode, "main.db", mode);              \
		assert_int_equal(fault_disk_destroy("jm_" mode), 0); \
	}

MODE_TEST(test_mode_delete, "DELETE")
MODE_TEST(test_mode_truncate, "TRUNCATE")
MODE_TEST(test_mode_persist, "PERSIST")
MODE_TEST(test_mode_memory, "MEMORY")
MODE_TEST(test_mode_wal, "WAL")
MODE_TEST(test_mode_off, "OFF")

/* The hosted port: an image file, created and formatted on first use. */
static void test_image_file(void **state)
{
	char img[256];

	(void)state;
	snprintf(img, sizeof(img), "%s/img.exo", tmpdir);
	unlink(img);
	run_mode(img, "w.db", "WAL");
	assert_int_equal(access(img, F_OK), 0);
	run_mode(img, "d.db", "DELETE"); /* a second database, same store */
}

/* Temporary tables, an attached database, a multi-file commit, names. */
static void test_temp_and_attach(void **state)
{
	sqlite3 *db;
	char *s;

	(void)state;
	fresh_disk("att");
	db = open_exo("fault:att", "a.db");
	exec(db, "CREATE TEMP TABLE t(x); INSERT INTO t VALUES(1),(2);"
		 "ATTACH 'file:b.db?vfs=exodb&disk=fault:att' AS b;"
		 "CREATE TABLE main.m(x); CREATE TABLE b.n(x);"
		 "BEGIN; INSERT INTO m SELECT x FROM t;"
		 "INSERT INTO n SELECT x * 10 FROM t; COMMIT");
	close_db(db);
	/* Names are paths inside the store: "./x//../a.db" is "a.db". */
	db = open_exo("fault:att", "./x//../a.db");
	exec(db, "ATTACH 'file:b.db?vfs=exodb&disk=fault:att' AS b");
	s = query(db, "SELECT sum(x) FROM m; SELECT sum(x) FROM n");
	assert_string_equal(s, "3\n30\n");
	free(s);
	check_integrity(db);
	close_db(db);
	assert_int_equal(fault_disk_destroy("att"), 0);
}

/* ---- several connections in one process ---- */

static void test_connections(void **state)
{
	sqlite3 *a, *b;
	char *s;

	(void)state;
	fresh_disk("conn");
	a = open_exo("fault:conn", "c.db");
	b = open_exo("fault:conn", "c.db");
	exec(a, "CREATE TABLE t(x); INSERT INTO t VALUES(1)");
	assert_int_equal(query_int(b, "SELECT count(*) FROM t"), 1);

	/* Rollback journal: one writer; a reader blocks the commit. */
	exec(a, "BEGIN IMMEDIATE; INSERT INTO t VALUES(2)");
	assert_int_equal(try_exec(b, "BEGIN IMMEDIATE"), SQLITE_BUSY);
	exec(b, "BEGIN; SELECT * FROM t");           /* SHARED */
	assert_int_equal(try_exec(a, "COMMIT"), SQLITE_BUSY);
	assert_int_equal(query_int(b, "SELECT count(*) FROM t"), 1);
	exec(b, "COMMIT");
	exec(a, "COMMIT");
	assert_int_equal(query_int(b, "SELECT count(*) FROM t"), 2);

	/* WAL: readers keep their snapshot while a writer commits. */
	free(query(a, "PRAGMA journal_mode=WAL"));
	exec(b, "BEGIN; SELECT * FROM t");
	exec(a, "INSERT INTO t VALUES(3)");
	assert_int_equal(query_int(b, "SELECT count(*) FROM t"), 2);
	assert_int_equal(try_exec(b, "INSERT INTO t VALUES(9)"),
			 SQLITE_BUSY_SNAPSHOT);
	exec(b, "ROLLBACK");
	assert_int_equal(query_int(b, "SELECT count(*) FROM t"), 3);
	exec(a, "BEGIN IMMEDIATE");
	assert_int_equal(try_exec(b, "BEGIN IMMEDIATE"), SQLITE_BUSY);
	exec(a, "COMMIT");
	s = query(b, "PRAGMA wal_checkpoint(TRUNCATE)");
	assert_string_equal(s, "0|0|0\n");
	free(s);
	check_integrity(a);
	close_db(a);
	close_db(b);
	assert_int_equal(fault_disk_destroy("conn"), 0);
}

/* Threads, each with its own connection, writing one database. */
static void *writer(void *arg)
{
	int id = (int)(intptr_t)arg, i;
	sqlite3 *db = NULL;
	char sql[128];

	if (sqlite3_open_v2("file:th.db?vfs=exodb&disk=fault:threads", &db,
			    OPEN_FLAGS, NULL) != SQLITE_OK)
		return (void *)1;
	sqlite3_busy_timeout(db, 10000);
	for (i = 0; i < 40; i++) {
		snprintf(sql, sizeof(sql),
			 "INSERT INTO t VALUES(%d, %d, randomblob(200))", id,
			 i);
		if (try_exec(db, sql) != SQLITE_OK)
			break;
	}
	sqlite3_close(db);
	return (void *)(intptr_t)(i != 40);
}

static void test_threads(void **state)
{
	pthread_t th[4];
	sqlite3 *db;
	void *ret;
	int i;

	(void)state;
	fresh_disk("threads");
	db = open_exo("fault:threads", "th.db");
	exec(db, "PRAGMA journal_mode=WAL; CREATE TABLE t(th, i, pad)");
	for (i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&th[i], NULL, writer,
						(void *)(intptr_t)i), 0);
	for (i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(th[i], &ret), 0);
		assert_null(ret);
	}
	assert_int_equal(query_int(db, "SELECT count(*) FROM t"), 160);
	assert_int_equal(query_int(db, "SELECT count(DISTINCT th * 100 + i) "
				       "FROM t"), 160);
	check_integrity(db);
	close_db(db);
	assert_int_equal(fault_disk_destroy("threads"), 0);
}

/* ---- a second process ---- */

static int child_open(const char *disk)
{
	char uri[512];
	sqlite3 *db = NULL;
	int rc;

	exodb_vfs_register(0);
	snprintf(uri, sizeof(uri), "file:p.db?vfs=exodb&disk=%s", disk);
	rc = sqlite3_open_v2(uri, &db, OPEN_FLAGS, NULL);
	sqlite3_close(db);
	return rc == SQLITE_BUSY ? 0 : 1;
}

static void test_second_process(void **state)
{
	char img[256], self[512];
	sqlite3 *db;
	ssize_t l;
	pid_t pid;
	int st;

	(void)state;
	snprintf(img, sizeof(img), "%s/proc.exo", tmpdir);
	unlink(img);
	db = open_exo(img, "p.db");
	exec(db, "CREATE TABLE t(x); INSERT INTO t VALUES(1)");
	l = readlink("/proc/self/exe", self, sizeof(self) - 1);
	assert_true(l > 0);
	self[l] = 0;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		execl(self, self, "--open-child", img, (char *)NULL);
		_exit(2);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0); /* it got SQLITE_BUSY */
	assert_int_equal(query_int(db, "SELECT count(*) FROM t"), 1);
	close_db(db);
}

/* ---- batch atomic writes, through the VFS methods ---- */

struct vfs_handle {
	sqlite3_file *f;
	sqlite3_filename name;
};

static void vfs_open(sqlite3_vfs *v, const char *db, struct vfs_handle *h)
{
	const char *params[] = { "disk", "fault:batch" };
	int flags = SQLITE_OPEN_MAIN_DB | SQLITE_OPEN_READWRITE |
		    SQLITE_OPEN_CREATE | SQLITE_OPEN_URI;

	h->f = calloc(1, (size_t)v->szOsFile);
	h->name = sqlite3_create_filename(db, "", "", 1, params);
	assert_non_null(h->f);
	assert_non_null(h->name);
	assert_int_equal(v->xOpen(v, h->name, h->f, flags, NULL), SQLITE_OK);
}

static void vfs_close(struct vfs_handle *h)
{
	h->f->pMethods->xClose(h->f);
	free(h->f);
	sqlite3_free_filename(h->name);
}

static int fc(sqlite3_file *f, int op)
{
	return f->pMethods->xFileControl(f, op, NULL);
}

static void test_batch_atomic(void **state)
{
	sqlite3_vfs *v = sqlite3_vfs_find(EXODB_VFS_NAME);
	struct fault_plan p = FAULT_PLAN_INIT;
	uint8_t page[4096], got[4096], other[4096];
	struct vfs_handle h;
	sqlite3_file *f;
	sqlite3_int64 sz;
	int i, rc, cut;

	(void)state;
	fresh_disk("batch");
	assert_non_null(v);
	vfs_open(v, "b.db", &h);
	f = h.f;
	assert_true(f->pMethods->xDeviceCharacteristics(f) &
		    SQLITE_IOCAP_BATCH_ATOMIC);
	memset(page, 'a', sizeof(page));
	for (i = 0; i < 8; i++)
		assert_int_equal(f->pMethods->xWrite(f, page, 4096, i * 4096),
				 SQLITE_OK);
	assert_int_equal(f->pMethods->xSync(f, SQLITE_SYNC_FULL), SQLITE_OK);

	/* Writes inside a batch are read back, and dropped on rollback. */
	memset(page, 'b', sizeof(page));
	assert_int_equal(fc(f, SQLITE_FCNTL_BEGIN_ATOMIC_WRITE), SQLITE_OK);
	assert_int_equal(f->pMethods->xWrite(f, page, 4096, 8 * 4096),
			 SQLITE_OK);
	assert_int_equal(f->pMethods->xFileSize(f, &sz), SQLITE_OK);
	assert_int_equal(sz, 9 * 4096);
	assert_int_equal(f->pMethods->xRead(f, got, 4096, 8 * 4096),
			 SQLITE_OK);
	assert_memory_equal(got, page, 4096);
	assert_int_equal(fc(f, SQLITE_FCNTL_ROLLBACK_ATOMIC_WRITE),
			 SQLITE_OK);
	assert_int_equal(f->pMethods->xFileSize(f, &sz), SQLITE_OK);
	assert_int_equal(sz, 8 * 4096);

	/* A power cut during COMMIT_ATOMIC_WRITE: all or nothing. */
	for (cut = 1; cut < 40; cut += 3) {
		uint8_t c = (uint8_t)('c' + cut % 20);

		memset(page, c, sizeof(page));
		p.cut_at_io = (uint64_t)cut;
		p.seed = (uint64_t)cut;
		assert_int_equal(fault_set_plan("batch", &p), 0);
		fc(f, SQLITE_FCNTL_BEGIN_ATOMIC_WRITE);
		for (i = 0; i < 8; i++)
			f->pMethods->xWrite(f, page, 4096, i * 4096);
		rc = fc(f, SQLITE_FCNTL_COMMIT_ATOMIC_WRITE);
		vfs_close(&h);
		p.cut_at_io = 0;
		assert_int_equal(fault_set_plan("batch", &p), 0);
		vfs_open(v, "b.db", &h);
		f = h.f;
		assert_int_equal(f->pMethods->xRead(f, got, 4096, 0),
				 SQLITE_OK);
		if (rc == SQLITE_OK)
			assert_int_equal(got[0], c);
		for (i = 1; i < 8; i++) {
			assert_int_equal(f->pMethods->xRead(f, other, 4096,
							    i * 4096),
					 SQLITE_OK);
			assert_memory_equal(other, got, 4096);
		}
	}
	vfs_close(&h);
	assert_int_equal(fault_disk_destroy("batch"), 0);
}

/* ---- power cuts during SQL transactions ---- */

/* TPC-B-like: each transaction moves money between two accounts and
 * appends to hist; the sum of balances stays 0.  Returns how many
 * transactions were acknowledged (their COMMIT returned SQLITE_OK). */
static int crash_workload(sqlite3 *db, int ntx)
{
	char sql[256];
	int i;

	for (i = 1; i <= ntx; i++) {
		snprintf(sql, sizeof(sql),
			 "BEGIN; UPDATE acct SET bal = bal - %d WHERE id = %d;"
			 "UPDATE acct SET bal = bal + %d WHERE id = %d;"
			 "INSERT INTO hist VALUES(%d, randomblob(300));"
			 "COMMIT",
			 i, i % 50, i, (i * 7) % 50, i);
		if (try_exec(db, sql) != SQLITE_OK)
			return i - 1;
	}
	return ntx;
}

static void crash_setup(const char *disk, const char *mode)
{
	char sql[128];
	sqlite3 *db = open_exo(disk, "crash.db");

	snprintf(sql, sizeof(sql), "PRAGMA journal_mode=%s", mode);
	free(query(db, sql));
	exec(db, "CREATE TABLE acct(id INTEGER PRIMARY KEY, bal INTEGER);"
		 "WITH RECURSIVE c(i) AS (SELECT 0 UNION ALL SELECT i + 1 "
		 "FROM c WHERE i < 49) INSERT INTO acct SELECT i, 0 FROM c;"
		 "CREATE TABLE hist(tx INTEGER PRIMARY KEY, pad BLOB)");
	close_db(db);
}

static void crash_mode(const char *mode)
{
	const char *name = "crash", *disk = "fault:crash";
	struct fault_plan p = FAULT_PLAN_INIT;
	int64_t total;
	int cut, ntx = 30;

	fresh_disk(name);
	crash_setup(disk, mode);
	assert_int_equal(fault_set_plan(name, &p), 0);
	{
		sqlite3 *db = open_exo(disk, "crash.db");

		assert_int_equal(crash_workload(db, ntx), ntx);
		close_db(db);
	}
	total = fault_io_count(name);
	assert_true(total > ntx);
	for (cut = 1; cut < total; cut += (int)(total / 23) + 1) {
		sqlite3 *db;
		int acked;
		long long max;

		assert_int_equal(fault_disk_destroy(name), 0);
		crash_setup(disk, mode);
		p.cut_at_io = (uint64_t)cut;
		p.seed = (uint64_t)cut * 31;
		assert_int_equal(fault_set_plan(name, &p), 0);
		db = NULL;
		acked = 0; /* the cut may come while the store opens */
		if (sqlite3_open_v2("file:crash.db?vfs=exodb&disk=fault:crash",
				    &db, OPEN_FLAGS, NULL) == SQLITE_OK)
			acked = crash_workload(db, ntx);
		sqlite3_close(db);
		p.cut_at_io = 0;
		assert_int_equal(fault_set_plan(name, &p), 0);

		db = open_exo(disk, "crash.db");
		check_integrity(db);
		max = query_int(db, "SELECT coalesce(max(tx), 0) FROM hist");
		assert_true(max >= acked);
		assert_int_equal(query_int(db, "SELECT count(*) FROM hist"),
				 max);
		assert_int_equal(query_int(db, "SELECT sum(bal) FROM acct"),
				 0);
		close_db(db);
	}
	assert_int_equal(fault_disk_destroy(name), 0);
}

static void test_crash_delete(void **state)
{
	(void)state;
	crash_mode("DELETE");
}

static void test_crash_wal(void **state)
{
	(void)state;
	crash_mode("WAL");
}

/* ---- errors ---- */

static void test_disk_full(void **state)
{
	sqlite3 *db;
	int i, rc = SQLITE_OK;

	(void)state;
	fresh_disk("full");
	db = open_db("file:f.db?vfs=exodb&disk=fault:full&size=4M");
	exec(db, "CREATE TABLE t(x INTEGER PRIMARY KEY, b BLOB);"
		 "INSERT INTO t VALUES(0, randomblob(1000))");
	for (i = 1; i < 1000 && rc == SQLITE_OK; i++) {
		char sql[128];

		snprintf(sql, sizeof(sql),
			 "INSERT INTO t VALUES(%d, randomblob(20000))", i);
		rc = try_exec(db, sql);
	}
	assert_int_equal(rc, SQLITE_FULL);
	check_integrity(db);
	assert_int_equal(query_int(db, "SELECT max(x) FROM t"), i - 2);
	close_db(db);
	db = open_db("file:f.db?vfs=exodb&disk=fault:full");
	check_integrity(db);
	assert_int_equal(query_int(db, "SELECT max(x) FROM t"), i - 2);
	close_db(db);
	assert_int_equal(fault_disk_destroy("full"), 0);
}

static void test_io_error(void **state)
{
	struct fault_plan p = FAULT_PLAN_INIT;
	sqlite3 *db;
	int i, rc = SQLITE_OK;

	(void)state;
	fresh_disk("eio");
	db = open_exo("fault:eio", "e.db");
	exec(db, "CREATE TABLE t(x INTEGER PRIMARY KEY, b BLOB)");
	p.eio_at_io = 10;
	p.eio_sticky = 1;
	assert_int_equal(fault_set_plan("eio", &p), 0);
	for (i = 1; i < 200 && rc == SQLITE_OK; i++) {
		char sql[128];

		snprintf(sql, sizeof(sql),
			 "INSERT INTO t VALUES(%d, randomblob(3000))", i);
		rc = try_exec(db, sql);
	}
	assert_int_equal(rc & 0xff, SQLITE_IOERR);
	if (getenv("TEST_VFS_LOG"))
		fprintf(stderr, "eio after %d inserts\n", i - 2);
	sqlite3_close(db);
	p.eio_at_io = 0;
	p.eio_sticky = 0;
	assert_int_equal(fault_set_plan("eio", &p), 0);
	db = open_exo("fault:eio", "e.db");
	check_integrity(db);
	assert_true(query_int(db, "SELECT count(*) FROM t") >= i - 2);
	close_db(db);
	assert_int_equal(fault_disk_destroy("eio"), 0);
}

/* A damaged data block: SQLITE_CORRUPT, never wrong data. */
static void test_corrupt(void **state)
{
	static uint8_t blk[4096];
	const char *mark = "MARKER-0123456789-MARKER";
	sqlite3 *db;
	uint64_t b;
	int hit = 0, rc;

	(void)state;
	fresh_disk("bad");
	db = open_db("file:x.db?vfs=exodb&disk=fault:bad&size=16M");
	exec(db, "CREATE TABLE t(x); INSERT INTO t VALUES(1);"
		 "INSERT INTO t VALUES('MARKER-0123456789-MARKER')");
	close_db(db);
	for (b = 0; b < 4096; b++) {
		assert_int_equal(fault_disk_read_raw("bad", b, 1, blk), 0);
		if (!memmem(blk, sizeof(blk), mark, strlen(mark)))
			continue;
		blk[100] ^= 0x55;
		assert_int_equal(fault_disk_write_raw("bad", b, 1, blk), 0);
		hit++;
	}
	assert_true(hit > 0);
	db = open_db("file:x.db?vfs=exodb&disk=fault:bad");
	rc = try_exec(db, "SELECT * FROM t");
	assert_int_equal(rc & 0xff, SQLITE_CORRUPT);
	close_db(db);
	assert_int_equal(fault_disk_destroy("bad"), 0);
}

static void test_bad_disk(void **state)
{
	char path[256];
	sqlite3 *db = NULL;
	FILE *fp;

	(void)state;
	snprintf(path, sizeof(path), "%s/foreign.img", tmpdir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	for (int i = 0; i < 1024; i++)
		fputs("not an exodb disk\n", fp);
	fclose(fp);
	snprintf(path, sizeof(path),
		 "file:x.db?vfs=exodb&disk=%s/foreign.img", tmpdir);
	assert_int_equal(sqlite3_open_v2(path, &db, OPEN_FLAGS, NULL),
			 SQLITE_CANTOPEN);
	sqlite3_close(db);
	db = NULL;
	unsetenv("EXODB_VFS_DISK");
	assert_int_equal(sqlite3_open_v2("file:x.db?vfs=exodb", &db,
					 OPEN_FLAGS, NULL),
			 SQLITE_CANTOPEN);
	sqlite3_close(db);
}

/* The disk from the environment, exodb as the default VFS. */
static void test_env_default(void **state)
{
	sqlite3 *db;

	(void)state;
	fresh_disk("env");
	setenv("EXODB_VFS_DISK", "fault:env", 1);
	setenv("EXODB_VFS_SIZE", "16M", 1);
	assert_int_equal(exodb_vfs_register(1), SQLITE_OK);
	db = open_db("env.db");
	exec(db, "CREATE TABLE t(x); INSERT INTO t VALUES(7)");
	close_db(db);
	db = open_db("env.db");
	assert_int_equal(query_int(db, "SELECT x FROM t"), 7);
	close_db(db);
	assert_int_equal(exodb_vfs_register(0), SQLITE_OK);
	sqlite3_vfs_register(sqlite3_vfs_find("unix"), 1);
	unsetenv("EXODB_VFS_DISK");
	unsetenv("EXODB_VFS_SIZE");
	assert_int_equal(fault_disk_destroy("env"), 0);
}

static void log_cb(void *arg, int code, const char *msg)
{
	(void)arg;
	fprintf(stderr, "sqlite log %d: %s\n", code, msg);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mode_delete),
		cmocka_unit_test(test_mode_truncate),
		cmocka_unit_test(test_mode_persist),
		cmocka_unit_test(test_mode_memory),
		cmocka_unit_test(test_mode_wal),
		cmocka_unit_test(test_mode_off),
		cmocka_unit_test(test_image_file),
		cmocka_unit_test(test_temp_and_attach),
		cmocka_unit_test(test_connections),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_second_process),
		cmocka_unit_test(test_batch_atomic),
		cmocka_unit_test(test_crash_delete),
		cmocka_unit_test(test_crash_wal),
		cmocka_unit_test(test_disk_full),
		cmocka_unit_test(test_io_error),
		cmocka_unit_test(test_corrupt),
		cmocka_unit_test(test_bad_disk),
		cmocka_unit_test(test_env_default),
	};
	char cmd[300];
	int rc;

	if (argc == 3 && !strcmp(argv[1], "--open-child"))
		return child_open(argv[2]);
	if (getenv("TEST_VFS_LOG"))
		sqlite3_config(SQLITE_CONFIG_LOG, log_cb, NULL);
	if (!mkdtemp(tmpdir))
		return 1;
	if (exodb_vfs_register(0) != SQLITE_OK)
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	if (system(cmd) != 0)
		rc = 1;
	return rc;
}
