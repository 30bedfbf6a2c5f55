/*
 * tpcc.h: TPC-C (5.11), shared by its key-value and SQL implementations.
 *
 * tpcc.c has the nine tables (row structs and table_defs with every
 * column of clause 1.3), the scaling, the initial data (clause 4.3) and
 * the terminals' inputs (clause 2: NURand with valid C constants, 1%
 * remote order lines, 15% remote payments, 60% lookups by last name, the
 * 1% New-Order rollback), so both implementations load the same rows and
 * run the same transactions for a given seed.  tpcc_kv.c and tpcc_sql.c
 * execute them; tpcc_check.c checks consistency conditions 1 to 9
 * (clause 3.3.2) through generic table scans, the same code for both.
 *
 * Money is integer cents, rates (tax, discount) integer 1/10000, dates
 * integer seconds; a NULL O_CARRIER_ID or OL_DELIVERY_D is 0.
 */
#ifndef EXODB_BENCH_TPCC_H
#define EXODB_BENCH_TPCC_H

#include "row.h"
#include "workload.h"

/* ---- tables ---- */

struct tpcc_warehouse {
	int64_t w_id;
	char w_name[11], w_street_1[21], w_street_2[21], w_city[21];
	char w_state[3], w_zip[10];
	int64_t w_tax, w_ytd;
};

struct tpcc_district {
	int64_t d_w_id, d_id;
	char d_name[11], d_street_1[21], d_street_2[21], d_city[21];
	char d_state[3], d_zip[10];
	int64_t d_tax, d_ytd, d_next_o_id;
};

struct tpcc_customer {
	int64_t c_w_id, c_d_id, c_id;
	char c_first[17], c_middle[3], c_last[17];
	char c_street_1[21], c_street_2[21], c_city[21], c_state[3];
	char c_zip[10], c_phone[17];
	int64_t c_since;
	char c_credit[3];
	int64_t c_credit_lim, c_discount, c_balance, c_ytd_payment;
	int64_t c_payment_cnt, c_delivery_cnt;
	char c_data[501];
};

struct tpcc_history {
	int64_t h_c_id, h_c_d_id, h_c_w_id, h_d_id, h_w_id, h_date, h_amount;
	char h_data[25];
};

struct tpcc_new_order {
	int64_t no_w_id, no_d_id, no_o_id;
};

struct tpcc_order {
	int64_t o_w_id, o_d_id, o_id, o_c_id, o_entry_d, o_carrier_id;
	int64_t o_ol_cnt, o_all_local;
};

struct tpcc_order_line {
	int64_t ol_w_id, ol_d_id, ol_o_id, ol_number, ol_i_id;
	int64_t ol_supply_w_id, ol_delivery_d, ol_quantity, ol_amount;
	char ol_dist_info[25];
};

struct tpcc_item {
	int64_t i_id, i_im_id;
	char i_name[25];
	int64_t i_price;
	char i_data[51];
};

struct tpcc_stock {
	int64_t s_w_id, s_i_id, s_quantity;
	char s_dist_01[25], s_dist_02[25], s_dist_03[25], s_dist_04[25];
	char s_dist_05[25], s_dist_06[25], s_dist_07[25], s_dist_08[25];
	char s_dist_09[25], s_dist_10[25];
	int64_t s_ytd, s_order_cnt, s_remote_cnt;
	char s_data[51];
};

/* Table numbers: the nine tables, then the key-value engines' two
 * secondary indexes (SQL has them as CREATE INDEX). */
enum {
	T_WAREHOUSE,
	T_DISTRICT,
	T_CUSTOMER,
	T_HISTORY,
	T_NEW_ORDER,
	T_ORDER,
	T_ORDER_LINE,
	T_ITEM,
	T_STOCK,
	T_CUSTOMER_NAME, /* (w, d, c_last, c_first, c_id) -> "" */
	T_ORDER_CUST,	 /* (w, d, c_id, ~o_id) -> "": newest first */
	T_NTABLES
};
#define T_NROWS 9 /* tables with rows (and a table_def) */

extern const struct table_def tpcc_defs[T_NROWS];
extern const char *const tpcc_tables[T_NTABLES];
/* SQL: the tables stored WITHOUT ROWID (rows well under 200 bytes,
 * SQLite's own guidance), by table number. */
extern const int tpcc_sql_clustered[T_NROWS];

/* S_DIST_xx of district d (1..10). */
char *tpcc_s_dist(struct tpcc_stock *s, int64_t d);

/* ---- scaling ---- */

#define TPCC_DISTRICTS 10
#define TPCC_MAX_OL    15

struct tpcc_scale {
	int64_t w;	    /* warehouses */
	int64_t items;	    /* 100000 (tiny: 1000) */
	int64_t cust;	    /* per district: 3000 (tiny: 30) */
	int64_t orders;	    /* per district at load: 3000 (tiny: 30) */
	int64_t new_orders; /* the last of them undelivered: 900 (tiny: 9) */
	int64_t nlast;	    /* last names in use: 1000 (tiny: 30) */
	/* NURand's C constants (clause 2.1.6) */
	int64_t c_last_load, c_last_run, c_id, ol_i_id;
};

void tpcc_scale(const struct wl_config *c, struct tpcc_scale *s);

/* The last name of number n (0..999): three syllables. */
void tpcc_last_name(int64_t n, char out[17]);
/* NURand(A, x, y) with constant C. */
int64_t tpcc_nurand(uint64_t *rng, int64_t a, int64_t c, int64_t x, int64_t y);

/* ---- the transactions ---- */

enum {
	TX_NEW_ORDER,
	TX_PAYMENT,
	TX_ORDER_STATUS,
	TX_DELIVERY,
	TX_STOCK_LEVEL,
	TX_N
};

struct tpcc_no_line {
	int64_t i_id, supply_w, qty;
};

struct tpcc_no_in {
	int64_t w, d, c, ol_cnt, all_local, entry_d;
	struct tpcc_no_line line[TPCC_MAX_OL];
};

struct tpcc_pay_in {
	int64_t w, d, c_w, c_d, c_id, amount, date;
	int by_name;
	char c_last[17];
};

struct tpcc_os_in {
	int64_t w, d, c_id;
	int by_name;
	char c_last[17];
};

struct tpcc_del_in {
	int64_t w, carrier, date;
};

struct tpcc_sl_in {
	int64_t w, d, threshold;
};

/* The next transaction type of the 45/43/4/4/4 mix. */
int tpcc_pick(struct wl_term *t);
void tpcc_gen_new_order(struct wl_term *t, const struct tpcc_scale *s,
			struct tpcc_no_in *in);
void tpcc_gen_payment(struct wl_term *t, const struct tpcc_scale *s,
		      struct tpcc_pay_in *in);
void tpcc_gen_order_status(struct wl_term *t, const struct tpcc_scale *s,
			   struct tpcc_os_in *in);
void tpcc_gen_delivery(struct wl_term *t, const struct tpcc_scale *s,
		       struct tpcc_del_in *in);
void tpcc_gen_stock_level(struct wl_term *t, const struct tpcc_scale *s,
			  struct tpcc_sl_in *in);

/* The Payment's new C_DATA of a bad-credit customer (clause 2.5.2.2). */
void tpcc_bc_data(char data[501], const struct tpcc_pay_in *in, int64_t c_id);
/* New-Order's stock update (clause 2.4.2.2): the new S_QUANTITY. */
int64_t tpcc_stock_quantity(int64_t s_quantity, int64_t ol_quantity);

/* ---- loading and checking (both families) ---- */

/* Load the initial database: the rows through table.h's loader; the
 * key-value secondary indexes too when t->db->family is WL_KV. */
int tpcc_load(struct wl_term *t);

/* Conditions 1-9 of clause 3.3.2, and WL_COND_COUNTS (the ORDER and
 * HISTORY rows are the initial ones plus one per committed New-Order
 * and Payment). */
int64_t tpcc_check(struct wl_term *t, const uint64_t *done);

/* The key-value index keys. */
size_t tpcc_name_key(int64_t w, int64_t d, const char *last, const char *first,
		     int64_t c, uint8_t *key);
size_t tpcc_order_cust_key(int64_t w, int64_t d, int64_t c, int64_t o,
			   uint8_t *key);

extern const struct wl_impl tpcc_kv;
extern const struct wl_impl tpcc_sql;

#endif
