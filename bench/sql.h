/*
 * sql.h: the SQLite side of the benchmarks: databases, connections,
 * prepared statements and transactions, for both SQLite engines.
 *
 *   sqlite        the unix VFS: DIR/sqlite.db (and -wal, -shm) on the
 *                 filesystem
 *   sqlite-exodb  the exodb VFS (sqlite-vfs/): the same SQL engine on an
 *                 exodb disk (an image file or a device)
 *
 * Both run in WAL mode; durability full is synchronous=FULL, lazy is
 * synchronous=NORMAL; cache_size is set from sql_opts.cache_bytes on
 * every connection.  Each engine is reached through a pass-through VFS
 * that counts xRead, xWrite and xSync calls (sql_counters), so the I/O
 * figures are taken at the same boundary for both.
 *
 *   struct sqldb *d;  struct sqlconn *c;
 *   sqldb_open(&opts, &d);           fresh database (old files removed)
 *   sql_connect(d, &c);              one connection per thread
 *   sql_begin(c, SQL_WRITE);
 *   sqlite3_stmt *s = sql_stmt(c, ST_UPDATE, "UPDATE ...");
 *   ... bind ...; sql_run(c, s);
 *   sql_commit(c);
 *   sql_disconnect(c);  sqldb_close(d);
 *
 * Writers are serialized: sql_begin(c, SQL_WRITE) takes the database's
 * writer mutex and then BEGIN IMMEDIATE, sql_commit/sql_rollback release
 * it.  SQLite allows one writer at a time anyway; queueing the writers on
 * a mutex (as LMDB does inside) spares them SQLite's busy handler, which
 * polls the lock with sleeps of 1 to 100 ms.  SQL_READ transactions are
 * plain BEGIN: WAL readers run beside the writer.
 *
 * Calls return SQLITE_OK (0) or an SQLite result code (positive);
 * sql_errmsg() says what went wrong on the connection.
 */
#ifndef EXODB_BENCH_SQL_H
#define EXODB_BENCH_SQL_H

#include <sqlite3.h>
#include <stdint.h>

#include "row.h"

struct sql_opts {
	int exodb;	      /* 0: sqlite (unix VFS), 1: sqlite-exodb */
	const char *path;     /* sqlite: database file; exodb: disk */
	uint64_t size;	      /* exodb: disk size to format */
	uint64_t cache_bytes; /* cache_size of every connection */
	int lazy;	      /* synchronous=NORMAL instead of FULL */
	int create;	      /* remove or format first */
};

struct sql_counters {
	uint64_t reads, writes, syncs; /* xRead, xWrite, xSync calls */
};

enum { SQL_READ, SQL_WRITE };

#define SQL_MAX_STMTS 96

struct sqldb;
struct sqlconn;

/* 1 if this build has the exodb VFS; else 0 with the reason in *why. */
int sql_exodb_available(const char **why);

int sqldb_open(const struct sql_opts *o, struct sqldb **out);
void sqldb_close(struct sqldb *d);
/* "journal_mode=WAL, synchronous=FULL, ...": what the engine is set to. */
const char *sqldb_settings(const struct sqldb *d);
void sql_counters(struct sql_counters *c);

int sql_connect(struct sqldb *d, struct sqlconn **out);
void sql_disconnect(struct sqlconn *c);
sqlite3 *sql_handle(struct sqlconn *c);
const char *sql_errmsg(struct sqlconn *c);

/* Run statements that return no rows (a ';'-separated list). */
int sql_exec(struct sqlconn *c, const char *sql);

/* The connection's prepared statement number id (< SQL_MAX_STMTS) for
 * text, prepared on first use; NULL on error (sql_errmsg says why). */
sqlite3_stmt *sql_stmt(struct sqlconn *c, int id, const char *text);

/* Step s to its end and reset it: SQLITE_OK or the error. */
int sql_run(struct sqlconn *c, sqlite3_stmt *s);

/* Step s expecting one row: SQLITE_ROW (read the columns, then
 * sqlite3_reset), SQLITE_DONE (no row; reset done) or the error. */
int sql_row(sqlite3_stmt *s);

int sql_begin(struct sqlconn *c, int kind);
int sql_commit(struct sqlconn *c);
void sql_rollback(struct sqlconn *c);
/* 1 inside a transaction begun by sql_begin. */
int sql_in_txn(const struct sqlconn *c);

/* CREATE TABLE for t (without its secondary indexes), and an INSERT of
 * one row of t bound from the row struct. */
int sql_create_table(struct sqlconn *c, const struct table_def *t,
		     int without_rowid);
int sql_insert_row(struct sqlconn *c, int id, const struct table_def *t,
		   const void *row);

/* 1 when rc means "busy, try the transaction again". */
static inline int sql_busy(int rc)
{
	return (rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED;
}

#endif
