/*
 * test_engine.c: the exodb engine's API (engine/exodb.h), case by case.
 *
 * Every test runs on an in-memory "fault:" disk (port/fault.c) formatted
 * fresh, so tests are fast and independent.  Keys and values are
 * generated from numbers, so whatever comes back is checked byte for
 * byte.  Covered: open/create/close and bad options; put/get/del with
 * NOOVERWRITE, sizes at and past the limits, read-only refusals; 20k keys
 * in random order with full cursor scans both ways and deletes back to an
 * empty tree (every page returned to the allocator); EXODB_APPEND (full
 * pages, out-of-order refused); values up to 16 MiB in overflow chains
 * (in-place updates, resizes, deletes), and in several runs on a
 * fragmented, full disk; named trees created, aborted, listed, emptied,
 * deleted and reopened, 400 of them (a catalog of several pages), one
 * created and deleted in the same transaction; cursor ops at the edges
 * and in a writer that changes the tree under its cursor; a transaction
 * failed by a full disk refusing more work; a transaction too big
 * for the log; readers scanning while a writer changes the tree; an
 * injected EXO_EIO at I/O after I/O
 * (clean failures, then a clean store); exodb_strerror; exodb_check
 * finding a damaged page.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exodb.h"
#include "port/fault.h"

#include "core.h" /* crc32c */
#include "exo.h"

#define E(expr) assert_int_equal_msg((expr), 0, #expr)

static void assert_int_equal_msg(int got, int want, const char *what)
{
	if (got != want)
		fail_msg("%s: got %d (%s)", what, got, exodb_strerror(got));
}

static char disk[64];
static int disk_seq;

/* A fresh formatted fault disk of nblocks. */
static void new_disk(uint64_t nblocks)
{
	snprintf(disk, sizeof(disk), "fault:eng%d", disk_seq++);
	E(fault_disk_create(disk, nblocks));
	E(exo_disk_format(disk, nblocks * EXO_BLOCK_SIZE));
}

static struct exodb *open_db(unsigned flags)
{
	struct exodb_opts o = { .disk = disk, .store = "t",
				.cache_bytes = 16 << 20,
				.durability = EXODB_LAZY,
				.flags = flags };
	struct exodb *db;

	E(exodb_open(&o, &db));
	return db;
}

static void teardown_disk(struct exodb *db)
{
	if (db)
		E(exodb_close(db));
	E(fault_disk_destroy(disk));
}

static void check_ok(struct exodb *db)
{
	struct exodb_check_report r;
	int rc = exodb_check(db, &r);

	if (rc)
		fail_msg("check: %s: %s", exodb_strerror(rc), r.problem);
}

/* ---- keys and values from numbers ---- */

static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static struct exodb_val key_of(uint64_t i, char *buf)
{
	int n = snprintf(buf, 32, "key%012llu", (unsigned long long)i);

	return (struct exodb_val){ (size_t)n, buf };
}

static size_t vlen_of(uint64_t i, uint64_t ver)
{
	return 1 + mix(i * 31 + ver) % 120;
}

static void fill_val(uint8_t *buf, size_t len, uint64_t i, uint64_t ver)
{
	for (size_t k = 0; k < len; k++)
		buf[k] = (uint8_t)(mix(i * 7919 + ver * 104729 + k / 8) >>
				   (k % 8 * 8));
}

static int val_is(const struct exodb_val *v, uint64_t i, uint64_t ver,
		  size_t len)
{
	uint8_t *want = malloc(len ? len : 1);
	int ok;

	fill_val(want, len, i, ver);
	ok = v->size == len && memcmp(v->data, want, len) == 0;
	free(want);
	return ok;
}

static void put_num(struct exodb_txn *t, struct exodb_tree *tr, uint64_t i,
		    uint64_t ver, unsigned flags)
{
	uint8_t vb[128];
	char kb[32];
	struct exodb_val k = key_of(i, kb), v = { vlen_of(i, ver), vb };

	fill_val(vb, v.size, i, ver);
	E(exodb_put(t, tr, &k, &v, flags));
}

static void get_num(struct exodb_txn *t, struct exodb_tree *tr, uint64_t i,
		    uint64_t ver)
{
	char kb[32];
	struct exodb_val k = key_of(i, kb), v;

	E(exodb_get(t, tr, &k, &v));
	assert_true(val_is(&v, i, ver, vlen_of(i, ver)));
}

static void shuffle(uint64_t *a, size_t n, uint64_t seed)
{
	for (size_t i = n; i > 1; i--) {
		size_t j = mix(seed + i) % i;
		uint64_t x = a[i - 1];

		a[i - 1] = a[j];
		a[j] = x;
	}
}

/* ---- open and close ---- */

static void test_open(void **state)
{
	struct exodb_opts o = { .disk = disk, .store = "s1" };
	struct exodb *db;
	struct exodb_txn *t;

	(void)state;
	new_disk(4096);
	assert_int_equal(exodb_open(&o, &db), EXO_ENOENT);
	o.flags = EXODB_CREATE | EXODB_EXCL;
	E(exodb_open(&o, &db));
	E(exodb_close(db));
	assert_int_equal(exodb_open(&o, &db), EXO_EEXIST);
	o.flags = 0;
	E(exodb_open(&o, &db));
	E(exodb_txn_begin(db, 0, &t));
	exodb_txn_abort(t);
	E(exodb_close(db));
	/* read-only: no writers */
	o.flags = EXODB_READONLY_STORE;
	E(exodb_open(&o, &db));
	assert_int_equal(exodb_txn_begin(db, 0, &t), EXODB_READONLY);
	assert_int_equal(exodb_checkpoint(db), EXODB_READONLY);
	E(exodb_txn_begin(db, EXODB_RDONLY, &t));
	E(exodb_txn_commit(t));
	E(exodb_close(db));
	/* bad options */
	assert_int_equal(exodb_open(NULL, &db), EXO_EINVAL);
	o.flags = EXODB_EXCL;
	assert_int_equal(exodb_open(&o, &db), EXO_EINVAL);
	o.flags = EXODB_CREATE | EXODB_READONLY_STORE;
	assert_int_equal(exodb_open(&o, &db), EXO_EINVAL);
	o.flags = 0x100;
	assert_int_equal(exodb_open(&o, &db), EXO_EINVAL);
	o.flags = 0;
	o.durability = 7;
	assert_int_equal(exodb_open(&o, &db), EXO_EINVAL);
	o.durability = EXODB_FULL;
	o.store = "";
	assert_int_equal(exodb_open(&o, &db), EXO_EINVAL);
	o.store = "nosuch";
	assert_int_equal(exodb_open(&o, &db), EXO_ENOENT);
	o.disk = "fault:nosuchdisk";
	o.flags = EXODB_CREATE;
	assert_true(exodb_open(&o, &db) < 0);
	teardown_disk(NULL);
}

/* ---- put, get, del ---- */

static void test_put_get_del(void **state)
{
	static uint8_t big[EXODB_MAXKEYSIZE + 1];
	struct exodb *db;
	struct exodb_txn *t;
	struct exodb_tree *tr;
	struct exodb_val k = { 3, "abc" }, v = { 5, "hello" }, out;
	struct exodb_val empty = { 0, NULL };

	(void)state;
	new_disk(4096);
	db = open_db(EXODB_CREATE);
	E(exodb_txn_begin(db, 0, &t));
	E(exodb_tree_open(t, NULL, 0, &tr));
	assert_int_equal(exodb_get(t, tr, &k, &out), EXODB_NOTFOUND);
	E(exodb_put(t, tr, &k, &v, 0));
	E(exodb_get(t, tr, &k, &out));
	assert_int_equal(out.size, 5);
	assert_memory_equal(out.data, "hello", 5);
	assert_int_equal(exodb_put(t, tr, &k, &v, EXODB_NOOVERWRITE),
			 EXODB_KEYEXIST);
	v = (struct exodb_val){ 5, "HELLO" }; /* same size: in place */
	E(exodb_put(t, tr, &k, &v, 0));
	v = (struct exodb_val){ 2, "hi" };
	E(exodb_put(t, tr, &k, &v, 0));
	/* sizes */
	k.size = 0;
	assert_int_equal(exodb_put(t, tr, &k, &v, 0), EXODB_BAD_VALSIZE);
	assert_int_equal(exodb_get(t, tr, &k, &out), EXODB_BAD_VALSIZE);
	memset(big, 'k', sizeof(big));
	k = (struct exodb_val){ EXODB_MAXKEYSIZE + 1, big };
	assert_int_equal(exodb_put(t, tr, &k, &v, 0), EXODB_BAD_VALSIZE);
	k.size = EXODB_MAXKEYSIZE;
	E(exodb_put(t, tr, &k, &empty, 0));
	E(exodb_get(t, tr, &k, &out));
	assert_int_equal(out.size, 0);
	k = (struct exodb_val){ 1, "z" };
	E(exodb_put(t, tr, &k, &v, 0));
	assert_int_equal(exodb_put(t, tr, &k, &v, 0x4000), EXO_EINVAL);
	k = (struct exodb_val){ 3, NULL };
	assert_int_equal(exodb_put(t, tr, &k, &v, 0), EXO_EINVAL);
	E(exodb_txn_commit(t));

	/* a reader sees the commit and may not write */
	E(exodb_txn_begin(db, EXODB_RDONLY, &t));
	k = (struct exodb_val){ 3, "abc" };
	E(exodb_get(t, tr, &k, &out));
	assert_int_equal(out.size, 2);
	assert_memory_equal(out.data, "hi", 2);
	assert_int_equal(exodb_put(t, tr, &k, &v, 0), EXODB_READONLY);
	assert_int_equal(exodb_del(t, tr, &k), EXODB_READONLY);
	assert_int_equal(exodb_tree_open(t, "x", EXODB_TREE_CREATE, &tr),
			 EXODB_READONLY);
	exodb_txn_abort(t);

	/* delete, and an aborted delete */
	E(exodb_txn_begin(db, 0, &t));
	E(exodb_tree_open(t, NULL, 0, &tr));
	E(exodb_del(t, tr, &k));
	assert_int_equal(exodb_del(t, tr, &k), EXODB_NOTFOUND);
	exodb_txn_abort(t);
	E(exodb_txn_begin(db, 0, &t));
	E(exodb_get(t, tr, &k, &out));
	E(exodb_del(t, tr, &k));
	E(exodb_txn_commit(t));
	E(exodb_txn_begin(db, EXODB_RDONLY, &t));
	assert_int_equal(exodb_get(t, tr, &k, &out), EXODB_NOTFOUND);
	exodb_txn_abort(t);
	check_ok(db);
	teardown_disk(db);
}

/* ---- many keys ---- */

static void scan_all(struct exodb *db, struct exodb_tree *tr, uint64_t n,
		     uint64_t ver, int backward)
{
	struct exodb_txn *t;
	struct exodb_cursor *c;
	struct exodb_val k, v;
	char kb[32];
	uint64_t i, got = 0;
	int rc;

	E(exodb_txn_begin(db, EXODB_RDONLY, &t));
	E(exodb_cursor_open(t, tr, &c));
	while ((rc = exodb_cursor_get(c, &k, &v,
				      backward ? EXODB_PREV : EXODB_NEXT)) ==
	       0) {
		i = backward ? n - 1 - got : got;
		struct exodb_val want = key_of(i, kb);

		assert_int_equal(k.size, want.size);
		assert_memory_equal(k.data, want.data, k.size);
		assert_true(val_is(&v, i, ver, vlen_of(i, ver)));
		got++;
	}
	assert_int_equal(rc, EXODB_NOTFOUND);
	assert_int_equal(got, n);
	exodb_txn_abort(t);
}

static void test_many_keys(void **state)
{
	enum { N = 20000 };
	uint64_t *ord = malloc(N * sizeof(*ord)), i, free0;
	struct exodb *db;
	struct exodb_txn *t;
	struct exodb_tree *tr;
	struct exodb_stat st;

	(void)state;
	new_disk(16384);
	db = open_db(EXODB_CREATE);
	E(exodb_txn_begin(db, EXODB_RDONLY, &t));
	E(exodb_tree_open(t, NULL, 0, &tr));
	E(exodb_stat(t, tr, &st));
	free0 = st.disk_free;
	exodb_txn_abort(t);

	for (i = 0; i < N; i++)
		ord[i] = i;
	shuffle(ord, N, 1);
	for (i = 0; i < N; i++) {
		if (i % 1000 == 0)
			E(exodb_txn_begin(db, 0, &t));
		put_num(t, tr, ord[i], 1, EXODB_NOOVERWRITE);
		if (i % 1000 == 999)
			E(exodb_txn_commit(t));
	}
	check_ok(db);
	scan_all(db, tr, N, 1, 0);
	scan_all(db, tr, N, 1, 1);
	E(exodb_txn_begin(db, EXODB_RDONLY, &t));
	for (i = 0; i < N; i += 7)
		get_num(t, tr, i, 1);
	E(exodb_stat(t, tr, &st));
	assert_int_equal(st.entries, N);
	assert_true(st.depth >= 2);
	assert_true(st.leaf_pages > N / 60);
	exodb_txn_abort(t);

	/* update every key with a new size, then delete them all */
	E(exodb_txn_begin(db, 0, &t));
	for (i = 0; i < N; i++)
		put_num(t, tr, ord[i], 2, 0);
	E(exodb_txn_commit(t));
	scan_all(db, tr, N, 2, 0);
	shuffle(ord, N, 2);
	for (i = 0; i < N; i++) {
		if (i % 1000 == 0)
			E(exodb_txn_begin(db, 0, &t));
		char kb[32];
		struct exodb_val k = key_of(ord[i], kb);

		E(exodb_del(t, tr, &k));
		if (i % 1000 == 999) {
			E(exodb_txn_commit(t));
			if (i % 5000 == 4999)
				check_ok(db);
		}
	}
	E(exodb_txn_begin(db, EXODB_RDONLY, &t));
	E(exodb_stat(t, tr, &st));
	assert_int_equal(st.entries, 0);
	assert_int_equal(st.depth, 1);
	assert_int_equal(st.leaf_pages, 1);
	assert_int_equal(st.disk_free, free0);
	exodb_txn_abort(t);
	check_ok(db);
	free(ord);
	teardown_disk(db);
}

/* ---- append ---- */

static void test_append(void **state)
{
	enum { N = 30000 };
	struct exodb *db;
	struct exodb_txn *t;
	struct exodb_tree *tr;
	struct exodb_stat st;
	uint64_t i;

	(void)state;
	new_disk(16384);
	db = open_db(EXODB_CREATE);
	E(exodb_txn_begin(db, 0, &t));
	E(exodb_tree_open(t, "bulk", EXODB_TREE_CREATE, &tr));
	for (i = 0; i < N; i++) {
		put_num(t, tr, i, 1, EXODB_APPEND);
		if (i % 5000 == 4999) {
			E(exodb_txn_commit(t));
			E(exodb_txn_begin(db, 0, &t));
		}
	}
	{
		uint8_t vb[8] = { 0 };
		char kb[32];
		struct exodb_val k = key_of(5, kb), v = { 8, vb };

		assert_int_equal(exodb_put(t, tr, &k, &v, EXODB_APPEND),
				 EXODB_KEYEXIST);
		k = key_of(N - 1, kb);
		assert_int_equal(exodb_put(t, tr, &k, &v, EXODB_APPEND),
				 EXODB_KEYEXIST);
	}
	E(exodb_stat(t, tr, &st));
	E(exodb_txn_commit(t));
	assert_int_equal(st.entries, N);
	/* full pages: at least 95% of the leaf space used */
	assert_true(st.bytes_used * 100 >=
		    95 * (st.leaf_pages + st.branch_pages) * 4056);
	scan_all(db, tr, N, 1, 0);
	check_ok(db);
	teardown_disk(db);
}

/* ---- large values ---- */

static void big_val(uint8_t *b, size_t len, uint64_t seed)
{
	for (size_t i = 0; i < len; i += 8) {
		uint64_t x = mix(seed + i);

		memcpy(b + i, &x, len - i < 8 ? len - i : 8);
	}
}

static void test_large_values(void **state)
{
	static const size_t sizes[] = { 1300, 1400, 4056, 4057, 10000,
					1 << 20, 16 << 20 };
	enum { NS = sizeof(sizes) / sizeof(sizes[0]) };
	struct exodb_opts o = { .store = "big", .cache_bytes = 128 << 20,
				.durability = EXODB_LAZY,
				.flags = EXODB_CREATE };
	size_t maxlen = 16 << 20;
	uint8_t *b = malloc(maxlen), *w = malloc(maxlen);
	struct exodb *db;
	struct exodb_txn *t;
	struct exodb_tree *tr;
	struct exodb_stat st;
	struct exodb_val k, v;
	char kb[32];
	size_t i;

	(void)state;
	new_disk(131072); /* 512 MiB: a 128 MiB log */
	o.disk = disk;
	E(exodb_open(&o, &db));
	for (i = 0; i < NS; i++) {
		E(exodb_txn_begin(db, 0, &t));
		E(exodb_tree_open(t, NULL, 0, &tr));
		big_val(b, sizes[i], i);
		k = key_of(i, kb);
		v = (struct exodb_val){ sizes[i], b };
		E(exodb_put(t, tr, &k, &v, 0));
		E(exodb_txn_commit(t));
	}
	E(exodb_txn_begin(db, EXODB_RDONLY, &t));
	for (i = 0; i < NS; i++) {
		big_val(b, sizes[i], i);
		k = key_of(i, kb);
		E(exodb_get(t, tr, &k, &v));
		assert_int_equal(v.size, sizes[i]);
		assert_true(memcmp(v.data, b, sizes[i]) == 0);
	}
	E(exodb_stat(t, tr, &st));
	assert_true(st.overflow_pages >= (17u << 20) / 4056);
	exodb_txn_abort(t);
	check_ok(db);

	/* rewrite in place (same page count), resize, shrink to inline */
	E(exodb_txn_begin(db, 0, &t));
	big_val(w, 1 << 20, 99);
	k = key_of(5, kb);
	v = (struct exodb_val){ (1 << 20) - 7, w };
	E(exodb_put(t, tr, &k, &v, 0));
	k = key_of(6, kb);
	v = (struct exodb_val){ 50000, w };
	E(exodb_put(t, tr, &k, &v, 0));
	k = key_of(4, kb);
	v = (struct exodb_val){ 10, w };
	E(exodb_put(t, tr, &k, &v, 0));
	k = key_of(0, kb);
	v = (struct exodb_val){ 100000, w };
	E(exodb_put(t, tr, &k, &v, 0));
	E(exodb_txn_commit(t));
	E(exodb_txn_begin(db, EXODB_RDONLY, &t));
	k = key_of(5, kb);
	E(exodb_get(t, tr, &k, &v));
	assert_int_equal(v.size, (1 << 20) - 7);
	assert_true(memcmp(v.data, w, v.size) == 0);
	k = key_of(6, kb);
	E(exodb_get(t, tr, &k, &v));
	assert_int_equal(v.size, 50000);
	assert_true(memcmp(v.data, w, v.size) == 0);
	k = key_of(4, kb);
	E(exodb_get(t, tr, &k, &v));
	assert_int_equal(v.size, 10);
	k = key_of(0, kb);
	E(exodb_get(t, tr, &k, &v));
	assert_int_equal(v.size, 100000);
	assert_true(memcmp(v.data, w, v.size) == 0);
	exodb_txn_abort(t);
	check_ok(db);

	/* delete everything: no overflow page left */
	E(exodb_txn_begin(db, 0, &t));
	for (i = 0; i < NS; i++) {
		k = key_of(i, kb);
		E(exodb_del(t, tr, &k));
	}
	E(exodb_stat(t, tr, &st));
	assert_int_equal(st.overflow_pages, 0);
	E(exodb_txn_commit(t));
	check_ok(db);
	E(exodb_close(db));
	o.flags = 0;
	E(exodb_open(&o, &db));
	check_ok(db);
	free(b);
	free(w);
	teardown_disk(db);
}

/* ---- overflow chains in several runs ---- */

/* A nearly full disk with free space only in small holes: a large value
 * is allocated in several runs, and reads, rewrites and frees back. */
static void test_fragmented_overflow(void **state)
{
	uint8_t *b = malloc(1 << 20), *w = malloc(1 << 20);
	struct exodb *db;
	struct exodb_txn *t;
	struct exodb_tree *tr;
	struct exodb_stat st;
	struct exodb_val k, v;
	char kb[32];
	uint64_t i, n = 0, free0;
	int rc = 0;

	(void)state;
	new_disk(1536); /* 6 MiB: the store fills it */
	db = open_db(EXODB_CREATE);
	memset(b, 'f', 1 << 20);
	/* fill with 2-page values until the disk is full */
	while (rc == 0) {
		E(exodb_txn_begin(db, 0, &t));
		E(exodb_tree_open(t, NULL, 0, &tr));
		for (i = 0; rc == 0 && i < 10; i++, n++) {
			k = key_of(n, kb);
			v = (struct exodb_val){ 5000, b };
			rc = exodb_put(t, tr, &k, &v, 0);
		}
		if (rc == 0) {
			E(exodb_txn_commit(t));
		} else { /* a failed transaction refuses more work */
			assert_int_equal(rc, EXO_ENOSPC);
			assert_int_equal(exodb_put(t, tr, &k, &v, 0),
					 EXODB_BAD_TXN);
			assert_int_equal(exodb_get(t, tr, &k, &v),
					 EXODB_BAD_TXN);
			assert_int_equal(exodb_txn_commit(t), EXODB_BAD_TXN);
			n -= i;
		}
	}
	/* free every other value: holes of two pages */
	E(exodb_txn_begin(db, 0, &t));
	for (i = 0; i < n; i += 2) {
		k = key_of(i, kb);
		E(exodb_del(t, tr, &k));
	}
	E(exodb_txn_commit(t));
	E(exodb_txn_begin(db, EXODB_RDONLY, &t));
	E(exodb_stat(t, NULL, &st));
	free0 = st.disk_free;
	exodb_txn_abort(t);
	assert_true(free0 > 40);

	/* a 100 KB value: 25 pages, only in two-page holes */
	big_val(w, 100000, 7);
	E(exodb_txn_begin(db, 0, &t));
	k = (struct exodb_val){ 3, "big" };
	v = (struct exodb_val){ 100000, w };
	E(exodb_put(t, tr, &k, &v, 0));
	E(exodb_txn_commit(t));
	check_ok(db);
	E(exodb_txn_begin(db, 0, &t));
	E(exodb_get(t, tr, &k, &v));
	assert_int_equal(v.size, 100000);
	assert_true(memcmp(v.data, w, 100000) == 0);
	big_val(w, 100000, 8); /* rewrite in place, chain and all */
	v = (struct exodb_val){ 99999, w };
	E(exodb_put(t, tr, &k, &v, 0));
	E(exodb_get(t, tr, &k, &v));
	assert_int_equal(v.size, 99999);
	assert_true(memcmp(v.data, w, 99999) == 0);
	E(exodb_txn_commit(t));
	check_ok(db);
	E(exodb_txn_begin(db, 0, &t));
	E(exodb_del(t, tr, &k));
	E(exodb_txn_commit(t));
	E(exodb_txn_begin(db, EXODB_RDONLY, &t));
	E(exodb_stat(t, NULL, &st));
	assert_int_equal(st.disk_free, free0);
	exodb_txn_abort(t);
	check_ok(db);
	free(b);
	free(w);
	teardown_disk(db);
}

/* ---- a big catalog ---- */

static int count_name(void *arg, const char *name)
{
	char want[32];
	int *n = arg;

	snprintf(want, sizeof(want), "tree-%04d-%s", *n, "x");
	if (strcmp(name, want))
		return -1;
	(*n)++;
	return 0;
}

static void test_many_trees(void **state)
{
	enum { NT = 400 };
	struct exodb_tree *tr[NT], *x;
	struct exodb *db;
	struct exodb_txn *t;
	struct exodb_cursor *c1, *c2, *c3;
	struct exodb_val k = { 1, "k" }, v, out;
	char name[32];
	int i, n = 0;

	(void)state;
	new_disk(8192);
	db = open_db(EXODB_CREATE);
	E(exodb_txn_begin(db, 0, &t));
	for (i = 0; i < NT; i++) {
		snprintf(name, sizeof(name), "tree-%04d-x", i);
		E(exodb_tree_open(t, name, EXODB_TREE_CREATE, &tr[i]));
		v = (struct exodb_val){ strlen(name), name };
		E(exodb_put(t, tr[i], &k, &v, 0));
	}
	/* created and deleted in one transaction: never there */
	E(exodb_tree_open(t, "ephemeral", EXODB_TREE_CREATE, &x));
	E(exodb_tree_drop(t, x, 1));
	assert_int_equal(exodb_put(t, x, &k, &k, 0), EXODB_BAD_TREE);
	/* three cursors, closed middle, first, last */
	E(exodb_cursor_open(t, tr[0], &c1));
	E(exodb_cursor_open(t, tr[1], &c2));
	E(exodb_cursor_open(t, tr[2], &c3));
	exodb_cursor_close(c2);
	exodb_cursor_close(c3);
	E(exodb_cursor_get(c1, &out, &v, EXODB_FIRST));
	exodb_cursor_close(c1);
	E(exodb_txn_commit(t));
	E(exodb_close(db));
	db = open_db(0);
	E(exodb_txn_begin(db, EXODB_RDONLY, &t));
	E(exodb_tree_names(t, count_name, &n));
	assert_int_equal(n, NT);
	for (i = 0; i < NT; i += 37) {
		snprintf(name, sizeof(name), "tree-%04d-x", i);
		E(exodb_tree_open(t, name, 0, &x));
		E(exodb_get(t, x, &k, &out));
		assert_int_equal(out.size, strlen(name));
		assert_memory_equal(out.data, name, out.size);
	}
	assert_int_equal(exodb_tree_open(t, "ephemeral", 0, &x),
			 EXODB_NOTFOUND);
	exodb_txn_abort(t);
	check_ok(db);
	teardown_disk(db);
}

/* ---- injected I/O errors ---- */

/* An EXO_EIO at any I/O of a workload that misses the cache: calls fail
 * cleanly (no crash, no leak); after a reopen the store checks clean and
 * holds every committed key. */
static void test_io_errors(void **state)
{
	struct exodb_opts o = { .store = "eio", .cache_bytes = 256 << 10,
				.durability = EXODB_FULL,
				.flags = EXODB_CREATE };
	struct exodb *db;
	struct exodb_txn *t;
	struct exodb_tree *tr;
	uint64_t i, at;

	(void)state;
	new_disk(8192);
	o.disk = disk;
	E(exodb_open(&o, &db));
	for (i = 0; i < 3000; i++) {
		if (i % 100 == 0) {
			E(exodb_txn_begin(db, 0, &t));
			E(exodb_tree_open(t, "e", EXODB_TREE_CREATE, &tr));
		}
		put_num(t, tr, i, 1, 0);
		if (i % 100 == 99)
			E(exodb_txn_commit(t));
	}
	E(exodb_close(db));
	o.flags = 0;
	for (at = 1; at < 400; at += 13) {
		struct fault_plan p = FAULT_PLAN_INIT;
		int rc = 0;

		E(exodb_open(&o, &db));
		p.eio_at_io = at;
		E(fault_set_plan(disk, &p));
		for (i = 0; i < 30 && rc == 0; i++) {
			rc = exodb_txn_begin(db, 0, &t);
			if (rc)
				break;
			rc = exodb_tree_open(t, "e", 0, &tr);
			for (uint64_t j = 0; rc == 0 && j < 20; j++) {
				char kb[32];
				uint64_t id = mix(at * 100 + i * 20 + j) % 3000;
				struct exodb_val k = key_of(id, kb), v;

				rc = exodb_get(t, tr, &k, &v);
				if (rc == 0)
					rc = exodb_put(t, tr, &k, &v, 0);
			}
			if (rc) {
				exodb_txn_abort(t);
				break;
			}
			rc = exodb_txn_commit(t);
		}
		assert_true(rc == 0 || rc == EXO_EIO || rc == EXODB_BAD_TXN ||
			    rc == EXO_ECORRUPT);
		exodb_close(db);
		p = (struct fault_plan)FAULT_PLAN_INIT;
		E(fault_set_plan(disk, &p));
		E(exodb_open(&o, &db));
		check_ok(db);
		E(exodb_txn_begin(db, EXODB_RDONLY, &t));
		E(exodb_tree_open(t, "e", 0, &tr));
		for (i = 0; i < 3000; i += 97)
			get_num(t, tr, i, 1); /* values were rewritten equal */
		exodb_txn_abort(t);
		E(exodb_close(db));
	}
	teardown_disk(NULL);
}

/* ---- named trees ---- */

struct names {
	char v[8][32];
	int n;
};

static int add_name(void *arg, const char *name)
{
	struct names *nm = arg;

	if (nm->n == 8)
		return -99;
	snprintf(nm->v[nm->n++], 32, "%s", name);
	return 0;
}

static void test_trees(void **state)
{
	struct exodb *db;
	struct exodb_txn *t;
	struct exodb_tree *a, *b, *c, *x;
	struct exodb_val k = { 1, "k" }, v = { 1, "v" }, out;
	struct names nm = { 0 };
	char longname[EXODB_NAME_MAX + 2];

	(void)state;
	new_disk(4096);
	db = open_db(EXODB_CREATE);
	E(exodb_txn_begin(db, 0, &t));
	assert_int_equal(exodb_tree_open(t, "a", 0, &a), EXODB_NOTFOUND);
	E(exodb_tree_open(t, "a", EXODB_TREE_CREATE, &a));
	E(exodb_tree_open(t, "a", 0, &x));
	assert_ptr_equal(a, x);
	E(exodb_put(t, a, &k, &v, 0));
	E(exodb_tree_open(t, "b", EXODB_TREE_CREATE, &b));
	memset(longname, 'n', sizeof(longname));
	longname[EXODB_NAME_MAX + 1] = '\0';
	assert_int_equal(exodb_tree_open(t, longname, EXODB_TREE_CREATE, &x),
			 EXODB_BAD_VALSIZE);
	assert_int_equal(exodb_tree_open(t, "", EXODB_TREE_CREATE, &x),
			 EXODB_BAD_VALSIZE);
	E(exodb_txn_commit(t));

	/* a tree created by an aborted transaction is gone */
	E(exodb_txn_begin(db, 0, &t));
	E(exodb_tree_open(t, "c", EXODB_TREE_CREATE, &c));
	E(exodb_put(t, c, &k, &v, 0));
	exodb_txn_abort(t);
	E(exodb_txn_begin(db, 0, &t));
	assert_int_equal(exodb_put(t, c, &k, &v, 0), EXODB_BAD_TREE);
	E(exodb_txn_commit(t));
	E(exodb_txn_begin(db, EXODB_RDONLY, &t));
	assert_int_equal(exodb_tree_open(t, "c", 0, &x), EXODB_NOTFOUND);
	E(exodb_tree_names(t, add_name, &nm));
	assert_int_equal(nm.n, 2);
	assert_string_equal(nm.v[0], "a");
	assert_string_equal(nm.v[1], "b");
	exodb_txn_abort(t);

	/* empty a, delete b (others see b until the commit) */
	E(exodb_txn_begin(db, 0, &t));
	E(exodb_tree_drop(t, a, 0));
	assert_int_equal(exodb_get(t, a, &k, &out), EXODB_NOTFOUND);
	E(exodb_tree_drop(t, b, 1));
	assert_int_equal(exodb_put(t, b, &k, &v, 0), EXODB_BAD_TREE);
	assert_int_equal(exodb_tree_drop(t, NULL, 1), EXO_EINVAL);
	{
		struct exodb_txn *r;
		struct exodb_tree *d;

		E(exodb_txn_begin(db, EXODB_RDONLY, &r));
		E(exodb_get(r, a, &k, &out));
		E(exodb_tree_open(r, NULL, 0, &d));
		assert_int_equal(exodb_tree_drop(t, d, 1), EXO_EINVAL);
		assert_int_equal(exodb_get(r, b, &k, &out), EXODB_NOTFOUND);
		exodb_txn_abort(r);
	}
	E(exodb_txn_commit(t));
	E(exodb_txn_begin(db, EXODB_RDONLY, &t));
	assert_int_equal(exodb_get(t, b, &k, &out), EXODB_BAD_TREE);
	assert_int_equal(exodb_tree_open(t, "b", 0, &x), EXODB_NOTFOUND);
	E(exodb_tree_open(t, "a", 0, &x));
	assert_int_equal(exodb_get(t, x, &k, &out), EXODB_NOTFOUND);
	exodb_txn_abort(t);
	check_ok(db);

	/* recreate b with the same name; survives a reopen */
	E(exodb_txn_begin(db, 0, &t));
	E(exodb_tree_open(t, "b", EXODB_TREE_CREATE, &b));
	E(exodb_put(t, b, &k, &v, 0));
	E(exodb_txn_commit(t));
	E(exodb_close(db));
	db = open_db(0);
	E(exodb_txn_begin(db, EXODB_RDONLY, &t));
	E(exodb_tree_open(t, "b", 0, &b));
	E(exodb_get(t, b, &k, &out));
	assert_memory_equal(out.data, "v", 1);
	exodb_txn_abort(t);
	check_ok(db);
	teardown_disk(db);
}

/* ---- cursors ---- */

static void cur_expect(struct exodb_cursor *c, enum exodb_cursor_op op,
		       struct exodb_val *key, int rc, uint64_t want)
{
	struct exodb_val k = key ? *key : (struct exodb_val){ 0, NULL }, v;
	char kb[32];
	struct exodb_val wk = key_of(want, kb);

	assert_int_equal(exodb_cursor_get(c, &k, &v, op), rc);
	if (rc == 0) {
		assert_int_equal(k.size, wk.size);
		assert_memory_equal(k.data, wk.data, k.size);
	}
}

static void test_cursors(void **state)
{
	struct exodb *db;
	struct exodb_txn *t;
	struct exodb_tree *tr;
	struct exodb_cursor *c;
	struct exodb_val k, v;
	char kb[32];
	uint64_t i;

	(void)state;
	new_disk(8192);
	db = open_db(EXODB_CREATE);
	E(exodb_txn_begin(db, 0, &t));
	E(exodb_tree_open(t, NULL, 0, &tr));
	E(exodb_cursor_open(t, tr, &c));
	cur_expect(c, EXODB_FIRST, NULL, EXODB_NOTFOUND, 0);
	cur_expect(c, EXODB_NEXT, NULL, EXODB_NOTFOUND, 0);
	assert_int_equal(exodb_cursor_get(c, &k, &v, EXODB_GET_CURRENT),
			 EXO_EINVAL);
	for (i = 0; i < 5000; i++)
		put_num(t, tr, i * 2, 0, 0); /* even keys only */
	cur_expect(c, EXODB_FIRST, NULL, 0, 0);
	cur_expect(c, EXODB_PREV, NULL, EXODB_NOTFOUND, 0);
	cur_expect(c, EXODB_GET_CURRENT, NULL, 0, 0);
	cur_expect(c, EXODB_NEXT, NULL, 0, 2);
	cur_expect(c, EXODB_LAST, NULL, 0, 9998);
	cur_expect(c, EXODB_NEXT, NULL, EXODB_NOTFOUND, 0);
	cur_expect(c, EXODB_GET_CURRENT, NULL, 0, 9998);
	k = key_of(777, kb);
	cur_expect(c, EXODB_SET, &k, EXODB_NOTFOUND, 0);
	cur_expect(c, EXODB_SET_RANGE, &k, 0, 778);
	cur_expect(c, EXODB_PREV, NULL, 0, 776);
	k = key_of(10001, kb);
	cur_expect(c, EXODB_SET_RANGE, &k, EXODB_NOTFOUND, 0);
	k = key_of(4000, kb);
	cur_expect(c, EXODB_SET, &k, 0, 4000);
	/* the writer changes the tree under its cursor */
	for (i = 0; i < 2000; i++) {
		char kb2[32];
		struct exodb_val dk = key_of(4002 + i * 2, kb2);

		E(exodb_del(t, tr, &dk));
	}
	put_num(t, tr, 4001, 0, 0);
	cur_expect(c, EXODB_NEXT, NULL, 0, 4001);
	cur_expect(c, EXODB_NEXT, NULL, 0, 8002);
	cur_expect(c, EXODB_PREV, NULL, 0, 4001);
	k = (struct exodb_val){ 0, kb };
	assert_int_equal(exodb_cursor_get(c, &k, &v, EXODB_SET),
			 EXODB_BAD_VALSIZE);
	assert_int_equal(exodb_cursor_get(c, &k, &v, 99), EXO_EINVAL);
	exodb_cursor_close(c);
	E(exodb_cursor_open(t, tr, &c)); /* freed by the commit */
	E(exodb_txn_commit(t));

	/* a reader's cursor follows commits between its steps */
	E(exodb_txn_begin(db, EXODB_RDONLY, &t));
	E(exodb_cursor_open(t, tr, &c));
	cur_expect(c, EXODB_LAST, NULL, 0, 9998);
	cur_expect(c, EXODB_PREV, NULL, 0, 9996);
	{
		struct exodb_txn *w;

		E(exodb_txn_begin(db, 0, &w));
		put_num(w, tr, 9995, 0, 0);
		for (i = 9000; i < 9990; i += 2) {
			char kb2[32];
			struct exodb_val dk = key_of(i, kb2);

			E(exodb_del(w, tr, &dk));
		}
		E(exodb_txn_commit(w));
	}
	cur_expect(c, EXODB_PREV, NULL, 0, 9995);
	cur_expect(c, EXODB_PREV, NULL, 0, 9994);
	for (i = 0; i < 2; i++)
		cur_expect(c, EXODB_PREV, NULL, 0, 9992 - i * 2);
	cur_expect(c, EXODB_PREV, NULL, 0, 8998);
	exodb_txn_abort(t);
	check_ok(db);
	teardown_disk(db);
}

/* ---- limits and failures ---- */

static void test_txn_full(void **state)
{
	struct exodb_opts o = { .store = "full", .cache_bytes = 64 << 20,
				.durability = EXODB_LAZY,
				.log_bytes = 4 << 20, .flags = EXODB_CREATE };
	uint8_t *b = calloc(1, 2 << 20);
	struct exodb *db;
	struct exodb_txn *t;
	struct exodb_tree *tr;
	struct exodb_val k = { 1, "k" }, v = { 2 << 20, b }, out;

	(void)state;
	new_disk(16384);
	o.disk = disk;
	E(exodb_open(&o, &db));
	E(exodb_txn_begin(db, 0, &t));
	E(exodb_tree_open(t, NULL, 0, &tr));
	E(exodb_put(t, tr, &k, &v, 0)); /* 2 MiB > a quarter of 4 MiB */
	assert_int_equal(exodb_txn_commit(t), EXODB_TXN_FULL);
	E(exodb_txn_begin(db, 0, &t));
	assert_int_equal(exodb_get(t, tr, &k, &out), EXODB_NOTFOUND);
	v.size = 100000;
	E(exodb_put(t, tr, &k, &v, 0));
	E(exodb_txn_commit(t));
	check_ok(db);
	free(b);
	teardown_disk(db);
}

/* ---- readers during writes ---- */

struct rd_arg {
	struct exodb *db;
	struct exodb_tree *tr;
	atomic_int *stop;
	long scans;
};

/* Every key's value names the key: scans must see ascending keys with
 * their own values, whatever commits run meanwhile. */
static void *reader(void *p)
{
	struct rd_arg *a = p;
	struct exodb_txn *t;
	struct exodb_cursor *c;
	struct exodb_val k, v, pk = { 0, NULL };
	char prev[32];

	while (!atomic_load(a->stop) || a->scans < 3) {
		if (exodb_txn_begin(a->db, EXODB_RDONLY, &t) ||
		    exodb_cursor_open(t, a->tr, &c))
			abort();
		pk.size = 0;
		while (exodb_cursor_get(c, &k, &v, EXODB_NEXT) == 0) {
			if (v.size != k.size || memcmp(k.data, v.data, k.size))
				abort();
			if (pk.size && memcmp(prev, k.data, k.size) >= 0)
				abort();
			memcpy(prev, k.data, k.size);
			pk.size = k.size;
		}
		exodb_txn_abort(t);
		a->scans++;
	}
	return NULL;
}

static void test_readers_during_writes(void **state)
{
	struct exodb *db;
	struct exodb_txn *t;
	struct exodb_tree *tr;
	pthread_t th[2];
	struct rd_arg ra[2];
	atomic_int stop = 0;
	uint64_t i, r;
	char kb[32];

	(void)state;
	new_disk(8192);
	db = open_db(EXODB_CREATE);
	E(exodb_txn_begin(db, 0, &t));
	E(exodb_tree_open(t, "r", EXODB_TREE_CREATE, &tr));
	E(exodb_txn_commit(t));
	for (i = 0; i < 2; i++) {
		ra[i] = (struct rd_arg){ db, tr, &stop, 0 };
		pthread_create(&th[i], NULL, reader, &ra[i]);
	}
	for (r = 0; r < 150; r++) {
		E(exodb_txn_begin(db, 0, &t));
		for (i = 0; i < 100; i++) {
			struct exodb_val k = key_of(mix(r * 100 + i) % 8000,
						    kb);

			if (mix(r + i * 3) % 3 == 0) {
				int rc = exodb_del(t, tr, &k);

				assert_true(rc == 0 || rc == EXODB_NOTFOUND);
			} else {
				E(exodb_put(t, tr, &k, &k, 0));
			}
		}
		E(exodb_txn_commit(t));
	}
	atomic_store(&stop, 1);
	for (i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	assert_true(ra[0].scans >= 3 && ra[1].scans >= 3);
	check_ok(db);
	teardown_disk(db);
}

/* ---- errors and check ---- */

static void test_strerror(void **state)
{
	(void)state;
	assert_string_equal(exodb_strerror(EXODB_NOTFOUND),
			    "EXODB_NOTFOUND: no matching key, or no such tree");
	assert_true(!strncmp(exodb_strerror(EXODB_KEYEXIST),
			     "EXODB_KEYEXIST: ", 16));
	assert_true(!strncmp(exodb_strerror(EXODB_LAST_ERRCODE),
			     "EXODB_INCOMPAT: ", 16));
	assert_true(!strncmp(exodb_strerror(EXO_EIO), "EXO_EIO", 7));
	assert_true(!strncmp(exodb_strerror(0), "EXODB_SUCCESS", 13));
	assert_true(!strncmp(exodb_strerror(-30000), "EXODB_UNKNOWN", 13));
	assert_true(!strncmp(exodb_strerror(12), "EXODB_UNKNOWN", 13));
}

/* A leaf whose key order is broken (its checksum recomputed: an engine
 * bug, not a media error) is found by exodb_check. */
static void test_check_finds_damage(void **state)
{
	struct exodb *db;
	struct exodb_txn *t;
	struct exodb_tree *tr;
	struct exodb_check_report r;
	struct exodb_val k = { 2, "k1" }, v = { 4, "vvvv" };

	(void)state;
	new_disk(4096);
	db = open_db(EXODB_CREATE);
	E(exodb_txn_begin(db, 0, &t));
	E(exodb_tree_open(t, "d", EXODB_TREE_CREATE, &tr));
	E(exodb_put(t, tr, &k, &v, 0));
	k.data = "k2";
	E(exodb_put(t, tr, &k, &v, 0));
	E(exodb_txn_commit(t));
	check_ok(db);
	E(exodb_close(db));

	/* find the leaf on the media and swap the keys' last bytes */
	{
		uint8_t blk[EXO_BLOCK_SIZE];
		int found = 0;

		for (exo_bno b = 0; b < 4096 && !found; b++) {
			E(fault_disk_read_raw(disk, b, 1, blk));
			uint8_t *p = memmem(blk, sizeof(blk), "k2vvvv", 6);
			uint8_t *q = memmem(blk, sizeof(blk), "k1vvvv", 6);

			if (!p || !q || blk[16] != 'B' || blk[17] != 'T')
				continue; /* not a tree page (the log, say) */
			p[1] = '1';
			q[1] = '2';
			/* keep the cache's checksum valid (cache.h) */
			uint32_t crc = crc32c(crc32c(0, "\0\0\0\0", 4),
					      blk + 4, sizeof(blk) - 4);
			memcpy(blk, &crc, 4);
			E(fault_disk_write_raw(disk, b, 1, blk));
			found = 1;
		}
		assert_true(found);
	}
	db = open_db(0);
	assert_int_not_equal(exodb_check(db, &r), 0);
	assert_non_null(strstr(r.problem, "out of order"));
	assert_true(r.bad_block != UINT64_MAX);
	teardown_disk(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open),
		cmocka_unit_test(test_put_get_del),
		cmocka_unit_test(test_many_keys),
		cmocka_unit_test(test_append),
		cmocka_unit_test(test_large_values),
		cmocka_unit_test(test_trees),
		cmocka_unit_test(test_fragmented_overflow),
		cmocka_unit_test(test_many_trees),
		cmocka_unit_test(test_io_errors),
		cmocka_unit_test(test_cursors),
		cmocka_unit_test(test_txn_full),
		cmocka_unit_test(test_readers_during_writes),
		cmocka_unit_test(test_strerror),
		cmocka_unit_test(test_check_finds_damage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
