/*
 * table.h: whole-table work in either engine family: bulk loading in
 * large transactions, and scans for the consistency checks.
 *
 *   struct loader l;
 *   load_begin(&l, t);
 *   for each row, in key order:  load_row(&l, TABLE, &def, &row);
 *   load_end(&l);                commits the last batch
 *
 * Rows are committed in batches of about LOAD_BATCH_BYTES.  In key-value
 * engines rows are appended (KV_APPEND: pages are filled completely), so
 * they must come in key order per table; a table without key columns
 * (HISTORY) gets the key wl_hist_key() makes.  In SQL a row is one
 * prepared INSERT (statement number = its table's number, below
 * LOAD_STMTS).  After an error the batch is rolled back and t->err says
 * why.
 *
 *   struct scan s;
 *   scan_begin(&s, t);           one consistent read of the database
 *   scan_table(&s, TABLE, &def, fn, arg);   fn(arg, row) for every row
 *   scan_end(&s);
 *
 * Scans decode every row into its struct (key columns included) in key
 * order (SQL: in the table's own order), so the checks are written once
 * for both families.  In SQL, a scan inside a transaction the terminal
 * already has open sees that transaction's changes.
 */
#ifndef EXODB_BENCH_TABLE_H
#define EXODB_BENCH_TABLE_H

#include "row.h"
#include "workload.h"

#define LOAD_BATCH_BYTES (4u << 20)
#define LOAD_STMTS	 16 /* SQL statement numbers the loader uses */
#define SCAN_STMTS	 16 /* and the scans (LOAD_STMTS + table) */

struct loader {
	struct wl_term *t;
	struct kv_txn *txn; /* WL_KV: the open batch */
	uint64_t bytes;	    /* in the open batch */
};

int load_begin(struct loader *l, struct wl_term *t);
/* Add row to table number table (described by def). */
int load_row(struct loader *l, int table, const struct table_def *def,
	     const void *row);
/* WL_KV only: add a key and value as they are (secondary indexes). */
int load_kv(struct loader *l, int table, const void *key, size_t klen,
	    const void *val, size_t vlen);
int load_end(struct loader *l);

/* Called for each row; non-zero stops the scan and is its result. */
typedef int (*scan_fn)(void *arg, const void *row);

struct scan {
	struct wl_term *t;
	struct kv_txn *txn; /* WL_KV */
	int own_txn;	    /* WL_SQL: began by scan_begin */
};

int scan_begin(struct scan *s, struct wl_term *t);
int scan_table(struct scan *s, int table, const struct table_def *def,
	       scan_fn fn, void *arg);
void scan_end(struct scan *s);

#endif
