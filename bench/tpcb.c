/*
 * tpcb.c: TPC-B, for key-value and SQL engines.
 *
 * Tables (scale = number of branches): BRANCHES (scale rows), TELLERS (10
 * per branch), ACCOUNTS (100,000 per branch; 1,000 with --tiny), HISTORY
 * (one row per transaction).  Rows are about 100 bytes (HISTORY about
 * 50), balances are integer cents starting at 0.
 *
 * The transaction (TPC-B 1.2): pick a teller at random; its branch; an
 * account of that branch (85%) or of another branch (15%, when there are
 * two or more); a delta in [-999999, 999999].  Then, in one transaction:
 * add delta to the account and read its balance back, add delta to the
 * teller and to the branch, insert a HISTORY row.
 *
 * The check after the run:
 *   1  each branch's balance = the sum of its tellers' balances
 *   2  the sum of the branches' balances = the sum of the accounts'
 *   3  the sum of the branches' balances = the sum of HISTORY's deltas
 *   0  HISTORY has one row per committed transaction
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "table.h"
#include "tpcb.h"

static const char *const tpcb_tables[TB_N] = {"branches", "tellers", "accounts",
					      "history"};

static const struct col branch_cols[] = {
	COL_I(tpcb_branch, b_id),
	COL_I(tpcb_branch, b_balance),
	COL_S(tpcb_branch, b_filler),
};

static const struct col teller_cols[] = {
	COL_I(tpcb_teller, t_id),
	COL_I(tpcb_teller, t_b_id),
	COL_I(tpcb_teller, t_balance),
	COL_S(tpcb_teller, t_filler),
};

static const struct col account_cols[] = {
	COL_I(tpcb_account, a_id),
	COL_I(tpcb_account, a_b_id),
	COL_I(tpcb_account, a_balance),
	COL_S(tpcb_account, a_filler),
};

static const struct col history_cols[] = {
	COL_I(tpcb_history, h_t_id), COL_I(tpcb_history, h_b_id),
	COL_I(tpcb_history, h_a_id), COL_I(tpcb_history, h_delta),
	COL_I(tpcb_history, h_time),
};

const struct table_def tpcb_defs[TB_N] = {
	{"branches", branch_cols, NCOLS(branch_cols), 1,
	 sizeof(struct tpcb_branch), NULL},
	{"tellers", teller_cols, NCOLS(teller_cols), 1,
	 sizeof(struct tpcb_teller), NULL},
	{"accounts", account_cols, NCOLS(account_cols), 1,
	 sizeof(struct tpcb_account), NULL},
	{"history", history_cols, NCOLS(history_cols), 0,
	 sizeof(struct tpcb_history), NULL},
};

#define TELLERS_PER_BRANCH 10

static int64_t accounts_per_branch(const struct wl_config *c)
{
	return c->tiny ? 1000 : 100000;
}

static void fill(char *s, size_t size)
{
	memset(s, 'x', size - 1);
	s[size - 1] = '\0';
}

/* ---- loading ---- */

static int create_tables(struct wl_term *t)
{
	int err;

	for (int i = 0; t->db->family == WL_SQL && i < TB_N; i++) {
		err = sql_create_table(t->conn, &tpcb_defs[i], 0);
		if (err)
			return wl_sql_fail(t, tpcb_defs[i].name, err);
	}
	return 0;
}

static int load_accounts(struct loader *l, struct wl_term *t)
{
	int64_t per = accounts_per_branch(t->cfg);
	int64_t n = per * t->cfg->scale;
	struct tpcb_account a = {0};
	int err = 0;

	fill(a.a_filler, sizeof(a.a_filler));
	for (int64_t i = 1; !err && i <= n; i++) {
		a.a_id = i;
		a.a_b_id = (i - 1) / per + 1;
		err = load_row(l, TB_ACCOUNT, &tpcb_defs[TB_ACCOUNT], &a);
		if (i % 10000 == 0)
			wl_progress(t, (uint64_t)i, (uint64_t)n);
	}
	return err;
}

static int tpcb_load(struct wl_term *t)
{
	struct tpcb_branch b = {0};
	struct tpcb_teller tl = {0};
	struct loader l;
	int err;

	if ((err = create_tables(t)) || (err = load_begin(&l, t)))
		return err;
	fill(b.b_filler, sizeof(b.b_filler));
	fill(tl.t_filler, sizeof(tl.t_filler));
	for (uint32_t i = 1; !err && i <= t->cfg->scale; i++) {
		b.b_id = i;
		err = load_row(&l, TB_BRANCH, &tpcb_defs[TB_BRANCH], &b);
	}
	for (uint32_t i = 1; !err && i <= t->cfg->scale * TELLERS_PER_BRANCH;
	     i++) {
		tl.t_id = i;
		tl.t_b_id = (i - 1) / TELLERS_PER_BRANCH + 1;
		err = load_row(&l, TB_TELLER, &tpcb_defs[TB_TELLER], &tl);
	}
	if (!err)
		err = load_accounts(&l, t);
	return err ? err : load_end(&l);
}

/* ---- the transaction's inputs ---- */

struct tpcb_in {
	int64_t tid, bid, aid, delta;
};

static void tpcb_input(struct wl_term *t, struct tpcb_in *in)
{
	int64_t per = accounts_per_branch(t->cfg), nb = t->cfg->scale;
	int64_t ab;

	in->tid = wl_urand(&t->rng, 1, nb * TELLERS_PER_BRANCH);
	in->bid = (in->tid - 1) / TELLERS_PER_BRANCH + 1;
	ab = in->bid;
	if (nb > 1 && wl_urand(&t->rng, 1, 100) > 85) {
		ab = wl_urand(&t->rng, 1, nb - 1);
		if (ab >= in->bid)
			ab++;
	}
	in->aid = (ab - 1) * per + wl_urand(&t->rng, 1, per);
	in->delta = wl_urand(&t->rng, -999999, 999999);
}

/* ---- key-value ---- */

/* Add delta to the balance (column col) of row id of table; the row is
 * left decoded in row. */
static int kv_add(struct wl_term *t, struct kv_txn *x, int table, int64_t id,
		  int col, int64_t delta, void *row)
{
	const struct table_def *def = &tpcb_defs[table];
	uint8_t key[4], *p = key, val[ROW_MAX_VAL];
	struct kv_val v;
	size_t n;
	int err;

	kv_key32(&p, (uint32_t)id);
	err = kv_get(x, table, key, 4, &v);
	if (err)
		return wl_kv_fail(t, def->name, err);
	if (row_decode(def, v.data, v.size, row) < 0)
		return wl_fail(t, "%s %lld: malformed row", def->name,
			       (long long)id);
	*row_int(def, row, col) += delta;
	n = row_encode(def, row, val);
	err = kv_put(x, table, key, 4, val, n, 0);
	return err ? wl_kv_fail(t, def->name, err) : 0;
}

static int kv_history(struct wl_term *t, struct kv_txn *x,
		      const struct tpcb_in *in)
{
	struct tpcb_history h = {in->tid, in->bid, in->aid, in->delta,
				 wl_now()};
	uint8_t key[8], val[ROW_MAX_VAL];
	size_t n = row_encode(&tpcb_defs[TB_HISTORY], &h, val);
	int err;

	wl_hist_key(t, key);
	err = kv_put(x, TB_HISTORY, key, 8, val, n, 0);
	return err ? wl_kv_fail(t, "history", err) : 0;
}

static int tpcb_kv_txn(struct wl_term *t, int *type)
{
	struct tpcb_account a;
	struct tpcb_teller tl;
	struct tpcb_branch b;
	struct kv_txn *x;
	struct tpcb_in in;
	int err;

	*type = 0;
	tpcb_input(t, &in);
	err = kv_begin(t->db->kv, KV_WRITE, &x);
	if (err)
		return wl_kv_fail(t, "begin", err);
	if ((err = kv_add(t, x, TB_ACCOUNT, in.aid, 2, in.delta, &a)) ||
	    (err = kv_add(t, x, TB_TELLER, in.tid, 2, in.delta, &tl)) ||
	    (err = kv_add(t, x, TB_BRANCH, in.bid, 1, in.delta, &b)) ||
	    (err = kv_history(t, x, &in))) {
		kv_abort(x);
		return err;
	}
	err = kv_commit(x);
	return err ? wl_kv_fail(t, "commit", err) : WL_OK;
}

/* ---- SQL ---- */

enum {
	ST_ACCOUNT_ADD = LOAD_STMTS + SCAN_STMTS,
	ST_ACCOUNT_GET,
	ST_TELLER_ADD,
	ST_BRANCH_ADD,
	ST_HISTORY_ADD,
};

static const char *const tpcb_sql[] = {
	"UPDATE accounts SET a_balance = a_balance + ?1 WHERE a_id = ?2",
	"SELECT a_balance FROM accounts WHERE a_id = ?1",
	"UPDATE tellers SET t_balance = t_balance + ?1 WHERE t_id = ?2",
	"UPDATE branches SET b_balance = b_balance + ?1 WHERE b_id = ?2",
	"INSERT INTO history VALUES (?1, ?2, ?3, ?4, ?5)",
};

static sqlite3_stmt *stmt(struct wl_term *t, int id)
{
	return sql_stmt(t->conn, id, tpcb_sql[id - ST_ACCOUNT_ADD]);
}

/* Run statement id with the integer parameters v[0..n-1]. */
static int sql_do(struct wl_term *t, int id, const int64_t *v, int n)
{
	sqlite3_stmt *s = stmt(t, id);
	int rc;

	if (!s)
		return wl_sql_fail(t, "prepare",
				   sqlite3_errcode(sql_handle(t->conn)));
	for (int i = 0; i < n; i++)
		sqlite3_bind_int64(s, i + 1, v[i]);
	rc = sql_run(t->conn, s);
	return rc ? wl_sql_fail(t, tpcb_sql[id - ST_ACCOUNT_ADD], rc) : 0;
}

static int tpcb_sql_txn(struct wl_term *t, int *type)
{
	struct tpcb_in in;
	int err;

	*type = 0;
	tpcb_input(t, &in);
	err = sql_begin(t->conn, SQL_WRITE);
	if (err)
		return wl_sql_fail(t, "BEGIN", err);
	if ((err = sql_do(t, ST_ACCOUNT_ADD, (int64_t[]){in.delta, in.aid},
			  2)) ||
	    (err = sql_do(t, ST_ACCOUNT_GET, (int64_t[]){in.aid}, 1)) ||
	    (err = sql_do(t, ST_TELLER_ADD, (int64_t[]){in.delta, in.tid},
			  2)) ||
	    (err = sql_do(t, ST_BRANCH_ADD, (int64_t[]){in.delta, in.bid},
			  2)) ||
	    (err = sql_do(
		     t, ST_HISTORY_ADD,
		     (int64_t[]){in.tid, in.bid, in.aid, in.delta, wl_now()},
		     5)))
		return err;
	err = sql_commit(t->conn);
	return err ? wl_sql_fail(t, "COMMIT", err) : WL_OK;
}

/* ---- the check ---- */

struct tpcb_sums {
	uint32_t nbranch;
	int64_t *branch, *tellers; /* by branch */
	int64_t accounts, history;
	uint64_t nhistory;
	int64_t bad_id; /* a row naming a branch that does not exist */
};

static int sum_branch(void *arg, const void *row)
{
	struct tpcb_sums *s = arg;
	const struct tpcb_branch *b = row;

	if (b->b_id < 1 || b->b_id > s->nbranch)
		s->bad_id = b->b_id;
	else
		s->branch[b->b_id - 1] = b->b_balance;
	return 0;
}

static int sum_teller(void *arg, const void *row)
{
	struct tpcb_sums *s = arg;
	const struct tpcb_teller *tl = row;

	if (tl->t_b_id < 1 || tl->t_b_id > s->nbranch)
		s->bad_id = tl->t_b_id;
	else
		s->tellers[tl->t_b_id - 1] += tl->t_balance;
	return 0;
}

static int sum_account(void *arg, const void *row)
{
	((struct tpcb_sums *)arg)->accounts +=
		((const struct tpcb_account *)row)->a_balance;
	return 0;
}

static int sum_history(void *arg, const void *row)
{
	struct tpcb_sums *s = arg;

	s->history += ((const struct tpcb_history *)row)->h_delta;
	s->nhistory++;
	return 0;
}

static const scan_fn tpcb_summers[TB_N] = {sum_branch, sum_teller, sum_account,
					   sum_history};

/* Which conditions s violates; the first is described in t->err. */
static int64_t tpcb_judge(struct wl_term *t, const struct tpcb_sums *s,
			  const uint64_t *done)
{
	int64_t total = 0, bad = 0;

	for (uint32_t b = 0; b < s->nbranch; b++) {
		total += s->branch[b];
		if (s->branch[b] != s->tellers[b] && !(bad & 2)) {
			bad |= 2;
			wl_fail(t,
				"condition 1: branch %u balance %lld, its "
				"tellers' %lld",
				b + 1, (long long)s->branch[b],
				(long long)s->tellers[b]);
		}
	}
	if (s->bad_id && !bad) {
		bad |= 2;
		wl_fail(t, "condition 1: a row names branch %lld",
			(long long)s->bad_id);
	}
	if (total != s->accounts && !bad)
		wl_fail(t,
			"condition 2: branches sum to %lld, accounts to "
			"%lld",
			(long long)total, (long long)s->accounts);
	bad |= (int64_t)(total != s->accounts) << 2;
	if (total != s->history && !bad)
		wl_fail(t,
			"condition 3: branches sum to %lld, history "
			"deltas to %lld",
			(long long)total, (long long)s->history);
	bad |= (int64_t)(total != s->history) << 3;
	if (done && s->nhistory != done[0] && !bad)
		wl_fail(t,
			"history has %llu rows, %llu transactions "
			"committed",
			(unsigned long long)s->nhistory,
			(unsigned long long)done[0]);
	bad |= (int64_t)(done && s->nhistory != done[0]);
	return bad;
}

static int64_t tpcb_check(struct wl_term *t, const uint64_t *done)
{
	struct tpcb_sums s = {.nbranch = t->cfg->scale};
	struct scan sc;
	int64_t res;
	int err = 0;

	s.branch = calloc(s.nbranch, sizeof(int64_t));
	s.tellers = calloc(s.nbranch, sizeof(int64_t));
	if (!s.branch || !s.tellers) {
		err = wl_fail(t, "check: out of memory");
	} else if (!(err = scan_begin(&sc, t))) {
		for (int i = 0; !err && i < TB_N; i++)
			err = scan_table(&sc, i, &tpcb_defs[i], tpcb_summers[i],
					 &s);
		scan_end(&sc);
	}
	res = err ? err : tpcb_judge(t, &s, done);
	free(s.branch);
	free(s.tellers);
	return res;
}

/* ---- the workload ---- */

static uint64_t tpcb_disk_bytes(const struct wl_config *c)
{
	return (1ull << 30) + (uint64_t)c->scale * (64ull << 20);
}

static void tpcb_describe(const struct wl_config *c, char *buf, size_t n)
{
	snprintf(buf, n, "scale %u: %u branches, %u tellers, %lld accounts%s",
		 c->scale, c->scale, c->scale * TELLERS_PER_BRANCH,
		 (long long)accounts_per_branch(c) * c->scale,
		 c->tiny ? " (--tiny)" : "");
}

static const char *const tpcb_types[] = {"tpcb"};

static const struct wl_impl tpcb_kv = {tpcb_load, tpcb_kv_txn, tpcb_check};
static const struct wl_impl tpcb_sqlimpl = {tpcb_load, tpcb_sql_txn,
					    tpcb_check};

const struct workload wl_tpcb = {
	.name = "tpcb",
	.title = "TPC-B",
	.ntypes = 1,
	.types = tpcb_types,
	.rate_type = -1,
	.tables = tpcb_tables,
	.ntables = TB_N,
	.kv = &tpcb_kv,
	.sql = &tpcb_sqlimpl,
	.disk_bytes = tpcb_disk_bytes,
	.describe = tpcb_describe,
};
