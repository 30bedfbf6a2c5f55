/*
 * tpcc_kv.c: TPC-C's five transactions on a key-value engine (kv.h).
 *
 * Rows are read with a get of their primary key, decoded into the row
 * struct, changed and written back (row.h: an update of integers keeps
 * the value's size, so engines can update in place).  Two secondary
 * indexes are tables of their own, kept by the transactions: customers
 * by (warehouse, district, last name, first name, id), for the lookups
 * by last name, and orders by (warehouse, district, customer, newest
 * order first), for Order-Status.
 *
 * New-Order, Payment and Delivery are KV_WRITE transactions; Order-Status
 * reads a consistent snapshot (KV_SNAPSHOT); Stock-Level only needs
 * committed reads (KV_READ; TPC-C allows it isolation level 1).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "table.h"
#include "tpcc.h"

#define MAX_NAMES 512 /* customers of one last name in one district */

/* Read row (its key columns set) from table: 0, KV_NOTFOUND, or
 * WL_EFAIL with t->err set. */
static int get_row(struct wl_term *t, struct kv_txn *x, int table, void *row)
{
	const struct table_def *def = &tpcc_defs[table];
	uint8_t key[ROW_MAX_KEY];
	size_t klen = row_key(def, row, key);
	struct kv_val v;
	int err;

	err = kv_get(x, table, key, klen, &v);
	if (err == KV_NOTFOUND)
		return err;
	if (err)
		return wl_kv_fail(t, def->name, err);
	if (row_decode(def, v.data, v.size, row) < 0)
		return wl_fail(t, "%s: malformed row", def->name);
	return 0;
}

/* Read a row that must exist. */
static int must_get(struct wl_term *t, struct kv_txn *x, int table, void *row)
{
	int err = get_row(t, x, table, row);

	if (err == KV_NOTFOUND)
		return wl_fail(t, "%s: row missing", tpcc_defs[table].name);
	return err;
}

static int put_row(struct wl_term *t, struct kv_txn *x, int table,
		   const void *row)
{
	const struct table_def *def = &tpcc_defs[table];
	uint8_t key[ROW_MAX_KEY], val[ROW_MAX_VAL];
	size_t klen, vlen;
	int err;

	klen = def->nkey ? row_key(def, row, key) : wl_hist_key(t, key);
	vlen = row_encode(def, row, val);
	err = kv_put(x, table, key, klen, val, vlen, 0);
	return err ? wl_kv_fail(t, def->name, err) : 0;
}

static int put_key(struct wl_term *t, struct kv_txn *x, int table,
		   const uint8_t *key, size_t klen)
{
	int err = kv_put(x, table, key, klen, "", 0, 0);

	return err ? wl_kv_fail(t, tpcc_tables[table], err) : 0;
}

/* The customer of last name `last` in (w, d) that clause 2.5.2.2 picks:
 * of those sorted by first name, the one at position ceil(n / 2). */
static int by_name(struct wl_term *t, struct kv_txn *x, int64_t w, int64_t d,
		   const char *last, int64_t *c_id)
{
	uint8_t key[ROW_MAX_KEY];
	size_t len = tpcc_name_key(w, d, last, "", 0, key);
	static const size_t prefix = 8 + 16;
	int64_t ids[MAX_NAMES];
	struct kv_cursor *c;
	struct kv_val k;
	int n = 0, err;

	err = kv_cursor_open(x, T_CUSTOMER_NAME, &c);
	if (err)
		return wl_kv_fail(t, "customer_name", err);
	for (err = kv_seek(c, key, len, &k, NULL);
	     !err && k.size == len && !memcmp(k.data, key, prefix) &&
	     n < MAX_NAMES;
	     err = kv_next(c, &k, NULL))
		ids[n++] = kv_get32((const uint8_t *)k.data + len - 4);
	kv_cursor_close(c);
	if (err && err != KV_NOTFOUND)
		return wl_kv_fail(t, "customer_name", err);
	if (n == 0 || n == MAX_NAMES)
		return wl_fail(t,
			       "customer_name: %d customers named %s in "
			       "(%lld, %lld)",
			       n, last, (long long)w, (long long)d);
	*c_id = ids[(n - 1) / 2];
	return 0;
}

/* ---- New-Order (clause 2.4) ---- */

static int no_line(struct wl_term *t, struct kv_txn *x,
		   const struct tpcc_no_in *in, const struct tpcc_order *o,
		   int64_t n)
{
	const struct tpcc_no_line *l = &in->line[n - 1];
	struct tpcc_item it = {.i_id = l->i_id};
	struct tpcc_stock st = {.s_w_id = l->supply_w, .s_i_id = l->i_id};
	struct tpcc_order_line ol = {.ol_w_id = o->o_w_id,
				     .ol_d_id = o->o_d_id,
				     .ol_o_id = o->o_id,
				     .ol_number = n};
	int err;

	err = get_row(t, x, T_ITEM, &it);
	if (err == KV_NOTFOUND)
		return WL_ROLLBACK; /* the unused item of clause 2.4.1.4 */
	if (err || (err = must_get(t, x, T_STOCK, &st)))
		return err;
	st.s_quantity = tpcc_stock_quantity(st.s_quantity, l->qty);
	st.s_ytd += l->qty;
	st.s_order_cnt++;
	st.s_remote_cnt += l->supply_w != o->o_w_id;
	if ((err = put_row(t, x, T_STOCK, &st)))
		return err;
	ol.ol_i_id = l->i_id;
	ol.ol_supply_w_id = l->supply_w;
	ol.ol_quantity = l->qty;
	ol.ol_amount = l->qty * it.i_price;
	memcpy(ol.ol_dist_info, tpcc_s_dist(&st, o->o_d_id),
	       sizeof(ol.ol_dist_info));
	return put_row(t, x, T_ORDER_LINE, &ol);
}

static int no_order(struct wl_term *t, struct kv_txn *x,
		    const struct tpcc_no_in *in, struct tpcc_order *o)
{
	struct tpcc_new_order no = {o->o_w_id, o->o_d_id, o->o_id};
	uint8_t key[ROW_MAX_KEY];
	size_t len;
	int err;

	o->o_c_id = in->c;
	o->o_entry_d = in->entry_d;
	o->o_carrier_id = 0;
	o->o_ol_cnt = in->ol_cnt;
	o->o_all_local = in->all_local;
	len = tpcc_order_cust_key(o->o_w_id, o->o_d_id, in->c, o->o_id, key);
	if ((err = put_row(t, x, T_ORDER, o)) ||
	    (err = put_row(t, x, T_NEW_ORDER, &no)))
		return err;
	return put_key(t, x, T_ORDER_CUST, key, len);
}

static int new_order(struct wl_term *t, struct kv_txn *x,
		     const struct tpcc_no_in *in)
{
	struct tpcc_warehouse wh = {.w_id = in->w};
	struct tpcc_district di = {.d_w_id = in->w, .d_id = in->d};
	struct tpcc_customer cu = {
		.c_w_id = in->w, .c_d_id = in->d, .c_id = in->c};
	struct tpcc_order o = {.o_w_id = in->w, .o_d_id = in->d};
	int err;

	if ((err = must_get(t, x, T_WAREHOUSE, &wh)) ||
	    (err = must_get(t, x, T_DISTRICT, &di)))
		return err;
	o.o_id = di.d_next_o_id++;
	if ((err = put_row(t, x, T_DISTRICT, &di)) ||
	    (err = must_get(t, x, T_CUSTOMER, &cu)) ||
	    (err = no_order(t, x, in, &o)))
		return err;
	for (int64_t n = 1; n <= in->ol_cnt; n++)
		if ((err = no_line(t, x, in, &o, n)))
			return err;
	return 0;
}

/* ---- Payment (clause 2.5) ---- */

static int pay_customer(struct wl_term *t, struct kv_txn *x,
			const struct tpcc_pay_in *in, struct tpcc_customer *cu)
{
	int err;

	cu->c_w_id = in->c_w;
	cu->c_d_id = in->c_d;
	cu->c_id = in->c_id;
	if (in->by_name &&
	    (err = by_name(t, x, in->c_w, in->c_d, in->c_last, &cu->c_id)))
		return err;
	if ((err = must_get(t, x, T_CUSTOMER, cu)))
		return err;
	cu->c_balance -= in->amount;
	cu->c_ytd_payment += in->amount;
	cu->c_payment_cnt++;
	if (!strcmp(cu->c_credit, "BC"))
		tpcc_bc_data(cu->c_data, in, cu->c_id);
	return put_row(t, x, T_CUSTOMER, cu);
}

static int payment(struct wl_term *t, struct kv_txn *x,
		   const struct tpcc_pay_in *in)
{
	struct tpcc_warehouse wh = {.w_id = in->w};
	struct tpcc_district di = {.d_w_id = in->w, .d_id = in->d};
	struct tpcc_customer cu;
	struct tpcc_history h;
	int err;

	if ((err = must_get(t, x, T_WAREHOUSE, &wh)))
		return err;
	wh.w_ytd += in->amount;
	if ((err = put_row(t, x, T_WAREHOUSE, &wh)) ||
	    (err = must_get(t, x, T_DISTRICT, &di)))
		return err;
	di.d_ytd += in->amount;
	if ((err = put_row(t, x, T_DISTRICT, &di)) ||
	    (err = pay_customer(t, x, in, &cu)))
		return err;
	h = (struct tpcc_history){.h_c_id = cu.c_id,
				  .h_c_d_id = in->c_d,
				  .h_c_w_id = in->c_w,
				  .h_d_id = in->d,
				  .h_w_id = in->w,
				  .h_date = in->date,
				  .h_amount = in->amount};
	snprintf(h.h_data, sizeof(h.h_data), "%.10s    %.10s", wh.w_name,
		 di.d_name);
	return put_row(t, x, T_HISTORY, &h);
}

/* ---- Order-Status (clause 2.6) ---- */

/* The lines of order o, decoded into ols[]; *n gets their number. */
static int each_line(struct wl_term *t, struct kv_txn *x,
		     const struct tpcc_order *o, struct tpcc_order_line *ols,
		     int *n)
{
	const struct table_def *def = &tpcc_defs[T_ORDER_LINE];
	uint8_t key[ROW_MAX_KEY], *p = key;
	struct kv_cursor *c;
	struct kv_val k, v;
	int err;

	kv_key32(&p, (uint32_t)o->o_w_id);
	kv_key32(&p, (uint32_t)o->o_d_id);
	kv_key32(&p, (uint32_t)o->o_id);
	*n = 0;
	err = kv_cursor_open(x, T_ORDER_LINE, &c);
	if (err)
		return wl_kv_fail(t, def->name, err);
	for (err = kv_seek(c, key, 12, &k, &v);
	     !err && k.size == 16 && !memcmp(k.data, key, 12);
	     err = kv_next(c, &k, &v)) {
		if (*n == TPCC_MAX_OL ||
		    row_unkey(def, k.data, k.size, &ols[*n]) < 0 ||
		    row_decode(def, v.data, v.size, &ols[*n]) < 0) {
			err = wl_fail(t, "order_line: malformed rows");
			break;
		}
		(*n)++;
	}
	kv_cursor_close(c);
	if (err == WL_EFAIL)
		return err;
	return err && err != KV_NOTFOUND ? wl_kv_fail(t, def->name, err) : 0;
}

/* The newest order of customer c in (w, d); o->o_id 0 when none. */
static int newest_order(struct wl_term *t, struct kv_txn *x, int64_t w,
			int64_t d, int64_t c, struct tpcc_order *o)
{
	uint8_t key[ROW_MAX_KEY];
	size_t len = tpcc_order_cust_key(w, d, c, 0, key);
	struct kv_cursor *cur;
	struct kv_val k;
	int err;

	memset(key + 12, 0, 4); /* the newest sorts first */
	*o = (struct tpcc_order){.o_w_id = w, .o_d_id = d};
	err = kv_cursor_open(x, T_ORDER_CUST, &cur);
	if (err)
		return wl_kv_fail(t, "order_cust", err);
	err = kv_seek(cur, key, len, &k, NULL);
	if (!err && k.size == len && !memcmp(k.data, key, 12))
		o->o_id = UINT32_MAX - kv_get32((const uint8_t *)k.data + 12);
	kv_cursor_close(cur);
	if (err && err != KV_NOTFOUND)
		return wl_kv_fail(t, "order_cust", err);
	return o->o_id ? must_get(t, x, T_ORDER, o) : 0;
}

static int order_status(struct wl_term *t, struct kv_txn *x,
			const struct tpcc_os_in *in)
{
	struct tpcc_customer cu = {
		.c_w_id = in->w, .c_d_id = in->d, .c_id = in->c_id};
	struct tpcc_order_line ols[TPCC_MAX_OL];
	struct tpcc_order o;
	int err, n;

	if (in->by_name &&
	    (err = by_name(t, x, in->w, in->d, in->c_last, &cu.c_id)))
		return err;
	if ((err = must_get(t, x, T_CUSTOMER, &cu)) ||
	    (err = newest_order(t, x, in->w, in->d, cu.c_id, &o)))
		return err;
	return o.o_id ? each_line(t, x, &o, ols, &n) : 0;
}

/* ---- Delivery (clause 2.7) ---- */

/* The oldest undelivered order of (w, d), removed from NEW-ORDER; 0 when
 * there is none. */
static int oldest_new(struct wl_term *t, struct kv_txn *x, int64_t w, int64_t d,
		      int64_t *o_id)
{
	uint8_t key[12], *p = key;
	struct kv_cursor *c;
	struct kv_val k;
	int err;

	kv_key32(&p, (uint32_t)w);
	kv_key32(&p, (uint32_t)d);
	kv_key32(&p, 0);
	*o_id = 0;
	err = kv_cursor_open(x, T_NEW_ORDER, &c);
	if (err)
		return wl_kv_fail(t, "new_order", err);
	err = kv_seek(c, key, 12, &k, NULL);
	if (!err && k.size == 12 && !memcmp(k.data, key, 8))
		*o_id = kv_get32((const uint8_t *)k.data + 8);
	kv_cursor_close(c);
	if (err && err != KV_NOTFOUND)
		return wl_kv_fail(t, "new_order", err);
	if (!*o_id)
		return 0;
	p = key + 8;
	kv_key32(&p, (uint32_t)*o_id);
	err = kv_del(x, T_NEW_ORDER, key, 12);
	return err ? wl_kv_fail(t, "new_order", err) : 0;
}

static int deliver(struct wl_term *t, struct kv_txn *x,
		   const struct tpcc_del_in *in, int64_t d, int64_t o_id)
{
	struct tpcc_order o = {.o_w_id = in->w, .o_d_id = d, .o_id = o_id};
	struct tpcc_customer cu = {.c_w_id = in->w, .c_d_id = d};
	struct tpcc_order_line ols[TPCC_MAX_OL];
	int64_t sum = 0;
	int err, n;

	if ((err = must_get(t, x, T_ORDER, &o)))
		return err;
	o.o_carrier_id = in->carrier;
	if ((err = put_row(t, x, T_ORDER, &o)) ||
	    (err = each_line(t, x, &o, ols, &n)))
		return err;
	for (int i = 0; i < n; i++) {
		ols[i].ol_delivery_d = in->date;
		sum += ols[i].ol_amount;
		if ((err = put_row(t, x, T_ORDER_LINE, &ols[i])))
			return err;
	}
	cu.c_id = o.o_c_id;
	if ((err = must_get(t, x, T_CUSTOMER, &cu)))
		return err;
	cu.c_balance += sum;
	cu.c_delivery_cnt++;
	return put_row(t, x, T_CUSTOMER, &cu);
}

static int delivery(struct wl_term *t, struct kv_txn *x,
		    const struct tpcc_del_in *in)
{
	int64_t o_id;
	int err;

	for (int64_t d = 1; d <= TPCC_DISTRICTS; d++) {
		if ((err = oldest_new(t, x, in->w, d, &o_id)))
			return err;
		if (o_id && (err = deliver(t, x, in, d, o_id)))
			return err;
	}
	return 0;
}

/* ---- Stock-Level (clause 2.8) ---- */

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* The item numbers of the district's last 20 orders, in ids[]. */
static int recent_items(struct wl_term *t, struct kv_txn *x, int64_t w,
			int64_t d, int64_t next, int64_t *ids, int *n)
{
	uint8_t key[16], *p = key;
	struct kv_cursor *c;
	struct kv_val k, v;
	struct tpcc_order_line ol;
	int err;

	kv_key32(&p, (uint32_t)w);
	kv_key32(&p, (uint32_t)d);
	kv_key32(&p, (uint32_t)(next > 20 ? next - 20 : 0));
	*n = 0;
	err = kv_cursor_open(x, T_ORDER_LINE, &c);
	if (err)
		return wl_kv_fail(t, "order_line", err);
	for (err = kv_seek(c, key, 12, &k, &v);
	     !err && k.size == 16 && !memcmp(k.data, key, 8) &&
	     kv_get32((const uint8_t *)k.data + 8) < next &&
	     *n < 20 * TPCC_MAX_OL;
	     err = kv_next(c, &k, &v)) {
		if (row_decode(&tpcc_defs[T_ORDER_LINE], v.data, v.size, &ol) <
		    0) {
			err = wl_fail(t, "order_line: malformed row");
			break;
		}
		ids[(*n)++] = ol.ol_i_id;
	}
	kv_cursor_close(c);
	if (err == WL_EFAIL)
		return err;
	return err && err != KV_NOTFOUND ? wl_kv_fail(t, "order_line", err) : 0;
}

static int stock_level(struct wl_term *t, struct kv_txn *x,
		       const struct tpcc_sl_in *in)
{
	struct tpcc_district di = {.d_w_id = in->w, .d_id = in->d};
	int64_t ids[20 * TPCC_MAX_OL];
	struct tpcc_stock st;
	int err, n;

	if ((err = must_get(t, x, T_DISTRICT, &di)) ||
	    (err = recent_items(t, x, in->w, in->d, di.d_next_o_id, ids, &n)))
		return err;
	qsort(ids, (size_t)n, sizeof(ids[0]), cmp_i64);
	for (int i = 0; i < n; i++) {
		if (i && ids[i] == ids[i - 1])
			continue;
		st.s_w_id = in->w;
		st.s_i_id = ids[i];
		if ((err = must_get(t, x, T_STOCK, &st)))
			return err;
	}
	return 0;
}

/* ---- the transaction ---- */

union tpcc_in {
	struct tpcc_no_in no;
	struct tpcc_pay_in pay;
	struct tpcc_os_in os;
	struct tpcc_del_in del;
	struct tpcc_sl_in sl;
};

static int run(struct wl_term *t, struct kv_txn *x, int type,
	       const union tpcc_in *in)
{
	switch (type) {
	case TX_NEW_ORDER:
		return new_order(t, x, &in->no);
	case TX_PAYMENT:
		return payment(t, x, &in->pay);
	case TX_ORDER_STATUS:
		return order_status(t, x, &in->os);
	case TX_DELIVERY:
		return delivery(t, x, &in->del);
	default:
		return stock_level(t, x, &in->sl);
	}
}

static void gen(struct wl_term *t, int type, union tpcc_in *in)
{
	struct tpcc_scale s;

	tpcc_scale(t->cfg, &s);
	switch (type) {
	case TX_NEW_ORDER:
		tpcc_gen_new_order(t, &s, &in->no);
		break;
	case TX_PAYMENT:
		tpcc_gen_payment(t, &s, &in->pay);
		break;
	case TX_ORDER_STATUS:
		tpcc_gen_order_status(t, &s, &in->os);
		break;
	case TX_DELIVERY:
		tpcc_gen_delivery(t, &s, &in->del);
		break;
	default:
		tpcc_gen_stock_level(t, &s, &in->sl);
	}
}

static int tpcc_kv_txn(struct wl_term *t, int *type)
{
	static const enum kv_kind kinds[TX_N] = {
		[TX_NEW_ORDER] = KV_WRITE,	 [TX_PAYMENT] = KV_WRITE,
		[TX_ORDER_STATUS] = KV_SNAPSHOT, [TX_DELIVERY] = KV_WRITE,
		[TX_STOCK_LEVEL] = KV_READ,
	};
	union tpcc_in in;
	struct kv_txn *x;
	int err;

	*type = tpcc_pick(t);
	gen(t, *type, &in);
	err = kv_begin(t->db->kv, kinds[*type], &x);
	if (err)
		return wl_kv_fail(t, "begin", err);
	err = run(t, x, *type, &in);
	if (err) {
		kv_abort(x);
		return err;
	}
	err = kv_commit(x);
	return err ? wl_kv_fail(t, "commit", err) : WL_OK;
}

const struct wl_impl tpcc_kv = {tpcc_load, tpcc_kv_txn, tpcc_check};
