/*
 * test_core.c: unit tests of exokern/core, the kernel's protection logic.
 *
 * Runs core against the in-memory disk of lib/core_memdev.h: checksums and
 * hashes against published vectors; formatting, opening and every kind of
 * label and map corruption; block allocation by hint, ownership, freeing,
 * zero-on-reuse, persistence of owners, extents and roots; full disks and
 * full maps; torn map writes and I/O errors; physical pages and
 * revocation; and the I/O request checks, attack by attack.  Failed calls
 * are checked to leave the state exactly as it was (snap_take/snap_same).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core.h"
#include "lib.h"
#include "lib/core_memdev.h"
#include "map.h"

#define CAP(s) s, sizeof(s) - 1

static const uint8_t test_uuid[16] = {0xe0, 1, 2,  3,  4,  5,  6,  7,
				      8,    9, 10, 11, 12, 13, 14, 15};

/* ---- helpers ---- */

static struct memdev *disk_new(uint64_t nblocks)
{
	struct memdev *m = memdev_new(nblocks);

	assert_int_equal(core_disk_format(&m->dev, test_uuid, 1700000000), 0);
	return m;
}

static void disk_open(struct core_disk *d, struct memdev *m)
{
	assert_int_equal(core_disk_open(d, &m->dev), 0);
}

static void disk_done(struct core_disk *d, struct memdev *m)
{
	core_disk_close(d);
	assert_int_equal(m->alloc_bytes, 0);
	memdev_free(m);
}

static uint32_t owner_new(struct core_disk *d, const char *cap)
{
	uint32_t o = 0;

	assert_int_equal(core_owner_attach(d, cap, strlen(cap), 1, &o), 0);
	return o;
}

static exo_bno alloc_ok(struct core_disk *d, uint32_t o, exo_bno hint,
			uint64_t n)
{
	exo_bno b = EXO_BNO_NONE;

	assert_int_equal(core_block_alloc(d, o, hint, n, &b), 0);
	return b;
}

static uint64_t map_gen(const struct core_disk *d)
{
	return map_hdr(d->cur)->gen;
}

/* A copy of everything an update may change, to check a failed call
 * changed nothing. */
struct snap {
	uint8_t img[64 * 1024];
	uint32_t used;
	int slot;
	uint64_t nfree;
};

static void snap_take(const struct core_disk *d, struct snap *s)
{
	s->used = map_hdr(d->cur)->used_bytes;
	assert_true(s->used <= sizeof(s->img));
	memcpy(s->img, d->cur, s->used);
	s->slot = d->slot;
	s->nfree = d->nfree;
}

static void snap_same(const struct core_disk *d, const struct snap *s)
{
	assert_int_equal(map_hdr(d->cur)->used_bytes, s->used);
	assert_memory_equal(d->cur, s->img, s->used);
	assert_int_equal(d->slot, s->slot);
	assert_int_equal(d->nfree, s->nfree);
}

/* The map slot s of a small disk (it lies inside one memdev chunk). */
static uint8_t *slot_img(struct memdev *m, const struct core_disk *d, int s)
{
	return memdev_block(m, d->label.map_start +
				       (uint64_t)s * d->label.map_blocks);
}

static struct exo_label *label_of(struct memdev *m)
{
	return (struct exo_label *)memdev_block(m, 0);
}

static void label_fix(struct exo_label *l)
{
	l->csum = crc32c(0, l, offsetof(struct exo_label, csum));
}

/* Deterministic pseudo-random numbers (xorshift64). */
static uint64_t rnd_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

/* ---- checksums, hashes, error strings ---- */

static void test_crc32c_vectors(void **state)
{
	uint8_t buf[4096 + 16];
	size_t i, off, len;

	(void)state;
	assert_int_equal(crc32c(0, "123456789", 9), 0xe3069283);
	assert_int_equal(crc32c_sw(0, "123456789", 9), 0xe3069283);
	assert_int_equal(crc32c(0, "", 0), 0);
	memset(buf, 0, 32);
	assert_int_equal(crc32c(0, buf, 32), 0x8a9136aa);
	memset(buf, 0xff, 32);
	assert_int_equal(crc32c(0, buf, 32), 0x62a8ab43);
	for (i = 0; i < 32; i++)
		buf[i] = (uint8_t)i;
	assert_int_equal(crc32c(0, buf, 32), 0x46dd794e);
	for (i = 0; i < 32; i++)
		buf[i] = (uint8_t)(31 - i);
	assert_int_equal(crc32c(0, buf, 32), 0x113fdb5c);

	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)rnd();
	/* Chaining, and the hardware path against the table, at every
	 * alignment. */
	for (i = 0; i <= 100; i++)
		assert_int_equal(crc32c(crc32c(0, buf, i), buf + i, 200 - i),
				 crc32c(0, buf, 200));
	for (off = 0; off < 16; off++)
		for (len = 0; len < 80; len++)
			assert_int_equal(crc32c(7, buf + off, len),
					 crc32c_sw(7, buf + off, len));
	assert_int_equal(crc32c(0, buf + 3, 4096), crc32c_sw(0, buf + 3, 4096));
}

static void hex(const uint8_t *d, char out[65])
{
	int i;

	for (i = 0; i < 32; i++)
		sprintf(out + 2 * i, "%02x", d[i]);
}

static void sha_is(const void *data, size_t len, const char *want)
{
	uint8_t d[32];
	char h[65];

	sha256(data, len, d);
	hex(d, h);
	assert_string_equal(h, want);
}

static void test_sha256_vectors(void **state)
{
	static const struct {
		size_t n;
		const char *h;
	} as[] = {
		{55,
		 "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f"
		 "734318"},
		{56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef797068"
		     "6ec6738a"},
		{63, "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da45"
		     "7ddc2f34"},
		{64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df"
		     "154668eb"},
		{119, "31eba51c313a5c08226adf18d4a359cfdfd8d2e816b13f4af952f7e"
		      "a6584dcfb"},
		{120, "2f3d335432c70b580af0e8e1b3674a7c020d683aa5f73aaaedfdc55"
		      "af904c21c"},
		{1000000, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d"
			  "39ccc7112cd0"},
	};
	char *a = malloc(1000000);
	size_t i;

	(void)state;
	assert_non_null(a);
	sha_is("abc", 3,
	       "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb4"
	       "10ff61f20015ad");
	sha_is("", 0,
	       "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca4959"
	       "91b7852b855");
	sha_is(CAP("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
	       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db"
	       "06c1");
	memset(a, 'a', 1000000);
	for (i = 0; i < sizeof(as) / sizeof(as[0]); i++)
		sha_is(a, as[i].n, as[i].h);
	free(a);
}

static void test_strerror(void **state)
{
	int e, f;

	(void)state;
	assert_string_equal(
		exo_strerror(EXO_EPERM),
		"EXO_EPERM: caller does not own that block or page");
	for (e = 0; e >= EXO_ERRNO_MIN; e--) {
		assert_non_null(exo_strerror(e));
		assert_memory_equal(exo_strerror(e), "EXO_", 4);
		assert_null(strstr(exo_strerror(e), "unknown"));
		for (f = 0; f > e; f--)
			assert_string_not_equal(exo_strerror(e),
						exo_strerror(f));
	}
	assert_string_equal(exo_strerror(EXO_ERRNO_MIN - 1),
			    "EXO_E?: unknown error");
	assert_string_equal(exo_strerror(1), "EXO_E?: unknown error");
	assert_string_equal(exo_strerror(-1000), "EXO_E?: unknown error");
}

/* ---- format and open ---- */

static void test_format_open(void **state)
{
	static const uint8_t zero16[16];
	struct memdev *m = memdev_new(1024);
	struct core_disk d;

	(void)state;
	memset(memdev_block(m, 500), 0xab, EXO_BLOCK_SIZE); /* old data */
	assert_int_equal(core_disk_open(&d, &m->dev), EXO_EBADDISK);
	assert_int_equal(core_disk_format(&m->dev, test_uuid, 123), 0);
	disk_open(&d, m);
	assert_memory_equal(d.label.magic, EXO_LABEL_MAGIC, 8);
	assert_int_equal(d.label.version, EXO_DISK_VERSION);
	assert_int_equal(d.label.block_size, 4096);
	assert_int_equal(d.label.nblocks, 1024);
	assert_int_equal(d.label.map_start, 1);
	assert_int_equal(d.label.map_blocks, 4);
	assert_int_equal(d.label.data_start, 9);
	assert_int_equal(d.label.max_owners, EXO_MAX_OWNERS);
	assert_int_equal(d.label.format_time, 123);
	assert_memory_equal(d.label.uuid, test_uuid, 16);
	assert_int_equal(d.slot, 0);
	assert_int_equal(map_gen(&d), 1);
	assert_int_equal(d.map_size, 4 * 4096);
	assert_int_equal(core_owner_count(&d), 0);
	assert_int_equal(core_blocks_free(&d), 1024 - 9);
	assert_true(memdev_is_zero(m, 9, 1024 - 9));
	assert_true(memdev_is_zero(m, 5, 4)); /* slot 1 never written */
	disk_done(&d, m);

	/* Without a uuid, one is made up. */
	m = memdev_new(64);
	assert_int_equal(core_disk_format(&m->dev, NULL, 0), 0);
	disk_open(&d, m);
	assert_int_equal(core_blocks_free(&d), 64 - 9);
	assert_memory_not_equal(d.label.uuid, zero16, 16);
	disk_done(&d, m);

	m = memdev_new(EXO_DISK_MINBLOCKS - 1);
	assert_int_equal(core_disk_format(&m->dev, test_uuid, 0),
			 EXO_ETOOSMALL);
	assert_int_equal(core_disk_format(NULL, test_uuid, 0), EXO_EINVAL);
	memdev_free(m);
}

/* label + both slots stay under 0.1% of disks of 64 MiB and up. */
static void test_metadata_small(void **state)
{
	static const uint64_t sizes[] = {
		16384,
		16385,
		25600,
		65536,
		262144,
		1ull << 28,
		(1ull << 32) + 17,
	};
	struct core_disk d;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct memdev *m = disk_new(sizes[i]);
		uint64_t meta;

		disk_open(&d, m);
		meta = 1 + 2 * (uint64_t)d.label.map_blocks;
		assert_int_equal(d.label.data_start, meta);
		assert_true(meta * 1000 < sizes[i]);
		assert_true(d.label.map_blocks >= 4);
		assert_int_equal(core_blocks_free(&d), sizes[i] - meta);
		disk_done(&d, m);
	}
}

/* ---- blocks ---- */

static void test_alloc_hint(void **state)
{
	struct memdev *m = disk_new(1024);
	struct exo_extent ext[4];
	struct core_disk d;
	exo_bno b;
	uint32_t a;

	(void)state;
	disk_open(&d, m);
	a = owner_new(&d, "alice");
	assert_int_equal(alloc_ok(&d, a, 100, 10), 100); /* hint free */
	assert_int_equal(alloc_ok(&d, a, 100, 5), 110);	 /* taken: after */
	assert_int_equal(alloc_ok(&d, a, 0, 1), 9);	 /* metadata */
	assert_int_equal(alloc_ok(&d, a, 105, 3), 115);
	assert_int_equal(alloc_ok(&d, a, 1000, 30), 10); /* wraps */
	assert_int_equal(alloc_ok(&d, a, UINT64_MAX - 1, 1), 40);
	assert_int_equal(alloc_ok(&d, a, 500, 24), 500);
	/* The free run at hint, [60, 100), is too short: the next one that
	 * fits, not the first on the disk ([41, 100)). */
	assert_int_equal(alloc_ok(&d, a, 60, 50), 118);
	assert_int_equal(alloc_ok(&d, a, 41, 59), 41);
	assert_int_equal(alloc_ok(&d, a, 600, 9), 600);

	assert_int_equal(core_block_extents(&d, a, ext, 4), 3);
	assert_int_equal(ext[0].start, 9);
	assert_int_equal(ext[0].len, 159);
	assert_int_equal(ext[1].start, 500);
	assert_int_equal(ext[1].len, 24);
	assert_int_equal(ext[2].start, 600);
	assert_int_equal(ext[2].len, 9);
	assert_int_equal(core_blocks_owned(&d, a), 159 + 24 + 9);
	assert_int_equal(core_blocks_free(&d), 1015 - 192);
	assert_int_equal(map_hdr(d.cur)->nextents, 3);

	assert_int_equal(core_block_alloc(&d, a, 0, 0, &b), EXO_EINVAL);
	assert_int_equal(core_block_alloc(&d, a, 0, 1, NULL), EXO_EINVAL);
	assert_int_equal(core_block_alloc(&d, a, 0, 1025, &b), EXO_EINVAL);
	assert_int_equal(core_block_alloc(&d, 99, 0, 1, &b), EXO_ENOENT);
	assert_int_equal(core_block_alloc(&d, 0, 0, 1, &b), EXO_ENOENT);
	disk_done(&d, m);
}

static void test_ownership(void **state)
{
	struct memdev *m = disk_new(1024);
	struct core_disk d;
	struct snap s;
	uint32_t a, b;
	uint64_t z;

	(void)state;
	disk_open(&d, m);
	a = owner_new(&d, "alice");
	b = owner_new(&d, "bob");
	assert_int_equal(alloc_ok(&d, a, 200, 10), 200);
	assert_int_equal(alloc_ok(&d, b, 210, 10), 210);

	assert_int_equal(core_block_check(&d, a, 200, 10), 0);
	assert_int_equal(core_block_check(&d, a, 209, 1), 0);
	assert_int_equal(core_block_check(&d, a, 200, 11), EXO_EPERM);
	assert_int_equal(core_block_check(&d, b, 200, 1), EXO_EPERM);
	assert_int_equal(core_block_check(&d, a, 199, 2), EXO_EPERM);
	assert_int_equal(core_block_check(&d, a, 0, 1), EXO_EPERM);
	assert_int_equal(core_block_check(&d, a, 5, 1), EXO_EPERM);
	assert_int_equal(core_block_check(&d, 99, 200, 1), EXO_EPERM);
	assert_int_equal(core_block_check(&d, a, 1024, 1), EXO_ERANGE);
	assert_int_equal(core_block_check(&d, a, 1020, 10), EXO_ERANGE);
	assert_int_equal(core_block_check(&d, a, UINT64_MAX, 1), EXO_ERANGE);
	assert_int_equal(core_block_check(&d, a, 200, 0), EXO_EINVAL);
	assert_int_equal(core_block_check(&d, a, 200, UINT64_MAX), EXO_EINVAL);

	/* Freeing another's blocks changes nothing and zeroes nothing. */
	memset(memdev_block(m, 210), 0x5a, EXO_BLOCK_SIZE);
	snap_take(&d, &s);
	z = m->zeroes;
	assert_int_equal(core_block_free(&d, a, 210, 1), EXO_EPERM);
	assert_int_equal(core_block_free(&d, a, 205, 10), EXO_EPERM);
	assert_int_equal(core_block_free(&d, b, 200, 1), EXO_EPERM);
	assert_int_equal(core_block_free(&d, a, 200, 0), EXO_EINVAL);
	assert_int_equal(core_block_free(&d, a, 2000, 1), EXO_ERANGE);
	snap_same(&d, &s);
	assert_int_equal(m->zeroes, z);
	assert_false(memdev_is_zero(m, 210, 1));

	/* Freeing part of an extent splits it; freeing twice fails. */
	assert_int_equal(core_block_free(&d, a, 205, 2), 0);
	assert_int_equal(core_block_check(&d, a, 205, 1), EXO_EPERM);
	assert_int_equal(core_block_check(&d, a, 204, 1), 0);
	assert_int_equal(core_block_check(&d, a, 207, 3), 0);
	assert_int_equal(core_blocks_owned(&d, a), 8);
	assert_int_equal(core_block_extents(&d, a, NULL, 0), 2);
	snap_take(&d, &s);
	assert_int_equal(core_block_free(&d, a, 205, 2), EXO_EPERM);
	assert_int_equal(core_block_free(&d, a, 204, 4), EXO_EPERM);
	snap_same(&d, &s);
	assert_int_equal(core_blocks_free(&d), 1015 - 18);
	disk_done(&d, m);
}

static void test_extents_listing(void **state)
{
	struct memdev *m = disk_new(1024);
	struct exo_extent ext[3];
	struct core_disk d;
	uint32_t a, b;

	(void)state;
	disk_open(&d, m);
	a = owner_new(&d, "alice");
	b = owner_new(&d, "bob");
	alloc_ok(&d, a, 100, 1);
	alloc_ok(&d, b, 101, 1);
	alloc_ok(&d, a, 102, 2);
	alloc_ok(&d, a, 300, 5);
	memset(ext, 0xee, sizeof(ext));
	assert_int_equal(core_block_extents(&d, a, ext, 2), 3);
	assert_int_equal(ext[0].start, 100);
	assert_int_equal(ext[0].len, 1);
	assert_int_equal(ext[1].start, 102);
	assert_int_equal(ext[1].len, 2);
	assert_int_equal(ext[2].start, 0xeeeeeeeeeeeeeeeeull); /* untouched */
	assert_int_equal(core_block_extents(&d, b, ext, 3), 1);
	assert_int_equal(ext[0].start, 101);
	assert_int_equal(core_block_extents(&d, a, NULL, 1), EXO_EINVAL);
	assert_int_equal(core_block_extents(&d, 7, ext, 3), EXO_ENOENT);
	disk_done(&d, m);
}

static void test_nospc(void **state)
{
	struct memdev *m = disk_new(1024);
	struct core_disk d;
	struct snap s;
	exo_bno b;
	uint32_t a;

	(void)state;
	disk_open(&d, m);
	a = owner_new(&d, "alice");
	assert_int_equal(core_block_alloc(&d, a, 0, 1016, &b), EXO_ENOSPC);
	assert_int_equal(alloc_ok(&d, a, 0, 1015), 9);
	assert_int_equal(core_blocks_free(&d), 0);
	snap_take(&d, &s);
	assert_int_equal(core_block_alloc(&d, a, 0, 1, &b), EXO_ENOSPC);
	snap_same(&d, &s);

	assert_int_equal(core_block_free(&d, a, 500, 10), 0);
	assert_int_equal(core_block_free(&d, a, 700, 1), 0);
	snap_take(&d, &s);
	assert_int_equal(core_block_alloc(&d, a, 0, 11, &b), EXO_ENOSPC);
	snap_same(&d, &s);
	assert_int_equal(alloc_ok(&d, a, 800, 10), 500);
	assert_int_equal(alloc_ok(&d, a, 0, 1), 700);
	assert_int_equal(core_blocks_free(&d), 0);
	disk_done(&d, m);
}

static void test_mapfull(void **state)
{
	struct memdev *m = disk_new(2048);
	struct core_disk d;
	struct snap s;
	exo_bno bno;
	uint32_t a, b, o;
	uint64_t i, z;
	int rc = 0;

	(void)state;
	disk_open(&d, m);
	a = owner_new(&d, "alice");
	b = owner_new(&d, "bob");
	assert_int_equal(alloc_ok(&d, a, 9, 3), 9);
	memset(memdev_block(m, 10), 0x77, EXO_BLOCK_SIZE);
	/* Alternate owners block by block: one more extent each time. */
	for (i = 0; rc == 0; i++)
		rc = core_block_alloc(&d, i % 2 ? a : b, 12 + i, 1, &bno);
	assert_int_equal(rc, EXO_EMAPFULL);
	assert_int_equal(map_hdr(d.cur)->nextents,
			 (4 * 4096 - 64 - 2 * 64) / 16);
	assert_int_equal(map_hdr(d.cur)->used_bytes, d.map_size);

	snap_take(&d, &s);
	z = m->zeroes;
	assert_int_equal(core_block_alloc(&d, a, 1500, 1, &bno), EXO_EMAPFULL);
	assert_int_equal(core_owner_attach(&d, CAP("carol"), 1, &o),
			 EXO_EMAPFULL);
	/* Freeing the middle of an extent needs one more: refused before
	 * anything is zeroed. */
	assert_int_equal(core_block_free(&d, a, 10, 1), EXO_EMAPFULL);
	snap_same(&d, &s);
	assert_int_equal(m->zeroes, z);
	assert_false(memdev_is_zero(m, 10, 1));

	/* Freeing a whole extent makes room again. */
	assert_int_equal(core_block_free(&d, b, 12, 1), 0);
	assert_int_equal(core_block_free(&d, a, 10, 1), 0);
	assert_true(memdev_is_zero(m, 10, 1));
	disk_done(&d, m);
}

static void test_zero_on_reuse(void **state)
{
	struct memdev *m = disk_new(1024);
	struct core_disk d;
	uint32_t a, b;
	int i;

	(void)state;
	disk_open(&d, m);
	a = owner_new(&d, "alice");
	b = owner_new(&d, "bob");
	assert_int_equal(alloc_ok(&d, a, 100, 4), 100);
	for (i = 0; i < 4; i++) /* a's writes reach the device */
		memset(memdev_block(m, 100 + i), 0xa0 + i, EXO_BLOCK_SIZE);
	assert_int_equal(core_block_free(&d, a, 100, 4), 0);
	assert_int_equal(alloc_ok(&d, b, 100, 4), 100);
	assert_true(memdev_is_zero(m, 100, 4));
	disk_done(&d, m);
}

/* Runs of 2^32 blocks and more are split into canonical pieces. */
static void test_huge_runs(void **state)
{
	struct memdev *m = disk_new(1ull << 33);
	const struct exo_map_extent *e;
	struct exo_extent ext[2];
	struct core_disk d;
	exo_bno s, split;
	uint32_t a;

	(void)state;
	disk_open(&d, m);
	a = owner_new(&d, "alice");
	s = d.label.data_start;
	assert_int_equal(alloc_ok(&d, a, s, (1ull << 32) + 10), s);
	e = map_extents(d.cur);
	assert_int_equal(map_hdr(d.cur)->nextents, 2);
	assert_int_equal(e[0].len, UINT32_MAX);
	split = s + UINT32_MAX;
	assert_int_equal(e[1].start, split);
	assert_int_equal(e[1].len, 11);
	assert_int_equal(core_block_extents(&d, a, ext, 2), 1);
	assert_int_equal(ext[0].len, (1ull << 32) + 10);
	assert_int_equal(core_block_check(&d, a, split - 5, 10), 0);
	assert_int_equal(core_block_check(&d, a, s, (1ull << 32) + 10), 0);
	assert_int_equal(core_block_check(&d, a, s, (1ull << 32) + 11),
			 EXO_EPERM);

	/* Freeing across the split, then merging back up to UINT32_MAX. */
	assert_int_equal(core_block_free(&d, a, split - 2, 4), 0);
	assert_int_equal(core_block_extents(&d, a, ext, 2), 2);
	assert_int_equal(alloc_ok(&d, a, split - 2, 4), split - 2);
	assert_int_equal(map_hdr(d.cur)->nextents, 2);
	e = map_extents(d.cur);
	assert_int_equal(e[0].len, UINT32_MAX);
	core_disk_close(&d);
	disk_open(&d, m);
	assert_int_equal(core_blocks_owned(&d, a), (1ull << 32) + 10);
	assert_int_equal(core_block_free(&d, a, s, (1ull << 32) + 10), 0);
	assert_int_equal(core_blocks_free(&d), (1ull << 33) - s);
	disk_done(&d, m);
}

/* The placement rule, on a plain array of block owners (0: free): at
 * hint, else the first fit at or after hint, else the first fit. */
static exo_bno model_place(const uint8_t *own, exo_bno ds, exo_bno nb,
			   exo_bno hint, uint64_t n)
{
	exo_bno s, i;
	int pass;

	for (pass = 0; pass < 2; pass++) {
		for (s = pass ? ds : (hint < ds ? ds : hint); s + n <= nb;
		     s++) {
			for (i = 0; i < n && !own[s + i]; i++)
				;
			if (i == n)
				return s;
		}
	}
	return EXO_BNO_NONE;
}

/* d agrees with the model own[] block by block. */
static void model_same(struct core_disk *d, const uint8_t *own, int nown)
{
	struct exo_extent ext[600];
	exo_bno b, ds = d->label.data_start, nb = d->label.nblocks;
	uint64_t count[4] = {0}, total = 0;
	int64_t n, j, k;
	int o;

	for (b = ds; b < nb; b++)
		count[own[b]]++;
	for (o = 1; o <= nown; o++) {
		assert_int_equal(core_blocks_owned(d, (uint32_t)o), count[o]);
		n = core_block_extents(d, (uint32_t)o, ext, 600);
		assert_true(n >= 0 && n <= 600);
		for (j = 0; j < n; j++) {
			for (k = 0; k < (int64_t)ext[j].len; k++)
				assert_int_equal(own[ext[j].start + k], o);
			total += ext[j].len;
			/* Maximal runs: the blocks around are not o's. */
			assert_true(own[ext[j].start - 1] != o);
			assert_true(ext[j].start + ext[j].len == nb ||
				    own[ext[j].start + ext[j].len] != o);
		}
	}
	assert_int_equal(total, (nb - ds) - count[0]);
	assert_int_equal(core_blocks_free(d), count[0]);
}

/* Random allocations and frees by three owners against a model. */
static void test_random_ops(void **state)
{
	enum { NB = 2048 };
	struct memdev *m = disk_new(NB);
	static uint8_t own[NB];
	struct core_disk d;
	exo_bno ds, hint, b, want;
	uint64_t n;
	uint32_t o, i;
	int step, rc;

	(void)state;
	disk_open(&d, m);
	ds = d.label.data_start;
	memset(own, 0, sizeof(own));
	for (i = 0; i < ds; i++)
		own[i] = 0xff; /* the label and the map: nobody's */
	for (i = 1; i <= 3; i++)
		assert_int_equal(owner_new(&d, (const char[]){'o', (char)i, 0}),
				 i);
	for (step = 0; step < 4000; step++) {
		o = 1 + (uint32_t)(rnd() % 3);
		hint = rnd() % (NB + 16);
		n = 1 + rnd() % (rnd() % 8 ? 8 : 100);
		if (rnd() % 2) {
			want = model_place(own, ds, NB, hint, n);
			rc = core_block_alloc(&d, o, hint, n, &b);
			if (want == EXO_BNO_NONE) {
				assert_int_equal(rc, EXO_ENOSPC);
				continue;
			}
			assert_int_equal(rc, 0);
			assert_int_equal(b, want);
			memset(own + b, (int)o, n);
		} else {
			exo_bno s = hint < NB ? hint : NB - 1;
			int mine;

			/* Mostly free what o owns, sometimes a bit more. */
			for (i = rnd() % 5 ? 0 : NB; i < NB && own[s] != o; i++)
				s = s + 1 < NB ? s + 1 : ds;
			for (n = 0; s + n < NB && own[s + n] == o; n++)
				;
			n = 1 + rnd() % (rnd() % 4 ? n + !n : n + 2);
			mine = s + n <= NB;

			for (i = 0; mine && i < n; i++)
				mine = own[s + i] == o;
			rc = core_block_free(&d, o, s, n);
			assert_int_equal(rc, mine	  ? 0
					     : s + n > NB ? EXO_ERANGE
							  : EXO_EPERM);
			if (mine)
				memset(own + s, 0, n);
		}
		if (step % 97 == 0) {
			model_same(&d, own, 3);
			core_disk_close(&d);
			disk_open(&d, m);
		}
	}
	model_same(&d, own, 3);
	disk_done(&d, m);
}

/* ---- owners, persistence, roots ---- */

static void test_persistence(void **state)
{
	struct memdev *m = disk_new(1024);
	struct exo_map_owner mo;
	struct exo_extent ext[2];
	struct core_disk d;
	uint32_t a, b, o;
	uint8_t h[32];
	exo_bno root;
	char cap[EXO_CAP_MAX + 1];
	int i;

	(void)state;
	disk_open(&d, m);
	a = owner_new(&d, "alice");
	b = owner_new(&d, "bob");
	assert_int_equal(a, 1);
	assert_int_equal(b, 2);
	assert_int_equal(owner_new(&d, "alice"), a); /* known: same owner */
	alloc_ok(&d, a, 100, 10);
	alloc_ok(&d, b, 300, 5);
	assert_int_equal(core_root_set(&d, a, 105), 0);
	core_disk_close(&d);

	disk_open(&d, m);
	assert_int_equal(core_owner_attach(&d, CAP("alice"), 0, &o), 0);
	assert_int_equal(o, a);
	assert_int_equal(core_owner_attach(&d, CAP("bob"), 0, &o), 0);
	assert_int_equal(o, b);
	assert_int_equal(core_owner_attach(&d, CAP("carol"), 0, &o),
			 EXO_ENOENT);
	assert_int_equal(core_block_extents(&d, a, ext, 2), 1);
	assert_int_equal(ext[0].start, 100);
	assert_int_equal(ext[0].len, 10);
	assert_int_equal(core_block_extents(&d, b, ext, 2), 1);
	assert_int_equal(ext[0].start, 300);
	assert_int_equal(core_root_get(&d, a, &root), 0);
	assert_int_equal(root, 105);
	assert_int_equal(core_root_get(&d, b, &root), 0);
	assert_int_equal(root, EXO_BNO_NONE);
	assert_int_equal(core_blocks_free(&d), 1015 - 15);

	o = owner_new(&d, "carol");
	assert_int_equal(o, 3);
	assert_int_equal(core_block_extents(&d, o, ext, 2), 0);
	assert_int_equal(core_block_check(&d, o, 100, 1), EXO_EPERM);

	/* Only the hash of a capability is kept. */
	assert_int_equal(core_owner_get(&d, 0, &mo), 0);
	sha256("alice", 5, h);
	assert_memory_equal(mo.cap_hash, h, 32);
	assert_int_equal(mo.id, a);
	assert_int_equal(mo.nblocks, 10);
	assert_int_equal(mo.root, 105);
	assert_null(memmem(slot_img(m, &d, 0), d.map_size, "alice", 5));
	assert_null(memmem(slot_img(m, &d, 1), d.map_size, "alice", 5));
	assert_int_equal(core_owner_get(&d, 3, &mo), EXO_ENOENT);
	assert_int_equal(core_owner_get(&d, -1, &mo), EXO_ENOENT);
	assert_int_equal(core_owner_get(&d, 0, NULL), EXO_EINVAL);

	/* Bad capabilities, and the owner limit. */
	memset(cap, 'x', sizeof(cap));
	assert_int_equal(core_owner_attach(&d, NULL, 3, 1, &o), EXO_EINVAL);
	assert_int_equal(core_owner_attach(&d, cap, 0, 1, &o), EXO_EINVAL);
	assert_int_equal(core_owner_attach(&d, cap, EXO_CAP_MAX + 1, 1, &o),
			 EXO_EINVAL);
	assert_int_equal(core_owner_attach(&d, cap, 3, 1, NULL), EXO_EINVAL);
	assert_int_equal(core_owner_attach(&d, cap, EXO_CAP_MAX, 1, &o), 0);
	assert_int_equal(o, 4);
	for (i = 4; i < EXO_MAX_OWNERS; i++) {
		cap[0] = (char)i;
		assert_int_equal(core_owner_attach(&d, cap, 8, 1, &o), 0);
		assert_int_equal(o, (uint32_t)i + 1);
	}
	cap[0] = 'z';
	assert_int_equal(core_owner_attach(&d, cap, 8, 1, &o), EXO_EMAPFULL);
	assert_int_equal(core_owner_count(&d), EXO_MAX_OWNERS);
	core_disk_close(&d);
	disk_open(&d, m);
	assert_int_equal(core_owner_count(&d), EXO_MAX_OWNERS);
	cap[0] = 40;
	assert_int_equal(core_owner_attach(&d, cap, 8, 0, &o), 0);
	assert_int_equal(o, 41);
	disk_done(&d, m);
}

static void test_root(void **state)
{
	struct memdev *m = disk_new(1024);
	struct core_disk d;
	exo_bno r;
	uint32_t a, b;
	uint64_t g;

	(void)state;
	disk_open(&d, m);
	a = owner_new(&d, "alice");
	b = owner_new(&d, "bob");
	assert_int_equal(core_root_get(&d, a, &r), 0);
	assert_int_equal(r, EXO_BNO_NONE);
	assert_int_equal(core_root_set(&d, a, 500), EXO_EPERM);
	alloc_ok(&d, a, 500, 10);
	assert_int_equal(core_root_set(&d, a, 505), 0);
	assert_int_equal(core_root_get(&d, a, &r), 0);
	assert_int_equal(r, 505);
	assert_int_equal(core_root_set(&d, b, 505), EXO_EPERM);
	assert_int_equal(core_root_set(&d, a, 2000), EXO_ERANGE);
	assert_int_equal(core_root_set(&d, 9, 505), EXO_ENOENT);
	assert_int_equal(core_root_get(&d, 9, &r), EXO_ENOENT);
	assert_int_equal(core_root_get(&d, a, NULL), EXO_EINVAL);
	g = map_gen(&d);
	assert_int_equal(core_root_set(&d, a, 505),
			 0); /* no change: no write */
	assert_int_equal(map_gen(&d), g);

	/* Freeing other blocks keeps the root; freeing it unsets it. */
	assert_int_equal(core_block_free(&d, a, 500, 3), 0);
	assert_int_equal(core_block_free(&d, a, 503, 2), 0);
	assert_int_equal(core_block_free(&d, a, 506, 1), 0);
	assert_int_equal(core_root_get(&d, a, &r), 0);
	assert_int_equal(r, 505);
	assert_int_equal(core_block_free(&d, a, 505, 1), 0);
	assert_int_equal(core_root_get(&d, a, &r), 0);
	assert_int_equal(r, EXO_BNO_NONE);

	assert_int_equal(core_root_set(&d, a, 509), 0);
	assert_int_equal(core_root_set(&d, a, EXO_BNO_NONE), 0);
	assert_int_equal(core_root_get(&d, a, &r), 0);
	assert_int_equal(r, EXO_BNO_NONE);
	assert_int_equal(core_root_set(&d, a, 508), 0);
	core_disk_close(&d);
	disk_open(&d, m);
	assert_int_equal(core_root_get(&d, a, &r), 0);
	assert_int_equal(r, 508);
	disk_done(&d, m);
}

/* ---- corruption ---- */

enum label_bad {
	LB_MAGIC,
	LB_ZERO,
	LB_VERSION,
	LB_VERSION_FIXED,
	LB_CSUM,
	LB_RESERVED,
	LB_BLOCKSIZE,
	LB_NBLOCKS,
	LB_NBLOCKS_DEV,
	LB_MAPSTART0,
	LB_MAPBLOCKS0,
	LB_MAP_PAST_END,
	LB_MAP_HUGE,
	LB_DATASTART,
	LB_OWNERS0,
	LB_OWNERS65,
	LB_SLOT_TOO_SMALL,
	LB_NBLOCKS_SMALL,
	LB_COUNT
};

static void label_break(struct memdev *m, struct exo_label *l, int how)
{
	switch (how) {
	case LB_MAGIC:
		l->magic[0] ^= 1;
		return;
	case LB_ZERO:
		memset(l, 0, sizeof(*l));
		return;
	case LB_VERSION:
		l->version = 2;
		return;
	case LB_VERSION_FIXED:
		l->version = 0;
		break;
	case LB_CSUM:
		l->csum ^= 0x100;
		return;
	case LB_RESERVED:
		l->_reserved[7] = 1;
		return;
	case LB_BLOCKSIZE:
		l->block_size = 512;
		break;
	case LB_NBLOCKS:
		l->nblocks = 2048;
		break;
	case LB_NBLOCKS_DEV:
		m->dev.nblocks = 1000;
		return;
	case LB_MAPSTART0:
		l->map_start = 0;
		l->data_start = 8;
		break;
	case LB_MAPBLOCKS0:
		l->map_blocks = 0;
		l->data_start = 1;
		break;
	case LB_MAP_PAST_END:
		l->map_blocks = 600;
		l->data_start = 1201;
		break;
	case LB_MAP_HUGE:
		l->map_blocks = 0x80000001u;
		l->data_start = 1 + 2 * 0x80000001ull;
		break;
	case LB_DATASTART:
		l->data_start = 10;
		break;
	case LB_OWNERS0:
		l->max_owners = 0;
		break;
	case LB_OWNERS65:
		l->max_owners = EXO_MAX_OWNERS + 1;
		break;
	case LB_SLOT_TOO_SMALL:
		l->map_blocks = 1;
		l->data_start = 3;
		break;
	case LB_NBLOCKS_SMALL:
		l->nblocks = 9;
		m->dev.nblocks = 9;
		break;
	}
	label_fix(l);
}

static void test_label_corruption(void **state)
{
	static const int want[LB_COUNT] = {
		[LB_MAGIC] = EXO_EBADDISK,
		[LB_ZERO] = EXO_EBADDISK,
		[LB_VERSION] = EXO_EVERSION,
		[LB_VERSION_FIXED] = EXO_EVERSION,
		[LB_CSUM] = EXO_ECORRUPT,
		[LB_RESERVED] = EXO_ECORRUPT,
		[LB_BLOCKSIZE] = EXO_ECORRUPT,
		[LB_NBLOCKS] = EXO_ECORRUPT,
		[LB_NBLOCKS_DEV] = EXO_ECORRUPT,
		[LB_MAPSTART0] = EXO_ECORRUPT,
		[LB_MAPBLOCKS0] = EXO_ECORRUPT,
		[LB_MAP_PAST_END] = EXO_ECORRUPT,
		[LB_MAP_HUGE] = EXO_ECORRUPT,
		[LB_DATASTART] = EXO_ECORRUPT,
		[LB_OWNERS0] = EXO_ECORRUPT,
		[LB_OWNERS65] = EXO_ECORRUPT,
		[LB_SLOT_TOO_SMALL] = EXO_ECORRUPT,
		[LB_NBLOCKS_SMALL] = EXO_ECORRUPT,
	};
	struct memdev *m = disk_new(1024);
	struct exo_label good = *label_of(m);
	struct core_disk d;
	int how;

	(void)state;
	for (how = 0; how < LB_COUNT; how++) {
		label_break(m, label_of(m), how);
		assert_int_equal(core_disk_open(&d, &m->dev), want[how]);
		assert_int_equal(m->alloc_bytes, 0);
		*label_of(m) = good;
		m->dev.nblocks = 1024;
		disk_open(&d, m); /* repaired: opens again */
		core_disk_close(&d);
	}
	memdev_free(m);
}

/* A disk with two owners, three extents and a root; the current map is in
 * slot *cur, the one before it (one generation older) in the other. */
static struct memdev *disk_busy(int *cur, uint64_t *gen)
{
	struct memdev *m = disk_new(1024);
	struct core_disk d;
	uint32_t a, b;

	disk_open(&d, m);
	a = owner_new(&d, "alice");
	b = owner_new(&d, "bob");
	alloc_ok(&d, a, 100, 10);
	alloc_ok(&d, b, 200, 10);
	alloc_ok(&d, a, 300, 10);
	assert_int_equal(core_root_set(&d, a, 105), 0);
	*cur = d.slot;
	*gen = map_gen(&d);
	core_disk_close(&d);
	return m;
}

enum map_bad {
	MB_BYTE,
	MB_MAGIC,
	MB_UUID,
	MB_GEN0,
	MB_USED_HUGE,
	MB_USED_SMALL,
	MB_NOWNERS,
	MB_NEXTENTS,
	MB_UNSORTED,
	MB_OVERLAP,
	MB_IN_META,
	MB_PAST_END,
	MB_LEN0,
	MB_OWNER_UNKNOWN,
	MB_NBLOCKS,
	MB_ROOT_UNOWNED,
	MB_ROOT_FREE,
	MB_ROOT_PAST_END,
	MB_DUP_CAP,
	MB_ID0,
	MB_ID_ORDER,
	MB_ID_BIG,
	MB_FLAGS,
	MB_UNMERGED,
	MB_COUNT
};

/* Break the map image img; most breaks re-checksum, so only the check of
 * the contents can catch them. */
static void map_break(void *img, int how)
{
	struct exo_map_hdr *h = map_hdr(img);
	struct exo_map_owner *o = map_owners(img);
	struct exo_map_extent *e = map_extents(img), t;

	switch (how) {
	case MB_BYTE:
		((uint8_t *)img)[h->used_bytes - 1] ^= 1;
		return;
	case MB_MAGIC:
		h->magic[7] = 'X';
		break;
	case MB_UUID:
		h->uuid[3] ^= 1;
		break;
	case MB_GEN0:
		h->gen = 0;
		break;
	case MB_USED_HUGE:
		h->used_bytes = 0xfffff000u;
		return;
	case MB_USED_SMALL:
		h->used_bytes = 10;
		return;
	case MB_NOWNERS:
		h->nowners = 200;
		break;
	case MB_NEXTENTS:
		h->nextents++;
		break;
	case MB_UNSORTED:
		t = e[0];
		e[0] = e[1];
		e[1] = t;
		break;
	case MB_OVERLAP:
		e[1].start = e[0].start + 5;
		break;
	case MB_IN_META:
		e[0].start = 5;
		break;
	case MB_PAST_END:
		e[2].start = 1020;
		break;
	case MB_LEN0:
		e[2].len = 0;
		o[0].nblocks -= 10;
		break;
	case MB_OWNER_UNKNOWN:
		e[1].owner = 7;
		break;
	case MB_NBLOCKS:
		o[1].nblocks++;
		break;
	case MB_ROOT_UNOWNED:
		o[0].root = 205;
		break;
	case MB_ROOT_FREE:
		o[0].root = 110;
		break; /* just past [100, 110) */
	case MB_ROOT_PAST_END:
		o[0].root = 5000;
		break;
	case MB_DUP_CAP:
		memcpy(o[1].cap_hash, o[0].cap_hash, 32);
		break;
	case MB_ID0:
		o[0].id = 0;
		break;
	case MB_ID_ORDER:
		o[1].id = 1;
		break;
	case MB_ID_BIG:
		o[1].id = EXO_MAX_OWNERS + 1;
		break;
	case MB_FLAGS:
		o[1].flags = 1;
		break;
	case MB_UNMERGED:
		/* Split alice's [300, 310) into two adjacent pieces. */
		e[3] = e[2];
		e[2].len = 4;
		e[3].start += 4;
		e[3].len -= 4;
		h->nextents++;
		h->used_bytes += sizeof(*e);
		break;
	}
	h->csum = core_map_csum(img);
}

static void test_map_corruption(void **state)
{
	uint8_t good[4 * 4096];
	struct core_disk d;
	struct memdev *m;
	uint64_t gen;
	uint8_t *img;
	int cur, how;

	(void)state;
	m = disk_busy(&cur, &gen);
	disk_open(&d, m);
	img = slot_img(m, &d, cur);
	memcpy(good, img, sizeof(good));
	core_disk_close(&d);
	assert_int_equal(map_hdr(good)->nextents, 3);

	/* Any bad current slot: the older map in the other slot is used. */
	for (how = 0; how < MB_COUNT; how++) {
		map_break(img, how);
		disk_open(&d, m);
		assert_int_equal(d.slot, !cur);
		assert_int_equal(map_gen(&d), gen - 1);
		core_disk_close(&d);
		memcpy(img, good, sizeof(good));
		disk_open(&d, m);
		assert_int_equal(d.slot, cur);
		core_disk_close(&d);
	}

	/* Both bad: corrupt. */
	map_break(img, MB_BYTE);
	map_break(memdev_block(m, 1 + 4 * !cur), MB_NBLOCKS);
	assert_int_equal(core_disk_open(&d, &m->dev), EXO_ECORRUPT);
	assert_int_equal(m->alloc_bytes, 0);
	memdev_free(m);
}

/* Whatever open accepted obeys the map's invariants. */
static void map_consistent(struct core_disk *d)
{
	struct exo_map_owner mo;
	struct exo_extent ext[8];
	uint64_t used = 0, sum;
	int64_t n, j;
	int i;

	for (i = 0; i < core_owner_count(d); i++) {
		assert_int_equal(core_owner_get(d, i, &mo), 0);
		n = core_block_extents(d, mo.id, ext, 8);
		assert_true(n >= 0 && n <= 8);
		for (j = 0, sum = 0; j < n; j++) {
			assert_int_equal(core_block_check(d, mo.id,
							  ext[j].start,
							  ext[j].len),
					 0);
			sum += ext[j].len;
		}
		assert_int_equal(sum, mo.nblocks);
		used += sum;
	}
	assert_int_equal(core_blocks_free(d) + used,
			 d->label.nblocks - d->label.data_start);
}

/* Hostile bytes: random damage to a map (re-checksummed, so it reaches
 * the content checks) or to the label must give an error or a map that
 * works, never a crash. */
static void test_hostile_maps(void **state)
{
	uint8_t good[4 * 4096], goodlabel[4096];
	struct core_disk d;
	struct memdev *m;
	uint64_t gen;
	uint8_t *img;
	int cur, iter, k, rc, opened = 0;

	(void)state;
	m = disk_busy(&cur, &gen);
	img = memdev_block(m, 1 + 4 * cur);
	memcpy(good, img, sizeof(good));
	memcpy(goodlabel, label_of(m), sizeof(goodlabel));
	memset(memdev_block(m, 1 + 4 * !cur), 0, 4 * 4096); /* no fallback */
	for (iter = 0; iter < 3000; iter++) {
		int nbytes = 1 + (int)(rnd() % 4);
		uint32_t span = iter % 3 ? map_hdr(good)->used_bytes : 4096;

		for (k = 0; k < nbytes; k++)
			img[rnd() % span] ^= (uint8_t)(1u << (rnd() % 8));
		if (map_hdr(img)->used_bytes >= 64 &&
		    map_hdr(img)->used_bytes <= sizeof(good))
			map_hdr(img)->csum = core_map_csum(img);
		if (iter % 5 == 0) {
			uint8_t *lb = (uint8_t *)label_of(m);

			lb[rnd() % 128] ^= (uint8_t)(1u << (rnd() % 8));
			if (iter % 10 == 0)
				label_fix(label_of(m));
		}
		rc = core_disk_open(&d, &m->dev);
		assert_true(rc == 0 || rc == EXO_ECORRUPT ||
			    rc == EXO_EBADDISK || rc == EXO_EVERSION);
		if (rc == 0) {
			opened++;
			map_consistent(&d);
			core_disk_close(&d);
		}
		assert_int_equal(m->alloc_bytes, 0);
		memcpy(img, good, sizeof(good));
		memcpy(label_of(m), goodlabel, sizeof(goodlabel));
	}
	assert_true(opened > 0);
	memdev_free(m);
}

/* ---- crashes and I/O errors during updates ---- */

static void test_torn_map_write(void **state)
{
	struct memdev *m = disk_new(2048);
	struct core_disk d, d2;
	struct snap s;
	uint64_t tears[] = {0, 100, 4096, 4096 + 64, 8191};
	uint64_t gen;
	exo_bno b;
	uint32_t a, c;
	size_t i;

	(void)state;
	disk_open(&d, m);
	a = owner_new(&d, "alice");
	c = owner_new(&d, "carol");
	/* Enough extents that the map spans several blocks. */
	for (i = 0; i < 600; i++)
		alloc_ok(&d, i % 2 ? a : c, 9 + i, 1);
	assert_true(map_hdr(d.cur)->used_bytes > 2 * 4096);

	for (i = 0; i < sizeof(tears) / sizeof(tears[0]); i++) {
		snap_take(&d, &s);
		gen = map_gen(&d);
		m->fail_write_after = 0;
		m->tear_bytes = tears[i];
		assert_int_equal(core_block_alloc(&d, a, 1500, 1, &b), EXO_EIO);
		snap_same(&d, &s);
		/* What a reboot finds is what d holds. */
		disk_open(&d2, m);
		assert_int_equal(map_gen(&d2), gen);
		assert_int_equal(d2.slot, d.slot);
		assert_int_equal(core_block_check(&d2, a, 1500, 1), EXO_EPERM);
		core_disk_close(&d2);
	}
	/* And d goes on: the next update lands. */
	assert_int_equal(alloc_ok(&d, a, 1500, 1), 1500);
	disk_open(&d2, m);
	assert_int_equal(map_gen(&d2), map_gen(&d));
	assert_int_equal(core_block_check(&d2, a, 1500, 1), 0);
	core_disk_close(&d2);

	/* A failed flush is an error too, and nothing changes in memory. */
	snap_take(&d, &s);
	m->fail_flush = 1;
	assert_int_equal(core_block_free(&d, a, 1500, 1), EXO_EIO);
	snap_same(&d, &s);
	m->fail_flush = 0;
	snap_take(&d, &s);
	m->fail_write_after = 0;
	m->tear_bytes = 0;
	assert_int_equal(core_root_set(&d, a, 1500), EXO_EIO);
	snap_same(&d, &s);
	m->fail_flush = 1; /* after the map write */
	assert_int_equal(core_root_set(&d, a, 1500), EXO_EIO);
	snap_same(&d, &s);
	assert_int_equal(core_root_set(&d, a, 1500), 0);
	disk_open(&d2, m);
	assert_int_equal(core_root_get(&d2, a, &b), 0);
	assert_int_equal(b, 1500);
	core_disk_close(&d2);
	disk_done(&d, m);
}

static void test_io_errors(void **state)
{
	struct memdev *m = disk_new(1024);
	struct core_disk d;
	struct snap s;
	uint32_t a, o;
	int k;

	(void)state;
	/* open: read errors and allocation failures, without leaks. */
	m->fail_read = 1;
	assert_int_equal(core_disk_open(&d, &m->dev), EXO_EIO);
	for (k = 0; k < 3; k++) {
		m->fail_alloc_after = k;
		assert_int_equal(core_disk_open(&d, &m->dev), EXO_ENOMEM);
		assert_int_equal(m->alloc_bytes, 0);
	}
	m->fail_alloc_after = -1;

	disk_open(&d, m);
	a = owner_new(&d, "alice");
	alloc_ok(&d, a, 100, 5);
	memset(memdev_block(m, 101), 1, EXO_BLOCK_SIZE);

	/* free: a zero that fails leaves the blocks owned. */
	snap_take(&d, &s);
	m->fail_zero = 1;
	assert_int_equal(core_block_free(&d, a, 100, 5), EXO_EIO);
	snap_same(&d, &s);
	m->fail_flush = 1;
	assert_int_equal(core_block_free(&d, a, 100, 5), EXO_EIO);
	snap_same(&d, &s);
	m->fail_write_after = 0;
	m->tear_bytes = 0;
	assert_int_equal(core_owner_attach(&d, CAP("bob"), 1, &o), EXO_EIO);
	snap_same(&d, &s);
	assert_int_equal(core_owner_attach(&d, CAP("bob"), 0, &o), EXO_ENOENT);
	core_disk_close(&d);

	/* format: an error before the label leaves no disk. */
	m->fail_write_after = 1; /* the map lands, the label does not */
	m->tear_bytes = 0;
	assert_int_equal(core_disk_format(&m->dev, test_uuid, 0), EXO_EIO);
	assert_int_equal(core_disk_open(&d, &m->dev), EXO_EBADDISK);
	m->fail_alloc_after = 0;
	assert_int_equal(core_disk_format(&m->dev, test_uuid, 0), EXO_ENOMEM);
	m->fail_zero = 1;
	assert_int_equal(core_disk_format(&m->dev, test_uuid, 0), EXO_EIO);
	assert_int_equal(m->alloc_bytes, 0);
	memdev_free(m);
}

/* ---- pages and revocation ---- */

static void test_pages(void **state)
{
	uint32_t own[64];
	struct core_pages p;
	exo_ppn x;

	(void)state;
	core_pages_init(&p, own, 64);
	assert_int_equal(p.nfree, 64);
	core_pages_reserve(&p, 0, 4);
	core_pages_reserve(&p, 62, 10); /* clipped at the end */
	core_pages_reserve(&p, UINT64_MAX, 2);
	core_pages_reserve(&p, 2, 1); /* already reserved */
	assert_int_equal(p.nfree, 58);
	assert_int_equal(own[0], CORE_PAGE_KERNEL);
	assert_int_equal(own[63], CORE_PAGE_KERNEL);

	assert_int_equal(core_page_alloc(&p, 1, 10, 4, &x), 0);
	assert_int_equal(x, 10); /* at hint */
	assert_int_equal(core_page_alloc(&p, 2, 12, 2, &x), 0);
	assert_int_equal(x, 4); /* hint taken: first fit */
	assert_int_equal(core_page_alloc(&p, 2, 0, 1, &x), 0);
	assert_int_equal(x, 6); /* hint reserved */
	assert_int_equal(core_page_alloc(&p, 2, UINT64_MAX, 1, &x), 0);
	assert_int_equal(x, 7);
	assert_int_equal(core_pages_owned(&p, 1), 4);
	assert_int_equal(core_pages_owned(&p, 2), 4);

	assert_int_equal(core_page_check(&p, 1, 10, 4), 0);
	assert_int_equal(core_page_check(&p, 2, 10, 1), EXO_EPERM);
	assert_int_equal(core_page_check(&p, 1, 9, 2), EXO_EPERM);
	assert_int_equal(core_page_check(&p, 1, 0, 1), EXO_EPERM);
	assert_int_equal(core_page_check(&p, 1, 64, 1), EXO_ERANGE);
	assert_int_equal(core_page_check(&p, 1, 60, 5), EXO_ERANGE);
	assert_int_equal(core_page_check(&p, 1, UINT64_MAX, 1), EXO_ERANGE);
	assert_int_equal(core_page_check(&p, 1, 10, 0), EXO_EINVAL);
	assert_int_equal(core_page_check(&p, 1, 10, 65), EXO_EINVAL);
	assert_int_equal(core_page_check(&p, CORE_PAGE_FREE, 20, 1),
			 EXO_EINVAL);
	assert_int_equal(core_page_check(&p, CORE_PAGE_KERNEL, 0, 1),
			 EXO_EINVAL);

	assert_int_equal(core_page_free(&p, 2, 10, 1), EXO_EPERM);
	assert_int_equal(core_page_free(&p, 1, 10, 5), EXO_EPERM);
	assert_int_equal(core_page_free(&p, 1, 10, 0), EXO_EINVAL);
	assert_int_equal(core_page_free(&p, 1, 70, 1), EXO_ERANGE);
	assert_int_equal(core_page_free(&p, 1, 10, 4), 0);
	assert_int_equal(core_page_free(&p, 1, 10, 4), EXO_EPERM);
	assert_int_equal(core_pages_owned(&p, 1), 0);
	assert_int_equal(p.nfree, 58 - 4);

	assert_int_equal(core_page_alloc(&p, 1, 0, 0, &x), EXO_EINVAL);
	assert_int_equal(core_page_alloc(&p, 1, 0, 65, &x), EXO_EINVAL);
	assert_int_equal(core_page_alloc(&p, 0, 0, 1, &x), EXO_EINVAL);
	assert_int_equal(core_page_alloc(&p, CORE_PAGE_KERNEL, 0, 1, &x),
			 EXO_EINVAL);
	assert_int_equal(core_page_alloc(&p, 1, 0, 1, NULL), EXO_EINVAL);
	assert_int_equal(core_page_alloc(&p, 3, 0, 55, &x), EXO_ENOMEM);
	assert_int_equal(core_page_alloc(&p, 3, 0, 54, &x), 0);
	assert_int_equal(x, 8);
	assert_int_equal(p.nfree, 0);
	assert_int_equal(core_page_alloc(&p, 3, 0, 1, &x), EXO_ENOMEM);
	assert_int_equal(core_page_free(&p, 3, 20, 1), 0);
	assert_int_equal(core_page_free(&p, 3, 40, 1), 0);
	assert_int_equal(core_page_alloc(&p, 3, 0, 2, &x), EXO_ENOMEM);
	assert_int_equal(core_page_alloc(&p, 3, 0, 1, &x), 0);
	assert_int_equal(x, 20);

	/* First fit starts at page 0. */
	core_pages_init(&p, own, 8);
	assert_int_equal(core_page_alloc(&p, 1, 5, 1, &x), 0);
	assert_int_equal(core_page_alloc(&p, 2, 5, 1, &x), 0);
	assert_int_equal(x, 0);
	assert_int_equal(core_page_alloc(&p, 2, 4, 2, &x), 0);
	assert_int_equal(x, 1);
}

static void test_revocation(void **state)
{
	static uint32_t own[512];
	static struct exo_info info;
	struct core_pages p;
	exo_ppn x;
	uint64_t i;

	(void)state;
	core_pages_init(&p, own, 512);
	assert_int_equal(core_page_alloc(&p, 5, 0, 300, &x), 0);
	assert_int_equal(core_page_alloc(&p, 6, 300, 10, &x), 0);

	core_revoke_request(&info, 10, 1000);
	assert_int_equal(info.revoke_seq, 1);
	assert_int_equal(info.revoke_pages, 10);
	assert_int_equal(info.revoke_deadline_ns, 1000);
	core_revoke_freed(&info, 3);
	assert_int_equal(info.revoke_pages, 7);
	core_revoke_freed(&info, 100);
	assert_int_equal(info.revoke_pages, 0);
	assert_int_equal(core_revoke_expire(&p, 5, &info, 5000), 0);

	/* Not complied with: after the deadline the top pages are taken. */
	core_revoke_request(&info, 20, 1000);
	assert_int_equal(info.revoke_seq, 2);
	assert_int_equal(core_revoke_expire(&p, 5, &info, 999), 0);
	assert_int_equal(core_pages_owned(&p, 5), 300);
	assert_int_equal(core_revoke_expire(&p, 5, &info, 1000), 20);
	assert_int_equal(info.revoke_pages, 0);
	assert_int_equal(info.repo_count, 20);
	for (i = 0; i < 20; i++) {
		assert_int_equal(info.repo[i], 299 - i);
		assert_int_equal(own[299 - i], CORE_PAGE_FREE);
	}
	assert_int_equal(core_pages_owned(&p, 5), 280);
	assert_int_equal(core_pages_owned(&p, 6), 10);
	assert_int_equal(p.nfree, 512 - 310 + 20);
	assert_int_equal(core_revoke_expire(&p, 5, &info, 2000), 0);

	/* More than it owns: all of it, and the ring wraps. */
	core_revoke_request(&info, 1000, 3000);
	assert_int_equal(core_revoke_expire(&p, 5, &info, 3001), 280);
	assert_int_equal(info.repo_count, 300);
	for (i = 300 - EXO_REPO_MAX; i < 300; i++) /* the c-th taken: 299-c */
		assert_int_equal(info.repo[i % EXO_REPO_MAX], 299 - i);
	assert_int_equal(core_pages_owned(&p, 5), 0);
	assert_int_equal(core_pages_owned(&p, 6), 10);
	assert_int_equal(info.revoke_pages, 0);
	core_revoke_request(&info, 5, 0);
	assert_int_equal(core_revoke_expire(&p, CORE_PAGE_FREE, &info, 1), 0);
	assert_int_equal(p.nfree, 502);
}

/* ---- I/O request checks ---- */

struct iofix {
	struct memdev *m;
	struct core_disk d;
	uint32_t a, b; /* disk owners: a has [100, 200), b [300, 310) */
	uint32_t own[64];
	struct core_pages p; /* env 1 owns pages 0..31, env 2 32..39 */
	struct exo_ioreq slots[8];
	uint8_t used[8];
	struct core_inflight f;
};

static int iofix_setup(void **state)
{
	struct iofix *x = calloc(1, sizeof(*x));
	exo_ppn ppn;

	x->m = disk_new(1024);
	disk_open(&x->d, x->m);
	x->a = owner_new(&x->d, "alice");
	x->b = owner_new(&x->d, "bob");
	alloc_ok(&x->d, x->a, 100, 100);
	alloc_ok(&x->d, x->b, 300, 10);
	core_pages_init(&x->p, x->own, 64);
	assert_int_equal(core_page_alloc(&x->p, 1, 0, 32, &ppn), 0);
	assert_int_equal(core_page_alloc(&x->p, 2, 32, 8, &ppn), 0);
	x->f = (struct core_inflight){
		.req = x->slots, .used = x->used, .cap = 8};
	*state = x;
	return 0;
}

static int iofix_teardown(void **state)
{
	struct iofix *x = *state;

	disk_done(&x->d, x->m);
	free(x);
	return 0;
}

static struct exo_ioreq req(int op, exo_bno bno, uint32_t n, exo_ppn ppn)
{
	return (struct exo_ioreq){
		.op = (uint8_t)op, .n = n, .bno = bno, .ppn = ppn};
}

static int check1(struct iofix *x, struct exo_ioreq r)
{
	return core_io_check(&x->d, x->a, &x->p, 1, &x->f, &r, 1);
}

static int check2(struct iofix *x, struct exo_ioreq r, struct exo_ioreq s)
{
	struct exo_ioreq b[2] = {r, s};

	return core_io_check(&x->d, x->a, &x->p, 1, &x->f, b, 2);
}

static void test_io_check_single(void **state)
{
	struct iofix *x = *state;
	struct exo_ioreq r;

	assert_int_equal(check1(x, req(EXO_OP_READ, 100, 4, 0)), 0);
	assert_int_equal(check1(x, req(EXO_OP_WRITE, 196, 4, 28)), 0);
	assert_int_equal(check1(x, req(EXO_OP_WRITE, 100, 32, 0)), 0);
	assert_int_equal(check1(x, req(EXO_OP_FLUSH, 7, 0, 999)), 0);

	/* op and reserved fields */
	assert_int_equal(check1(x, req(0, 100, 1, 0)), EXO_EINVAL);
	assert_int_equal(check1(x, req(4, 100, 1, 0)), EXO_EINVAL);
	assert_int_equal(check1(x, req(255, 100, 1, 0)), EXO_EINVAL);
	r = req(EXO_OP_READ, 100, 1, 0);
	r.flags = 1;
	assert_int_equal(check1(x, r), EXO_EINVAL);
	r = req(EXO_OP_FLUSH, 0, 0, 0);
	r.flags = 0x80;
	assert_int_equal(check1(x, r), EXO_EINVAL);
	r = req(EXO_OP_WRITE, 100, 1, 0);
	r._pad = 1;
	assert_int_equal(check1(x, r), EXO_EINVAL);
	/* counts */
	assert_int_equal(check1(x, req(EXO_OP_READ, 100, 0, 0)), EXO_EINVAL);
	assert_int_equal(
		check1(x, req(EXO_OP_READ, 100, EXO_IO_MAXBLOCKS + 1, 0)),
		EXO_EINVAL);
	assert_int_equal(check1(x, req(EXO_OP_WRITE, 100, UINT32_MAX, 0)),
			 EXO_EINVAL);
	/* blocks past the end, with and without wrap-around */
	assert_int_equal(check1(x, req(EXO_OP_READ, 1024, 1, 0)), EXO_ERANGE);
	assert_int_equal(check1(x, req(EXO_OP_READ, 1022, 4, 0)), EXO_ERANGE);
	assert_int_equal(check1(x, req(EXO_OP_WRITE, UINT64_MAX - 1, 4, 0)),
			 EXO_ERANGE);
	/* blocks not the caller's: another's, label, map, half, free */
	assert_int_equal(check1(x, req(EXO_OP_READ, 300, 1, 0)), EXO_EPERM);
	assert_int_equal(check1(x, req(EXO_OP_WRITE, 0, 1, 0)), EXO_EPERM);
	assert_int_equal(check1(x, req(EXO_OP_WRITE, 1, 8, 0)), EXO_EPERM);
	assert_int_equal(check1(x, req(EXO_OP_READ, 198, 4, 0)), EXO_EPERM);
	assert_int_equal(check1(x, req(EXO_OP_READ, 500, 1, 0)), EXO_EPERM);
	r = req(EXO_OP_READ, 100, 1, 0);
	assert_int_equal(core_io_check(&x->d, 77, &x->p, 1, &x->f, &r, 1),
			 EXO_EPERM); /* no such owner */
	/* pages not the caller's */
	assert_int_equal(check1(x, req(EXO_OP_READ, 100, 1, 32)), EXO_EPERM);
	assert_int_equal(check1(x, req(EXO_OP_READ, 100, 4, 30)), EXO_EPERM);
	assert_int_equal(check1(x, req(EXO_OP_WRITE, 100, 1, 50)), EXO_EPERM);
	assert_int_equal(check1(x, req(EXO_OP_READ, 100, 1, 64)), EXO_ERANGE);
	assert_int_equal(check1(x, req(EXO_OP_READ, 100, 2, 63)), EXO_ERANGE);
	assert_int_equal(check1(x, req(EXO_OP_READ, 100, 2, UINT64_MAX)),
			 EXO_ERANGE);
	assert_int_equal(core_io_check(&x->d, x->a, &x->p, 2, &x->f, &r, 1),
			 EXO_EPERM); /* env 2 does not own page 0 */
	assert_int_equal(
		core_io_check(&x->d, x->a, &x->p, CORE_PAGE_FREE, &x->f, &r, 1),
		EXO_EINVAL);
	/* the batch itself */
	assert_int_equal(core_io_check(&x->d, x->a, &x->p, 1, &x->f, &r, 0),
			 EXO_EINVAL);
	assert_int_equal(core_io_check(&x->d, x->a, &x->p, 1, &x->f, NULL, 1),
			 EXO_EINVAL);
	assert_int_equal(core_io_check(&x->d, x->a, &x->p, 1, &x->f, &r,
				       EXO_IO_MAXBATCH + 1),
			 EXO_EINVAL);
}

static void test_io_check_overlap(void **state)
{
	struct iofix *x = *state;
	struct exo_ioreq rs[9];
	int i;

	/* Allowed: reads of the same blocks into different pages, writes
	 * from the same pages to different blocks, disjoint writes. */
	assert_int_equal(check2(x, req(EXO_OP_READ, 100, 4, 0),
				req(EXO_OP_READ, 100, 4, 4)),
			 0);
	assert_int_equal(check2(x, req(EXO_OP_WRITE, 100, 4, 0),
				req(EXO_OP_WRITE, 104, 4, 0)),
			 0);
	assert_int_equal(check2(x, req(EXO_OP_WRITE, 100, 4, 0),
				req(EXO_OP_FLUSH, 100, 4, 0)),
			 0);
	/* Conflicts within a batch. */
	assert_int_equal(check2(x, req(EXO_OP_WRITE, 100, 4, 0),
				req(EXO_OP_WRITE, 103, 1, 8)),
			 EXO_EOVERLAP);
	assert_int_equal(check2(x, req(EXO_OP_READ, 110, 4, 0),
				req(EXO_OP_WRITE, 100, 11, 8)),
			 EXO_EOVERLAP);
	assert_int_equal(check2(x, req(EXO_OP_READ, 100, 4, 0),
				req(EXO_OP_READ, 120, 4, 3)),
			 EXO_EOVERLAP);
	assert_int_equal(check2(x, req(EXO_OP_WRITE, 100, 4, 5),
				req(EXO_OP_READ, 120, 4, 2)),
			 EXO_EOVERLAP);
	/* A bad request late in a batch rejects the whole batch. */
	assert_int_equal(check2(x, req(EXO_OP_READ, 100, 4, 0),
				req(EXO_OP_READ, 300, 1, 8)),
			 EXO_EPERM);

	/* Conflicts with what is in flight. */
	rs[0] = req(EXO_OP_WRITE, 150, 8, 16);
	assert_int_equal(check1(x, rs[0]), 0);
	assert_int_equal(core_inflight_add(&x->f, &rs[0]), 0);
	assert_int_equal(check1(x, req(EXO_OP_READ, 157, 1, 0)), EXO_EOVERLAP);
	assert_int_equal(check1(x, req(EXO_OP_WRITE, 140, 11, 0)),
			 EXO_EOVERLAP);
	assert_int_equal(check1(x, req(EXO_OP_READ, 100, 1, 23)), EXO_EOVERLAP);
	assert_int_equal(check1(x, req(EXO_OP_WRITE, 100, 8, 16)), 0);
	assert_int_equal(check1(x, req(EXO_OP_READ, 158, 1, 24)), 0);
	/* Nothing under I/O may be freed: blocks 150..157, pages 16..23. */
	assert_int_equal(core_inflight_busy(&x->f, 157, 1, 0, 0), EXO_EBUSY);
	assert_int_equal(core_inflight_busy(&x->f, 140, 11, 0, 0), EXO_EBUSY);
	assert_int_equal(core_inflight_busy(&x->f, 158, 4, 0, 0), 0);
	assert_int_equal(core_inflight_busy(&x->f, 0, 0, 23, 1), EXO_EBUSY);
	assert_int_equal(core_inflight_busy(&x->f, 0, 0, 24, 8), 0);
	core_inflight_done(&x->f, 0);
	assert_int_equal(core_inflight_busy(&x->f, 150, 8, 16, 8), 0);
	assert_int_equal(check1(x, req(EXO_OP_READ, 157, 1, 16)), 0);

	/* The queue: 8 slots. */
	for (i = 0; i < 6; i++) {
		rs[i] = req(EXO_OP_READ, 100 + i, 1, (exo_ppn)i);
		assert_int_equal(core_inflight_add(&x->f, &rs[i]), i);
	}
	for (i = 0; i < 3; i++)
		rs[i] = req(EXO_OP_WRITE, 180 + i, 1, 20);
	assert_int_equal(core_io_check(&x->d, x->a, &x->p, 1, &x->f, rs, 3),
			 EXO_EAGAIN);
	assert_int_equal(core_io_check(&x->d, x->a, &x->p, 1, &x->f, rs, 2), 0);
	assert_int_equal(core_inflight_add(&x->f, &rs[0]), 6);
	assert_int_equal(core_inflight_add(&x->f, &rs[1]), 7);
	assert_int_equal(core_inflight_add(&x->f, &rs[2]), EXO_EAGAIN);
	assert_int_equal(check1(x, req(EXO_OP_FLUSH, 0, 0, 0)), EXO_EAGAIN);
	core_inflight_done(&x->f, 3);
	core_inflight_done(&x->f, 3);  /* twice: ignored */
	core_inflight_done(&x->f, 99); /* no such slot: ignored */
	assert_int_equal(x->f.n, 7);
	assert_int_equal(check1(x, req(EXO_OP_READ, 103, 1, 3)), 0);
	assert_int_equal(core_inflight_add(&x->f, &rs[2]), 3);
	assert_int_equal(x->f.n, 8);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc32c_vectors),
		cmocka_unit_test(test_sha256_vectors),
		cmocka_unit_test(test_strerror),
		cmocka_unit_test(test_format_open),
		cmocka_unit_test(test_metadata_small),
		cmocka_unit_test(test_alloc_hint),
		cmocka_unit_test(test_ownership),
		cmocka_unit_test(test_extents_listing),
		cmocka_unit_test(test_nospc),
		cmocka_unit_test(test_mapfull),
		cmocka_unit_test(test_zero_on_reuse),
		cmocka_unit_test(test_huge_runs),
		cmocka_unit_test(test_random_ops),
		cmocka_unit_test(test_persistence),
		cmocka_unit_test(test_root),
		cmocka_unit_test(test_label_corruption),
		cmocka_unit_test(test_map_corruption),
		cmocka_unit_test(test_hostile_maps),
		cmocka_unit_test(test_torn_map_write),
		cmocka_unit_test(test_io_errors),
		cmocka_unit_test(test_pages),
		cmocka_unit_test(test_revocation),
		cmocka_unit_test_setup_teardown(test_io_check_single,
						iofix_setup, iofix_teardown),
		cmocka_unit_test_setup_teardown(test_io_check_overlap,
						iofix_setup, iofix_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
