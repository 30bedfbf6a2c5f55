/*
 * disk.c: formatting and opening an exo disk, and its owners.
 *
 * core_disk_format lays out a disk (exo/disk.h): the label in block 0, two
 * map slots of core_map_blocks(nblocks) blocks each, then the data area.
 * The label is written last, after everything else is durable, so a
 * format cut short leaves no label and the disk is not mistaken for a
 * valid one.
 *
 * core_disk_open checks the label (EXO_EBADDISK without the magic,
 * EXO_EVERSION for another version, EXO_ECORRUPT for a bad checksum or
 * impossible geometry), then reads both slots and keeps the valid one with
 * the higher generation (EXO_ECORRUPT if neither is valid).  Close frees
 * the two map images.
 *
 * Owners are found by the SHA-256 of their capability; a new owner gets the
 * next id (ids are never reused) and is persisted before attach returns.
 */
#include "lib.h"
#include "map.h"

/* ---- format ---- */

static void label_init(struct exo_label *l, uint64_t nblocks,
		       const uint8_t uuid[16], uint64_t now_sec)
{
	core_memset(l, 0, sizeof(*l));
	core_memcpy(l->magic, EXO_LABEL_MAGIC, sizeof(l->magic));
	l->version = EXO_DISK_VERSION;
	l->block_size = EXO_BLOCK_SIZE;
	l->nblocks = nblocks;
	l->map_start = 1;
	l->map_blocks = core_map_blocks(nblocks);
	l->max_owners = EXO_MAX_OWNERS;
	l->data_start = l->map_start + 2 * (uint64_t)l->map_blocks;
	core_memcpy(l->uuid, uuid, sizeof(l->uuid));
	l->format_time = now_sec;
	l->csum = crc32c(0, l, offsetof(struct exo_label, csum));
}

/* A uuid when the caller has none: a hash of the time, the size and two
 * addresses (which vary from run to run). */
static void uuid_derive(uint8_t uuid[16], const struct core_dev *dev,
			uint64_t now_sec, const void *buf)
{
	uint64_t seed[4] = {now_sec, dev->nblocks, (uintptr_t)dev,
			    (uintptr_t)buf};
	uint8_t h[32];

	sha256(seed, sizeof(seed), h);
	core_memcpy(uuid, h, 16);
}

/* Write buf to block bno and flush. */
static int write_sync(const struct core_dev *dev, exo_bno bno, const void *buf)
{
	int rc = dev->write(dev->ctx, bno, 1, buf);

	return rc ? rc : dev->flush(dev->ctx);
}

static int zero_sync(const struct core_dev *dev, exo_bno bno, uint64_t n)
{
	int rc = dev->zero(dev->ctx, bno, n);

	return rc ? rc : dev->flush(dev->ctx);
}

/* The empty map, generation 1, in the block buffer buf. */
static void map_init(void *buf, const struct exo_label *l)
{
	struct exo_map_hdr *h = map_hdr(buf);

	core_memset(buf, 0, EXO_BLOCK_SIZE);
	core_memcpy(h->magic, EXO_MAP_MAGIC, sizeof(h->magic));
	h->gen = 1;
	core_memcpy(h->uuid, l->uuid, sizeof(h->uuid));
	h->used_bytes = MAP_HDR_BYTES;
	h->csum = core_map_csum(buf);
}

int core_disk_format(const struct core_dev *dev, const uint8_t uuid[16],
		     uint64_t now_sec)
{
	struct exo_label l;
	uint8_t id[16];
	void *buf;
	int rc;

	if (!dev)
		return EXO_EINVAL;
	if (dev->nblocks < EXO_DISK_MINBLOCKS)
		return EXO_ETOOSMALL;
	buf = dev->alloc(dev->ctx, EXO_BLOCK_SIZE);
	if (!buf)
		return EXO_ENOMEM;
	if (uuid)
		core_memcpy(id, uuid, sizeof(id));
	else
		uuid_derive(id, dev, now_sec, buf);
	label_init(&l, dev->nblocks, id, now_sec);

	/* Old label and both slots, then the map, the data, the label. */
	rc = zero_sync(dev, 0, l.data_start);
	if (rc == 0) {
		map_init(buf, &l);
		rc = write_sync(dev, l.map_start, buf);
	}
	if (rc == 0)
		rc = zero_sync(dev, l.data_start, l.nblocks - l.data_start);
	if (rc == 0) {
		core_memset(buf, 0, EXO_BLOCK_SIZE);
		core_memcpy(buf, &l, sizeof(l));
		rc = write_sync(dev, 0, buf);
	}
	dev->free(dev->ctx, buf, EXO_BLOCK_SIZE);
	return rc;
}

/* ---- open and close ---- */

static int label_check(const struct exo_label *l, const struct core_dev *dev)
{
	uint64_t maps;

	if (core_memcmp(l->magic, EXO_LABEL_MAGIC, sizeof(l->magic)))
		return EXO_EBADDISK;
	if (l->version != EXO_DISK_VERSION)
		return EXO_EVERSION;
	if (l->csum != crc32c(0, l, offsetof(struct exo_label, csum)))
		return EXO_ECORRUPT;
	if (l->block_size != EXO_BLOCK_SIZE || l->nblocks != dev->nblocks ||
	    l->nblocks < EXO_DISK_MINBLOCKS)
		return EXO_ECORRUPT;
	if (l->max_owners == 0 || l->max_owners > EXO_MAX_OWNERS)
		return EXO_ECORRUPT;
	/* A slot holds the header and every possible owner, and is no larger
	 * than format makes one (which bounds the memory open takes). */
	if (l->map_blocks == 0 || l->map_blocks > core_map_blocks(UINT64_MAX) ||
	    (uint64_t)l->map_blocks * EXO_BLOCK_SIZE <
		    MAP_HDR_BYTES + (uint64_t)l->max_owners * MAP_OWNER_BYTES)
		return EXO_ECORRUPT;
	maps = 2 * (uint64_t)l->map_blocks;
	if (l->map_start == 0 || l->map_start >= l->nblocks ||
	    maps > l->nblocks - l->map_start ||
	    l->data_start != l->map_start + maps || l->data_start >= l->nblocks)
		return EXO_ECORRUPT;
	return 0;
}

/* Read the label into d->label and check it. */
static int label_read(struct core_disk *d)
{
	const struct core_dev *dev = d->dev;
	void *buf = dev->alloc(dev->ctx, EXO_BLOCK_SIZE);
	int rc;

	if (!buf)
		return EXO_ENOMEM;
	rc = dev->read(dev->ctx, 0, 1, buf);
	if (rc == 0) {
		core_memcpy(&d->label, buf, sizeof(d->label));
		rc = label_check(&d->label, dev);
	}
	dev->free(dev->ctx, buf, EXO_BLOCK_SIZE);
	return rc;
}

/* Read slot s into img: its first block, then as many more as the header
 * says are used.  Returns its generation if it holds a valid map, 0 if
 * not, or an I/O error. */
static int64_t slot_read(struct core_disk *d, int s, void *img)
{
	const struct core_dev *dev = d->dev;
	exo_bno bno = d->label.map_start + (uint64_t)s * d->label.map_blocks;
	uint32_t used, nb;
	int rc;

	rc = dev->read(dev->ctx, bno, 1, img);
	if (rc)
		return rc;
	used = map_hdr(img)->used_bytes;
	if (used < MAP_HDR_BYTES || used > d->map_size)
		return 0;
	nb = (used + EXO_BLOCK_SIZE - 1) / EXO_BLOCK_SIZE;
	if (nb > 1) {
		rc = dev->read(dev->ctx, bno + 1, nb - 1,
			       (uint8_t *)img + EXO_BLOCK_SIZE);
		if (rc)
			return rc;
	}
	if (core_map_check(&d->label, img, d->map_size))
		return 0;
	/* gen is below 2^63 on any disk that has lived less than forever. */
	return map_hdr(img)->gen > INT64_MAX ? 0 : (int64_t)map_hdr(img)->gen;
}

/* Read both slots; make cur the newest valid one. */
static int maps_read(struct core_disk *d)
{
	int64_t g0, g1;
	void *t;

	g0 = slot_read(d, 0, d->cur);
	if (g0 < 0)
		return (int)g0;
	g1 = slot_read(d, 1, d->next);
	if (g1 < 0)
		return (int)g1;
	if (g0 == 0 && g1 == 0)
		return EXO_ECORRUPT;
	if (g1 > g0) {
		t = d->cur;
		d->cur = d->next;
		d->next = t;
		d->slot = 1;
	}
	d->nfree = core_map_nfree(&d->label, d->cur);
	return 0;
}

int core_disk_open(struct core_disk *d, const struct core_dev *dev)
{
	int rc;

	if (!d || !dev)
		return EXO_EINVAL;
	core_memset(d, 0, sizeof(*d));
	d->dev = dev;
	rc = label_read(d);
	if (rc)
		return rc;
	d->map_size = (size_t)d->label.map_blocks * EXO_BLOCK_SIZE;
	d->cur = dev->alloc(dev->ctx, d->map_size);
	d->next = dev->alloc(dev->ctx, d->map_size);
	rc = d->cur && d->next ? maps_read(d) : EXO_ENOMEM;
	if (rc)
		core_disk_close(d);
	return rc;
}

void core_disk_close(struct core_disk *d)
{
	const struct core_dev *dev = d->dev;

	if (dev && d->cur)
		dev->free(dev->ctx, d->cur, d->map_size);
	if (dev && d->next)
		dev->free(dev->ctx, d->next, d->map_size);
	core_memset(d, 0, sizeof(*d));
}

/* ---- owners ---- */

int core_owner_attach(struct core_disk *d, const void *cap, size_t len,
		      int create, uint32_t *owner)
{
	struct exo_map_owner *o = map_owners(d->cur), *no;
	uint32_t n = map_hdr(d->cur)->nowners, i, id;
	uint8_t hash[EXO_CAPHASH_LEN];
	int rc;

	if (!cap || len == 0 || len > EXO_CAP_MAX || !owner)
		return EXO_EINVAL;
	sha256(cap, len, hash);
	for (i = 0; i < n; i++) {
		if (!core_memcmp(o[i].cap_hash, hash, sizeof(hash))) {
			*owner = o[i].id;
			return 0;
		}
	}
	if (!create)
		return EXO_ENOENT;
	id = n ? o[n - 1].id + 1 : 1;
	if (n >= d->label.max_owners || id > d->label.max_owners)
		return EXO_EMAPFULL;
	rc = core_map_build(d, 1, 0, 0, 0);
	if (rc)
		return rc;
	no = &map_owners(d->next)[n];
	no->id = id;
	no->root = EXO_BNO_NONE;
	core_memcpy(no->cap_hash, hash, sizeof(hash));
	rc = core_map_commit(d);
	if (rc == 0)
		*owner = id;
	return rc;
}

int core_owner_count(const struct core_disk *d)
{
	return (int)map_hdr(d->cur)->nowners;
}

int core_owner_get(const struct core_disk *d, int i, struct exo_map_owner *out)
{
	if (!out)
		return EXO_EINVAL;
	if (i < 0 || i >= core_owner_count(d))
		return EXO_ENOENT;
	*out = map_owners(d->cur)[i];
	return 0;
}
