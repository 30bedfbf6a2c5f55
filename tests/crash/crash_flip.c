/*
 * crash_flip.c: bit flips on the media of a store at rest.
 *
 * Two images of a store holding the small workload's objects (work.h):
 * "clean", closed with a checkpoint (every page on the media), and "log",
 * closed without one (store_opts.manual_ckpt), so that open must redo the
 * log.  One bit is flipped with fault_disk_write_raw, then the store is
 * opened and everything is read back and compared (wl_verify_flip): every
 * call either works and returns the right data, or fails with
 * EXO_ECORRUPT naming the flipped block (store_opts.bad at open,
 * store_bad_block after), never wrong data.
 *
 *   named   a data page, an inode, the object directory's root and a
 *           directory page, the allocator's directory and a bitmap, a
 *           log record (not the last): the flip must be detected, naming
 *           the block; the newest superblock copy (in both images): the
 *           older copy takes over and nothing is lost; both copies: open
 *           refuses, naming block A.
 *   sweep   every block the owner has that holds data, in both images,
 *           one bit each at a seeded position: no wrong data, and any
 *           error names the flipped block.
 *
 * A flip in a log record is named by the block holding the record's
 * start (wal_bad_block: the CRC covers the whole record, which may span
 * blocks).  A flip inside the last record of the log cannot be told from
 * a write torn by a power cut (nothing after it says it was durable), so
 * there the store may come back without that last batch; that is the one
 * loss the sweep allows, and it says how often it happened.
 *
 * Usage: crash_flip [--trials N] (ignored: everything is exhaustive).
 * Ends with "crash_flip: N passed, N failed".
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "balloc.h"
#include "work.h"

#define TRIAL_SECS 120 /* the watchdog */
#define MAXREC     1024

static unsigned passed, failed;
static char why[512];

struct image {
	const char *label;
	uint8_t *media;
	size_t n;             /* batches in the store */
	struct store_sb sb;   /* the newest superblock */
	lsn_t rec[MAXREC];    /* records from the checkpoint on */
	lsn_t recend[MAXREC]; /* the end of each (before padding) */
	size_t nrec;
	lsn_t end;            /* just past the last record */
};

static void result(int ok, const char *what)
{
	if (ok) {
		passed++;
		return;
	}
	failed++;
	printf("FAIL %s: %s\n", what, why);
	fflush(stdout);
}

static uint8_t *raw(struct fixture *f, exo_bno bno)
{
	static uint8_t blk[EXO_BLOCK_SIZE];

	if (fault_disk_read_raw(f->name, bno, 1, blk) < 0)
		memset(blk, 0, sizeof(blk));
	return blk;
}

/* The owner's root block: superblock copy A. */
static exo_bno root_block(struct fixture *f)
{
	struct exo_disk_info *in;
	exo_bno a = EXO_BNO_NONE;

	if (exo_disk_info(f->disk, &in) == 0) {
		if (in->nowners == 1)
			a = in->owners[0].owner.root;
		exo_disk_info_free(in);
	}
	return a;
}

/* ---- an image and what is where in it ---- */

static int newest_sb(struct fixture *f, struct store_sb *out)
{
	struct store_sb sb[2];
	exo_bno a = root_block(f);
	int rc[2], i;

	if (a == EXO_BNO_NONE)
		return EXO_ENOENT;
	for (i = 0; i < 2; i++)
		rc[i] = sb_decode(raw(f, a + (exo_bno)i), EXO_BLOCK_SIZE,
				  &sb[i]);
	if (rc[0] < 0 && rc[1] < 0)
		return rc[0];
	i = rc[0] < 0 || (rc[1] == 0 && sb[1].gen > sb[0].gen);
	*out = sb[i];
	return 0;
}

static exo_bno log_block(const struct store_sb *sb, lsn_t lsn)
{
	return sb->log_start + (lsn / EXO_BLOCK_SIZE) % sb->log_nblocks;
}

/* The log bytes at lsn, n of them (within one block). */
static void log_read(struct fixture *f, const struct store_sb *sb,
		     lsn_t lsn, void *out, size_t n)
{
	memcpy(out, raw(f, log_block(sb, lsn)) + lsn % EXO_BLOCK_SIZE, n);
}

/* The records from the checkpoint on, by their headers (lsn equal to the
 * position; the CRC is the store's to check). */
static void find_records(struct fixture *f, struct image *im)
{
	struct wal_rec h;
	lsn_t pos = im->sb.ckpt_lsn;
	uint8_t buf[sizeof(h)];
	size_t k;

	for (im->nrec = 0; im->nrec < MAXREC; im->nrec++) {
		for (k = 0; k < sizeof(h); k++)
			log_read(f, &im->sb, pos + k, buf + k, 1);
		memcpy(&h, buf, sizeof(h));
		if (h.lsn != pos || h.len == 0)
			break;
		im->rec[im->nrec] = pos;
		im->recend[im->nrec] = pos + sizeof(h) + h.len;
		pos += sizeof(h) + ((h.len + 7u) & ~7u);
	}
	im->end = pos;
}

static int image_take(struct fixture *f, struct image *im, const char *label)
{
	int rc;

	im->label = label;
	im->n = f->w.n;
	rc = newest_sb(f, &im->sb);
	if (rc < 0)
		return rc;
	find_records(f, im);
	im->media = media_save(f->name, f->nblocks);
	return im->media ? 0 : EXO_ENOMEM;
}

/* The image on the disk and its history (the log image's batches follow
 * the clean image's in the history array). */
static void image_use(struct fixture *f, const struct image *im)
{
	media_restore(f->name, im->media, f->nblocks);
	f->w.n = im->n;
	wl_settle(&f->w, (long)im->n);
}

/* ---- the named flips ---- */

/* Flip bit `bit` of block bno of image im; the check must pass and, if
 * must, detect it.  want_g: the prefix the store must equal (-1 any). */
static void flip_one(struct fixture *f, const struct image *im,
		     const char *what, exo_bno bno, exo_bno blame,
		     unsigned bit, int must, long want_g)
{
	char label[96];
	unsigned det = 0;
	long g;

	snprintf(label, sizeof(label), "%s image, %s (block %" PRIu64 ")",
		 im->label, what, (uint64_t)bno);
	watchdog(TRIAL_SECS, label);
	image_use(f, im);
	media_flip(f->name, bno, bit);
	g = wl_verify_flip(&f->w, f->disk, &f->o, blame, &det, why,
			   sizeof(why));
	if (g >= 0 && want_g >= 0 && g != want_g) {
		snprintf(why, sizeof(why), "came back with %ld batches of %ld",
			 g, want_g);
		g = -1;
	} else if (g != -1 && must && det == 0) {
		snprintf(why, sizeof(why), "the flip went unnoticed");
		g = -1;
	}
	result(g != -1, label);
}

/* A block of object data and the object's inode, from a clean open. */
static int find_object_blocks(struct fixture *f, exo_bno *data,
			      exo_bno *ino)
{
	struct obj_info *in = NULL;
	struct oinode_hdr h;
	struct oext e;
	struct store *s;
	const uint8_t *blk;
	size_t n = 0, i;
	int rc;

	rc = store_open(f->disk, WL_CAP, WL_CAPLEN, &f->o, &s);
	if (rc < 0)
		return rc;
	rc = obj_list(s, &in, &n);
	store_close(s);
	for (i = 0, *data = 0; rc == 0 && i < n && !*data; i++) {
		blk = raw(f, in[i].ino);
		if (obj_decode_inode(blk, EXO_BLOCK_SIZE, &h) < 0 ||
		    h.nind != 0 || h.nextents == 0)
			continue;
		memcpy(&e, blk + CACHE_HDR + sizeof(h), sizeof(e));
		*data = e.pbn;
		*ino = in[i].ino;
	}
	free(in);
	return rc < 0 ? rc : *data ? 0 : EXO_ENOENT;
}

/* The first directory page that a bucket of the root page points at. */
static exo_bno first_dirpage(struct fixture *f, exo_bno root)
{
	const uint8_t *blk = raw(f, root) + CACHE_HDR +
			     sizeof(struct oroot_hdr);
	exo_bno p;
	size_t i;

	for (i = 0; i < OBJ_NBUCKETS; i++) {
		memcpy(&p, blk + i * sizeof(p), sizeof(p));
		if (p)
			return p;
	}
	return 0;
}

static exo_bno first_bitmap(struct fixture *f, exo_bno bdir)
{
	struct bdir_ent e;

	memcpy(&e, raw(f, bdir) + CACHE_HDR + sizeof(struct bdir_hdr),
	       sizeof(e));
	return e.start;
}

/* A bit in the body of a cache page (past the header and the struct at
 * its start). */
#define BODY_BIT ((CACHE_HDR + 40) * 8 + 3)

static void part_named(struct fixture *f, const struct image *clean,
		       const struct image *log)
{
	const struct store_sb *sb = &clean->sb;
	unsigned f0 = failed, p0 = passed, bit;
	static struct image both;
	exo_bno data = 0, ino = 0, dp, bm, a = sb->sb_a, blk;
	lsn_t at;

	image_use(f, clean);
	if (find_object_blocks(f, &data, &ino) < 0) {
		snprintf(why, sizeof(why), "no object with inline extents");
		result(0, "setup");
		return;
	}
	dp = first_dirpage(f, sb->obj_root);
	bm = first_bitmap(f, sb->balloc_root);
	flip_one(f, clean, "a data page", data, data, BODY_BIT, 1, -1);
	flip_one(f, clean, "an inode", ino, ino, BODY_BIT, 1, -1);
	flip_one(f, clean, "the directory root", sb->obj_root, sb->obj_root,
		 BODY_BIT, 1, -1);
	flip_one(f, clean, "a directory page", dp, dp, BODY_BIT, 1, -1);
	flip_one(f, clean, "the allocator directory", sb->balloc_root,
		 sb->balloc_root, BODY_BIT, 1, -1);
	flip_one(f, clean, "a bitmap", bm, bm, BODY_BIT, 1, -1);
	flip_one(f, clean, "the newest superblock", sb->self, sb->self,
		 BODY_BIT, 0, (long)clean->n);
	/* Both copies: A flipped in a copy of the image, A+1 by flip_one. */
	image_use(f, clean);
	media_flip(f->name, a, BODY_BIT);
	both = *clean;
	both.media = media_save(f->name, f->nblocks);
	if (both.media)
		flip_one(f, &both, "both superblocks", a + 1, a, BODY_BIT, 1,
			 -1);
	free(both.media);
	if (log->nrec < 2) {
		snprintf(why, sizeof(why), "%zu records in the log", log->nrec);
		result(0, "log image");
	} else {
		at = log->rec[0] + sizeof(struct wal_rec) + 5;
		blk = log_block(&log->sb, at);
		bit = (unsigned)(at % EXO_BLOCK_SIZE) * 8 + 1;
		flip_one(f, log, "a log record", blk, blk, bit, 1, -1);
	}
	flip_one(f, log, "the newest superblock", log->sb.self, log->sb.self,
		 BODY_BIT, 0, (long)log->n);
	printf("%s named: %u of %u flips (data page, inode, directory, "
	       "allocator, superblocks, log record) handled\n",
	       failed == f0 ? "ok  " : "FAIL", passed - p0,
	       passed - p0 + failed - f0);
}

/* ---- the sweep ---- */

static int is_zero(const uint8_t *p)
{
	size_t i;

	for (i = 0; i < EXO_BLOCK_SIZE; i++)
		if (p[i])
			return 0;
	return 1;
}

/* The record of im that bit `bit` of log block bno belongs to, or -1
 * (not in a record the store reads: before the checkpoint, padding, past
 * the end). */
static long record_of(const struct image *im, exo_bno bno, unsigned bit)
{
	lsn_t base, lsn;
	size_t i;

	for (i = 0; i < im->nrec; i++) {
		for (base = im->rec[i] - im->rec[i] % EXO_BLOCK_SIZE;
		     base < im->recend[i]; base += EXO_BLOCK_SIZE) {
			lsn = base + bit / 8;
			if (log_block(&im->sb, base) == bno &&
			    lsn >= im->rec[i] && lsn < im->recend[i])
				return (long)i;
		}
	}
	return -1;
}

/* One flip at a seeded place in block bno; 1 if the last batch was lost
 * (allowed for the last record only). */
static int sweep_one(struct fixture *f, const struct image *im, exo_bno bno,
		     uint64_t *rng)
{
	unsigned bit = (unsigned)rnd_below(rng, EXO_BLOCK_SIZE * 8), det;
	long r = record_of(im, bno, bit);
	int last = r >= 0 && r == (long)im->nrec - 1;
	exo_bno blame = r >= 0 ? log_block(&im->sb, im->rec[r]) : bno;
	char label[96];
	long g;

	snprintf(label, sizeof(label), "%s image, block %" PRIu64 " bit %u",
		 im->label, (uint64_t)bno, bit);
	watchdog(TRIAL_SECS, label);
	image_use(f, im);
	if (last)
		f->w.b[im->n - 1].fate = WL_MAYBE;
	media_flip(f->name, bno, bit);
	g = wl_verify_flip(&f->w, f->disk, &f->o, blame, &det, why,
			   sizeof(why));
	result(g != -1, label);
	return last && g == (long)im->n - 1;
}

static void part_sweep(struct fixture *f, const struct image *im)
{
	struct exo_disk_info *in;
	struct exo_extent *x;
	unsigned f0 = failed, n = 0, lost = 0;
	uint64_t rng = 12345, i, k;
	exo_bno b;

	image_use(f, im);
	if (exo_disk_info(f->disk, &in) < 0 || in->nowners != 1) {
		snprintf(why, sizeof(why), "exo_disk_info");
		result(0, im->label);
		return;
	}
	for (i = 0; i < in->owners[0].nextents; i++) {
		x = &in->owners[0].extents[i];
		for (k = 0; k < x->len; k++) {
			b = x->start + k;
			if (is_zero(im->media + b * EXO_BLOCK_SIZE))
				continue;
			lost += (unsigned)sweep_one(f, im, b, &rng);
			n++;
		}
	}
	exo_disk_info_free(in);
	printf("%s sweep: %s image, one flip in each of its %u blocks with "
	       "data (the last batch lost %u times, by a flip in the last "
	       "record)\n",
	       failed == f0 ? "ok  " : "FAIL", im->label, n, lost);
}

int main(int argc, char **argv)
{
	struct image clean = { 0 }, log = { 0 };
	struct fixture f;
	unsigned calls;
	int rc;

	if (argc > 1 && !(argc == 3 && !strcmp(argv[1], "--trials"))) {
		fprintf(stderr, "usage: crash_flip [--trials N]\n");
		return 2;
	}
	watchdog(TRIAL_SECS, "build/crash/crash_flip (setup)");
	rc = fixture_small(&f, "flip", why, sizeof(why));
	if (rc == 0)
		rc = image_take(&f, &clean, "clean");
	if (rc == 0) {
		f.o.manual_ckpt = 1;
		f.w.p.ckpt_every = 0;
		rc = wl_round(&f.w, 2, f.disk, &f.o, &calls);
		f.o.manual_ckpt = 0;
	}
	if (rc == 0)
		rc = image_take(&f, &log, "log");
	if (rc < 0) {
		printf("FAIL setup: %s: %s\n", exo_strerror(rc), why);
		return 1;
	}
	part_named(&f, &clean, &log);
	part_sweep(&f, &clean);
	part_sweep(&f, &log);
	free(clean.media);
	free(log.media);
	fixture_free(&f);
	watchdog(0, "");
	printf("crash_flip: %u passed, %u failed\n", passed, failed);
	return failed ? 1 : 0;
}
