/*
 * overflow.c: values too large for a leaf, in chains of overflow pages.
 *
 * A value of len bytes takes ov_pages(len) pages of OV_DATA bytes each
 * (format in engine.h), allocated through balloc in as few contiguous
 * runs as it will give (the whole chain at once, else halves), so a large
 * value is read with sequential prefetches.  Each page says how many
 * pages remain in its run; the last page of a run points to the next
 * run.  Every page's length is fixed by its position (full pages, then
 * the rest), so a walk knows exactly what to expect and a damaged chain
 * is EXODB_CORRUPT, never a loop.
 *
 *   ov_write    a new chain for a value (pages are new: logged whole)
 *   ov_rewrite  the same chain, new bytes (same page count): only the
 *               changed bytes reach the log
 *   ov_read     copy a value out
 *   ov_free     give the chain's runs back (two page reads per run)
 *   ov_visit    check every page, for exodb_check and exodb_stat
 */
#include <string.h>

#include "engine.h"

uint64_t ov_pages(uint64_t vlen)
{
	return (vlen + OV_DATA - 1) / OV_DATA;
}

static uint32_t page_len(uint32_t vlen, uint64_t off)
{
	uint64_t rest = vlen - off;

	return rest < OV_DATA ? (uint32_t)rest : (uint32_t)OV_DATA;
}

static struct ov_hdr *ov_hdr(uint8_t *p)
{
	return (struct ov_hdr *)(p + CACHE_HDR);
}

/* A page of a chain: the header must fit where it is (pages_left pages
 * still expected, off bytes done). */
static int ov_sane(const struct ov_hdr *h, uint32_t vlen, uint64_t off,
		   uint64_t pages_left)
{
	if (h->magic != OV_MAGIC || h->_pad || h->run == 0 ||
	    h->run > pages_left || h->len != page_len(vlen, off))
		return EXODB_CORRUPT;
	if (pages_left == 1) /* the last page: run is 1 */
		return h->next == EXO_BNO_NONE ? 0 : EXODB_CORRUPT;
	if (h->run == 1 && h->next == EXO_BNO_NONE)
		return EXODB_CORRUPT;
	return 0;
}

static uint64_t next_of(exo_bno bno, const struct ov_hdr *h)
{
	return h->run > 1 ? bno + 1 : h->next;
}

static int alloc_run(struct exodb_txn *t, exo_bno hint, uint64_t *want,
		     exo_bno *bno)
{
	int rc;

	if (*want > BALLOC_CHUNK_MAX / 2)
		*want = BALLOC_CHUNK_MAX / 2;
	for (;;) {
		rc = pg_alloc(t, hint, *want, bno);
		if (rc != EXO_ENOSPC || *want == 1)
			return rc;
		*want = (*want + 1) / 2;
	}
}

int ov_write(struct exodb_txn *t, exo_bno hint, const void *val,
	     uint32_t vlen, exo_bno *first)
{
	uint64_t left = ov_pages(vlen), off = 0, want, i;
	struct ov_hdr *prev = NULL, *h;
	exo_bno bno;
	uint8_t *p;
	int rc;

	while (left > 0) {
		want = left;
		rc = alloc_run(t, hint, &want, &bno);
		if (rc < 0)
			return rc;
		if (prev)
			prev->next = bno;
		else
			*first = bno;
		for (i = 0; i < want; i++) {
			rc = pg_new(t, bno + i, &p);
			if (rc < 0)
				return rc;
			h = ov_hdr(p);
			h->magic = OV_MAGIC;
			h->len = page_len(vlen, off);
			h->run = (uint32_t)(want - i);
			h->next = i + 1 < want ? bno + i + 1 : EXO_BNO_NONE;
			memcpy(h + 1, (const uint8_t *)val + off, h->len);
			off += h->len;
			prev = h;
		}
		left -= want;
		hint = bno + want;
	}
	return 0;
}

int ov_rewrite(struct exodb_txn *t, exo_bno first, const void *val,
	       uint32_t vlen)
{
	uint64_t left = ov_pages(vlen), off = 0;
	exo_bno bno = first;
	struct ov_hdr *h;
	uint8_t *p;
	int rc;

	while (left > 0) {
		rc = pg_write(t, bno, &p);
		if (rc < 0)
			return rc;
		h = ov_hdr(p);
		h->len = page_len(vlen, off);
		rc = ov_sane(h, vlen, off, left);
		if (rc < 0)
			return rc;
		memcpy(h + 1, (const uint8_t *)val + off, h->len);
		off += h->len;
		left--;
		bno = next_of(bno, h);
	}
	return 0;
}

int ov_read(struct exodb_txn *t, exo_bno first, uint32_t vlen, void *dst)
{
	uint64_t left = ov_pages(vlen), off = 0;
	const struct ov_hdr *h;
	exo_bno bno = first;
	struct pgref r;
	int rc, run_start = 1;

	while (left > 0) {
		rc = pg_get(t, bno, &r);
		if (rc < 0)
			return rc;
		h = (const struct ov_hdr *)(r.p + CACHE_HDR);
		rc = ov_sane(h, vlen, off, left);
		if (rc == 0) {
			if (run_start && h->run > 1)
				pg_prefetch(t, bno + 1, h->run - 1);
			run_start = h->run == 1;
			memcpy((uint8_t *)dst + off, h + 1, h->len);
			off += h->len;
			bno = next_of(bno, h);
		}
		pg_put(t, &r);
		if (rc < 0)
			return rc;
		left--;
	}
	return 0;
}

/* Read the header of page bno into *h. */
static int read_hdr(struct exodb_txn *t, exo_bno bno, struct ov_hdr *h)
{
	struct pgref r;
	int rc;

	rc = pg_get(t, bno, &r);
	if (rc < 0)
		return rc;
	memcpy(h, r.p + CACHE_HDR, sizeof(*h));
	pg_put(t, &r);
	return 0;
}

int ov_free(struct exodb_txn *t, exo_bno first, uint32_t vlen)
{
	uint64_t left = ov_pages(vlen), off = 0, n;
	exo_bno bno = first;
	struct ov_hdr h;
	int rc;

	while (left > 0) {
		rc = read_hdr(t, bno, &h);
		if (rc == 0)
			rc = ov_sane(&h, vlen, off, left);
		if (rc < 0)
			return rc;
		n = h.run;
		if (n > 1) {
			off += (n - 1) * OV_DATA;
			rc = read_hdr(t, bno + n - 1, &h);
			if (rc == 0)
				rc = ov_sane(&h, vlen, off, left - n + 1);
			if (rc == 0 && h.run != 1)
				rc = EXODB_CORRUPT;
			if (rc < 0)
				return rc;
		}
		off += h.len;
		rc = pg_free(t, bno, n);
		if (rc < 0)
			return rc;
		left -= n;
		bno = h.next;
	}
	return 0;
}

int ov_visit(struct exodb_txn *t, exo_bno first, uint32_t vlen,
	     struct bt_walk *w)
{
	uint64_t left = ov_pages(vlen), off = 0;
	exo_bno bno = first;
	struct ov_hdr h;
	int rc;

	while (left > 0) {
		rc = read_hdr(t, bno, &h);
		if (rc == 0)
			rc = ov_sane(&h, vlen, off, left);
		if (rc < 0) {
			w->bad = bno;
			return rc;
		}
		w->overflow++;
		if (w->ovf) {
			rc = w->ovf(w, bno, &h);
			if (rc < 0)
				return rc;
		}
		off += h.len;
		left--;
		bno = next_of(bno, &h);
	}
	return 0;
}
