/*
 * exo/disk.h: the on-disk format of the kernel's own metadata.
 *
 * The kernel keeps two things on a disk: a label, and the ownership map
 * (which blocks belong to which owner).  Everything else on the disk
 * belongs to the libOSes.  The same format is read and written by
 * exokern/core, whether it runs in the kernel or in the hosted port, so an
 * image formatted on Linux boots under exokern and back.
 *
 *   block 0                  label (struct exo_label, rest of block zero)
 *   map_start                map slot A: map_blocks blocks
 *   map_start + map_blocks   map slot B: map_blocks blocks
 *   data_start ...           blocks the kernel hands out to owners
 *
 * A map slot holds, from its first byte:
 *   struct exo_map_hdr
 *   struct exo_map_owner  owners[nowners]
 *   struct exo_map_extent extents[nextents]   sorted by start, disjoint,
 *                                             adjacent runs of one owner merged
 * csum is CRC32C over those bytes (header with csum = 0); only
 * used_bytes = sizeof hdr + owners + extents are written.
 *
 * Crash atomicity: an update writes the whole new map into the slot that
 * does not hold the current map, with gen one higher, then flushes.  Open
 * reads both slots and takes the valid one (magic, checksum, uuid) with the
 * higher gen.  A power cut during the write leaves a slot whose checksum
 * fails, so the old map is taken: old map or new, never a mix.
 *
 * Blocks not covered by an extent are free.  A block is made to read as
 * zeros before it is returned to the free pool, so the next owner never
 * sees the previous owner's data.  Capabilities are never stored: only
 * their SHA-256.
 *
 * All integers are little-endian.
 */
#ifndef EXO_DISK_H
#define EXO_DISK_H

#include "types.h"

#define EXO_LABEL_MAGIC   "EXODISK1" /* 8 bytes, no NUL stored */
#define EXO_MAP_MAGIC     "EXOMAP01"
#define EXO_DISK_VERSION  1
#define EXO_CAPHASH_LEN   32 /* SHA-256 */
#define EXO_MAX_OWNERS    64
#define EXO_DISK_MINBLOCKS 64 /* smallest disk exo formats (256 KiB) */

struct exo_label {
	char     magic[8];    /* EXO_LABEL_MAGIC */
	uint32_t version;     /* EXO_DISK_VERSION */
	uint32_t block_size;  /* EXO_BLOCK_SIZE */
	uint64_t nblocks;     /* blocks on the disk */
	uint64_t map_start;   /* first block of map slot A */
	uint32_t map_blocks;  /* blocks per map slot */
	uint32_t max_owners;  /* EXO_MAX_OWNERS */
	uint64_t data_start;  /* first block owners may be given */
	uint8_t  uuid[16];    /* identifies this disk; copied into map headers */
	uint64_t format_time; /* seconds since 1970 (0 if unknown) */
	uint8_t  _reserved[52];
	uint32_t csum;        /* CRC32C of this struct with csum = 0 */
};

struct exo_map_hdr {
	char     magic[8];   /* EXO_MAP_MAGIC */
	uint64_t gen;        /* higher is newer; 0 = never written */
	uint8_t  uuid[16];   /* the label's uuid */
	uint32_t nowners;
	uint32_t nextents;
	uint32_t used_bytes; /* header + owners + extents */
	uint32_t csum;       /* CRC32C of the used bytes with csum = 0 */
	uint8_t  _reserved[16];
};

struct exo_map_owner {
	uint32_t id;                      /* 1..EXO_MAX_OWNERS, never reused */
	uint32_t flags;                   /* 0 */
	exo_bno  root;                    /* root block, or EXO_BNO_NONE */
	uint64_t nblocks;                 /* blocks owned (sum of extents) */
	uint8_t  cap_hash[EXO_CAPHASH_LEN]; /* SHA-256 of the capability */
	uint8_t  _reserved[8];
};

struct exo_map_extent {
	exo_bno  start;
	uint32_t len;   /* blocks; runs longer than 2^32-1 are split */
	uint32_t owner; /* owner id */
};

EXO_STATIC_ASSERT(sizeof(struct exo_label) == 128, "label layout");
EXO_STATIC_ASSERT(sizeof(struct exo_map_hdr) == 64, "map header layout");
EXO_STATIC_ASSERT(sizeof(struct exo_map_owner) == 64, "map owner layout");
EXO_STATIC_ASSERT(sizeof(struct exo_map_extent) == 16, "map extent layout");

#endif
