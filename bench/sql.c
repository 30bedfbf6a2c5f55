/*
 * sql.c: SQLite databases, connections and statements for the benchmarks
 * (sql.h).
 *
 * The database is opened through a counting VFS (sqlcount.c): "count-unix"
 * over SQLite's unix VFS, or "count-exodb" over the exodb VFS with the URI
 * file:bench.db?disk=DISK&store=sqlbench; the store's buffer cache gets
 * the same budget as SQLite's own cache (EXODB_VFS_CACHE).  Every
 * connection gets the same pragmas; sqldb_settings() reports what SQLite
 * actually took (a VFS that cannot do WAL would show another journal mode
 * there, not silently).
 */
#include "sql.h"

#include <errno.h>
#include <exo.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sqlcount.h"

#if __has_include("../sqlite-vfs/exodb_vfs.h")
#include "../sqlite-vfs/exodb_vfs.h"
#define SQL_HAVE_EXODB 1
#else
#define SQL_HAVE_EXODB 0
#endif

#define SQL_BUSY_MS 10000

struct sqldb {
	struct sql_opts o;
	char path[PATH_MAX + 64]; /* file name or URI */
	const char *vfs;
	pthread_mutex_t writer;
	char settings[256];
};

struct sqlconn {
	struct sqldb *d;
	sqlite3 *db;
	int in_txn; /* 0, SQL_READ + 1 or SQL_WRITE + 1 */
	sqlite3_stmt *stmt[SQL_MAX_STMTS];
};

int sql_exodb_available(const char **why)
{
	*why = SQL_HAVE_EXODB ? ""
			      : "the exodb VFS (sqlite-vfs/exodb_vfs.h) "
				"is not in this build";
	return SQL_HAVE_EXODB;
}

static int register_vfs(int exodb)
{
	int rc;

	if (!exodb)
		return sqlcount_register("unix", "count-unix");
#if SQL_HAVE_EXODB
	rc = exodb_vfs_register(0);
	if (rc == SQLITE_OK)
		rc = sqlcount_register("exodb", "count-exodb");
#else
	rc = SQLITE_ERROR;
#endif
	return rc;
}

static int remove_files(const char *path)
{
	char p[PATH_MAX + 8];
	const char *sfx[] = {"", "-wal", "-shm", "-journal"};

	for (size_t i = 0; i < 4; i++) {
		snprintf(p, sizeof(p), "%s%s", path, sfx[i]);
		if (unlink(p) < 0 && errno != ENOENT)
			return SQLITE_CANTOPEN;
	}
	return SQLITE_OK;
}

static int prepare_files(struct sqldb *d)
{
	int rc;

	if (!d->o.create)
		return SQLITE_OK;
	if (!d->o.exodb)
		return remove_files(d->o.path);
	rc = exo_disk_format(d->o.path, d->o.size);
	return rc < 0 && rc != EXO_ENOSYS ? SQLITE_CANTOPEN /* exokern: */
					  : SQLITE_OK; /* disk formatted */
}

/* Query one text pragma into buf. */
static void pragma_text(sqlite3 *db, const char *name, char *buf, size_t n)
{
	char q[64];
	sqlite3_stmt *s;

	snprintf(buf, n, "?");
	snprintf(q, sizeof(q), "PRAGMA %s", name);
	if (sqlite3_prepare_v2(db, q, -1, &s, NULL) != SQLITE_OK)
		return;
	if (sqlite3_step(s) == SQLITE_ROW)
		snprintf(buf, n, "%s", (const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
}

static void describe(struct sqldb *d, sqlite3 *db)
{
	static const char *const sync_names[] = {"OFF", "NORMAL", "FULL",
						 "EXTRA"};
	char jm[16], sync[16], cache[24], psz[16];
	int sy;

	pragma_text(db, "journal_mode", jm, sizeof(jm));
	pragma_text(db, "synchronous", sync, sizeof(sync));
	pragma_text(db, "cache_size", cache, sizeof(cache));
	pragma_text(db, "page_size", psz, sizeof(psz));
	sy = atoi(sync);
	snprintf(d->settings, sizeof(d->settings),
		 "journal_mode=%s, synchronous=%s, cache_size=%s (KiB, per "
		 "connection), page_size=%s, writers queued on a mutex, "
		 "busy_timeout=%d ms",
		 jm, sy >= 0 && sy <= 3 ? sync_names[sy] : sync, cache, psz,
		 SQL_BUSY_MS);
}

int sqldb_open(const struct sql_opts *o, struct sqldb **out)
{
	struct sqldb *d;
	struct sqlconn *c;
	char pages[24];
	int rc;

	if ((rc = register_vfs(o->exodb)) != SQLITE_OK)
		return rc;
	d = calloc(1, sizeof(*d));
	if (!d)
		return SQLITE_NOMEM;
	d->o = *o;
	pthread_mutex_init(&d->writer, NULL);
	if (o->exodb) {
		/* the VFS's URI parameter cache= is taken by SQLite itself
		 * (cache=shared|private): pass the budget the other way */
		snprintf(pages, sizeof(pages), "%llu",
			 (unsigned long long)(o->cache_bytes >> 12));
		setenv("EXODB_VFS_CACHE", pages, 1);
		snprintf(d->path, sizeof(d->path),
			 "file:bench.db?disk=%s&store=sqlbench", o->path);
		d->vfs = "count-exodb";
	} else {
		snprintf(d->path, sizeof(d->path), "%s", o->path);
		d->vfs = "count-unix";
	}
	rc = prepare_files(d);
	if (rc == SQLITE_OK)
		rc = sql_connect(d, &c);
	if (rc != SQLITE_OK) {
		sqldb_close(d);
		return rc;
	}
	describe(d, sql_handle(c));
	sql_disconnect(c);
	*out = d;
	return SQLITE_OK;
}

void sqldb_close(struct sqldb *d)
{
	if (!d)
		return;
	pthread_mutex_destroy(&d->writer);
	free(d);
}

const char *sqldb_settings(const struct sqldb *d)
{
	return d->settings;
}

void sql_counters(struct sql_counters *c)
{
	sqlcount_get(&c->reads, &c->writes, &c->syncs);
}

static int configure(struct sqlconn *c)
{
	char q[160];

	sqlite3_busy_timeout(c->db, SQL_BUSY_MS);
	snprintf(q, sizeof(q),
		 "PRAGMA journal_mode=WAL; PRAGMA synchronous=%s; "
		 "PRAGMA cache_size=-%llu",
		 c->d->o.lazy ? "NORMAL" : "FULL",
		 (unsigned long long)(c->d->o.cache_bytes >> 10));
	return sqlite3_exec(c->db, q, NULL, NULL, NULL);
}

int sql_connect(struct sqldb *d, struct sqlconn **out)
{
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
		    SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI;
	struct sqlconn *c = calloc(1, sizeof(*c));
	int rc;

	if (!c)
		return SQLITE_NOMEM;
	c->d = d;
	rc = sqlite3_open_v2(d->path, &c->db, flags, d->vfs);
	if (rc == SQLITE_OK)
		rc = configure(c);
	if (rc != SQLITE_OK) {
		sql_disconnect(c);
		return rc;
	}
	*out = c;
	return SQLITE_OK;
}

void sql_disconnect(struct sqlconn *c)
{
	if (!c)
		return;
	for (int i = 0; i < SQL_MAX_STMTS; i++)
		sqlite3_finalize(c->stmt[i]);
	sqlite3_close(c->db);
	free(c);
}

sqlite3 *sql_handle(struct sqlconn *c)
{
	return c->db;
}

const char *sql_errmsg(struct sqlconn *c)
{
	return sqlite3_errmsg(c->db);
}

int sql_exec(struct sqlconn *c, const char *sql)
{
	return sqlite3_exec(c->db, sql, NULL, NULL, NULL);
}

sqlite3_stmt *sql_stmt(struct sqlconn *c, int id, const char *text)
{
	if (id < 0 || id >= SQL_MAX_STMTS)
		return NULL;
	if (!c->stmt[id] &&
	    sqlite3_prepare_v3(c->db, text, -1, SQLITE_PREPARE_PERSISTENT,
			       &c->stmt[id], NULL) != SQLITE_OK)
		return NULL;
	return c->stmt[id];
}

int sql_run(struct sqlconn *c, sqlite3_stmt *s)
{
	int rc;

	(void)c;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		;
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

int sql_row(sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);

	if (rc != SQLITE_ROW)
		sqlite3_reset(s);
	return rc;
}

int sql_begin(struct sqlconn *c, int kind)
{
	int rc;

	if (kind == SQL_WRITE)
		pthread_mutex_lock(&c->d->writer);
	rc = sql_exec(c, kind == SQL_WRITE ? "BEGIN IMMEDIATE" : "BEGIN");
	if (rc != SQLITE_OK) {
		if (kind == SQL_WRITE)
			pthread_mutex_unlock(&c->d->writer);
		return rc;
	}
	c->in_txn = kind + 1;
	return SQLITE_OK;
}

static void end_txn(struct sqlconn *c)
{
	if (c->in_txn == SQL_WRITE + 1)
		pthread_mutex_unlock(&c->d->writer);
	c->in_txn = 0;
}

int sql_commit(struct sqlconn *c)
{
	int rc = sql_exec(c, "COMMIT");

	if (rc != SQLITE_OK && !sqlite3_get_autocommit(c->db))
		sql_exec(c, "ROLLBACK");
	end_txn(c);
	return rc;
}

void sql_rollback(struct sqlconn *c)
{
	for (int i = 0; i < SQL_MAX_STMTS; i++)
		if (c->stmt[i])
			sqlite3_reset(c->stmt[i]);
	if (!sqlite3_get_autocommit(c->db))
		sql_exec(c, "ROLLBACK");
	end_txn(c);
}

int sql_in_txn(const struct sqlconn *c)
{
	return c->in_txn != 0;
}

int sql_create_table(struct sqlconn *c, const struct table_def *t,
		     int without_rowid)
{
	char q[4096];
	size_t n = 0;

	n += (size_t)snprintf(q + n, sizeof(q) - n, "CREATE TABLE %s (",
			      t->name);
	for (int i = 0; i < t->ncols; i++)
		n += (size_t)snprintf(q + n, sizeof(q) - n, "%s%s %s",
				      i ? ", " : "", t->cols[i].name,
				      t->cols[i].type == COL_STR ? "TEXT"
								 : "INTEGER");
	if (t->nkey == 1 && !without_rowid)
		n += (size_t)snprintf(q + n, sizeof(q) - n,
				      ", PRIMARY KEY (%s)", t->cols[0].name);
	for (int i = 0; t->nkey > 1 && i < t->nkey; i++)
		n += (size_t)snprintf(q + n, sizeof(q) - n, "%s%s",
				      i ? ", " : ", PRIMARY KEY (",
				      t->cols[i].name);
	n += (size_t)snprintf(q + n, sizeof(q) - n, "%s)%s",
			      t->nkey > 1 ? ")" : "",
			      without_rowid ? " WITHOUT ROWID" : "");
	if (n >= sizeof(q))
		return SQLITE_TOOBIG;
	return sql_exec(c, q);
}

static sqlite3_stmt *insert_stmt(struct sqlconn *c, int id,
				 const struct table_def *t)
{
	char q[2048];
	size_t n = 0;

	n += (size_t)snprintf(q + n, sizeof(q) - n, "INSERT INTO %s VALUES (",
			      t->name);
	for (int i = 0; i < t->ncols; i++)
		n += (size_t)snprintf(q + n, sizeof(q) - n, "%s?",
				      i ? ", " : "");
	snprintf(q + n, sizeof(q) - n, ")");
	return sql_stmt(c, id, q);
}

int sql_insert_row(struct sqlconn *c, int id, const struct table_def *t,
		   const void *row)
{
	sqlite3_stmt *s = insert_stmt(c, id, t);
	const char *str;
	int64_t v;

	if (!s)
		return sqlite3_errcode(c->db);
	for (int i = 0; i < t->ncols; i++) {
		if (t->cols[i].type == COL_STR) {
			str = row_str(t, (void *)row, i);
			sqlite3_bind_text(s, i + 1, str,
					  (int)strnlen(str, t->cols[i].len),
					  SQLITE_STATIC);
			continue;
		}
		v = *row_int(t, (void *)row, i);
		if (v == 0 && (t->cols[i].flags & COL_NULL0))
			sqlite3_bind_null(s, i + 1);
		else
			sqlite3_bind_int64(s, i + 1, v);
	}
	return sql_run(c, s);
}
