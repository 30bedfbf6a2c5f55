/*
 * tpcc.c: TPC-C's tables, scaling, initial data and inputs (tpcc.h), and
 * the workload the driver runs.
 *
 * Clause numbers refer to TPC-C 5.11.  The initial data follow clause
 * 4.3.3.1 (with --tiny, a hundredth of the items, customers and orders,
 * for tests).  The terminals' inputs follow clause 2: each terminal has a
 * home warehouse (terminal id modulo the warehouses) and a district for
 * Stock-Level; there are no keying or think times.
 */
#include "tpcc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "table.h"

/* ---- tables ---- */

#define W(f)  COL_I(tpcc_warehouse, f)
#define WS(f) COL_S(tpcc_warehouse, f)
static const struct col warehouse_cols[] = {
	W(w_id),     WS(w_name), WS(w_street_1), WS(w_street_2), WS(w_city),
	WS(w_state), WS(w_zip),	 W(w_tax),	 W(w_ytd),
};

#define D(f)  COL_I(tpcc_district, f)
#define DS(f) COL_S(tpcc_district, f)
static const struct col district_cols[] = {
	D(d_w_id),	D(d_id),    DS(d_name),	    DS(d_street_1),
	DS(d_street_2), DS(d_city), DS(d_state),    DS(d_zip),
	D(d_tax),	D(d_ytd),   D(d_next_o_id),
};

#define C(f)  COL_I(tpcc_customer, f)
#define CS(f) COL_S(tpcc_customer, f)
static const struct col customer_cols[] = {
	C(c_w_id),    C(c_d_id),	C(c_id),	  CS(c_first),
	CS(c_middle), CS(c_last),	CS(c_street_1),	  CS(c_street_2),
	CS(c_city),   CS(c_state),	CS(c_zip),	  CS(c_phone),
	C(c_since),   CS(c_credit),	C(c_credit_lim),  C(c_discount),
	C(c_balance), C(c_ytd_payment), C(c_payment_cnt), C(c_delivery_cnt),
	CS(c_data),
};

#define H(f) COL_I(tpcc_history, f)
static const struct col history_cols[] = {
	H(h_c_id), H(h_c_d_id), H(h_c_w_id), H(h_d_id),
	H(h_w_id), H(h_date),	H(h_amount), COL_S(tpcc_history, h_data),
};

static const struct col new_order_cols[] = {
	COL_I(tpcc_new_order, no_w_id),
	COL_I(tpcc_new_order, no_d_id),
	COL_I(tpcc_new_order, no_o_id),
};

#define O(f) COL_I(tpcc_order, f)
static const struct col order_cols[] = {
	O(o_w_id),   O(o_d_id),	     O(o_id),
	O(o_c_id),   O(o_entry_d),   COL_IN(tpcc_order, o_carrier_id),
	O(o_ol_cnt), O(o_all_local),
};

#define OL(f) COL_I(tpcc_order_line, f)
static const struct col order_line_cols[] = {
	OL(ol_w_id),
	OL(ol_d_id),
	OL(ol_o_id),
	OL(ol_number),
	OL(ol_i_id),
	OL(ol_supply_w_id),
	COL_IN(tpcc_order_line, ol_delivery_d),
	OL(ol_quantity),
	OL(ol_amount),
	COL_S(tpcc_order_line, ol_dist_info),
};

static const struct col item_cols[] = {
	COL_I(tpcc_item, i_id),	  COL_I(tpcc_item, i_im_id),
	COL_S(tpcc_item, i_name), COL_I(tpcc_item, i_price),
	COL_S(tpcc_item, i_data),
};

#define S(f)  COL_I(tpcc_stock, f)
#define SS(f) COL_S(tpcc_stock, f)
static const struct col stock_cols[] = {
	S(s_w_id),     S(s_i_id),     S(s_quantity),  SS(s_dist_01),
	SS(s_dist_02), SS(s_dist_03), SS(s_dist_04),  SS(s_dist_05),
	SS(s_dist_06), SS(s_dist_07), SS(s_dist_08),  SS(s_dist_09),
	SS(s_dist_10), S(s_ytd),      S(s_order_cnt), S(s_remote_cnt),
	SS(s_data),
};

#define DEF(name, cols, nkey, type, index)                                     \
	{                                                                      \
		name, cols, NCOLS(cols), nkey, sizeof(struct type), index      \
	}

const struct table_def tpcc_defs[T_NROWS] = {
	DEF("warehouse", warehouse_cols, 1, tpcc_warehouse, NULL),
	DEF("district", district_cols, 2, tpcc_district, NULL),
	DEF("customer", customer_cols, 3, tpcc_customer,
	    "CREATE INDEX customer_name ON customer "
	    "(c_w_id, c_d_id, c_last, c_first)"),
	DEF("history", history_cols, 0, tpcc_history, NULL),
	DEF("new_order", new_order_cols, 3, tpcc_new_order, NULL),
	DEF("orders", order_cols, 3, tpcc_order,
	    "CREATE INDEX orders_cust ON orders (o_w_id, o_d_id, o_c_id, "
	    "o_id)"),
	DEF("order_line", order_line_cols, 4, tpcc_order_line, NULL),
	DEF("item", item_cols, 1, tpcc_item, NULL),
	DEF("stock", stock_cols, 2, tpcc_stock, NULL),
};

const char *const tpcc_tables[T_NTABLES] = {
	"warehouse", "district",      "customer",   "history",
	"new_order", "orders",	      "order_line", "item",
	"stock",     "customer_name", "order_cust",
};

const int tpcc_sql_clustered[T_NROWS] = {
	[T_DISTRICT] = 1,
	[T_NEW_ORDER] = 1,
	[T_ORDER] = 1,
	[T_ORDER_LINE] = 1,
};

char *tpcc_s_dist(struct tpcc_stock *s, int64_t d)
{
	char *dist[TPCC_DISTRICTS] = {
		s->s_dist_01, s->s_dist_02, s->s_dist_03, s->s_dist_04,
		s->s_dist_05, s->s_dist_06, s->s_dist_07, s->s_dist_08,
		s->s_dist_09, s->s_dist_10,
	};

	return dist[(d - 1) % TPCC_DISTRICTS];
}

/* ---- scaling and random values (clauses 2.1.6, 4.3.2) ---- */

void tpcc_scale(const struct wl_config *c, struct tpcc_scale *s)
{
	int64_t div = c->tiny ? 100 : 1, delta;
	uint64_t rng = c->seed * 0x9e3779b97f4a7c15ull + 0x7c;

	s->w = c->scale;
	s->items = 100000 / div;
	s->cust = 3000 / div;
	s->orders = 3000 / div;
	s->new_orders = 900 / div;
	s->nlast = s->cust < 1000 ? s->cust : 1000;
	s->c_last_load = wl_urand(&rng, 0, 255);
	do {
		s->c_last_run = wl_urand(&rng, 0, 255);
		delta = llabs(s->c_last_run - s->c_last_load);
	} while (delta < 65 || delta > 119 || delta == 96 || delta == 112);
	s->c_id = wl_urand(&rng, 0, 1023);
	s->ol_i_id = wl_urand(&rng, 0, 8191);
}

int64_t tpcc_nurand(uint64_t *rng, int64_t a, int64_t c, int64_t x, int64_t y)
{
	return (((wl_urand(rng, 0, a) | wl_urand(rng, x, y)) + c) %
		(y - x + 1)) +
	       x;
}

void tpcc_last_name(int64_t n, char out[17])
{
	static const char *const syl[] = {"BAR",   "OUGHT", "ABLE", "PRI",
					  "PRES",  "ESE",   "ANTI", "CALLY",
					  "ATION", "EING"};

	snprintf(out, 17, "%s%s%s", syl[n / 100 % 10], syl[n / 10 % 10],
		 syl[n % 10]);
}

/* A random alphanumeric string of lo..hi characters (an a-string). */
static void astring(uint64_t *rng, char *out, int lo, int hi)
{
	static const char chars[] = "abcdefghijklmnopqrstuvwxyz"
				    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	int n = (int)wl_urand(rng, lo, hi);
	uint64_t r = 0;

	for (int i = 0; i < n; i++) {
		if (i % 8 == 0)
			r = wl_rand(rng);
		out[i] = chars[(r >> (i % 8 * 8)) % (sizeof(chars) - 1)];
	}
	out[n] = '\0';
}

/* A random numeric string of n digits (an n-string). */
static void nstring(uint64_t *rng, char *out, int n)
{
	for (int i = 0; i < n; i++)
		out[i] = (char)('0' + wl_urand(rng, 0, 9));
	out[n] = '\0';
}

static void address(uint64_t *rng, char *street_1, char *street_2, char *city,
		    char *state, char *zip)
{
	astring(rng, street_1, 10, 20);
	astring(rng, street_2, 10, 20);
	astring(rng, city, 10, 20);
	astring(rng, state, 2, 2);
	nstring(rng, zip, 4);
	strcpy(zip + 4, "11111");
}

/* I_DATA and S_DATA: 26..50 characters, 10% with "ORIGINAL" inside. */
static void data_original(uint64_t *rng, char *out)
{
	int n, at;

	astring(rng, out, 26, 50);
	if (wl_urand(rng, 1, 10) > 1)
		return;
	n = (int)strlen(out);
	at = (int)wl_urand(rng, 0, n - 8);
	memcpy(out + at, "ORIGINAL", 8);
}

/* ---- loading (clause 4.3.3.1) ---- */

struct tpcc_loader {
	struct loader l;
	struct wl_term *t;
	struct tpcc_scale s;
	uint64_t rng, done, total;
	int64_t now;
	int kv;
};

static int put(struct tpcc_loader *ld, int table, const void *row)
{
	if (++ld->done % 4096 == 0)
		wl_progress(ld->t, ld->done, ld->total);
	return load_row(&ld->l, table, &tpcc_defs[table], row);
}

static int load_items(struct tpcc_loader *ld)
{
	struct tpcc_item it;
	int err = 0;

	for (int64_t i = 1; !err && i <= ld->s.items; i++) {
		it.i_id = i;
		it.i_im_id = wl_urand(&ld->rng, 1, 10000);
		astring(&ld->rng, it.i_name, 14, 24);
		it.i_price = wl_urand(&ld->rng, 100, 10000);
		data_original(&ld->rng, it.i_data);
		err = put(ld, T_ITEM, &it);
	}
	return err;
}

static int load_warehouse(struct tpcc_loader *ld, int64_t w)
{
	struct tpcc_warehouse wh = {.w_id = w};
	struct tpcc_stock st = {.s_w_id = w};
	int err;

	astring(&ld->rng, wh.w_name, 6, 10);
	address(&ld->rng, wh.w_street_1, wh.w_street_2, wh.w_city, wh.w_state,
		wh.w_zip);
	wh.w_tax = wl_urand(&ld->rng, 0, 2000);
	wh.w_ytd = TPCC_DISTRICTS * ld->s.cust * 1000;
	err = put(ld, T_WAREHOUSE, &wh);
	for (int64_t i = 1; !err && i <= ld->s.items; i++) {
		st.s_i_id = i;
		st.s_quantity = wl_urand(&ld->rng, 10, 100);
		for (int d = 1; d <= TPCC_DISTRICTS; d++)
			astring(&ld->rng, tpcc_s_dist(&st, d), 24, 24);
		data_original(&ld->rng, st.s_data);
		err = put(ld, T_STOCK, &st);
	}
	return err;
}

static int load_district(struct tpcc_loader *ld, int64_t w, int64_t d)
{
	struct tpcc_district di = {.d_w_id = w, .d_id = d};

	astring(&ld->rng, di.d_name, 6, 10);
	address(&ld->rng, di.d_street_1, di.d_street_2, di.d_city, di.d_state,
		di.d_zip);
	di.d_tax = wl_urand(&ld->rng, 0, 2000);
	di.d_ytd = ld->s.cust * 1000;
	di.d_next_o_id = ld->s.orders + 1;
	return put(ld, T_DISTRICT, &di);
}

/* A customer-name index entry, kept to be sorted per district. */
struct name_ent {
	uint8_t key[ROW_MAX_KEY];
	size_t len;
};

static int cmp_name(const void *a, const void *b)
{
	return memcmp(((const struct name_ent *)a)->key,
		      ((const struct name_ent *)b)->key, ROW_MAX_KEY);
}

static int put_index(struct tpcc_loader *ld, int table, struct name_ent *ents,
		     int64_t n)
{
	int err = 0;

	qsort(ents, (size_t)n, sizeof(*ents), cmp_name);
	for (int64_t i = 0; !err && i < n; i++)
		err = load_kv(&ld->l, table, ents[i].key, ents[i].len, "", 0);
	return err;
}

static void gen_customer(struct tpcc_loader *ld, struct tpcc_customer *c)
{
	int64_t n = c->c_id <= ld->s.nlast
			    ? c->c_id - 1
			    : tpcc_nurand(&ld->rng, 255, ld->s.c_last_load, 0,
					  ld->s.nlast - 1);

	tpcc_last_name(n, c->c_last);
	strcpy(c->c_middle, "OE");
	astring(&ld->rng, c->c_first, 8, 16);
	address(&ld->rng, c->c_street_1, c->c_street_2, c->c_city, c->c_state,
		c->c_zip);
	nstring(&ld->rng, c->c_phone, 16);
	c->c_since = ld->now;
	strcpy(c->c_credit, wl_urand(&ld->rng, 1, 10) == 1 ? "BC" : "GC");
	c->c_credit_lim = 5000000;
	c->c_discount = wl_urand(&ld->rng, 0, 5000);
	c->c_balance = -1000;
	c->c_ytd_payment = 1000;
	c->c_payment_cnt = 1;
	c->c_delivery_cnt = 0;
	astring(&ld->rng, c->c_data, 300, 500);
}

static int load_customers(struct tpcc_loader *ld, int64_t w, int64_t d,
			  struct name_ent *ents)
{
	struct tpcc_customer c = {.c_w_id = w, .c_d_id = d};
	struct tpcc_history h = {.h_c_d_id = d,
				 .h_c_w_id = w,
				 .h_d_id = d,
				 .h_w_id = w,
				 .h_amount = 1000};
	int err = 0;

	h.h_date = ld->now;
	for (int64_t i = 1; !err && i <= ld->s.cust; i++) {
		c.c_id = h.h_c_id = i;
		gen_customer(ld, &c);
		astring(&ld->rng, h.h_data, 12, 24);
		ents[i - 1].len = tpcc_name_key(w, d, c.c_last, c.c_first, i,
						ents[i - 1].key);
		if (!(err = put(ld, T_CUSTOMER, &c)))
			err = put(ld, T_HISTORY, &h);
	}
	return err || !ld->kv
		       ? err
		       : put_index(ld, T_CUSTOMER_NAME, ents, ld->s.cust);
}

static int load_lines(struct tpcc_loader *ld, const struct tpcc_order *o,
		      int delivered)
{
	struct tpcc_order_line ol = {.ol_w_id = o->o_w_id,
				     .ol_d_id = o->o_d_id,
				     .ol_o_id = o->o_id,
				     .ol_supply_w_id = o->o_w_id,
				     .ol_quantity = 5};
	int err = 0;

	for (int64_t n = 1; !err && n <= o->o_ol_cnt; n++) {
		ol.ol_number = n;
		ol.ol_i_id = wl_urand(&ld->rng, 1, ld->s.items);
		ol.ol_delivery_d = delivered ? o->o_entry_d : 0;
		ol.ol_amount = delivered ? 0 : wl_urand(&ld->rng, 1, 999999);
		astring(&ld->rng, ol.ol_dist_info, 24, 24);
		err = put(ld, T_ORDER_LINE, &ol);
	}
	return err;
}

/* A random permutation of 1..n into perm. */
static void permute(uint64_t *rng, int64_t *perm, int64_t n)
{
	int64_t j, tmp;

	for (int64_t i = 0; i < n; i++)
		perm[i] = i + 1;
	for (int64_t i = n - 1; i > 0; i--) {
		j = wl_urand(rng, 0, i);
		tmp = perm[i];
		perm[i] = perm[j];
		perm[j] = tmp;
	}
}

static int load_orders(struct tpcc_loader *ld, int64_t w, int64_t d,
		       struct name_ent *ents, int64_t *perm)
{
	struct tpcc_order o = {.o_w_id = w, .o_d_id = d, .o_all_local = 1};
	struct tpcc_new_order no = {.no_w_id = w, .no_d_id = d};
	int64_t first_new = ld->s.orders - ld->s.new_orders + 1;
	int err = 0;

	permute(&ld->rng, perm, ld->s.orders);
	for (int64_t i = 1; !err && i <= ld->s.orders; i++) {
		o.o_id = no.no_o_id = i;
		o.o_c_id = perm[i - 1];
		o.o_entry_d = ld->now;
		o.o_carrier_id = i < first_new ? wl_urand(&ld->rng, 1, 10) : 0;
		o.o_ol_cnt = wl_urand(&ld->rng, 5, TPCC_MAX_OL);
		ents[i - 1].len =
			tpcc_order_cust_key(w, d, o.o_c_id, i, ents[i - 1].key);
		err = put(ld, T_ORDER, &o);
		if (!err && i >= first_new)
			err = put(ld, T_NEW_ORDER, &no);
		if (!err)
			err = load_lines(ld, &o, i < first_new);
	}
	return err || !ld->kv ? err
			      : put_index(ld, T_ORDER_CUST, ents, ld->s.orders);
}

static int load_all(struct tpcc_loader *ld)
{
	int64_t n = ld->s.cust > ld->s.orders ? ld->s.cust : ld->s.orders;
	struct name_ent *ents = calloc((size_t)n, sizeof(*ents));
	int64_t *perm = calloc((size_t)ld->s.orders, sizeof(*perm));
	int err = 0;

	if (!ents || !perm)
		err = wl_fail(ld->t, "load: out of memory");
	if (!err)
		err = load_items(ld);
	for (int64_t w = 1; !err && w <= ld->s.w; w++) {
		err = load_warehouse(ld, w);
		for (int64_t d = 1; !err && d <= TPCC_DISTRICTS; d++)
			if (!(err = load_district(ld, w, d)) &&
			    !(err = load_customers(ld, w, d, ents)))
				err = load_orders(ld, w, d, ents, perm);
	}
	free(ents);
	free(perm);
	return err;
}

static int create_sql(struct wl_term *t, int indexes)
{
	int err;

	for (int i = 0; i < T_NROWS; i++) {
		const struct table_def *def = &tpcc_defs[i];

		if (indexes && def->sql_index)
			err = sql_exec(t->conn, def->sql_index);
		else if (!indexes)
			err = sql_create_table(t->conn, def,
					       tpcc_sql_clustered[i]);
		else
			continue;
		if (err)
			return wl_sql_fail(t, def->name, err);
	}
	return 0;
}

int tpcc_load(struct wl_term *t)
{
	struct tpcc_loader ld = {.t = t, .kv = t->db->family == WL_KV};
	int err;

	tpcc_scale(t->cfg, &ld.s);
	ld.rng = t->cfg->seed * 0xd1342543de82ef95ull + 1;
	ld.now = wl_now();
	ld.total = (uint64_t)(ld.s.items +
			      ld.s.w * (ld.s.items +
					TPCC_DISTRICTS * (2 * ld.s.cust +
							  ld.s.orders * 11)));
	if (!ld.kv && (err = create_sql(t, 0)))
		return err;
	if ((err = load_begin(&ld.l, t)))
		return err;
	if ((err = load_all(&ld)) || (err = load_end(&ld.l)))
		return err;
	wl_progress(t, ld.total, ld.total);
	return ld.kv ? 0 : create_sql(t, 1);
}

/* ---- index keys ---- */

size_t tpcc_name_key(int64_t w, int64_t d, const char *last, const char *first,
		     int64_t c, uint8_t *key)
{
	uint8_t *p = key;

	kv_key32(&p, (uint32_t)w);
	kv_key32(&p, (uint32_t)d);
	memset(p, 0, 32);
	memcpy(p, last, strnlen(last, 16));
	memcpy(p + 16, first, strnlen(first, 16));
	p += 32;
	kv_key32(&p, (uint32_t)c);
	return (size_t)(p - key);
}

size_t tpcc_order_cust_key(int64_t w, int64_t d, int64_t c, int64_t o,
			   uint8_t *key)
{
	uint8_t *p = key;

	kv_key32(&p, (uint32_t)w);
	kv_key32(&p, (uint32_t)d);
	kv_key32(&p, (uint32_t)c);
	kv_key32(&p, UINT32_MAX - (uint32_t)o);
	return 16;
}

/* ---- inputs (clause 2) ---- */

int tpcc_pick(struct wl_term *t)
{
	int64_t r = wl_urand(&t->rng, 1, 100);

	if (r <= 45)
		return TX_NEW_ORDER;
	if (r <= 88)
		return TX_PAYMENT;
	if (r <= 92)
		return TX_ORDER_STATUS;
	return r <= 96 ? TX_DELIVERY : TX_STOCK_LEVEL;
}

static int64_t home(const struct wl_term *t, const struct tpcc_scale *s)
{
	return (int64_t)(t->id % (unsigned)s->w) + 1;
}

/* A warehouse other than w (there are two or more). */
static int64_t remote(struct wl_term *t, const struct tpcc_scale *s, int64_t w)
{
	int64_t r = wl_urand(&t->rng, 1, s->w - 1);

	return r >= w ? r + 1 : r;
}

void tpcc_gen_new_order(struct wl_term *t, const struct tpcc_scale *s,
			struct tpcc_no_in *in)
{
	int rbk;

	in->w = home(t, s);
	in->d = wl_urand(&t->rng, 1, TPCC_DISTRICTS);
	in->c = tpcc_nurand(&t->rng, 1023, s->c_id, 1, s->cust);
	in->ol_cnt = wl_urand(&t->rng, 5, TPCC_MAX_OL);
	rbk = wl_urand(&t->rng, 1, 100) == 1;
	in->all_local = 1;
	for (int64_t i = 0; i < in->ol_cnt; i++) {
		struct tpcc_no_line *l = &in->line[i];

		l->i_id = tpcc_nurand(&t->rng, 8191, s->ol_i_id, 1, s->items);
		if (rbk && i == in->ol_cnt - 1)
			l->i_id = s->items + 1; /* unused: rolls back */
		l->supply_w = in->w;
		if (s->w > 1 && wl_urand(&t->rng, 1, 100) == 1) {
			l->supply_w = remote(t, s, in->w);
			in->all_local = 0;
		}
		l->qty = wl_urand(&t->rng, 1, 10);
	}
	in->entry_d = wl_now();
}

static void customer_choice(struct wl_term *t, const struct tpcc_scale *s,
			    int *by_name, int64_t *c_id, char *c_last)
{
	*by_name = wl_urand(&t->rng, 1, 100) <= 60;
	*c_id = 0;
	c_last[0] = '\0';
	if (*by_name)
		tpcc_last_name(tpcc_nurand(&t->rng, 255, s->c_last_run, 0,
					   s->nlast - 1),
			       c_last);
	else
		*c_id = tpcc_nurand(&t->rng, 1023, s->c_id, 1, s->cust);
}

void tpcc_gen_payment(struct wl_term *t, const struct tpcc_scale *s,
		      struct tpcc_pay_in *in)
{
	in->w = home(t, s);
	in->d = wl_urand(&t->rng, 1, TPCC_DISTRICTS);
	in->c_w = in->w;
	in->c_d = in->d;
	if (wl_urand(&t->rng, 1, 100) > 85 && s->w > 1) {
		in->c_d = wl_urand(&t->rng, 1, TPCC_DISTRICTS);
		in->c_w = remote(t, s, in->w);
	}
	customer_choice(t, s, &in->by_name, &in->c_id, in->c_last);
	in->amount = wl_urand(&t->rng, 100, 500000);
	in->date = wl_now();
}

void tpcc_gen_order_status(struct wl_term *t, const struct tpcc_scale *s,
			   struct tpcc_os_in *in)
{
	in->w = home(t, s);
	in->d = wl_urand(&t->rng, 1, TPCC_DISTRICTS);
	customer_choice(t, s, &in->by_name, &in->c_id, in->c_last);
}

void tpcc_gen_delivery(struct wl_term *t, const struct tpcc_scale *s,
		       struct tpcc_del_in *in)
{
	in->w = home(t, s);
	in->carrier = wl_urand(&t->rng, 1, 10);
	in->date = wl_now();
}

void tpcc_gen_stock_level(struct wl_term *t, const struct tpcc_scale *s,
			  struct tpcc_sl_in *in)
{
	in->w = home(t, s);
	in->d = (int64_t)(t->id / (unsigned)s->w % TPCC_DISTRICTS) + 1;
	in->threshold = wl_urand(&t->rng, 10, 20);
}

void tpcc_bc_data(char data[501], const struct tpcc_pay_in *in, int64_t c_id)
{
	char buf[501];

	snprintf(buf, sizeof(buf), "%lld %lld %lld %lld %lld %lld.%02lld %s",
		 (long long)c_id, (long long)in->c_d, (long long)in->c_w,
		 (long long)in->d, (long long)in->w,
		 (long long)(in->amount / 100), (long long)(in->amount % 100),
		 data);
	memcpy(data, buf, sizeof(buf));
}

int64_t tpcc_stock_quantity(int64_t s_quantity, int64_t ol_quantity)
{
	return s_quantity >= ol_quantity + 10 ? s_quantity - ol_quantity
					      : s_quantity - ol_quantity + 91;
}

/* ---- the workload ---- */

static uint64_t tpcc_disk_bytes(const struct wl_config *c)
{
	return (1ull << 30) + (uint64_t)c->scale * (512ull << 20);
}

static void tpcc_describe(const struct wl_config *c, char *buf, size_t n)
{
	struct tpcc_scale s;

	tpcc_scale(c, &s);
	snprintf(buf, n,
		 "%lld warehouse%s: %lld items, %lld customers, %lld orders%s",
		 (long long)s.w, s.w > 1 ? "s" : "", (long long)s.items,
		 (long long)(s.w * TPCC_DISTRICTS * s.cust),
		 (long long)(s.w * TPCC_DISTRICTS * s.orders),
		 c->tiny ? " (--tiny: not a valid TPC-C scale)" : "");
}

static const char *const tpcc_types[TX_N] = {
	"new_order", "payment", "order_status", "delivery", "stock_level",
};

const struct workload wl_tpcc = {
	.name = "tpcc",
	.title = "TPC-C",
	.ntypes = TX_N,
	.types = tpcc_types,
	.rate_type = TX_NEW_ORDER,
	.tables = tpcc_tables,
	.ntables = T_NTABLES,
	.kv = &tpcc_kv,
	.sql = &tpcc_sql,
	.disk_bytes = tpcc_disk_bytes,
	.describe = tpcc_describe,
};
