/*
 * block.c: disk blocks and root blocks of owners.
 *
 * Blocks of the data area are either free or in exactly one extent of the
 * map.  core_block_alloc gives n contiguous free blocks: at hint when
 * [hint, hint+n) is free, else the first free run of n at or after hint,
 * else (wrapping) the first from the start of the data area.
 * core_block_free takes back blocks the caller owns: it checks every one,
 * makes them read as zeros on the device (durably), and only then commits
 * the map, so a block is never free while holding an owner's data and the
 * next owner reads zeros.  Both are durable before they return.
 *
 * core_block_check is the check behind every I/O request: a binary search
 * of the extent list, then a walk over the (rare) split pieces of one run.
 *
 * Each owner has one root block, a block it owns or EXO_BNO_NONE, where a
 * libOS keeps its superblock; freeing that block unsets it.
 */
#include "lib.h"
#include "map.h"

/* The owner record of id in img, or NULL. */
static struct exo_map_owner *owner_find(void *img, uint32_t id)
{
	int i = core_map_owner_index(img, id);

	return i < 0 ? NULL : &map_owners(img)[i];
}

/* EXO_EINVAL for no blocks or more than the disk, EXO_ERANGE past the end;
 * else 0. */
static int range_check(const struct core_disk *d, exo_bno bno, uint64_t n)
{
	uint64_t nb = d->label.nblocks;

	if (n == 0 || n > nb)
		return EXO_EINVAL;
	if (bno >= nb || n > nb - bno)
		return EXO_ERANGE;
	return 0;
}

int core_block_check(const struct core_disk *d, uint32_t owner, exo_bno bno,
		     uint64_t n)
{
	const struct exo_map_extent *e = map_extents(d->cur);
	uint32_t count = map_hdr(d->cur)->nextents;
	int64_t i;
	exo_bno end = bno + n;
	int rc = range_check(d, bno, n);

	if (rc)
		return rc;
	i = core_map_find(d->cur, bno);
	if (i < 0 || e[i].owner != owner)
		return EXO_EPERM;
	/* A run longer than one extent continues in the next. */
	while (ext_end(&e[i]) < end) {
		if (i + 1 >= count || e[i + 1].start != ext_end(&e[i]) ||
		    e[i + 1].owner != owner)
			return EXO_EPERM;
		i++;
	}
	return 0;
}

/* Free runs of the data area, in order: gap i ends where extent i starts
 * (the last one at the end of the disk). */
static void gap_get(const struct core_disk *d, uint32_t i, exo_bno *start,
		    exo_bno *end)
{
	const struct exo_map_extent *e = map_extents(d->cur);
	uint32_t count = map_hdr(d->cur)->nextents;

	*start = i == 0 ? d->label.data_start : ext_end(&e[i - 1]);
	*end = i == count ? d->label.nblocks : e[i].start;
}

/* The first free run of n blocks at or after from: its start, or
 * EXO_BNO_NONE. */
static exo_bno run_find(const struct core_disk *d, exo_bno from, uint64_t n)
{
	uint32_t count = map_hdr(d->cur)->nextents, i;
	exo_bno s, e, p;

	for (i = 0; i <= count; i++) {
		gap_get(d, i, &s, &e);
		if (e <= from)
			continue;
		p = core_max64(s, from);
		if (e - p >= n)
			return p;
	}
	return EXO_BNO_NONE;
}

int core_block_alloc(struct core_disk *d, uint32_t owner, exo_bno hint,
		     uint64_t n, exo_bno *out)
{
	struct exo_map_owner *o;
	exo_bno at;
	int rc;

	if (!out || n == 0 || n > d->label.nblocks)
		return EXO_EINVAL;
	if (!owner_find(d->cur, owner))
		return EXO_ENOENT;
	if (n > d->nfree)
		return EXO_ENOSPC;
	at = run_find(d, hint, n);
	if (at == EXO_BNO_NONE)
		at = run_find(d, d->label.data_start, n);
	if (at == EXO_BNO_NONE)
		return EXO_ENOSPC;
	rc = core_map_build(d, 0, at, n, owner);
	if (rc)
		return rc;
	o = owner_find(d->next, owner);
	o->nblocks += n;
	rc = core_map_commit(d);
	if (rc == 0)
		*out = at;
	return rc;
}

int core_block_free(struct core_disk *d, uint32_t owner, exo_bno bno,
		    uint64_t n)
{
	const struct core_dev *dev = d->dev;
	struct exo_map_owner *o;
	int rc = core_block_check(d, owner, bno, n);

	if (rc)
		return rc;
	rc = core_map_build(d, 0, bno, n, 0);
	if (rc)
		return rc;
	o = owner_find(d->next, owner);
	o->nblocks -= n;
	if (o->root != EXO_BNO_NONE && o->root >= bno && o->root - bno < n)
		o->root = EXO_BNO_NONE;
	rc = dev->zero(dev->ctx, bno, n);
	if (rc == 0)
		rc = dev->flush(dev->ctx);
	return rc ? rc : core_map_commit(d);
}

int64_t core_block_extents(const struct core_disk *d, uint32_t owner,
			   struct exo_extent *buf, uint64_t max)
{
	const struct exo_map_extent *e = map_extents(d->cur);
	uint32_t count = map_hdr(d->cur)->nextents, i;
	exo_bno last_end = EXO_BNO_NONE;
	uint64_t k = 0;

	if (max && !buf)
		return EXO_EINVAL;
	if (!owner_find(d->cur, owner))
		return EXO_ENOENT;
	for (i = 0; i < count; i++) {
		if (e[i].owner != owner)
			continue;
		/* The split pieces of one run are reported as one extent. */
		if (k > 0 && e[i].start == last_end) {
			if (k - 1 < max)
				buf[k - 1].len += e[i].len;
		} else {
			if (k < max) {
				buf[k].start = e[i].start;
				buf[k].len = e[i].len;
			}
			k++;
		}
		last_end = ext_end(&e[i]);
	}
	return (int64_t)k;
}

uint64_t core_blocks_owned(const struct core_disk *d, uint32_t owner)
{
	const struct exo_map_owner *o = owner_find(d->cur, owner);

	return o ? o->nblocks : 0;
}

uint64_t core_blocks_free(const struct core_disk *d)
{
	return d->nfree;
}

/* ---- root blocks ---- */

int core_root_get(const struct core_disk *d, uint32_t owner, exo_bno *out)
{
	const struct exo_map_owner *o = owner_find(d->cur, owner);

	if (!out)
		return EXO_EINVAL;
	if (!o)
		return EXO_ENOENT;
	*out = o->root;
	return 0;
}

int core_root_set(struct core_disk *d, uint32_t owner, exo_bno bno)
{
	const struct exo_map_owner *o = owner_find(d->cur, owner);
	int rc;

	if (!o)
		return EXO_ENOENT;
	if (bno != EXO_BNO_NONE) {
		rc = core_block_check(d, owner, bno, 1);
		if (rc)
			return rc;
	}
	if (o->root == bno)
		return 0;
	rc = core_map_build(d, 0, 0, 0, 0);
	if (rc)
		return rc;
	owner_find(d->next, owner)->root = bno;
	return core_map_commit(d);
}
