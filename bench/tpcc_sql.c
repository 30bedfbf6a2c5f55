/*
 * tpcc_sql.c: TPC-C's five transactions in SQL (sql.h: SQLite on the
 * filesystem or on exodb).
 *
 * Every statement is prepared once per connection.  Inserts are the
 * generic INSERT of the row's table (sql_insert_row, the loader's
 * statements); the rest are below, in clause order.  Lookups by last
 * name use the index customer_name (c_w_id, c_d_id, c_last, c_first),
 * Order-Status the index orders_cust (o_w_id, o_d_id, o_c_id, o_id).
 * New-Order, Payment and Delivery are write transactions (BEGIN
 * IMMEDIATE); Order-Status and Stock-Level read transactions (WAL
 * snapshots).
 */
#include <stdio.h>
#include <string.h>

#include "table.h"
#include "tpcc.h"

#define MAX_NAMES 512

enum {
	Q_W_TAX,
	Q_D_NEXT,
	Q_D_INC,
	Q_C_NO,
	Q_ITEM,
	Q_STOCK,
	Q_STOCK_UPD,
	Q_W_YTD,
	Q_W_ADDR,
	Q_D_YTD,
	Q_D_ADDR,
	Q_C_BY_NAME,
	Q_C_PAY,
	Q_C_PAY_UPD,
	Q_C_DATA,
	Q_C_DATA_UPD,
	Q_C_OS,
	Q_O_NEWEST,
	Q_OL_OS,
	Q_NO_MIN,
	Q_NO_DEL,
	Q_O_CUST,
	Q_O_CARRIER,
	Q_OL_DELIVER,
	Q_OL_SUM,
	Q_C_DELIVER,
	Q_D_NEXT_SL,
	Q_SL_COUNT,
	Q_N
};

#define Q_BASE (LOAD_STMTS + SCAN_STMTS)

static const char *const tpcc_q[Q_N] = {
	/* New-Order */
	[Q_W_TAX] = "SELECT w_tax FROM warehouse WHERE w_id = ?1",
	[Q_D_NEXT] = "SELECT d_tax, d_next_o_id FROM district "
		     "WHERE d_w_id = ?1 AND d_id = ?2",
	[Q_D_INC] = "UPDATE district SET d_next_o_id = d_next_o_id + 1 "
		    "WHERE d_w_id = ?1 AND d_id = ?2",
	[Q_C_NO] = "SELECT c_discount, c_last, c_credit FROM customer "
		   "WHERE c_w_id = ?1 AND c_d_id = ?2 AND c_id = ?3",
	[Q_ITEM] = "SELECT i_price, i_name, i_data FROM item WHERE i_id = ?1",
	[Q_STOCK] = "SELECT s_quantity, s_data, s_dist_01, s_dist_02, "
		    "s_dist_03, s_dist_04, s_dist_05, s_dist_06, s_dist_07, "
		    "s_dist_08, s_dist_09, s_dist_10 FROM stock "
		    "WHERE s_w_id = ?1 AND s_i_id = ?2",
	[Q_STOCK_UPD] = "UPDATE stock SET s_quantity = ?1, "
			"s_ytd = s_ytd + ?2, s_order_cnt = s_order_cnt + 1, "
			"s_remote_cnt = s_remote_cnt + ?3 "
			"WHERE s_w_id = ?4 AND s_i_id = ?5",
	/* Payment */
	[Q_W_YTD] = "UPDATE warehouse SET w_ytd = w_ytd + ?1 WHERE w_id = ?2",
	[Q_W_ADDR] = "SELECT w_name, w_street_1, w_street_2, w_city, "
		     "w_state, w_zip FROM warehouse WHERE w_id = ?1",
	[Q_D_YTD] = "UPDATE district SET d_ytd = d_ytd + ?1 "
		    "WHERE d_w_id = ?2 AND d_id = ?3",
	[Q_D_ADDR] = "SELECT d_name, d_street_1, d_street_2, d_city, "
		     "d_state, d_zip FROM district "
		     "WHERE d_w_id = ?1 AND d_id = ?2",
	[Q_C_BY_NAME] = "SELECT c_id FROM customer WHERE c_w_id = ?1 AND "
			"c_d_id = ?2 AND c_last = ?3 ORDER BY c_first",
	[Q_C_PAY] = "SELECT c_first, c_middle, c_last, c_street_1, "
		    "c_street_2, c_city, c_state, c_zip, c_phone, c_since, "
		    "c_credit, c_credit_lim, c_discount, c_balance "
		    "FROM customer WHERE c_w_id = ?1 AND c_d_id = ?2 AND "
		    "c_id = ?3",
	[Q_C_PAY_UPD] = "UPDATE customer SET c_balance = c_balance - ?1, "
			"c_ytd_payment = c_ytd_payment + ?1, "
			"c_payment_cnt = c_payment_cnt + 1 "
			"WHERE c_w_id = ?2 AND c_d_id = ?3 AND c_id = ?4",
	[Q_C_DATA] = "SELECT c_data FROM customer "
		     "WHERE c_w_id = ?1 AND c_d_id = ?2 AND c_id = ?3",
	[Q_C_DATA_UPD] = "UPDATE customer SET c_data = ?4 "
			 "WHERE c_w_id = ?1 AND c_d_id = ?2 AND c_id = ?3",
	/* Order-Status */
	[Q_C_OS] = "SELECT c_balance, c_first, c_middle, c_last "
		   "FROM customer WHERE c_w_id = ?1 AND c_d_id = ?2 AND "
		   "c_id = ?3",
	[Q_O_NEWEST] = "SELECT o_id, o_entry_d, o_carrier_id FROM orders "
		       "WHERE o_w_id = ?1 AND o_d_id = ?2 AND o_c_id = ?3 "
		       "ORDER BY o_id DESC LIMIT 1",
	[Q_OL_OS] = "SELECT ol_i_id, ol_supply_w_id, ol_quantity, "
		    "ol_amount, ol_delivery_d FROM order_line "
		    "WHERE ol_w_id = ?1 AND ol_d_id = ?2 AND ol_o_id = ?3",
	/* Delivery */
	[Q_NO_MIN] = "SELECT no_o_id FROM new_order WHERE no_w_id = ?1 AND "
		     "no_d_id = ?2 ORDER BY no_o_id LIMIT 1",
	[Q_NO_DEL] = "DELETE FROM new_order WHERE no_w_id = ?1 AND "
		     "no_d_id = ?2 AND no_o_id = ?3",
	[Q_O_CUST] = "SELECT o_c_id FROM orders WHERE o_w_id = ?1 AND "
		     "o_d_id = ?2 AND o_id = ?3",
	[Q_O_CARRIER] = "UPDATE orders SET o_carrier_id = ?4 "
			"WHERE o_w_id = ?1 AND o_d_id = ?2 AND o_id = ?3",
	[Q_OL_DELIVER] = "UPDATE order_line SET ol_delivery_d = ?4 "
			 "WHERE ol_w_id = ?1 AND ol_d_id = ?2 AND "
			 "ol_o_id = ?3",
	[Q_OL_SUM] = "SELECT sum(ol_amount) FROM order_line "
		     "WHERE ol_w_id = ?1 AND ol_d_id = ?2 AND ol_o_id = ?3",
	[Q_C_DELIVER] = "UPDATE customer SET c_balance = c_balance + ?4, "
			"c_delivery_cnt = c_delivery_cnt + 1 "
			"WHERE c_w_id = ?1 AND c_d_id = ?2 AND c_id = ?3",
	/* Stock-Level */
	[Q_D_NEXT_SL] = "SELECT d_next_o_id FROM district "
			"WHERE d_w_id = ?1 AND d_id = ?2",
	[Q_SL_COUNT] = "SELECT count(DISTINCT s_i_id) FROM order_line, stock "
		       "WHERE ol_w_id = ?1 AND ol_d_id = ?2 AND "
		       "ol_o_id < ?3 AND ol_o_id >= ?3 - 20 AND "
		       "s_w_id = ?1 AND s_i_id = ol_i_id AND "
		       "s_quantity < ?4",
};

/* Statement q with the integer parameters v[0..n-1] bound; NULL (the
 * transaction rolled back, t->err set) when it cannot be prepared. */
static sqlite3_stmt *bind(struct wl_term *t, int q, const int64_t *v, int n)
{
	sqlite3_stmt *s = sql_stmt(t->conn, Q_BASE + q, tpcc_q[q]);

	if (!s) {
		wl_sql_fail(t, tpcc_q[q], sqlite3_errcode(sql_handle(t->conn)));
		return NULL;
	}
	for (int i = 0; i < n; i++)
		sqlite3_bind_int64(s, i + 1, v[i]);
	return s;
}

/* Run statement q, which returns no rows. */
static int exec_q(struct wl_term *t, int q, const int64_t *v, int n)
{
	sqlite3_stmt *s = bind(t, q, v, n);
	int rc;

	if (!s)
		return WL_EFAIL;
	rc = sql_run(t->conn, s);
	return rc ? wl_sql_fail(t, tpcc_q[q], rc) : 0;
}

/* Run query q for one row: 1 with *out on the row (sqlite3_reset it
 * after reading), 0 when there is no row, or the failure. */
static int row_q(struct wl_term *t, int q, const int64_t *v, int n,
		 sqlite3_stmt **out)
{
	sqlite3_stmt *s = bind(t, q, v, n);
	int rc;

	if (!s)
		return WL_EFAIL;
	rc = sql_row(s);
	if (rc == SQLITE_ROW) {
		*out = s;
		return 1;
	}
	return rc == SQLITE_DONE ? 0 : wl_sql_fail(t, tpcc_q[q], rc);
}

/* Like row_q, for a row that must exist. */
static int must_q(struct wl_term *t, int q, const int64_t *v, int n,
		  sqlite3_stmt **out)
{
	int rc = row_q(t, q, v, n, out);

	if (rc == 0) {
		sql_rollback(t->conn);
		return wl_fail(t, "no row: %s", tpcc_q[q]);
	}
	return rc < 0 ? rc : 0;
}

static int insert(struct wl_term *t, int table, const void *row)
{
	int rc = sql_insert_row(t->conn, table, &tpcc_defs[table], row);

	return rc ? wl_sql_fail(t, tpcc_defs[table].name, rc) : 0;
}

static void text(sqlite3_stmt *s, int col, char *out, size_t size)
{
	const unsigned char *p = sqlite3_column_text(s, col);

	snprintf(out, size, "%s", p ? (const char *)p : "");
}

/* The customer of last name `last` of clause 2.5.2.2 (see tpcc_kv.c). */
static int by_name(struct wl_term *t, int64_t w, int64_t d, const char *last,
		   int64_t *c_id)
{
	sqlite3_stmt *s = bind(t, Q_C_BY_NAME, (int64_t[]){w, d}, 2);
	int64_t ids[MAX_NAMES];
	int n = 0, rc;

	if (!s)
		return WL_EFAIL;
	sqlite3_bind_text(s, 3, last, -1, SQLITE_STATIC);
	while (n < MAX_NAMES && (rc = sqlite3_step(s)) == SQLITE_ROW)
		ids[n++] = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	if (n < MAX_NAMES && rc != SQLITE_DONE)
		return wl_sql_fail(t, tpcc_q[Q_C_BY_NAME], rc);
	if (n == 0 || n == MAX_NAMES) {
		sql_rollback(t->conn);
		return wl_fail(t,
			       "customer: %d customers named %s in "
			       "(%lld, %lld)",
			       n, last, (long long)w, (long long)d);
	}
	*c_id = ids[(n - 1) / 2];
	return 0;
}

/* ---- New-Order (clause 2.4) ---- */

static int no_line(struct wl_term *t, const struct tpcc_no_in *in,
		   const struct tpcc_order *o, int64_t n)
{
	const struct tpcc_no_line *l = &in->line[n - 1];
	struct tpcc_order_line ol = {.ol_w_id = o->o_w_id,
				     .ol_d_id = o->o_d_id,
				     .ol_o_id = o->o_id,
				     .ol_number = n,
				     .ol_i_id = l->i_id,
				     .ol_supply_w_id = l->supply_w,
				     .ol_quantity = l->qty};
	int64_t price, qty;
	sqlite3_stmt *s;
	int rc;

	rc = row_q(t, Q_ITEM, &l->i_id, 1, &s);
	if (rc <= 0) {
		sql_rollback(t->conn); /* the unused item of 2.4.1.4 */
		return rc < 0 ? rc : WL_ROLLBACK;
	}
	price = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	if ((rc = must_q(t, Q_STOCK, (int64_t[]){l->supply_w, l->i_id}, 2, &s)))
		return rc;
	qty = tpcc_stock_quantity(sqlite3_column_int64(s, 0), l->qty);
	text(s, 1 + (int)o->o_d_id, ol.ol_dist_info, sizeof(ol.ol_dist_info));
	sqlite3_reset(s);
	if ((rc = exec_q(t, Q_STOCK_UPD,
			 (int64_t[]){qty, l->qty, l->supply_w != o->o_w_id,
				     l->supply_w, l->i_id},
			 5)))
		return rc;
	ol.ol_amount = l->qty * price;
	return insert(t, T_ORDER_LINE, &ol);
}

static int new_order(struct wl_term *t, const struct tpcc_no_in *in)
{
	struct tpcc_order o = {in->w,	    in->d, 0,	       in->c,
			       in->entry_d, 0,	   in->ol_cnt, in->all_local};
	sqlite3_stmt *s;
	int rc;

	if ((rc = must_q(t, Q_W_TAX, &in->w, 1, &s)))
		return rc;
	sqlite3_reset(s);
	if ((rc = must_q(t, Q_D_NEXT, (int64_t[]){in->w, in->d}, 2, &s)))
		return rc;
	o.o_id = sqlite3_column_int64(s, 1);
	sqlite3_reset(s);
	if ((rc = exec_q(t, Q_D_INC, (int64_t[]){in->w, in->d}, 2)) ||
	    (rc = must_q(t, Q_C_NO, (int64_t[]){in->w, in->d, in->c}, 3, &s)))
		return rc;
	sqlite3_reset(s);
	if ((rc = insert(t, T_ORDER, &o)) ||
	    (rc = insert(t, T_NEW_ORDER,
			 &(struct tpcc_new_order){in->w, in->d, o.o_id})))
		return rc;
	for (int64_t n = 1; n <= in->ol_cnt; n++)
		if ((rc = no_line(t, in, &o, n)))
			return rc;
	return 0;
}

/* ---- Payment (clause 2.5) ---- */

static int pay_customer(struct wl_term *t, const struct tpcc_pay_in *in,
			int64_t c_id)
{
	int64_t key[3] = {in->c_w, in->c_d, c_id};
	char credit[3], data[501];
	sqlite3_stmt *s;
	int rc;

	if ((rc = must_q(t, Q_C_PAY, key, 3, &s)))
		return rc;
	text(s, 10, credit, sizeof(credit));
	sqlite3_reset(s);
	if ((rc = exec_q(t, Q_C_PAY_UPD,
			 (int64_t[]){in->amount, in->c_w, in->c_d, c_id}, 4)))
		return rc;
	if (strcmp(credit, "BC"))
		return 0;
	if ((rc = must_q(t, Q_C_DATA, key, 3, &s)))
		return rc;
	text(s, 0, data, sizeof(data));
	sqlite3_reset(s);
	tpcc_bc_data(data, in, c_id);
	if (!(s = bind(t, Q_C_DATA_UPD, key, 3)))
		return WL_EFAIL;
	sqlite3_bind_text(s, 4, data, -1, SQLITE_STATIC);
	rc = sql_run(t->conn, s);
	return rc ? wl_sql_fail(t, tpcc_q[Q_C_DATA_UPD], rc) : 0;
}

static int payment(struct wl_term *t, const struct tpcc_pay_in *in)
{
	struct tpcc_history h = {.h_c_id = in->c_id,
				 .h_c_d_id = in->c_d,
				 .h_c_w_id = in->c_w,
				 .h_d_id = in->d,
				 .h_w_id = in->w,
				 .h_date = in->date,
				 .h_amount = in->amount};
	char w_name[11], d_name[11];
	sqlite3_stmt *s;
	int rc;

	if ((rc = exec_q(t, Q_W_YTD, (int64_t[]){in->amount, in->w}, 2)) ||
	    (rc = must_q(t, Q_W_ADDR, &in->w, 1, &s)))
		return rc;
	text(s, 0, w_name, sizeof(w_name));
	sqlite3_reset(s);
	if ((rc = exec_q(t, Q_D_YTD, (int64_t[]){in->amount, in->w, in->d},
			 3)) ||
	    (rc = must_q(t, Q_D_ADDR, (int64_t[]){in->w, in->d}, 2, &s)))
		return rc;
	text(s, 0, d_name, sizeof(d_name));
	sqlite3_reset(s);
	if (in->by_name &&
	    (rc = by_name(t, in->c_w, in->c_d, in->c_last, &h.h_c_id)))
		return rc;
	if ((rc = pay_customer(t, in, h.h_c_id)))
		return rc;
	snprintf(h.h_data, sizeof(h.h_data), "%s    %s", w_name, d_name);
	return insert(t, T_HISTORY, &h);
}

/* ---- Order-Status (clause 2.6) ---- */

static int order_status(struct wl_term *t, const struct tpcc_os_in *in)
{
	int64_t c_id = in->c_id, o_id;
	sqlite3_stmt *s;
	int rc;

	if (in->by_name && (rc = by_name(t, in->w, in->d, in->c_last, &c_id)))
		return rc;
	if ((rc = must_q(t, Q_C_OS, (int64_t[]){in->w, in->d, c_id}, 3, &s)))
		return rc;
	sqlite3_reset(s);
	rc = row_q(t, Q_O_NEWEST, (int64_t[]){in->w, in->d, c_id}, 3, &s);
	if (rc <= 0)
		return rc;
	o_id = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return exec_q(t, Q_OL_OS, (int64_t[]){in->w, in->d, o_id}, 3);
}

/* ---- Delivery (clause 2.7) ---- */

static int deliver(struct wl_term *t, const struct tpcc_del_in *in, int64_t d,
		   int64_t o_id)
{
	int64_t key[4] = {in->w, d, o_id, in->date}, c_id, sum;
	sqlite3_stmt *s;
	int rc;

	if ((rc = exec_q(t, Q_NO_DEL, key, 3)) ||
	    (rc = must_q(t, Q_O_CUST, key, 3, &s)))
		return rc;
	c_id = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	if ((rc = exec_q(t, Q_O_CARRIER,
			 (int64_t[]){in->w, d, o_id, in->carrier}, 4)) ||
	    (rc = exec_q(t, Q_OL_DELIVER, key, 4)) ||
	    (rc = must_q(t, Q_OL_SUM, key, 3, &s)))
		return rc;
	sum = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return exec_q(t, Q_C_DELIVER, (int64_t[]){in->w, d, c_id, sum}, 4);
}

static int delivery(struct wl_term *t, const struct tpcc_del_in *in)
{
	sqlite3_stmt *s;
	int64_t o_id;
	int rc;

	for (int64_t d = 1; d <= TPCC_DISTRICTS; d++) {
		rc = row_q(t, Q_NO_MIN, (int64_t[]){in->w, d}, 2, &s);
		if (rc < 0)
			return rc;
		if (rc == 0)
			continue; /* nothing to deliver in d */
		o_id = sqlite3_column_int64(s, 0);
		sqlite3_reset(s);
		if ((rc = deliver(t, in, d, o_id)))
			return rc;
	}
	return 0;
}

/* ---- Stock-Level (clause 2.8) ---- */

static int stock_level(struct wl_term *t, const struct tpcc_sl_in *in)
{
	int64_t next;
	sqlite3_stmt *s;
	int rc;

	if ((rc = must_q(t, Q_D_NEXT_SL, (int64_t[]){in->w, in->d}, 2, &s)))
		return rc;
	next = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	if ((rc = must_q(t, Q_SL_COUNT,
			 (int64_t[]){in->w, in->d, next, in->threshold}, 4,
			 &s)))
		return rc;
	sqlite3_reset(s);
	return 0;
}

/* ---- the transaction ---- */

static int tpcc_sql_txn(struct wl_term *t, int *type)
{
	struct tpcc_scale sc;
	union {
		struct tpcc_no_in no;
		struct tpcc_pay_in pay;
		struct tpcc_os_in os;
		struct tpcc_del_in del;
		struct tpcc_sl_in sl;
	} in;
	int rc;

	tpcc_scale(t->cfg, &sc);
	*type = tpcc_pick(t);
	rc = sql_begin(t->conn,
		       *type == TX_ORDER_STATUS || *type == TX_STOCK_LEVEL
			       ? SQL_READ
			       : SQL_WRITE);
	if (rc)
		return wl_sql_fail(t, "BEGIN", rc);
	switch (*type) {
	case TX_NEW_ORDER:
		tpcc_gen_new_order(t, &sc, &in.no);
		rc = new_order(t, &in.no);
		break;
	case TX_PAYMENT:
		tpcc_gen_payment(t, &sc, &in.pay);
		rc = payment(t, &in.pay);
		break;
	case TX_ORDER_STATUS:
		tpcc_gen_order_status(t, &sc, &in.os);
		rc = order_status(t, &in.os);
		break;
	case TX_DELIVERY:
		tpcc_gen_delivery(t, &sc, &in.del);
		rc = delivery(t, &in.del);
		break;
	default:
		tpcc_gen_stock_level(t, &sc, &in.sl);
		rc = stock_level(t, &in.sl);
	}
	if (rc)
		return rc; /* rolled back */
	rc = sql_commit(t->conn);
	return rc ? wl_sql_fail(t, "COMMIT", rc) : WL_OK;
}

const struct wl_impl tpcc_sql = {tpcc_load, tpcc_sql_txn, tpcc_check};
