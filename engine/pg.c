/*
 * pg.c: how the engine reaches pages.
 *
 * A read-write transaction works on dblibos shadows: pg_get reads a page
 * as the transaction sees it (dtx_read: its shadow, or the committed
 * frame pinned), pg_write gives a writable shadow (dtx_page), pg_alloc
 * and pg_free go to balloc inside the transaction.  The writer holds the
 * store's writer mutex, so committed frames do not change under it and
 * it needs no read section.
 *
 * A read-only transaction reads committed frames straight from the cache
 * (cache_get / cache_put), always between rd_begin and rd_end, which hold
 * the store's install lock shared: inside, no commit installs, so the
 * pages read in one section form one committed state.  Pins never outlive
 * the section.
 *
 * pg_stamp names a page's version for cursors: for a reader the frame's
 * LSN (every install sets it), for a writer its count of changes.
 */
#include "engine.h"

void rd_begin(struct exodb_txn *t)
{
	if (!t->dtx)
		store_read_begin(t->db->s);
}

void rd_end(struct exodb_txn *t)
{
	if (!t->dtx)
		store_read_end(t->db->s);
}

int pg_get(struct exodb_txn *t, exo_bno bno, struct pgref *r)
{
	const void *data;
	int rc;

	r->bno = bno;
	if (t->dtx) {
		rc = dtx_read(t->dtx, bno, &r->pin, &data);
		r->p = rc < 0 ? NULL : data;
		return rc;
	}
	rc = cache_get(store_cache(t->db->s), bno, 0, &r->pin);
	if (rc < 0) {
		r->pin = NULL;
		r->p = NULL;
		return rc;
	}
	r->p = cpage_data(r->pin);
	return 0;
}

void pg_put(struct exodb_txn *t, struct pgref *r)
{
	if (r->pin) {
		if (t->dtx)
			dtx_unread(t->dtx, r->pin);
		else
			cache_put(store_cache(t->db->s), r->pin);
	}
	r->pin = NULL;
	r->p = NULL;
}

uint64_t pg_stamp(struct exodb_txn *t, const struct pgref *r)
{
	if (t->dtx)
		return t->mods;
	return cpage_lsn(r->pin);
}

/* dtx_page and balloc report a transaction too big for the cache as
 * EXO_ENOMEM: name it. */
static int full(int rc)
{
	return rc == EXO_ENOMEM ? EXODB_TXN_FULL : rc;
}

int pg_write(struct exodb_txn *t, exo_bno bno, uint8_t **p)
{
	void *data;
	int rc;

	rc = dtx_page(t->dtx, bno, 0, &data);
	if (rc < 0)
		return full(rc);
	*p = data;
	return 0;
}

int pg_new(struct exodb_txn *t, exo_bno bno, uint8_t **p)
{
	void *data;
	int rc;

	rc = dtx_page(t->dtx, bno, DTX_NEW, &data);
	if (rc < 0)
		return full(rc);
	*p = data;
	return 0;
}

int pg_alloc(struct exodb_txn *t, exo_bno hint, uint64_t n, exo_bno *out)
{
	return full(balloc_alloc(t->dtx, hint, n, out));
}

int pg_free(struct exodb_txn *t, exo_bno bno, uint64_t n)
{
	int rc = balloc_free(t->dtx, bno, n);

	if (rc == 0)
		t->freed = 1;
	return rc;
}

void pg_prefetch(struct exodb_txn *t, exo_bno bno, uint32_t n)
{
	/* a hint: a failure only loses the read-ahead */
	(void)cache_prefetch(store_cache(t->db->s), bno, n);
}

int txn_fail(struct exodb_txn *t, int rc)
{
	if (rc < 0 && t->dtx && !t->failed)
		t->failed = rc;
	return rc;
}
