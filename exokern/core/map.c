/*
 * map.c: the ownership map: geometry, validation, and crash-atomic
 * updates (see map.h for how an update goes, exo/disk.h for the format).
 *
 * Validation (core_map_check) trusts nothing in the image: the header's
 * counts must add up to used_bytes, the checksum must match, owners must be
 * sorted with distinct capabilities, extents sorted, disjoint, inside the
 * data area, owned by a listed owner, with each owner's nblocks and root
 * agreeing with the extents.  The rest of core then relies on these
 * invariants (binary search, merging) without checking again.
 *
 * Updates rebuild the extent list in one pass through a small merger that
 * joins adjacent runs of one owner and splits runs at 2^32-1 blocks, so
 * the list is always in its one canonical form: a run of an owner is split
 * only where a piece has reached UINT32_MAX blocks.
 */
#include "map.h"
#include "lib.h"

/* Smallest and largest slot: 16 KiB (room for the owners and ~760
 * extents) up to 16 MiB (a million extents; keeps the two in-memory
 * images bounded on huge disks). */
#define MAP_MINBLOCKS 4u
#define MAP_MAXBLOCKS 4096u

uint32_t core_map_blocks(uint64_t nblocks)
{
	uint64_t b = nblocks / 4096;

	if (b < MAP_MINBLOCKS)
		return MAP_MINBLOCKS;
	if (b > MAP_MAXBLOCKS)
		return MAP_MAXBLOCKS;
	return (uint32_t)b;
}

uint32_t core_map_csum(void *img)
{
	static const uint8_t zero[4];
	const uint8_t *p = img;
	size_t off = offsetof(struct exo_map_hdr, csum);
	uint32_t c;

	c = crc32c(0, p, off);
	c = crc32c(c, zero, sizeof(zero));
	return crc32c(c, p + off + 4, map_hdr(img)->used_bytes - off - 4);
}

int core_map_owner_index(void *img, uint32_t id)
{
	const struct exo_map_owner *o = map_owners(img);
	int lo = 0, hi = (int)map_hdr(img)->nowners;

	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;

		if (o[mid].id == id)
			return mid;
		if (o[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

int64_t core_map_find(void *img, exo_bno bno)
{
	const struct exo_map_extent *e = map_extents(img);
	int64_t lo = 0, hi = map_hdr(img)->nextents;

	/* Find the first extent starting after bno; the one before it is
	 * the only one that can hold bno. */
	while (lo < hi) {
		int64_t mid = lo + (hi - lo) / 2;

		if (e[mid].start <= bno)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0 || bno >= ext_end(&e[lo - 1]))
		return -1;
	return lo - 1;
}

uint64_t core_map_nfree(const struct exo_label *l, void *img)
{
	const struct exo_map_owner *o = map_owners(img);
	uint64_t used = 0;
	uint32_t i;

	for (i = 0; i < map_hdr(img)->nowners; i++)
		used += o[i].nblocks;
	return l->nblocks - l->data_start - used;
}

/* ---- validation ---- */

static int check_hdr(const struct exo_label *l, void *img, size_t map_size)
{
	const struct exo_map_hdr *h = map_hdr(img);
	uint64_t need;

	if (core_memcmp(h->magic, EXO_MAP_MAGIC, sizeof(h->magic)) ||
	    core_memcmp(h->uuid, l->uuid, sizeof(h->uuid)) || h->gen == 0)
		return EXO_ECORRUPT;
	if (h->nowners > l->max_owners || h->used_bytes > map_size)
		return EXO_ECORRUPT;
	need = MAP_HDR_BYTES + (uint64_t)h->nowners * MAP_OWNER_BYTES +
	       (uint64_t)h->nextents * MAP_EXT_BYTES;
	if (need != h->used_bytes)
		return EXO_ECORRUPT;
	if (core_map_csum(img) != h->csum)
		return EXO_ECORRUPT;
	return 0;
}

static int check_owners(const struct exo_label *l, void *img)
{
	const struct exo_map_owner *o = map_owners(img);
	uint32_t n = map_hdr(img)->nowners, i, j;

	for (i = 0; i < n; i++) {
		if (o[i].id == 0 || o[i].id > l->max_owners || o[i].flags)
			return EXO_ECORRUPT;
		if (i > 0 && o[i].id <= o[i - 1].id)
			return EXO_ECORRUPT;
		for (j = 0; j < i; j++)
			if (!core_memcmp(o[i].cap_hash, o[j].cap_hash,
					 EXO_CAPHASH_LEN))
				return EXO_ECORRUPT;
	}
	return 0;
}

/* Extents sorted, disjoint, canonical, in the data area, of known owners;
 * adds each owner's blocks into sums (indexed like the owners). */
static int check_extents(const struct exo_label *l, void *img, uint64_t *sums)
{
	const struct exo_map_extent *e = map_extents(img), *p;
	uint32_t n = map_hdr(img)->nextents, i;
	int k;

	for (i = 0; i < n; i++) {
		if (e[i].len == 0 || e[i].start < l->data_start ||
		    e[i].start >= l->nblocks ||
		    e[i].len > l->nblocks - e[i].start)
			return EXO_ECORRUPT;
		p = i > 0 ? &e[i - 1] : NULL;
		if (p && e[i].start < ext_end(p))
			return EXO_ECORRUPT;
		if (p && e[i].start == ext_end(p) && e[i].owner == p->owner &&
		    p->len != UINT32_MAX)
			return EXO_ECORRUPT;
		k = core_map_owner_index(img, e[i].owner);
		if (k < 0)
			return EXO_ECORRUPT;
		sums[k] += e[i].len;
	}
	return 0;
}

int core_map_check(const struct exo_label *l, void *img, size_t map_size)
{
	uint64_t sums[EXO_MAX_OWNERS] = {0};
	const struct exo_map_owner *o;
	uint32_t i;
	int64_t k;

	if (check_hdr(l, img, map_size) || check_owners(l, img) ||
	    check_extents(l, img, sums))
		return EXO_ECORRUPT;
	o = map_owners(img);
	for (i = 0; i < map_hdr(img)->nowners; i++) {
		if (o[i].nblocks != sums[i])
			return EXO_ECORRUPT;
		if (o[i].root == EXO_BNO_NONE)
			continue;
		k = core_map_find(img, o[i].root);
		if (k < 0 || map_extents(img)[k].owner != o[i].id)
			return EXO_ECORRUPT;
	}
	return 0;
}

/* ---- building the next image ---- */

/* Writes extents into next, merging adjacent runs of one owner and
 * splitting them at UINT32_MAX blocks; the run being merged is pending. */
struct merger {
	struct exo_map_extent *out;
	uint32_t n, cap;
	int full;
	exo_bno start; /* the pending run; len 0 when there is none */
	uint64_t len;
	uint32_t owner;
};

static void merger_flush(struct merger *m)
{
	uint64_t piece;

	while (m->len) {
		if (m->n == m->cap) {
			m->full = 1;
			return;
		}
		piece = core_min64(m->len, UINT32_MAX);
		m->out[m->n].start = m->start;
		m->out[m->n].len = (uint32_t)piece;
		m->out[m->n].owner = m->owner;
		m->n++;
		m->start += piece;
		m->len -= piece;
	}
}

/* Add the run [start, start+len) of owner (0: free, nothing to write). */
static void merger_put(struct merger *m, exo_bno start, uint64_t len,
		       uint32_t owner)
{
	if (len == 0 || owner == 0)
		return;
	if (m->len && m->owner == owner && m->start + m->len == start) {
		m->len += len;
		return;
	}
	merger_flush(m);
	m->start = start;
	m->len = len;
	m->owner = owner;
}

/* Feed cur's extents to m with [start, start+n) given to owner. */
static void merge_assign(struct merger *m, void *cur, exo_bno start, uint64_t n,
			 uint32_t owner)
{
	const struct exo_map_extent *e = map_extents(cur);
	uint32_t count = map_hdr(cur)->nextents, i;
	exo_bno end = start + n, s;
	int placed = 0;

	for (i = 0; i < count; i++) {
		if (e[i].start < start)
			merger_put(m, e[i].start,
				   core_min64(ext_end(&e[i]), start) -
					   e[i].start,
				   e[i].owner);
		if (ext_end(&e[i]) > end) {
			if (!placed)
				merger_put(m, start, n, owner);
			placed = 1;
			s = core_max64(e[i].start, end);
			merger_put(m, s, ext_end(&e[i]) - s, e[i].owner);
		}
	}
	if (!placed)
		merger_put(m, start, n, owner);
	merger_flush(m);
}

int core_map_build(struct core_disk *d, int add_owner, exo_bno start,
		   uint64_t n, uint32_t owner)
{
	struct exo_map_hdr *h = map_hdr(d->next);
	uint32_t nowners = map_hdr(d->cur)->nowners;
	size_t head = MAP_HDR_BYTES + (size_t)nowners * MAP_OWNER_BYTES;
	struct merger m = {0};

	if (add_owner && head + MAP_OWNER_BYTES > d->map_size)
		return EXO_EMAPFULL;
	core_memcpy(d->next, d->cur, head);
	if (add_owner) {
		core_memset((uint8_t *)d->next + head, 0, MAP_OWNER_BYTES);
		head += MAP_OWNER_BYTES;
		h->nowners = nowners + 1;
	}
	m.out = map_extents(d->next);
	m.cap = (uint32_t)((d->map_size - head) / MAP_EXT_BYTES);
	merge_assign(&m, d->cur, start, n, owner);
	if (m.full)
		return EXO_EMAPFULL;
	h->nextents = m.n;
	h->used_bytes = (uint32_t)(head + (size_t)m.n * MAP_EXT_BYTES);
	return 0;
}

/* ---- committing ---- */

int core_map_commit(struct core_disk *d)
{
	const struct core_dev *dev = d->dev;
	struct exo_map_hdr *h = map_hdr(d->next);
	uint32_t used = h->used_bytes, nb;
	int other = !d->slot, rc;
	void *t;

	nb = (used + EXO_BLOCK_SIZE - 1) / EXO_BLOCK_SIZE;
	core_memset((uint8_t *)d->next + used, 0,
		    (size_t)nb * EXO_BLOCK_SIZE - used);
	h->gen = map_hdr(d->cur)->gen + 1;
	h->csum = core_map_csum(d->next);

	rc = dev->write(dev->ctx,
			d->label.map_start +
				(uint64_t)other * d->label.map_blocks,
			nb, d->next);
	if (rc == 0)
		rc = dev->flush(dev->ctx);
	if (rc)
		return rc;
	t = d->cur;
	d->cur = d->next;
	d->next = t;
	d->slot = other;
	d->nfree = core_map_nfree(&d->label, d->cur);
	return 0;
}
