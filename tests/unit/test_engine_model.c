/*
 * test_engine_model.c: the engine against an in-memory model, at random.
 *
 * A seeded generator drives transactions over five trees (the default
 * one and four named ones) on a fault: disk with a small cache, so pages
 * are evicted and read back all the time.  Each operation is applied to
 * the engine and to a model (per tree, a sorted array of keys with the
 * seed and length that generate their values) and every answer is
 * compared: gets, puts (plain, NOOVERWRITE, APPEND), deletes of present
 * and absent keys, cursor walks from a random key (SET_RANGE), from
 * either end, forwards and backwards, both in writers (seeing their own
 * changes) and in readers.  Key lengths run from 1 to 1024 bytes and
 * values from empty to 80 KB (inline, at the inline limit, and in
 * overflow chains).  One transaction in six is aborted (the model undoes
 * it from its undo log), every so often a tree is emptied, the store is
 * checked (exodb_check) and closed and reopened.  The run is
 * deterministic: the same seed gives the same operations.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exodb.h"
#include "port/fault.h"

#include "exo.h"

#define NTREES   5
#define KEYSPACE 3000
#define NOPS     1000000 /* operations in the main run */

#define E(expr) expect_rc((expr), 0, #expr, __LINE__)

static void expect_rc(int got, int want, const char *what, int line)
{
	if (got != want)
		fail_msg("line %d: %s: got %d (%s), want %d", line, what, got,
			 exodb_strerror(got), want);
}

static uint64_t rng;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static uint64_t below(uint64_t n)
{
	return rnd() % n;
}

/* ---- keys and values ---- */

/* Key number i: its bytes depend only on i (lengths 1..1024, mostly
 * short; shared prefixes so separators get shortened). */
static size_t make_key(uint64_t i, uint8_t *buf)
{
	uint64_t h = i * 0x9e3779b97f4a7c15ull;
	size_t len, k;

	switch (h % 16) {
	case 0:
		len = 1 + (h >> 8) % 3;
		break;
	case 1:
		len = 200 + (h >> 8) % 825; /* up to 1024 */
		break;
	default:
		len = 8 + (h >> 8) % 24;
	}
	buf[0] = (uint8_t)('a' + i % 7);
	for (k = 1; k < len; k++)
		buf[k] = (uint8_t)((i >> ((k % 4) * 3)) * 31 + k / 5);
	if (len > 1)
		buf[len - 1] = (uint8_t)i;
	return len;
}

static void gen_val(uint8_t *buf, size_t len, uint64_t seed)
{
	uint64_t x = seed | 1;

	for (size_t k = 0; k < len; k++) {
		if (k % 8 == 0) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
		}
		buf[k] = (uint8_t)(x >> (k % 8 * 8));
	}
}

static size_t pick_vlen(void)
{
	uint64_t r = below(1000);

	if (r < 700)
		return below(120);
	if (r < 900)
		return 300 + below(1100); /* around the inline limit */
	if (r < 995)
		return 1400 + below(12000);
	return 20000 + below(60000);
}

/* ---- the model ---- */

struct ent {
	uint8_t *k;
	size_t klen;
	uint64_t vseed;
	size_t vlen;
};

struct model {
	struct ent *e;
	size_t n, cap;
};

struct undo {
	int tree;
	uint8_t k[EXODB_MAXKEYSIZE];
	size_t klen;
	int existed;
	uint64_t vseed;
	size_t vlen;
};

static struct model models[NTREES];
static struct undo *undo;
static size_t nundo, undocap;
static uint8_t *vbuf, *vbuf2;

static int kcmp(const uint8_t *a, size_t al, const uint8_t *b, size_t bl)
{
	int c = memcmp(a, b, al < bl ? al : bl);

	return c ? c : (al > bl) - (al < bl);
}

/* First index with key >= k; *found if equal. */
static size_t m_find(struct model *m, const uint8_t *k, size_t kl, int *found)
{
	size_t lo = 0, hi = m->n, mid;
	int c;

	*found = 0;
	while (lo < hi) {
		mid = (lo + hi) / 2;
		c = kcmp(m->e[mid].k, m->e[mid].klen, k, kl);
		if (c < 0) {
			lo = mid + 1;
		} else {
			hi = mid;
			*found |= c == 0;
		}
	}
	return lo;
}

static void m_set(int t, const uint8_t *k, size_t kl, int present,
		  uint64_t vseed, size_t vlen, int log)
{
	struct model *m = &models[t];
	int found;
	size_t i = m_find(m, k, kl, &found);
	struct undo *u;

	if (log) {
		if (nundo == undocap) {
			undocap = undocap ? undocap * 2 : 64;
			undo = realloc(undo, undocap * sizeof(*undo));
		}
		u = &undo[nundo++];
		u->tree = t;
		memcpy(u->k, k, kl);
		u->klen = kl;
		u->existed = found;
		u->vseed = found ? m->e[i].vseed : 0;
		u->vlen = found ? m->e[i].vlen : 0;
	}
	if (found && present) {
		m->e[i].vseed = vseed;
		m->e[i].vlen = vlen;
	} else if (found) {
		free(m->e[i].k);
		memmove(&m->e[i], &m->e[i + 1], (m->n - i - 1) * sizeof(*m->e));
		m->n--;
	} else if (present) {
		if (m->n == m->cap) {
			m->cap = m->cap ? m->cap * 2 : 256;
			m->e = realloc(m->e, m->cap * sizeof(*m->e));
		}
		memmove(&m->e[i + 1], &m->e[i], (m->n - i) * sizeof(*m->e));
		m->e[i].k = malloc(kl);
		memcpy(m->e[i].k, k, kl);
		m->e[i].klen = kl;
		m->e[i].vseed = vseed;
		m->e[i].vlen = vlen;
		m->n++;
	}
}

static void m_rollback(void)
{
	while (nundo > 0) {
		struct undo *u = &undo[--nundo];

		m_set(u->tree, u->k, u->klen, u->existed, u->vseed, u->vlen,
		      0);
	}
}

static void m_clear(int t)
{
	struct model *m = &models[t];

	while (m->n > 0)
		m_set(t, m->e[m->n - 1].k, m->e[m->n - 1].klen, 0, 0, 0, 1);
}

/* ---- the engine side ---- */

static char disk[32];
static struct exodb *db;
static struct exodb_tree *trees[NTREES];
static struct {
	uint64_t ops, gets, puts, dels, steps, commits, aborts, reopens;
	uint64_t checks;
} st;

static void db_open(void)
{
	struct exodb_opts o = { .disk = disk, .store = "model",
				.cache_bytes = 4 << 20,
				.durability = EXODB_LAZY,
				.flags = EXODB_CREATE };
	static const char *names[NTREES] = { NULL, "alpha", "beta", "gamma",
					     "delta" };
	struct exodb_txn *t;

	E(exodb_open(&o, &db));
	E(exodb_txn_begin(db, 0, &t));
	for (int i = 0; i < NTREES; i++)
		E(exodb_tree_open(t, names[i], EXODB_TREE_CREATE, &trees[i]));
	E(exodb_txn_commit(t));
}

static void check_entry(const struct exodb_val *k, const struct exodb_val *v,
			const struct ent *e)
{
	if (k && (k->size != e->klen || memcmp(k->data, e->k, e->klen)))
		fail_msg("op %llu: key differs", (unsigned long long)st.ops);
	gen_val(vbuf, e->vlen, e->vseed);
	if (v->size != e->vlen || memcmp(v->data, vbuf, e->vlen))
		fail_msg("op %llu: value differs (%zu vs %zu bytes)",
			 (unsigned long long)st.ops, v->size, e->vlen);
}

static void do_get(struct exodb_txn *t, int tr, const uint8_t *k, size_t kl)
{
	struct exodb_val key = { kl, k }, v;
	int found, rc = exodb_get(t, trees[tr], &key, &v);
	size_t i = m_find(&models[tr], k, kl, &found);

	expect_rc(rc, found ? 0 : EXODB_NOTFOUND, "get", __LINE__);
	if (found)
		check_entry(NULL, &v, &models[tr].e[i]);
	st.gets++;
}

static void do_put(struct exodb_txn *t, int tr, const uint8_t *k, size_t kl,
		   unsigned flags)
{
	struct model *m = &models[tr];
	size_t vlen = pick_vlen();
	uint64_t seed = rnd();
	struct exodb_val key = { kl, k }, v = { vlen, vbuf2 };
	int found, want = 0, rc;

	m_find(m, k, kl, &found);
	if ((flags & EXODB_NOOVERWRITE) && found)
		want = EXODB_KEYEXIST;
	if ((flags & EXODB_APPEND) && m->n &&
	    kcmp(k, kl, m->e[m->n - 1].k, m->e[m->n - 1].klen) <= 0)
		want = EXODB_KEYEXIST;
	gen_val(vbuf2, vlen, seed);
	rc = exodb_put(t, trees[tr], &key, &v, flags);
	expect_rc(rc, want, "put", __LINE__);
	if (rc == 0)
		m_set(tr, k, kl, 1, seed, vlen, 1);
	st.puts++;
}

static void do_del(struct exodb_txn *t, int tr, const uint8_t *k, size_t kl)
{
	struct exodb_val key = { kl, k };
	int found, rc = exodb_del(t, trees[tr], &key);

	m_find(&models[tr], k, kl, &found);
	expect_rc(rc, found ? 0 : EXODB_NOTFOUND, "del", __LINE__);
	if (found)
		m_set(tr, k, kl, 0, 0, 0, 1);
	st.dels++;
}

/* Walk a cursor up to n steps from a random start, against the model. */
static void do_walk(struct exodb_txn *t, int tr, const uint8_t *k, size_t kl,
		    int n)
{
	struct model *m = &models[tr];
	struct exodb_cursor *c;
	struct exodb_val key = { kl, k }, v;
	int found, fwd = below(2), how = (int)below(3), rc;
	long i;

	E(exodb_cursor_open(t, trees[tr], &c));
	if (how == 0) { /* SET_RANGE */
		i = (long)m_find(m, k, kl, &found);
		rc = exodb_cursor_get(c, &key, &v, EXODB_SET_RANGE);
	} else if (how == 1) {
		i = fwd ? 0 : (long)m->n - 1;
		rc = exodb_cursor_get(c, &key, &v,
				      fwd ? EXODB_FIRST : EXODB_LAST);
	} else { /* unpositioned NEXT/PREV */
		i = fwd ? 0 : (long)m->n - 1;
		rc = exodb_cursor_get(c, &key, &v,
				      fwd ? EXODB_NEXT : EXODB_PREV);
	}
	for (;;) {
		if (i < 0 || i >= (long)m->n) {
			expect_rc(rc, EXODB_NOTFOUND, "cursor end", __LINE__);
			break;
		}
		expect_rc(rc, 0, "cursor", __LINE__);
		check_entry(&key, &v, &m->e[i]);
		st.steps++;
		if (n-- == 0)
			break;
		i += fwd ? 1 : -1;
		rc = exodb_cursor_get(c, &key, &v,
				      fwd ? EXODB_NEXT : EXODB_PREV);
	}
	exodb_cursor_close(c);
}

static void db_check(void)
{
	struct exodb_check_report r;
	uint64_t total = 0;
	int rc = exodb_check(db, &r);

	if (rc)
		fail_msg("check: %s: %s", exodb_strerror(rc), r.problem);
	for (int i = 0; i < NTREES; i++)
		total += models[i].n;
	assert_int_equal(r.entries, total);
	st.checks++;
}

/* One operation of a writer. */
static void write_op(struct exodb_txn *t)
{
	uint8_t k[EXODB_MAXKEYSIZE];
	int tr = (int)below(NTREES);
	uint64_t r = below(100);
	struct model *m = &models[tr];
	size_t kl;

	if (r < 3 && m->n < KEYSPACE) { /* append above the largest */
		uint64_t i = KEYSPACE + below(1u << 20);

		kl = make_key(i, k);
		if (m->n) { /* make it larger: the last key and a byte */
			struct ent *last = &m->e[m->n - 1];

			if (last->klen < EXODB_MAXKEYSIZE) {
				memcpy(k, last->k, last->klen);
				k[last->klen] = (uint8_t)i;
				kl = last->klen + 1;
			}
		}
		do_put(t, tr, k, kl, EXODB_APPEND);
		return;
	}
	kl = make_key(below(KEYSPACE), k);
	if (r < 45)
		do_put(t, tr, k, kl, r < 10 ? EXODB_NOOVERWRITE : 0);
	else if (r < 75)
		do_del(t, tr, k, kl);
	else if (r < 97)
		do_get(t, tr, k, kl);
	else
		do_walk(t, tr, k, kl, (int)below(30));
}

static void read_txn(void)
{
	uint8_t k[EXODB_MAXKEYSIZE];
	struct exodb_txn *t;
	int n = 1 + (int)below(20), tr;
	size_t kl;

	E(exodb_txn_begin(db, EXODB_RDONLY, &t));
	while (n-- > 0) {
		tr = (int)below(NTREES);
		kl = make_key(below(KEYSPACE), k);
		if (below(4) == 0)
			do_walk(t, tr, k, kl, (int)below(100));
		else
			do_get(t, tr, k, kl);
		st.ops++;
	}
	exodb_txn_abort(t);
}

static void write_txn(void)
{
	struct exodb_txn *t;
	int n = 1 + (int)below(below(8) == 0 ? 300 : 30);

	E(exodb_txn_begin(db, 0, &t));
	nundo = 0;
	if (below(400) == 0) {
		int tr = (int)below(NTREES);

		E(exodb_tree_drop(t, trees[tr], 0));
		m_clear(tr);
	}
	while (n-- > 0) {
		write_op(t);
		st.ops++;
	}
	if (below(6) == 0) {
		exodb_txn_abort(t);
		m_rollback();
		st.aborts++;
	} else {
		E(exodb_txn_commit(t));
		nundo = 0;
		st.commits++;
	}
}

static void run(uint64_t seed, uint64_t nops)
{
	uint64_t next_reopen = 50000, next_check = 20000;

	rng = seed;
	snprintf(disk, sizeof(disk), "fault:model%llu",
		 (unsigned long long)seed);
	E(fault_disk_create(disk, 65536));
	E(exo_disk_format(disk, 65536ull * EXO_BLOCK_SIZE));
	vbuf = malloc(256 << 10);
	vbuf2 = malloc(256 << 10);
	db_open();
	while (st.ops < nops) {
		if (below(3) == 0)
			read_txn();
		else
			write_txn();
		if (st.ops >= next_check) {
			db_check();
			next_check += 100000;
		}
		if (st.ops >= next_reopen) {
			E(exodb_close(db));
			db_open();
			st.reopens++;
			next_reopen += 200000;
		}
	}
	db_check();
	E(exodb_close(db));
	E(fault_disk_destroy(disk));
	for (int i = 0; i < NTREES; i++) {
		while (models[i].n > 0)
			free(models[i].e[--models[i].n].k);
		free(models[i].e);
		models[i] = (struct model){ 0 };
	}
	free(undo);
	undo = NULL;
	undocap = nundo = 0;
	free(vbuf);
	free(vbuf2);
	printf("model: %llu ops (%llu gets, %llu puts, %llu dels, %llu "
	       "cursor steps), %llu commits, %llu aborts, %llu reopens, "
	       "%llu checks\n",
	       (unsigned long long)st.ops, (unsigned long long)st.gets,
	       (unsigned long long)st.puts, (unsigned long long)st.dels,
	       (unsigned long long)st.steps, (unsigned long long)st.commits,
	       (unsigned long long)st.aborts, (unsigned long long)st.reopens,
	       (unsigned long long)st.checks);
	memset(&st, 0, sizeof(st));
}

static void test_model(void **state)
{
	(void)state;
	run(0x5eed1234abcdull, NOPS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_model),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
