/*
 * test_obj.c: named objects on a store, on fault disks: the page checks,
 * create/write/read/truncate/delete/list, holes, large fragmented
 * objects (indirect pages), many objects, concurrent writers and readers,
 * and a power cut at every I/O of a small multi-object workload.
 *
 * Object bytes are a function of (version, object, offset), so any read
 * tells which transaction wrote what it returns.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "balloc.h"
#include "core.h"
#include "obj.h"
#include "port/fault.h"
#include "store.h"

#define CAP    "obj-test"
#define CAPLEN 8
#define BLK    4096

static char disk_path[80];

static struct store_opts opts(void)
{
	struct store_opts o = { .cache_pages = 512, .log_buf_pages = 64,
				.log_blocks = 1024 };
	return o;
}

static const char *disk_new(const char *name, uint64_t nblocks)
{
	fault_disk_destroy(name);
	assert_int_equal(fault_disk_create(name, nblocks), 0);
	snprintf(disk_path, sizeof(disk_path), "fault:%s", name);
	assert_int_equal(exo_disk_format(disk_path, nblocks * BLK), 0);
	return disk_path;
}

static struct store *create(const char *disk, const struct store_opts *o)
{
	struct store *s = NULL;

	assert_int_equal(store_create(disk, CAP, CAPLEN, o, &s), 0);
	return s;
}

static struct store *open_store(const char *disk, const struct store_opts *o)
{
	struct store *s = NULL;

	assert_int_equal(store_open(disk, CAP, CAPLEN, o, &s), 0);
	return s;
}

static uint8_t byte_at(uint64_t ver, uint64_t obj, uint64_t off)
{
	uint64_t x = (ver * 1315423911u) ^ (obj * 2654435761u) ^ off;

	return (uint8_t)(x ^ (x >> 8) ^ (x >> 19));
}

static void gen(uint8_t *buf, uint64_t ver, uint64_t obj, uint64_t off,
		size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = byte_at(ver, obj, off + i);
}

/* 1 if buf holds version ver of object obj at off. */
static int is_gen(const uint8_t *buf, uint64_t ver, uint64_t obj,
		  uint64_t off, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (buf[i] != byte_at(ver, obj, off + i))
			return 0;
	return 1;
}

static void write_gen(struct dtx *t, struct obj *o, uint64_t ver,
		      uint64_t id, uint64_t off, size_t len)
{
	uint8_t *buf = malloc(len);

	assert_non_null(buf);
	gen(buf, ver, id, off, len);
	assert_int_equal(obj_write(t, o, off, buf, len), 0);
	free(buf);
}

static int read_is_gen(struct store *s, struct obj *o, uint64_t ver,
		       uint64_t id, uint64_t off, size_t len)
{
	uint8_t *buf = malloc(len);
	size_t got = 0;
	int ok;

	assert_non_null(buf);
	assert_int_equal(obj_read(s, o, off, buf, len, &got), 0);
	ok = got == len && is_gen(buf, ver, id, off, len);
	free(buf);
	return ok;
}

static int is_zero(const uint8_t *p, size_t n)
{
	while (n--)
		if (*p++)
			return 0;
	return 1;
}

/* ---- pure checks: garbage is rejected, never a crash ---- */

static void test_page_checks(void **state)
{
	static uint8_t blk[BLK];
	struct oinode_hdr h;
	struct odir_hdr dh = { .magic = ODIR_MAGIC };
	struct oext e = { .lbn = 0, .pbn = 50, .len = 2 };
	unsigned seed = 7, i, j;

	(void)state;
	for (i = 0; i < 2000; i++) {
		for (j = 0; j < BLK; j++)
			blk[j] = (uint8_t)rand_r(&seed);
		if (i % 2) { /* plausible headers, garbage behind */
			uint32_t m[] = { OROOT_MAGIC, ODIR_MAGIC, OINO_MAGIC,
					 OIND_MAGIC };
			memcpy(blk + CACHE_HDR, &m[i % 4], 4);
		}
		assert_true(obj_check_root(blk, BLK) <= 0);
		assert_true(obj_check_dirpage(blk, BLK) <= 0);
		assert_true(obj_decode_inode(blk, BLK, &h) <= 0);
		assert_true(obj_check_indirect(blk, BLK, 1, 3, 0) <= 0);
		assert_true(balloc_check_dirpage(blk, BLK) <= 0);
		assert_true(balloc_check_bitmap(blk, BLK, 1000) <= 0);
	}
	memset(blk, 0, BLK);
	assert_int_equal(obj_check_dirpage(blk, BLK), EXO_ECORRUPT);
	assert_int_equal(obj_check_dirpage(blk, 10), EXO_EINVAL);
	memcpy(blk + CACHE_HDR, &dh, sizeof(dh));
	assert_int_equal(obj_check_dirpage(blk, BLK), 0);
	dh.nent = 1; /* an entry counted, none there */
	memcpy(blk + CACHE_HDR, &dh, sizeof(dh));
	assert_int_equal(obj_check_dirpage(blk, BLK), EXO_ECORRUPT);

	memset(blk, 0, BLK);
	memset(&h, 0, sizeof(h));
	h.magic = OINO_MAGIC;
	h.id = 1;
	h.namelen = 1;
	h.name[0] = 'a';
	h.size = 2 * OBJ_BLOCK_DATA;
	h.nextents = 1;
	memcpy(blk + CACHE_HDR, &h, sizeof(h));
	memcpy(blk + CACHE_HDR + sizeof(h), &e, sizeof(e));
	assert_int_equal(obj_decode_inode(blk, BLK, &h), 0);
	h.size = OBJ_BLOCK_DATA; /* the extent now lies past the size */
	memcpy(blk + CACHE_HDR, &h, sizeof(h));
	assert_int_equal(obj_decode_inode(blk, BLK, NULL), EXO_ECORRUPT);
}

/* ---- the basics ---- */

static void test_basic(void **state)
{
	const char *disk = disk_new("ob_basic", 4096);
	struct store_opts o = opts();
	struct store *s = create(disk, &o);
	struct obj *a, *b, *stale;
	struct obj_info *list;
	uint8_t buf[10000];
	uint64_t size;
	size_t n, got;
	struct dtx *t;

	(void)state;
	assert_int_equal(dtx_begin(s, &t), 0);
	assert_int_equal(obj_create(t, "a", &a), 0);
	assert_int_equal(obj_create(t, "a", &b), EXO_EEXIST);
	assert_int_equal(obj_create(t, "", &b), EXO_EINVAL);
	assert_int_equal(obj_create(t, "b.db-journal", &b), 0);
	write_gen(t, a, 1, 1, 0, 10000);
	write_gen(t, b, 1, 2, 100, 50);
	/* The transaction sees its writes; others do not yet. */
	assert_int_equal(obj_read_tx(t, a, 5000, buf, 100, &got), 0);
	assert_true(got == 100 && is_gen(buf, 1, 1, 5000, 100));
	assert_int_equal(obj_open(s, "a", &stale), EXO_ENOENT);
	assert_int_equal(obj_open_tx(t, "a", &stale), 0);
	obj_close(stale);
	assert_int_equal(dtx_commit(t, NULL), 0);

	assert_int_equal(obj_size(s, a, &size), 0);
	assert_int_equal(size, 10000);
	assert_true(read_is_gen(s, a, 1, 1, 0, 10000));
	assert_int_equal(obj_read(s, b, 0, buf, sizeof(buf), &got), 0);
	assert_int_equal(got, 150);
	assert_true(is_zero(buf, 100) && is_gen(buf + 100, 1, 2, 100, 50));
	assert_int_equal(obj_read(s, a, 20000, buf, 10, &got), 0);
	assert_int_equal(got, 0);

	/* Overwrite inside, extend, shrink, regrow (zeros past the cut). */
	assert_int_equal(dtx_begin(s, &t), 0);
	write_gen(t, a, 2, 1, 4000, 200);
	assert_int_equal(obj_truncate(t, a, 4100), 0);
	assert_int_equal(obj_size_tx(t, a, &size), 0);
	assert_int_equal(size, 4100);
	assert_int_equal(obj_truncate(t, a, 9000), 0);
	assert_int_equal(dtx_commit(t, NULL), 0);
	assert_int_equal(obj_read(s, a, 0, buf, 9000, &got), 0);
	assert_int_equal(got, 9000);
	assert_true(is_gen(buf, 1, 1, 0, 4000));
	assert_true(is_gen(buf + 4000, 2, 1, 4000, 100));
	assert_true(is_zero(buf + 4100, 4900));

	assert_int_equal(obj_list(s, &list, &n), 0);
	assert_int_equal(n, 2);
	assert_true(strcmp(list[0].name, "a") == 0 ||
		    strcmp(list[1].name, "a") == 0);
	free(list);

	/* Delete: the handle goes stale, the name can be used again. */
	assert_int_equal(dtx_begin(s, &t), 0);
	assert_int_equal(obj_delete(t, "a"), 0);
	assert_int_equal(obj_delete(t, "a"), EXO_ENOENT);
	assert_int_equal(obj_write(t, a, 0, buf, 1), EXO_ENOENT);
	assert_int_equal(obj_create(t, "a", &stale), 0);
	assert_int_equal(dtx_commit(t, NULL), 0);
	assert_int_equal(obj_size(s, a, &size), EXO_ENOENT);
	assert_int_equal(obj_size(s, stale, &size), 0);
	assert_int_equal(size, 0);
	obj_close(stale);
	assert_int_equal(store_check(s, NULL, NULL), 0);
	obj_close(a);
	obj_close(b);
	assert_int_equal(store_close(s), 0);

	s = open_store(disk, &o);
	assert_int_equal(obj_open(s, "b.db-journal", &b), 0);
	assert_int_equal(obj_read(s, b, 0, buf, sizeof(buf), &got), 0);
	assert_true(got == 150 && is_gen(buf + 100, 1, 2, 100, 50));
	obj_close(b);
	assert_int_equal(store_check(s, NULL, NULL), 0);
	assert_int_equal(store_close(s), 0);
	assert_int_equal(fault_disk_destroy("ob_basic"), 0);
}

static void test_abort_and_holes(void **state)
{
	const char *disk = disk_new("ob_holes", 4096);
	struct store_opts o = opts();
	struct store *s = create(disk, &o);
	struct balloc_stats st0, st1;
	uint8_t buf[OBJ_BLOCK_DATA];
	struct obj *a, *b;
	uint64_t size;
	size_t got;
	struct dtx *t;

	(void)state;
	balloc_get_stats(store_balloc(s), &st0);
	assert_int_equal(dtx_begin(s, &t), 0);
	assert_int_equal(obj_create(t, "sparse", &a), 0);
	write_gen(t, a, 1, 9, 1 << 20, 100); /* one block, far out */
	assert_int_equal(dtx_commit(t, NULL), 0);
	balloc_get_stats(store_balloc(s), &st1);
	assert_int_equal(st0.free - st1.free, 3); /* dir page, inode, a block */
	assert_int_equal(obj_size(s, a, &size), 0);
	assert_int_equal(size, (1 << 20) + 100);
	assert_int_equal(obj_read(s, a, 500000, buf, sizeof(buf), &got), 0);
	assert_true(got == sizeof(buf) && is_zero(buf, sizeof(buf)));
	assert_true(read_is_gen(s, a, 1, 9, 1 << 20, 100));

	/* An aborted batch over two objects changes nothing. */
	assert_int_equal(dtx_begin(s, &t), 0);
	assert_int_equal(obj_create(t, "other", &b), 0);
	write_gen(t, a, 2, 9, 0, 50000);
	write_gen(t, b, 2, 10, 0, 50000);
	dtx_abort(t);
	obj_close(b);
	assert_int_equal(obj_open(s, "other", &b), EXO_ENOENT);
	assert_int_equal(obj_read(s, a, 0, buf, 1000, &got), 0);
	assert_true(is_zero(buf, 1000));
	balloc_get_stats(store_balloc(s), &st0);
	assert_int_equal(st0.free, st1.free);
	obj_close(a);
	assert_int_equal(store_check(s, NULL, NULL), 0);
	assert_int_equal(store_close(s), 0);
	assert_int_equal(fault_disk_destroy("ob_holes"), 0);
}

/* Two objects growing block by block in turn: every extent is one block,
 * so each needs indirect pages; then a large contiguous one. */
static void test_large(void **state)
{
	const char *disk = disk_new("ob_large", 16384);
	struct store_opts o = opts();
	struct store *s = create(disk, &o);
	const size_t per = 8 * OBJ_BLOCK_DATA, big = 6u << 20;
	struct balloc_stats st0, st1;
	struct obj *a, *b, *c;
	uint64_t size;
	struct dtx *t;
	int i;

	(void)state;
	balloc_get_stats(store_balloc(s), &st0);
	assert_int_equal(dtx_begin(s, &t), 0);
	assert_int_equal(obj_create(t, "a", &a), 0);
	assert_int_equal(obj_create(t, "b", &b), 0);
	assert_int_equal(obj_create(t, "c", &c), 0);
	assert_int_equal(dtx_commit(t, NULL), 0);
	for (i = 0; i < 50; i++) { /* 400 blocks each, interleaved */
		int k;

		assert_int_equal(dtx_begin(s, &t), 0);
		for (k = 0; k < 8; k++) {
			uint64_t off = (uint64_t)i * per +
				       (uint64_t)k * OBJ_BLOCK_DATA;

			write_gen(t, a, 1, 1, off, OBJ_BLOCK_DATA);
			write_gen(t, b, 1, 2, off, OBJ_BLOCK_DATA);
		}
		assert_int_equal(dtx_commit(t, NULL), 0);
	}
	for (i = 0; (size_t)i * (256u << 10) < big; i++) {
		assert_int_equal(dtx_begin(s, &t), 0);
		write_gen(t, c, 1, 3, (uint64_t)i * (256u << 10), 256u << 10);
		assert_int_equal(dtx_commit(t, NULL), 0);
	}
	assert_true(read_is_gen(s, a, 1, 1, 0, 50 * per));
	assert_true(read_is_gen(s, b, 1, 2, 0, 50 * per));
	assert_true(read_is_gen(s, c, 1, 3, 0, big));
	assert_int_equal(store_check(s, NULL, NULL), 0);
	assert_int_equal(store_close(s), 0);

	s = open_store(disk, &o);
	assert_true(read_is_gen(s, a, 1, 1, 12345, 300000));
	assert_true(read_is_gen(s, c, 1, 3, 1000000, 3000000));
	/* Shrink a to a few blocks: back to inline extents. */
	assert_int_equal(dtx_begin(s, &t), 0);
	assert_int_equal(obj_truncate(t, a, 3 * OBJ_BLOCK_DATA + 7), 0);
	assert_int_equal(obj_truncate(t, c, 0), 0);
	assert_int_equal(dtx_commit(t, NULL), 0);
	assert_int_equal(obj_size(s, a, &size), 0);
	assert_int_equal(size, 3 * OBJ_BLOCK_DATA + 7);
	assert_true(read_is_gen(s, a, 1, 1, 0, size));
	assert_true(read_is_gen(s, b, 1, 2, 0, 50 * per));
	assert_int_equal(store_check(s, NULL, NULL), 0);
	/* Deleting everything frees every block. */
	assert_int_equal(dtx_begin(s, &t), 0);
	assert_int_equal(obj_delete(t, "a"), 0);
	assert_int_equal(obj_delete(t, "b"), 0);
	assert_int_equal(obj_delete(t, "c"), 0);
	assert_int_equal(dtx_commit(t, NULL), 0);
	balloc_get_stats(store_balloc(s), &st1);
	assert_int_equal(st1.blocks - st1.free, st0.blocks - st0.free);
	assert_int_equal(store_check(s, NULL, NULL), 0);
	obj_close(a);
	obj_close(b);
	obj_close(c);
	assert_int_equal(store_close(s), 0);
	assert_int_equal(fault_disk_destroy("ob_large"), 0);
}

/* Names of objects: 1000 spread over the buckets, then 60 long ones
 * that all hash to bucket 0 (a chain of several directory pages). */
static int many_name(int i, char *name)
{
	static int same[60];
	static int nsame;
	int k;

	if (i < 1000)
		return snprintf(name, OBJ_NAME_MAX + 1, "obj-%d", i);
	if (nsame == 0) {
		for (k = 0; nsame < 60; k++) {
			snprintf(name, OBJ_NAME_MAX + 1, "%0200d", k);
			if (crc32c(0, name, strlen(name)) % OBJ_NBUCKETS == 0)
				same[nsame++] = k;
		}
	}
	return snprintf(name, OBJ_NAME_MAX + 1, "%0200d", same[i - 1000]);
}

static void test_many(void **state)
{
	const char *disk = disk_new("ob_many", 8192);
	struct store_opts o = opts();
	struct store *s = create(disk, &o);
	char name[OBJ_NAME_MAX + 1];
	struct obj_info *list;
	struct obj *h;
	struct dtx *t;
	size_t n;
	int i;

	(void)state;
	for (i = 0; i < 1060; i++) {
		if (i % 50 == 0)
			assert_int_equal(dtx_begin(s, &t), 0);
		many_name(i, name);
		assert_int_equal(obj_create(t, name, &h), 0);
		write_gen(t, h, 1, (uint64_t)i, 0, 10);
		obj_close(h);
		if (i % 50 == 49 || i == 1059)
			assert_int_equal(dtx_commit(t, NULL), 0);
	}
	assert_int_equal(obj_list(s, &list, &n), 0);
	assert_int_equal(n, 1060);
	free(list);
	assert_int_equal(store_check(s, NULL, NULL), 0);
	/* Every other one, and a run in the middle of the long chain: its
	 * pages empty out and leave the chain. */
	assert_int_equal(dtx_begin(s, &t), 0);
	for (i = 0; i < 1060; i++) {
		if (i % 2 && !(i >= 1015 && i < 1045))
			continue;
		many_name(i, name);
		assert_int_equal(obj_delete(t, name), 0);
	}
	assert_int_equal(dtx_commit(t, NULL), 0);
	assert_int_equal(store_close(s), 0);
	s = open_store(disk, &o);
	assert_int_equal(obj_list(s, &list, &n), 0);
	assert_int_equal(n, 1060 - 530 - 15);
	free(list);
	for (i = 0; i < 1060; i += 3) {
		many_name(i, name);
		if (i % 2 == 0 || (i >= 1015 && i < 1045)) {
			assert_int_equal(obj_open(s, name, &h), EXO_ENOENT);
			continue;
		}
		assert_int_equal(obj_open(s, name, &h), 0);
		assert_true(read_is_gen(s, h, 1, (uint64_t)i, 0, 10));
		obj_close(h);
	}
	assert_int_equal(store_check(s, NULL, NULL), 0);
	assert_int_equal(store_close(s), 0);
	assert_int_equal(fault_disk_destroy("ob_many"), 0);
}

/* ---- concurrency: 8 writers on their own objects, 2 readers ---- */

#define NWRITERS 8
#define NROUNDS  25
#define SPAN     (3 * OBJ_BLOCK_DATA)

struct conc {
	struct store *s;
	int id;
	volatile int *stop;
	int bad;
};

static void *writer_main(void *arg)
{
	struct conc *c = arg;
	struct obj *o;
	struct dtx *t;
	char name[16];
	uint64_t v;

	snprintf(name, sizeof(name), "w%d", c->id);
	if (obj_open(c->s, name, &o) < 0) {
		c->bad = 1;
		return NULL;
	}
	for (v = 1; v <= NROUNDS && !c->bad; v++) {
		uint8_t *buf = malloc(SPAN);

		gen(buf, v, (uint64_t)c->id, 0, SPAN);
		if (dtx_begin(c->s, &t) < 0 ||
		    obj_write(t, o, 0, buf, SPAN) < 0 ||
		    dtx_commit(t, NULL) < 0)
			c->bad = 1;
		free(buf);
	}
	obj_close(o);
	return NULL;
}

/* Every read shows one version across all three blocks, never older
 * than the last one seen. */
static void *reader_main(void *arg)
{
	struct conc *c = arg;
	uint8_t *buf = malloc(SPAN);
	uint64_t last[NWRITERS] = { 0 }, v;
	struct obj *o[NWRITERS];
	char name[16];
	size_t got;
	int i;

	for (i = 0; i < NWRITERS; i++) {
		snprintf(name, sizeof(name), "w%d", i);
		if (obj_open(c->s, name, &o[i]) < 0)
			c->bad = 1;
	}
	while (!*c->stop && !c->bad) {
		for (i = 0; i < NWRITERS && !c->bad; i++) {
			if (obj_read(c->s, o[i], 0, buf, SPAN, &got) < 0 ||
			    got != SPAN) {
				c->bad = 1;
				break;
			}
			for (v = last[i]; v <= NROUNDS; v++)
				if (is_gen(buf, v, (uint64_t)i, 0, SPAN))
					break;
			if (v > NROUNDS)
				c->bad = 1;
			last[i] = v;
		}
	}
	for (i = 0; i < NWRITERS; i++)
		obj_close(o[i]);
	free(buf);
	return NULL;
}

static void test_concurrent(void **state)
{
	const char *disk = disk_new("ob_conc", 8192);
	struct store_opts o = opts();
	struct store *s = create(disk, &o);
	struct conc w[NWRITERS], r[2];
	pthread_t wt[NWRITERS], rt[2];
	volatile int stop = 0;
	struct obj *h;
	struct dtx *t;
	char name[16];
	int i;

	(void)state;
	assert_int_equal(dtx_begin(s, &t), 0);
	for (i = 0; i < NWRITERS; i++) {
		snprintf(name, sizeof(name), "w%d", i);
		assert_int_equal(obj_create(t, name, &h), 0);
		write_gen(t, h, 0, (uint64_t)i, 0, SPAN);
		obj_close(h);
	}
	assert_int_equal(dtx_commit(t, NULL), 0);
	for (i = 0; i < 2; i++) {
		r[i] = (struct conc){ .s = s, .id = i, .stop = &stop };
		assert_int_equal(pthread_create(&rt[i], NULL, reader_main,
						&r[i]), 0);
	}
	for (i = 0; i < NWRITERS; i++) {
		w[i] = (struct conc){ .s = s, .id = i, .stop = &stop };
		assert_int_equal(pthread_create(&wt[i], NULL, writer_main,
						&w[i]), 0);
	}
	for (i = 0; i < NWRITERS; i++)
		pthread_join(wt[i], NULL);
	stop = 1;
	for (i = 0; i < 2; i++)
		pthread_join(rt[i], NULL);
	for (i = 0; i < NWRITERS; i++)
		assert_int_equal(w[i].bad, 0);
	for (i = 0; i < 2; i++)
		assert_int_equal(r[i].bad, 0);
	for (i = 0; i < NWRITERS; i++) {
		snprintf(name, sizeof(name), "w%d", i);
		assert_int_equal(obj_open(s, name, &h), 0);
		assert_true(read_is_gen(s, h, NROUNDS, (uint64_t)i, 0, SPAN));
		obj_close(h);
	}
	assert_int_equal(store_check(s, NULL, NULL), 0);
	assert_int_equal(store_close(s), 0);
	assert_int_equal(fault_disk_destroy("ob_conc"), 0);
}

/* ---- power cut at every I/O of a small workload ---- */

#define NTX 6

static const char *const names[3] = { "x", "y", "z" };

/* Size of object k after transaction v. */
static uint64_t size_after(int v, int k)
{
	return (uint64_t)(1 + (v + k) % 3) * OBJ_BLOCK_DATA + 100 +
	       (uint64_t)v;
}

/* Transaction v: every object rewritten whole with version v; z is
 * deleted by transaction 3 and created again by 4. */
static int work_txn(struct store *s, int v)
{
	struct dtx *t = NULL;
	struct obj *o;
	uint8_t *buf;
	uint64_t n;
	int k, rc;

	rc = dtx_begin(s, &t);
	for (k = 0; rc == 0 && k < 3; k++) {
		if (v == 3 && k == 2) {
			rc = obj_delete(t, names[k]);
			continue;
		}
		rc = v == 0 || (v == 4 && k == 2)
			     ? obj_create(t, names[k], &o)
			     : obj_open_tx(t, names[k], &o);
		if (rc < 0)
			break;
		n = size_after(v, k);
		buf = malloc(n);
		gen(buf, (uint64_t)v, (uint64_t)k, 0, n);
		rc = obj_truncate(t, o, 0);
		if (rc == 0)
			rc = obj_write(t, o, 0, buf, n);
		free(buf);
		obj_close(o);
	}
	if (rc < 0) {
		if (t)
			dtx_abort(t);
		return rc;
	}
	return dtx_commit(t, NULL);
}

/* The version every object holds (all the same), -1 for none yet. */
static int state_version(struct store *s)
{
	int v, k, ok;

	for (v = NTX - 1; v >= -1; v--) {
		for (k = 0, ok = 1; k < 3 && ok; k++) {
			struct obj *o;
			uint64_t size;
			int exists = v >= 0 && !(v == 3 && k == 2);

			if (obj_open(s, names[k], &o) < 0) {
				ok = !exists;
				continue;
			}
			ok = exists && obj_size(s, o, &size) == 0 &&
			     size == size_after(v, k) &&
			     read_is_gen(s, o, (uint64_t)v, (uint64_t)k, 0,
					 size);
			obj_close(o);
		}
		if (ok)
			return v;
	}
	return -2;
}

/* Mode full: every acknowledged commit survives, maybe the one in
 * flight.  Mode lazy (*state): a prefix of the commits survives. */
static void test_powercut(void **state)
{
	const uint64_t nb = 4096;
	const char *disk = disk_new("ob_cut", nb);
	const int lazy = *(int *)*state;
	struct store_opts o = opts();
	struct fault_plan p = FAULT_PLAN_INIT;
	struct store *s;
	uint8_t *media;
	uint64_t k;
	int v, acked, got, done = 0;

	o.durability = lazy ? STORE_LAZY : STORE_FULL;
	o.log_blocks = 128;
	o.cache_pages = 32; /* write-backs during the workload */
	s = create(disk, &o);
	assert_int_equal(store_close(s), 0);
	media = malloc(nb * BLK);
	assert_non_null(media);
	assert_int_equal(fault_disk_read_raw("ob_cut", 0, nb, media), 0);
	for (k = 1; !done; k++) {
		assert_int_equal(fault_disk_destroy("ob_cut"), 0);
		assert_int_equal(fault_disk_create("ob_cut", nb), 0);
		assert_int_equal(fault_disk_write_raw("ob_cut", 0, nb, media),
				 0);
		p.seed = k;
		p.cut_at_io = k;
		p.persist_pct = (unsigned)(k % 3) * 50; /* drop, tear, keep */
		assert_int_equal(fault_set_plan("ob_cut", &p), 0);
		acked = 0;
		if (store_open(disk, CAP, CAPLEN, &o, &s) == 0) {
			for (v = 0; v < NTX && work_txn(s, v) == 0; v++)
				acked++;
			store_close(s);
		}
		done = fault_io_count("ob_cut") < (int64_t)k;
		p.cut_at_io = 0;
		assert_int_equal(fault_set_plan("ob_cut", &p), 0);
		s = open_store(disk, &o);
		got = state_version(s);
		if (lazy)
			assert_true(got >= -1 && got <= acked);
		else
			assert_true(got == acked - 1 || got == acked);
		if (done)
			assert_int_equal(got, NTX - 1);
		assert_int_equal(store_check(s, NULL, NULL), 0);
		assert_int_equal(store_close(s), 0);
	}
	assert_true(k > 30);
	free(media);
	assert_int_equal(fault_disk_destroy("ob_cut"), 0);
}

int main(void)
{
	static int full = 0, lazy = 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_page_checks),
		cmocka_unit_test(test_basic),
		cmocka_unit_test(test_abort_and_holes),
		cmocka_unit_test(test_large),
		cmocka_unit_test(test_many),
		cmocka_unit_test(test_concurrent),
		cmocka_unit_test_prestate(test_powercut, &full),
		cmocka_unit_test_prestate(test_powercut, &lazy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
