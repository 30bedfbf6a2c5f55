/*
 * test_bench_check.c: the benchmarks' consistency checks catch broken
 * data, on every engine family.
 *
 * For each engine (exodb on an in-memory fault disk, LMDB and SQLite in a
 * temporary directory) and each benchmark, a tiny database (--tiny, two
 * warehouses or branches) is loaded and checked clean; a few dozen
 * transactions run and the check, given the committed counts, is clean
 * again.  Then the data are broken one way at a time (an integer column
 * changed, a row deleted), each aimed at one condition, and the check
 * must report that condition; the row is then restored (SQL: the
 * breaking transaction is rolled back) and the check is clean once more.
 * Finally the check is told of one more committed transaction than there
 * was and must report the row counts (WL_COND_COUNTS).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "table.h"
#include "tpcb.h"
#include "tpcc.h"

enum { B_ADD, B_SET, B_DEL };

/* One way to break the data: in row key[] of table, add v to column col
 * (B_ADD), set it to v (B_SET), or delete the row (B_DEL).  A table
 * without key columns (HISTORY) is broken in its first row. */
struct brk {
	int cond;
	int table;
	int64_t key[4];
	int op;
	const char *col;
	int64_t v;
};

static const struct brk tpcc_breaks[] = {
	{1, T_WAREHOUSE, {1}, B_ADD, "w_ytd", 100},
	{2, T_DISTRICT, {1, 1}, B_ADD, "d_next_o_id", 1},
	{3, T_NEW_ORDER, {1, 1, 25}, B_DEL, NULL, 0},
	{4, T_ORDER_LINE, {1, 1, 5, 1}, B_DEL, NULL, 0},
	{5, T_ORDER, {1, 1, 25}, B_SET, "o_carrier_id", 3},
	{6, T_ORDER, {2, 3, 5}, B_ADD, "o_ol_cnt", 1},
	{7, T_ORDER_LINE, {1, 1, 5, 1}, B_SET, "ol_delivery_d", 0},
	{8, T_HISTORY, {0}, B_ADD, "h_amount", 100},
	{9, T_DISTRICT, {2, 7}, B_ADD, "d_ytd", 100},
};

static const struct brk tpcb_breaks[] = {
	{1, TB_TELLER, {3}, B_ADD, "t_balance", 5},
	{2, TB_ACCOUNT, {1500}, B_ADD, "a_balance", 5},
	{3, TB_HISTORY, {0}, B_ADD, "h_delta", 5},
	{1, TB_BRANCH, {2}, B_ADD, "b_balance", 5},
};

struct engine {
	const char *name;
	enum wl_family family;
	const struct kv_ops *kv;
};

static const struct engine engines[] = {
	{"exodb", WL_KV, &kv_exodb},
	{"lmdb", WL_KV, &kv_lmdb},
	{"sqlite", WL_SQL, NULL},
};

struct fix {
	const struct workload *wl;
	const struct table_def *defs;
	const struct wl_impl *impl;
	struct wl_config cfg;
	struct wl_db db;
	struct wl_term t;
	char dir[64], path[128];
	uint64_t done[WL_MAX_TYPES];
};

#define OK(f, expr)                                                            \
	do {                                                                   \
		int64_t rc_ = (expr);                                          \
		if (rc_ != 0)                                                  \
			fail_msg("%s: %lld (%s)", #expr, (long long)rc_,       \
				 (f)->t.err);                                  \
	} while (0)

/* ---- opening, loading, closing ---- */

static void open_db(struct fix *f, const struct engine *e)
{
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_bench_check.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	f->db = (struct wl_db){.family = e->family};
	if (e->family == WL_SQL) {
		struct sql_opts so = {.cache_bytes = 8 << 20, .create = 1};

		snprintf(f->path, sizeof(f->path), "%s/sqlite.db", f->dir);
		so.path = f->path;
		assert_int_equal(sqldb_open(&so, &f->db.sql), 0);
	} else {
		struct kv_opts ko = {.cache_bytes = 32 << 20,
				     .create = 1,
				     .tables = f->wl->tables,
				     .ntables = f->wl->ntables};

		if (e->kv == &kv_exodb) {
			snprintf(f->path, sizeof(f->path), "fault:bench-check");
			ko.size = 128 << 20;
		} else {
			snprintf(f->path, sizeof(f->path), "%s/lmdb", f->dir);
			ko.size = 1ull << 30;
		}
		ko.path = f->path;
		assert_int_equal(kv_open(e->kv, &ko, &f->db.kv), 0);
	}
	f->t = (struct wl_term){
		.id = 0, .nterms = 1, .cfg = &f->cfg, .db = &f->db, .rng = 42};
	if (e->family == WL_SQL)
		assert_int_equal(sql_connect(f->db.sql, &f->t.conn), 0);
	f->impl = e->family == WL_KV ? f->wl->kv : f->wl->sql;
	memset(f->done, 0, sizeof(f->done));
	f->t.id = WL_LOADER;
	OK(f, f->impl->load(&f->t));
	f->t.id = 0;
	OK(f, f->impl->check(&f->t, NULL));
}

static void close_db(struct fix *f)
{
	char cmd[128];

	sql_disconnect(f->t.conn);
	sqldb_close(f->db.sql);
	if (f->db.kv)
		assert_int_equal(kv_close(f->db.kv), 0);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
}

/* Run n transactions, counting the committed ones by type. */
static void run_txns(struct fix *f, int n)
{
	int rc, type;

	for (int i = 0; i < n; i++) {
		rc = f->impl->txn(&f->t, &type);
		if (rc < 0)
			fail_msg("transaction: %s", f->t.err);
		assert_true(type >= 0 && type < f->wl->ntypes);
		if (rc == WL_OK)
			f->done[type]++;
	}
}

/* ---- breaking rows ---- */

static int col_index(const struct table_def *def, const char *name)
{
	for (int i = 0; i < def->ncols; i++)
		if (!strcmp(def->cols[i].name, name))
			return i;
	fail_msg("%s has no column %s", def->name, name);
	return -1;
}

/* The key of b's row: its key columns, or the table's first key. */
static size_t kv_target(struct fix *f, struct kv_txn *x, const struct brk *b,
			uint8_t *key)
{
	const struct table_def *def = &f->defs[b->table];
	_Alignas(8) char row[ROW_MAX_VAL * 2] = {0};
	struct kv_cursor *c;
	struct kv_val k;

	if (def->nkey) {
		for (int i = 0; i < def->nkey; i++)
			*row_int(def, row, i) = b->key[i];
		return row_key(def, row, key);
	}
	assert_int_equal(kv_cursor_open(x, b->table, &c), 0);
	assert_int_equal(kv_first(c, &k, NULL), 0);
	memcpy(key, k.data, k.size);
	kv_cursor_close(c);
	return k.size;
}

/* Break b, keeping what is needed to restore it in saved. */
static void kv_break(struct fix *f, const struct brk *b, uint8_t *key,
		     size_t *klen, uint8_t *saved, size_t *slen)
{
	const struct table_def *def = &f->defs[b->table];
	_Alignas(8) char row[ROW_MAX_VAL * 2] = {0};
	uint8_t val[ROW_MAX_VAL];
	struct kv_txn *x;
	struct kv_val v;
	int64_t *p;

	assert_int_equal(kv_begin(f->db.kv, KV_WRITE, &x), 0);
	*klen = kv_target(f, x, b, key);
	assert_int_equal(kv_get(x, b->table, key, *klen, &v), 0);
	memcpy(saved, v.data, v.size);
	*slen = v.size;
	if (b->op == B_DEL) {
		assert_int_equal(kv_del(x, b->table, key, *klen), 0);
	} else {
		assert_int_equal(row_decode(def, saved, *slen, row), 0);
		p = row_int(def, row, col_index(def, b->col));
		*p = b->op == B_ADD ? *p + b->v : b->v;
		assert_int_equal(kv_put(x, b->table, key, *klen, val,
					row_encode(def, row, val), 0),
				 0);
	}
	assert_int_equal(kv_commit(x), 0);
}

static void kv_restore(struct fix *f, const struct brk *b, const uint8_t *key,
		       size_t klen, const uint8_t *saved, size_t slen)
{
	struct kv_txn *x;

	assert_int_equal(kv_begin(f->db.kv, KV_WRITE, &x), 0);
	assert_int_equal(kv_put(x, b->table, key, klen, saved, slen, 0), 0);
	assert_int_equal(kv_commit(x), 0);
}

/* The SQL that breaks b, in q. */
static void sql_break_text(struct fix *f, const struct brk *b, char *q,
			   size_t n)
{
	const struct table_def *def = &f->defs[b->table];
	size_t len;

	if (b->op == B_DEL)
		len = (size_t)snprintf(q, n, "DELETE FROM %s", def->name);
	else if (b->op == B_ADD)
		len = (size_t)snprintf(q, n, "UPDATE %s SET %s = %s + %lld",
				       def->name, b->col, b->col,
				       (long long)b->v);
	else if (b->v == 0)
		len = (size_t)snprintf(q, n, "UPDATE %s SET %s = NULL",
				       def->name, b->col);
	else
		len = (size_t)snprintf(q, n, "UPDATE %s SET %s = %lld",
				       def->name, b->col, (long long)b->v);
	if (!def->nkey)
		len += (size_t)snprintf(q + len, n - len,
					" WHERE rowid = (SELECT min(rowid) "
					"FROM %s)",
					def->name);
	for (int i = 0; i < def->nkey; i++)
		len += (size_t)snprintf(q + len, n - len, " %s %s = %lld",
					i ? "AND" : "WHERE", def->cols[i].name,
					(long long)b->key[i]);
}

/* Break the data as b says, check, repair, check again. */
static void try_break(struct fix *f, const struct brk *b)
{
	uint8_t key[ROW_MAX_KEY], saved[ROW_MAX_VAL];
	size_t klen = 0, slen = 0;
	char q[512];
	int64_t found;

	if (f->db.family == WL_KV) {
		kv_break(f, b, key, &klen, saved, &slen);
	} else {
		sql_break_text(f, b, q, sizeof(q));
		assert_int_equal(sql_begin(f->t.conn, SQL_WRITE), 0);
		if (sql_exec(f->t.conn, q) != 0)
			fail_msg("%s: %s", q, sql_errmsg(f->t.conn));
		assert_int_equal(sqlite3_changes(sql_handle(f->t.conn)), 1);
	}
	found = f->impl->check(&f->t, f->done);
	if (found <= 0 || !(found & ((int64_t)1 << b->cond)))
		fail_msg("%s: breaking %s (%s) for condition %d: check gave "
			 "%#llx (%s)",
			 f->wl->name, f->defs[b->table].name,
			 b->col ? b->col : "deleted", b->cond, (long long)found,
			 f->t.err);
	if (f->db.family == WL_KV)
		kv_restore(f, b, key, klen, saved, slen);
	else
		sql_rollback(f->t.conn);
	OK(f, f->impl->check(&f->t, f->done));
}

/* One more committed transaction of type than really committed. */
static void try_counts(struct fix *f, int type)
{
	int64_t found;

	f->done[type]++;
	found = f->impl->check(&f->t, f->done);
	f->done[type]--;
	if (found <= 0 || !(found & 1))
		fail_msg("%s: row counts not checked: %#llx (%s)", f->wl->name,
			 (long long)found, f->t.err);
}

/* ---- the tests ---- */

static void check_workload(const struct workload *wl,
			   const struct table_def *defs,
			   const struct brk *breaks, size_t nbreaks,
			   int count_type)
{
	struct fix f = {.wl = wl,
			.defs = defs,
			.cfg = {.scale = 2, .tiny = 1, .seed = 7}};

	for (size_t e = 0; e < sizeof(engines) / sizeof(engines[0]); e++) {
		open_db(&f, &engines[e]);
		if (wl == &wl_tpcb)
			run_txns(&f, 50); /* HISTORY rows to break */
		for (size_t i = 0; i < nbreaks; i++)
			try_break(&f, &breaks[i]);
		run_txns(&f, 200);
		OK(&f, f.impl->check(&f.t, f.done));
		try_counts(&f, count_type);
		close_db(&f);
	}
}

static void test_tpcc_check(void **state)
{
	(void)state;
	check_workload(&wl_tpcc, tpcc_defs, tpcc_breaks,
		       sizeof(tpcc_breaks) / sizeof(tpcc_breaks[0]),
		       TX_NEW_ORDER);
}

static void test_tpcb_check(void **state)
{
	(void)state;
	check_workload(&wl_tpcb, tpcb_defs, tpcb_breaks,
		       sizeof(tpcb_breaks) / sizeof(tpcb_breaks[0]), 0);
}

/* Rows survive the trip through key-value keys and values; last names
 * are the syllables of clause 4.3.2.3. */
static void test_rows(void **state)
{
	struct tpcc_order o = {.o_w_id = 3,
			       .o_d_id = 9,
			       .o_id = 2999,
			       .o_c_id = 17,
			       .o_carrier_id = 0,
			       .o_ol_cnt = 12,
			       .o_all_local = 1};
	struct tpcc_customer c = {
		.c_w_id = 1, .c_d_id = 2, .c_id = 3, .c_balance = -1000};
	struct tpcc_customer cb;
	struct tpcc_order ob = {0};
	uint8_t key[ROW_MAX_KEY], val[ROW_MAX_VAL];
	size_t klen, vlen;
	char name[17];

	(void)state;
	klen = row_key(&tpcc_defs[T_ORDER], &o, key);
	assert_int_equal(klen, 12);
	vlen = row_encode(&tpcc_defs[T_ORDER], &o, val);
	assert_int_equal(vlen, 5 * 8);
	assert_int_equal(row_unkey(&tpcc_defs[T_ORDER], key, klen, &ob), 0);
	assert_int_equal(row_decode(&tpcc_defs[T_ORDER], val, vlen, &ob), 0);
	assert_memory_equal(&o, &ob, sizeof(o));
	assert_int_equal(row_decode(&tpcc_defs[T_ORDER], val, vlen - 1, &ob),
			 -1);
	assert_int_equal(row_unkey(&tpcc_defs[T_ORDER], key, 8, &ob), -1);

	memset(c.c_data, 'x', 500);
	strcpy(c.c_last, "BAROUGHTABLE");
	vlen = row_encode(&tpcc_defs[T_CUSTOMER], &c, val);
	memset(&cb, 0x55, sizeof(cb));
	row_unkey(&tpcc_defs[T_CUSTOMER], key,
		  row_key(&tpcc_defs[T_CUSTOMER], &c, key), &cb);
	assert_int_equal(row_decode(&tpcc_defs[T_CUSTOMER], val, vlen, &cb), 0);
	assert_int_equal(cb.c_balance, -1000);
	assert_int_equal(strlen(cb.c_data), 500);
	assert_string_equal(cb.c_last, "BAROUGHTABLE");
	assert_string_equal(cb.c_first, "");

	tpcc_last_name(371, name);
	assert_string_equal(name, "PRICALLYOUGHT");
	tpcc_last_name(0, name);
	assert_string_equal(name, "BARBARBAR");
	tpcc_last_name(999, name);
	assert_string_equal(name, "EINGEINGEING");
}

/* The inputs follow clause 2: the 45/43/4/4/4 mix, valid C constants,
 * NURand within its range, 1% remote order lines, 15% remote payments,
 * 60% by last name, 1% of New-Orders with an unused item. */
static void test_tpcc_inputs(void **state)
{
	struct wl_config cfg = {.scale = 4, .tiny = 0};
	struct wl_term t = {.id = 5, .cfg = &cfg, .rng = 99};
	int64_t mix[TX_N] = {0}, lines = 0, remote = 0, rbk = 0, delta;
	int64_t pays = 0, rpay = 0, byname = 0;
	struct tpcc_no_in no;
	struct tpcc_pay_in pay;
	struct tpcc_scale s;
	const int n = 200000;

	(void)state;
	for (cfg.seed = 1; cfg.seed < 200; cfg.seed++) {
		tpcc_scale(&cfg, &s);
		delta = llabs(s.c_last_run - s.c_last_load);
		assert_true(delta >= 65 && delta <= 119 && delta != 96 &&
			    delta != 112);
		assert_true(s.c_id >= 0 && s.c_id <= 1023);
		assert_true(s.ol_i_id >= 0 && s.ol_i_id <= 8191);
	}
	for (int i = 0; i < n; i++) {
		int type = tpcc_pick(&t);

		mix[type]++;
		if (type == TX_NEW_ORDER) {
			tpcc_gen_new_order(&t, &s, &no);
			assert_int_equal(no.w, 2); /* terminal 5 of 4 */
			assert_true(no.c >= 1 && no.c <= 3000);
			assert_true(no.ol_cnt >= 5 && no.ol_cnt <= 15);
			rbk += no.line[no.ol_cnt - 1].i_id == s.items + 1;
			for (int64_t k = 0; k < no.ol_cnt; k++) {
				lines++;
				remote += no.line[k].supply_w != no.w;
				assert_true(no.line[k].i_id >= 1 &&
					    no.line[k].i_id <= s.items + 1);
				assert_true(no.line[k].qty >= 1 &&
					    no.line[k].qty <= 10);
			}
		} else if (type == TX_PAYMENT) {
			tpcc_gen_payment(&t, &s, &pay);
			pays++;
			rpay += pay.c_w != pay.w;
			byname += pay.by_name;
			assert_true(pay.amount >= 100 && pay.amount <= 500000);
		}
	}
	assert_true(llabs(mix[TX_NEW_ORDER] - n * 45 / 100) < n / 100);
	assert_true(llabs(mix[TX_PAYMENT] - n * 43 / 100) < n / 100);
	for (int k = TX_ORDER_STATUS; k < TX_N; k++)
		assert_true(llabs(mix[k] - n * 4 / 100) < n / 200);
	assert_true(remote * 1000 > lines * 8 && remote * 1000 < lines * 12);
	assert_true(rbk * 1000 > mix[TX_NEW_ORDER] * 7 &&
		    rbk * 1000 < mix[TX_NEW_ORDER] * 13);
	assert_true(rpay * 100 > pays * 13 && rpay * 100 < pays * 17);
	assert_true(byname * 100 > pays * 57 && byname * 100 < pays * 63);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_tpcc_inputs),
		cmocka_unit_test(test_tpcb_check),
		cmocka_unit_test(test_tpcc_check),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
