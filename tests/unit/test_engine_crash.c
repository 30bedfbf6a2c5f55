/*
 * test_engine_crash.c: power cuts under concurrent TPC-B-style transfers.
 *
 * The workload runs on a fault: disk (port/fault.c), whose volatile write
 * cache drops, reorders and tears unflushed writes at a power cut.  A
 * bank of NACC accounts (each starting at START) lives in the tree
 * "accounts"; NTHREADS threads each run transfers, one per transaction:
 * read two balances, move an amount, and record the transfer under its
 * id (thread, sequence) in the tree "history".  A transfer whose commit
 * returned 0 is acknowledged: the thread logs its id in memory.
 *
 * Each round formats a fresh disk, sets a plan that cuts the power at the
 * N-th I/O (N spread over the whole workload, measured first by a run
 * without a cut), lets the threads run until their calls fail, closes
 * the dead store and opens it again (recovery).  Then: exodb_check
 * passes (checksums, trees, allocator); the balances sum to NACC * START;
 * every acknowledged transfer is in the history; and replaying the
 * history from the starting balances gives exactly the stored balances
 * (so no transfer is half there).  Every fourth round also cuts the
 * power again during recovery before recovering for real.  Each round
 * persists a different share of the unflushed sectors at its cut.
 * Rounds in durability lazy (whose
 * threads pause between transfers, so the log's background flushes run
 * meanwhile) check the same, except that the last acknowledged transfers
 * may be lost.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exodb.h"
#include "port/fault.h"

#include "exo.h"

#define NACC      64
#define START     1000
#define NTHREADS  4
#define PERTHREAD 150 /* transfers per thread at most */
#define DISKBLK   8192
#define ROUNDS    80

#define E(expr) expect0((expr), #expr, __LINE__)

static void expect0(int rc, const char *what, int line)
{
	if (rc)
		fail_msg("line %d: %s: %s", line, what, exodb_strerror(rc));
}

static const char *disk = "fault:crash";

struct hist {
	uint32_t from, to;
	int64_t amount;
};

struct worker {
	struct exodb *db;
	struct exodb_tree *acct, *hist;
	uint32_t id;
	uint64_t rng;
	uint32_t acked[PERTHREAD];
	int nacked;
	int lazy;
};

static struct exodb_opts opts(int lazy, unsigned flags)
{
	struct exodb_opts o = { .disk = disk, .store = "bank",
				.cache_bytes = 4 << 20,
				.durability = lazy ? EXODB_LAZY : EXODB_FULL,
				.log_bytes = 256 << 10, .flags = flags };
	return o;
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void acct_key(uint32_t a, uint8_t k[4])
{
	k[0] = 'a';
	k[1] = (uint8_t)(a >> 8);
	k[2] = (uint8_t)a;
	k[3] = 0;
}

static void hist_key(uint32_t thread, uint32_t seq, uint8_t k[8])
{
	for (int i = 0; i < 4; i++) {
		k[i] = (uint8_t)(thread >> (24 - 8 * i));
		k[4 + i] = (uint8_t)(seq >> (24 - 8 * i));
	}
}

static int get_bal(struct exodb_txn *t, struct exodb_tree *tr, uint32_t a,
		   int64_t *bal)
{
	uint8_t k[4];
	struct exodb_val key = { 4, k }, v;
	int rc;

	acct_key(a, k);
	rc = exodb_get(t, tr, &key, &v);
	if (rc == 0 && v.size != sizeof(*bal))
		rc = EXODB_CORRUPT;
	if (rc == 0)
		memcpy(bal, v.data, sizeof(*bal));
	return rc;
}

static int put_bal(struct exodb_txn *t, struct exodb_tree *tr, uint32_t a,
		   int64_t bal)
{
	uint8_t k[4];
	struct exodb_val key = { 4, k }, v = { sizeof(bal), &bal };

	acct_key(a, k);
	return exodb_put(t, tr, &key, &v, 0);
}

/* One transfer in one transaction: 0 if acknowledged. */
static int transfer(struct worker *w, uint32_t seq)
{
	struct exodb_txn *t;
	struct hist h;
	int64_t fb, tb;
	uint8_t k[8];
	struct exodb_val key = { 8, k }, v = { sizeof(h), &h };
	int rc;

	h.from = (uint32_t)(rnd(&w->rng) % NACC);
	h.to = (uint32_t)((h.from + 1 + rnd(&w->rng) % (NACC - 1)) % NACC);
	h.amount = (int64_t)(rnd(&w->rng) % 100) + 1;
	rc = exodb_txn_begin(w->db, 0, &t);
	if (rc)
		return rc;
	rc = get_bal(t, w->acct, h.from, &fb);
	if (rc == 0)
		rc = get_bal(t, w->acct, h.to, &tb);
	if (rc == 0)
		rc = put_bal(t, w->acct, h.from, fb - h.amount);
	if (rc == 0)
		rc = put_bal(t, w->acct, h.to, tb + h.amount);
	hist_key(w->id, seq, k);
	if (rc == 0)
		rc = exodb_put(t, w->hist, &key, &v, EXODB_NOOVERWRITE);
	if (rc) {
		exodb_txn_abort(t);
		return rc;
	}
	return exodb_txn_commit(t);
}

static void *work(void *arg)
{
	struct worker *w = arg;

	for (uint32_t seq = 0; seq < PERTHREAD; seq++) {
		if (transfer(w, seq))
			break; /* the power is off: every call fails now */
		w->acked[w->nacked++] = seq;
		if (w->lazy) /* let the log's background flushes happen */
			usleep(300);
	}
	return NULL;
}

static void setup_bank(int lazy)
{
	struct exodb_opts o = opts(lazy, EXODB_CREATE);
	struct exodb *db;
	struct exodb_txn *t;
	struct exodb_tree *acct, *hist;

	fault_disk_destroy(disk);
	E(fault_disk_create(disk, DISKBLK));
	E(exo_disk_format(disk, (uint64_t)DISKBLK * EXO_BLOCK_SIZE));
	E(exodb_open(&o, &db));
	E(exodb_txn_begin(db, 0, &t));
	E(exodb_tree_open(t, "accounts", EXODB_TREE_CREATE, &acct));
	E(exodb_tree_open(t, "history", EXODB_TREE_CREATE, &hist));
	for (uint32_t a = 0; a < NACC; a++)
		E(put_bal(t, acct, a, START));
	E(exodb_txn_commit(t));
	E(exodb_close(db));
}

/* Run the workload with a cut at I/O cut_at (0: none); returns the
 * I/Os it made. */
static int64_t run_workload(int lazy, uint64_t cut_at, uint64_t seed,
			    struct worker *w)
{
	struct exodb_opts o = opts(lazy, 0);
	struct fault_plan p = FAULT_PLAN_INIT;
	struct exodb *db;
	struct exodb_txn *t;
	struct exodb_tree *acct, *hist;
	pthread_t th[NTHREADS];
	int64_t nio;

	E(exodb_open(&o, &db));
	E(exodb_txn_begin(db, EXODB_RDONLY, &t));
	E(exodb_tree_open(t, "accounts", 0, &acct));
	E(exodb_tree_open(t, "history", 0, &hist));
	exodb_txn_abort(t);
	p.seed = seed;
	p.cut_at_io = cut_at;
	p.persist_pct = (unsigned)(seed * 37 % 101);
	E(fault_set_plan(disk, &p));
	for (int i = 0; i < NTHREADS; i++) {
		w[i] = (struct worker){ .db = db, .acct = acct, .hist = hist,
					.id = (uint32_t)i, .lazy = lazy,
					.rng = seed * 7919 + (uint64_t)i + 1 };
		pthread_create(&th[i], NULL, work, &w[i]);
	}
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(th[i], NULL);
	exodb_close(db); /* after a cut: errors, but everything freed */
	nio = fault_io_count(disk);
	p = (struct fault_plan)FAULT_PLAN_INIT;
	E(fault_set_plan(disk, &p));
	return nio;
}

/* Cut the power again while recovery runs (at its cut_at-th I/O). */
static void crash_recovery(int lazy, uint64_t cut_at, uint64_t seed)
{
	struct exodb_opts o = opts(lazy, 0);
	struct fault_plan p = FAULT_PLAN_INIT;
	struct exodb *db;

	p.seed = seed;
	p.cut_at_io = cut_at;
	E(fault_set_plan(disk, &p));
	if (exodb_open(&o, &db) == 0)
		exodb_close(db);
	p = (struct fault_plan)FAULT_PLAN_INIT;
	E(fault_set_plan(disk, &p));
}

/* After recovery: check, sums, acknowledged transfers, atomicity. */
static void verify(int lazy, const struct worker *w)
{
	struct exodb_opts o = opts(lazy, 0);
	struct exodb_check_report r;
	struct exodb *db;
	struct exodb_txn *t;
	struct exodb_tree *acct, *hist;
	struct exodb_cursor *c;
	struct exodb_val k, v;
	int64_t bal[NACC], replay[NACC], sum = 0;
	uint64_t nhist = 0, nacked = 0;
	struct hist h;
	int rc;

	E(exodb_open(&o, &db));
	rc = exodb_check(db, &r);
	if (rc)
		fail_msg("check: %s: %s", exodb_strerror(rc), r.problem);
	E(exodb_txn_begin(db, EXODB_RDONLY, &t));
	E(exodb_tree_open(t, "accounts", 0, &acct));
	E(exodb_tree_open(t, "history", 0, &hist));
	for (uint32_t a = 0; a < NACC; a++) {
		E(get_bal(t, acct, a, &bal[a]));
		sum += bal[a];
		replay[a] = START;
	}
	assert_int_equal(sum, (int64_t)NACC * START);
	E(exodb_cursor_open(t, hist, &c));
	while ((rc = exodb_cursor_get(c, &k, &v, EXODB_NEXT)) == 0) {
		assert_int_equal(v.size, sizeof(h));
		memcpy(&h, v.data, sizeof(h));
		assert_true(h.from < NACC && h.to < NACC);
		replay[h.from] -= h.amount;
		replay[h.to] += h.amount;
		nhist++;
	}
	assert_int_equal(rc, EXODB_NOTFOUND);
	for (uint32_t a = 0; a < NACC; a++)
		assert_int_equal(replay[a], bal[a]);
	for (int i = 0; i < NTHREADS; i++) {
		for (int j = 0; j < w[i].nacked; j++) {
			uint8_t hk[8];
			struct exodb_val key = { 8, hk };

			hist_key((uint32_t)i, w[i].acked[j], hk);
			rc = exodb_get(t, hist, &key, &v);
			if (!lazy && rc)
				fail_msg("acknowledged transfer %d.%u lost: %s",
					 i, w[i].acked[j],
					 exodb_strerror(rc));
			nacked++;
		}
	}
	assert_true(lazy || nhist >= nacked);
	exodb_txn_abort(t);
	E(exodb_close(db));
}

static void crash_rounds(int lazy, int rounds)
{
	struct worker *w = calloc(NTHREADS, sizeof(*w));
	int64_t total;
	int cut_short = 0;

	/* how many I/Os the whole workload makes, without a cut */
	setup_bank(lazy);
	total = run_workload(lazy, 0, 1, w);
	verify(lazy, w);
	assert_true(total > 10);
	for (int r = 0; r < rounds; r++) {
		uint64_t cut = 1 + (uint64_t)(total * (r + 1)) / (rounds + 1);
		int acked = 0;

		setup_bank(lazy);
		run_workload(lazy, cut, 100 + (uint64_t)r, w);
		if (r % 4 == 3)
			crash_recovery(lazy, 1 + (uint64_t)r % 40, (uint64_t)r);
		verify(lazy, w);
		for (int i = 0; i < NTHREADS; i++)
			acked += w[i].nacked;
		cut_short += acked < NTHREADS * PERTHREAD;
	}
	printf("%s: %lld I/Os without a cut; %d of %d cuts stopped the "
	       "transfers\n", lazy ? "lazy" : "full", (long long)total,
	       cut_short, rounds);
	/* the cuts fall inside the workload, not only in its close */
	assert_true(cut_short >= rounds / 2);
	free(w);
	E(fault_disk_destroy(disk));
}

static void test_crash_full(void **state)
{
	(void)state;
	crash_rounds(0, ROUNDS);
}

static void test_crash_lazy(void **state)
{
	(void)state;
	crash_rounds(1, ROUNDS / 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crash_full),
		cmocka_unit_test(test_crash_lazy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
