/*
 * tpcc_check.c: TPC-C's consistency conditions (clause 3.3.2), for both
 * engine families.
 *
 * One consistent read scans WAREHOUSE, DISTRICT, ORDER, NEW-ORDER,
 * ORDER-LINE and HISTORY (table.h's scans, in that order) and gathers,
 * per warehouse, per district and per order, what the conditions
 * compare:
 *
 *   1  W_YTD = sum(D_YTD)
 *   2  D_NEXT_O_ID - 1 = max(O_ID) = max(NO_O_ID)
 *   3  max(NO_O_ID) - min(NO_O_ID) + 1 = rows in NEW-ORDER (per district)
 *   4  sum(O_OL_CNT) = rows in ORDER-LINE (per district)
 *   5  O_CARRIER_ID is NULL iff the order has a NEW-ORDER row
 *   6  O_OL_CNT = the order's ORDER-LINE rows
 *   7  OL_DELIVERY_D is NULL iff its order's O_CARRIER_ID is NULL
 *   8  W_YTD = sum(H_AMOUNT) of the warehouse
 *   9  D_YTD = sum(H_AMOUNT) of the district
 *   0  ORDER and HISTORY have their initial rows plus one per committed
 *      New-Order and Payment (WL_COND_COUNTS; when done is given)
 *
 * Rows naming a warehouse, district or order that does not exist violate
 * the condition of their table (2 for ORDER and NEW-ORDER, 6 for
 * ORDER-LINE, 8 for HISTORY, 1 for DISTRICT).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "table.h"
#include "tpcc.h"

struct ck_order {
	uint8_t exists, carrier, is_new, ol_cnt, lines;
};

struct ck_district {
	int64_t ytd, next_o_id, hist;
	int64_t max_o, max_no, min_no, n_no, sum_ol_cnt, n_ol;
	int exists;
	struct ck_order *orders; /* by O_ID, 1..next_o_id - 1 (+ slack) */
	int64_t norders;	 /* entries in orders */
};

struct ck_warehouse {
	int64_t ytd, sum_d_ytd, hist;
	int exists;
};

struct ck {
	struct wl_term *t;
	struct tpcc_scale s;
	struct ck_warehouse *wh;
	struct ck_district *di; /* (w - 1) * 10 + d - 1 */
	uint64_t orders, history;
	int64_t bad; /* violated conditions */
};

/* Record that condition n is violated, describing the first. */
static void violated(struct ck *c, int n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void violated(struct ck *c, int n, const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	if (!c->bad) {
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
		if (n == WL_COND_COUNTS)
			wl_fail(c->t, "row counts: %s", msg);
		else
			wl_fail(c->t, "condition %d: %s", n, msg);
	}
	c->bad |= (int64_t)1 << n;
}

static struct ck_district *district(struct ck *c, int64_t w, int64_t d)
{
	if (w < 1 || w > c->s.w || d < 1 || d > TPCC_DISTRICTS)
		return NULL;
	return &c->di[(w - 1) * TPCC_DISTRICTS + d - 1];
}

static struct ck_order *order(struct ck_district *di, int64_t o)
{
	return di && o >= 1 && o < di->norders ? &di->orders[o] : NULL;
}

/* ---- the scans ---- */

static int on_warehouse(void *arg, const void *row)
{
	struct ck *c = arg;
	const struct tpcc_warehouse *w = row;

	if (w->w_id < 1 || w->w_id > c->s.w) {
		violated(c, 1, "warehouse %lld does not exist",
			 (long long)w->w_id);
		return 0;
	}
	c->wh[w->w_id - 1].ytd = w->w_ytd;
	c->wh[w->w_id - 1].exists = 1;
	return 0;
}

static int on_district(void *arg, const void *row)
{
	struct ck *c = arg;
	const struct tpcc_district *d = row;
	struct ck_district *di = district(c, d->d_w_id, d->d_id);

	if (!di) {
		violated(c, 1, "district (%lld, %lld) does not exist",
			 (long long)d->d_w_id, (long long)d->d_id);
		return 0;
	}
	if (d->d_next_o_id < 1 || d->d_next_o_id > (1 << 28)) {
		violated(c, 2, "district (%lld, %lld): D_NEXT_O_ID %lld",
			 (long long)d->d_w_id, (long long)d->d_id,
			 (long long)d->d_next_o_id);
		return 0;
	}
	di->exists = 1;
	di->ytd = d->d_ytd;
	di->next_o_id = d->d_next_o_id;
	c->wh[d->d_w_id - 1].sum_d_ytd += d->d_ytd;
	/* room for orders past D_NEXT_O_ID, so that they are seen */
	di->norders = d->d_next_o_id + 64;
	free(di->orders);
	di->orders = calloc((size_t)di->norders, sizeof(*di->orders));
	return di->orders ? 0 : wl_fail(c->t, "check: out of memory");
}

static int on_order(void *arg, const void *row)
{
	struct ck *c = arg;
	const struct tpcc_order *o = row;
	struct ck_district *di = district(c, o->o_w_id, o->o_d_id);
	struct ck_order *co = order(di, o->o_id);

	c->orders++;
	if (!co) {
		violated(c, 2, "order (%lld, %lld, %lld) is out of range",
			 (long long)o->o_w_id, (long long)o->o_d_id,
			 (long long)o->o_id);
		return 0;
	}
	co->exists = 1;
	co->carrier = o->o_carrier_id != 0;
	co->ol_cnt = (uint8_t)o->o_ol_cnt;
	if (o->o_id > di->max_o)
		di->max_o = o->o_id;
	di->sum_ol_cnt += o->o_ol_cnt;
	return 0;
}

static int on_new_order(void *arg, const void *row)
{
	struct ck *c = arg;
	const struct tpcc_new_order *no = row;
	struct ck_district *di = district(c, no->no_w_id, no->no_d_id);
	struct ck_order *co = order(di, no->no_o_id);

	if (!co || !co->exists) {
		violated(c, 5, "new-order (%lld, %lld, %lld) has no order",
			 (long long)no->no_w_id, (long long)no->no_d_id,
			 (long long)no->no_o_id);
		if (!co)
			return 0;
	}
	co->is_new = 1;
	if (di->n_no++ == 0 || no->no_o_id < di->min_no)
		di->min_no = no->no_o_id;
	if (no->no_o_id > di->max_no)
		di->max_no = no->no_o_id;
	return 0;
}

static int on_order_line(void *arg, const void *row)
{
	struct ck *c = arg;
	const struct tpcc_order_line *ol = row;
	struct ck_district *di = district(c, ol->ol_w_id, ol->ol_d_id);
	struct ck_order *co = order(di, ol->ol_o_id);

	if (!co || !co->exists) {
		violated(c, 6,
			 "order-line (%lld, %lld, %lld, %lld) has no "
			 "order",
			 (long long)ol->ol_w_id, (long long)ol->ol_d_id,
			 (long long)ol->ol_o_id, (long long)ol->ol_number);
		if (di)
			di->n_ol++;
		return 0;
	}
	di->n_ol++;
	co->lines++;
	if ((ol->ol_delivery_d != 0) != co->carrier)
		violated(c, 7,
			 "order-line (%lld, %lld, %lld, %lld): "
			 "delivery date %s, carrier %s",
			 (long long)ol->ol_w_id, (long long)ol->ol_d_id,
			 (long long)ol->ol_o_id, (long long)ol->ol_number,
			 ol->ol_delivery_d ? "set" : "NULL",
			 co->carrier ? "set" : "NULL");
	return 0;
}

static int on_history(void *arg, const void *row)
{
	struct ck *c = arg;
	const struct tpcc_history *h = row;
	struct ck_district *di = district(c, h->h_w_id, h->h_d_id);

	c->history++;
	if (!di) {
		violated(c, 8, "history row of district (%lld, %lld)",
			 (long long)h->h_w_id, (long long)h->h_d_id);
		return 0;
	}
	di->hist += h->h_amount;
	c->wh[h->h_w_id - 1].hist += h->h_amount;
	return 0;
}

static const struct {
	int table;
	scan_fn fn;
} ck_scans[] = {
	{T_WAREHOUSE, on_warehouse},   {T_DISTRICT, on_district},
	{T_ORDER, on_order},	       {T_NEW_ORDER, on_new_order},
	{T_ORDER_LINE, on_order_line}, {T_HISTORY, on_history},
};

/* ---- the conditions ---- */

static void judge_warehouse(struct ck *c, int64_t w)
{
	const struct ck_warehouse *wh = &c->wh[w - 1];

	if (!wh->exists)
		violated(c, 1, "warehouse %lld is missing", (long long)w);
	else if (wh->ytd != wh->sum_d_ytd)
		violated(c, 1, "warehouse %lld: W_YTD %lld, sum(D_YTD) %lld",
			 (long long)w, (long long)wh->ytd,
			 (long long)wh->sum_d_ytd);
	if (wh->exists && wh->ytd != wh->hist)
		violated(c, 8,
			 "warehouse %lld: W_YTD %lld, sum(H_AMOUNT) "
			 "%lld",
			 (long long)w, (long long)wh->ytd, (long long)wh->hist);
}

static void judge_orders(struct ck *c, const struct ck_district *di, int64_t w,
			 int64_t d)
{
	for (int64_t o = 1; o < di->norders; o++) {
		const struct ck_order *co = &di->orders[o];

		if (!co->exists)
			continue;
		if (co->carrier == co->is_new)
			violated(c, 5,
				 "order (%lld, %lld, %lld): carrier %s, "
				 "%s new-order row",
				 (long long)w, (long long)d, (long long)o,
				 co->carrier ? "set" : "NULL",
				 co->is_new ? "a" : "no");
		if (co->ol_cnt != co->lines)
			violated(c, 6,
				 "order (%lld, %lld, %lld): O_OL_CNT "
				 "%u, %u lines",
				 (long long)w, (long long)d, (long long)o,
				 co->ol_cnt, co->lines);
	}
}

static void judge_district(struct ck *c, int64_t w, int64_t d)
{
	const struct ck_district *di = district(c, w, d);

	if (!di->exists) {
		violated(c, 1, "district (%lld, %lld) is missing", (long long)w,
			 (long long)d);
		return;
	}
	if (di->next_o_id - 1 != di->max_o ||
	    (di->n_no && di->max_no != di->max_o))
		violated(c, 2,
			 "district (%lld, %lld): D_NEXT_O_ID - 1 = "
			 "%lld, max(O_ID) %lld, max(NO_O_ID) %lld",
			 (long long)w, (long long)d,
			 (long long)(di->next_o_id - 1), (long long)di->max_o,
			 (long long)di->max_no);
	if (di->n_no && di->max_no - di->min_no + 1 != di->n_no)
		violated(c, 3,
			 "district (%lld, %lld): NO_O_ID %lld..%lld, "
			 "%lld rows",
			 (long long)w, (long long)d, (long long)di->min_no,
			 (long long)di->max_no, (long long)di->n_no);
	if (di->sum_ol_cnt != di->n_ol)
		violated(c, 4,
			 "district (%lld, %lld): sum(O_OL_CNT) %lld, "
			 "%lld order-lines",
			 (long long)w, (long long)d, (long long)di->sum_ol_cnt,
			 (long long)di->n_ol);
	if (di->ytd != di->hist)
		violated(c, 9,
			 "district (%lld, %lld): D_YTD %lld, "
			 "sum(H_AMOUNT) %lld",
			 (long long)w, (long long)d, (long long)di->ytd,
			 (long long)di->hist);
	judge_orders(c, di, w, d);
}

static void judge_counts(struct ck *c, const uint64_t *done)
{
	uint64_t nd = (uint64_t)(c->s.w * TPCC_DISTRICTS);
	uint64_t orders = nd * (uint64_t)c->s.orders + done[TX_NEW_ORDER];
	uint64_t history = nd * (uint64_t)c->s.cust + done[TX_PAYMENT];

	if (c->orders != orders)
		violated(c, WL_COND_COUNTS, "%llu orders, expected %llu",
			 (unsigned long long)c->orders,
			 (unsigned long long)orders);
	else if (c->history != history)
		violated(c, WL_COND_COUNTS, "%llu history rows, expected %llu",
			 (unsigned long long)c->history,
			 (unsigned long long)history);
}

static int64_t judge(struct ck *c, const uint64_t *done)
{
	for (int64_t w = 1; w <= c->s.w; w++) {
		judge_warehouse(c, w);
		for (int64_t d = 1; d <= TPCC_DISTRICTS; d++)
			judge_district(c, w, d);
	}
	if (done)
		judge_counts(c, done);
	return c->bad;
}

static int gather(struct ck *c)
{
	struct scan sc;
	int err;

	if ((err = scan_begin(&sc, c->t)))
		return err;
	for (size_t i = 0; !err && i < sizeof(ck_scans) / sizeof(ck_scans[0]);
	     i++)
		err = scan_table(&sc, ck_scans[i].table,
				 &tpcc_defs[ck_scans[i].table], ck_scans[i].fn,
				 c);
	scan_end(&sc);
	return err;
}

int64_t tpcc_check(struct wl_term *t, const uint64_t *done)
{
	struct ck c = {.t = t};
	int64_t res;
	int err;

	tpcc_scale(t->cfg, &c.s);
	c.wh = calloc((size_t)c.s.w, sizeof(*c.wh));
	c.di = calloc((size_t)(c.s.w * TPCC_DISTRICTS), sizeof(*c.di));
	err = c.wh && c.di ? gather(&c) : wl_fail(t, "check: out of memory");
	res = err ? err : judge(&c, done);
	for (int64_t i = 0; c.di && i < c.s.w * TPCC_DISTRICTS; i++)
		free(c.di[i].orders);
	free(c.wh);
	free(c.di);
	return res;
}
