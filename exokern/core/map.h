/*
 * map.h: the ownership map image, private to exokern/core.
 *
 * A map image is what a map slot holds (exo/disk.h): a header, the owners
 * sorted by id, then the extents sorted by start.  core_disk keeps two
 * images of label.map_blocks blocks each: cur, the map in force, and next,
 * scratch for an update.  Every update goes the same way (map.c):
 *
 *   core_map_build(d, ...)   next = cur with one range reassigned, maybe
 *                            one more owner; EXO_EMAPFULL if it won't fit
 *   ...adjust next's owners (nblocks, root, the new owner)...
 *   core_map_commit(d)       write next into the other slot with gen + 1,
 *                            flush, then make it cur
 *
 * Until core_map_commit succeeds, cur is untouched, so a failed update
 * changes nothing, in memory or on disk.
 */
#ifndef EXOKERN_CORE_MAP_H
#define EXOKERN_CORE_MAP_H

#include "core.h"

#define MAP_HDR_BYTES	sizeof(struct exo_map_hdr)
#define MAP_OWNER_BYTES sizeof(struct exo_map_owner)
#define MAP_EXT_BYTES	sizeof(struct exo_map_extent)

static inline struct exo_map_hdr *map_hdr(void *img)
{
	return img;
}

static inline struct exo_map_owner *map_owners(void *img)
{
	return (struct exo_map_owner *)((uint8_t *)img + MAP_HDR_BYTES);
}

static inline struct exo_map_extent *map_extents(void *img)
{
	return (struct exo_map_extent *)((uint8_t *)img + MAP_HDR_BYTES +
					 map_hdr(img)->nowners *
						 MAP_OWNER_BYTES);
}

static inline uint64_t ext_end(const struct exo_map_extent *e)
{
	return e->start + e->len;
}

/* Blocks per map slot for a disk of nblocks. */
uint32_t core_map_blocks(uint64_t nblocks);

/* CRC32C of an image's used bytes, as if its csum field were 0. */
uint32_t core_map_csum(void *img);

/* 0 if img (whose header says how many bytes are used) is a valid map for
 * the disk of label l, else EXO_ECORRUPT.  Checks everything; img may hold
 * any bytes. */
int core_map_check(const struct exo_label *l, void *img, size_t map_size);

/* Index of the owner with this id in img, or -1. */
int core_map_owner_index(void *img, uint32_t id);

/* Index of the extent of img holding block bno, or -1 (binary search). */
int64_t core_map_find(void *img, exo_bno bno);

/* Blocks of the data area not owned by anyone, per img's owners. */
uint64_t core_map_nfree(const struct exo_label *l, void *img);

/* Build d->next from d->cur with [start, start+n) given to owner (owner 0:
 * made free; n 0: no change), and, with add_owner, one more zeroed owner
 * record at the end for the caller to fill in.  0 or EXO_EMAPFULL. */
int core_map_build(struct core_disk *d, int add_owner, exo_bno start,
		   uint64_t n, uint32_t owner);

/* Make d->next durable in the other slot, then current.  0 or the device's
 * error, with d unchanged. */
int core_map_commit(struct core_disk *d);

#endif
