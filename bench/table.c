/*
 * table.c: bulk loading and scans in either engine family (table.h).
 */
#include "table.h"

#include <stdio.h>
#include <string.h>

static int batch_begin(struct loader *l)
{
	struct wl_term *t = l->t;
	int err;

	l->bytes = 0;
	if (t->db->family == WL_KV) {
		err = kv_begin(t->db->kv, KV_WRITE, &l->txn);
		return err ? wl_kv_fail(t, "load: begin", err) : 0;
	}
	err = sql_begin(t->conn, SQL_WRITE);
	return err ? wl_sql_fail(t, "load: BEGIN", err) : 0;
}

static int batch_commit(struct loader *l)
{
	struct wl_term *t = l->t;
	int err;

	if (t->db->family == WL_KV) {
		err = kv_commit(l->txn);
		l->txn = NULL;
		return err ? wl_kv_fail(t, "load: commit", err) : 0;
	}
	err = sql_commit(t->conn);
	return err ? wl_sql_fail(t, "load: COMMIT", err) : 0;
}

/* Commit the batch once it is large, and start the next. */
static int batch_step(struct loader *l, size_t bytes)
{
	int err;

	l->bytes += bytes;
	if (l->bytes < LOAD_BATCH_BYTES)
		return 0;
	err = batch_commit(l);
	return err ? err : batch_begin(l);
}

static void batch_abort(struct loader *l)
{
	if (l->t->db->family == WL_KV) {
		kv_abort(l->txn);
		l->txn = NULL;
	} else if (sql_in_txn(l->t->conn)) {
		sql_rollback(l->t->conn);
	}
}

int load_begin(struct loader *l, struct wl_term *t)
{
	*l = (struct loader){.t = t};
	return batch_begin(l);
}

int load_kv(struct loader *l, int table, const void *key, size_t klen,
	    const void *val, size_t vlen)
{
	int err = kv_put(l->txn, table, key, klen, val, vlen, KV_APPEND);

	if (err) {
		wl_kv_fail(l->t, "load: put", err);
		batch_abort(l);
		return WL_EFAIL;
	}
	return batch_step(l, klen + vlen);
}

int load_row(struct loader *l, int table, const struct table_def *def,
	     const void *row)
{
	uint8_t key[ROW_MAX_KEY], val[ROW_MAX_VAL];
	size_t klen, vlen;
	int err;

	if (l->t->db->family == WL_KV) {
		klen = def->nkey ? row_key(def, row, key)
				 : wl_hist_key(l->t, key);
		vlen = row_encode(def, row, val);
		return load_kv(l, table, key, klen, val, vlen);
	}
	err = sql_insert_row(l->t->conn, table, def, row);
	if (err) {
		wl_sql_fail(l->t, def->name, err);
		return WL_EFAIL;
	}
	return batch_step(l, def->row_size);
}

int load_end(struct loader *l)
{
	return batch_commit(l);
}

/* ---- scans ---- */

int scan_begin(struct scan *s, struct wl_term *t)
{
	int err;

	*s = (struct scan){.t = t};
	if (t->db->family == WL_KV) {
		err = kv_begin(t->db->kv, KV_SNAPSHOT, &s->txn);
		return err ? wl_kv_fail(t, "scan: begin", err) : 0;
	}
	if (sql_in_txn(t->conn))
		return 0;
	err = sql_begin(t->conn, SQL_READ);
	if (err)
		return wl_sql_fail(t, "scan: BEGIN", err);
	s->own_txn = 1;
	return 0;
}

void scan_end(struct scan *s)
{
	if (s->txn)
		kv_abort(s->txn);
	if (s->own_txn)
		sql_rollback(s->t->conn);
	s->txn = NULL;
	s->own_txn = 0;
}

static int scan_kv(struct scan *s, int table, const struct table_def *def,
		   scan_fn fn, void *arg, void *row)
{
	struct kv_cursor *c;
	struct kv_val k, v;
	int err;

	err = kv_cursor_open(s->txn, table, &c);
	if (err)
		return wl_kv_fail(s->t, def->name, err);
	for (err = kv_first(c, &k, &v); !err; err = kv_next(c, &k, &v)) {
		memset(row, 0, def->row_size);
		if ((def->nkey && row_unkey(def, k.data, k.size, row) < 0) ||
		    row_decode(def, v.data, v.size, row) < 0) {
			err = wl_fail(s->t, "%s: malformed row", def->name);
			break;
		}
		if ((err = fn(arg, row)) != 0)
			break;
	}
	kv_cursor_close(c);
	if (err == KV_NOTFOUND)
		return 0;
	return err < 0 && err != WL_EFAIL ? wl_kv_fail(s->t, def->name, err)
					  : err;
}

static sqlite3_stmt *scan_stmt(struct scan *s, int table,
			       const struct table_def *def)
{
	char q[2048];
	size_t n = 0;

	n += (size_t)snprintf(q, sizeof(q), "SELECT ");
	for (int i = 0; i < def->ncols; i++)
		n += (size_t)snprintf(q + n, sizeof(q) - n, "%s%s",
				      i ? ", " : "", def->cols[i].name);
	snprintf(q + n, sizeof(q) - n, " FROM %s", def->name);
	return sql_stmt(s->t->conn, LOAD_STMTS + table, q);
}

static void sql_to_row(sqlite3_stmt *st, const struct table_def *def, void *row)
{
	const unsigned char *txt;
	int n;

	for (int i = 0; i < def->ncols; i++) {
		if (def->cols[i].type == COL_INT) {
			*row_int(def, row, i) = sqlite3_column_int64(st, i);
			continue;
		}
		txt = sqlite3_column_text(st, i);
		n = sqlite3_column_bytes(st, i);
		if (n > def->cols[i].len)
			n = def->cols[i].len;
		memcpy(row_str(def, row, i), txt ? (const char *)txt : "",
		       (size_t)n);
		row_str(def, row, i)[n] = '\0';
	}
}

static int scan_sql(struct scan *s, int table, const struct table_def *def,
		    scan_fn fn, void *arg, void *row)
{
	sqlite3_stmt *st = scan_stmt(s, table, def);
	int rc = SQLITE_DONE, err = 0;

	if (!st)
		return wl_fail(s->t, "%s: %s", def->name,
			       sql_errmsg(s->t->conn));
	while (!err && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(row, 0, def->row_size);
		sql_to_row(st, def, row);
		err = fn(arg, row);
	}
	sqlite3_reset(st);
	if (!err && rc != SQLITE_DONE)
		return wl_fail(s->t, "%s: %s", def->name, sqlite3_errstr(rc));
	return err;
}

int scan_table(struct scan *s, int table, const struct table_def *def,
	       scan_fn fn, void *arg)
{
	_Alignas(8) char row[ROW_MAX_VAL * 2];

	if (def->row_size > sizeof(row))
		return wl_fail(s->t, "%s: row too large", def->name);
	if (s->t->db->family == WL_KV)
		return scan_kv(s, table, def, fn, arg, row);
	return scan_sql(s, table, def, fn, arg, row);
}
