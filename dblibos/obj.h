/*
 * obj.h: named, growable byte objects in a store (for sqlite-vfs).
 *
 * An object has a name (1..OBJ_NAME_MAX bytes, no NUL), a size and its
 * bytes.  Reads see committed data; writes happen in a transaction, so a
 * batch of writes to one or several objects commits atomically (one
 * dtx_commit):
 *
 *   dtx_begin(s, &t);
 *   obj_create(t, "main.db", &o);          or obj_open(s, "main.db", &o)
 *   obj_write(t, o, off, buf, len);  ...   more writes, other objects
 *   dtx_commit(t, NULL);
 *   obj_read(s, o, off, buf, len, &got);   got < len past the end
 *   obj_close(o);
 *
 * Each block of an object holds OBJ_BLOCK_DATA = 4080 bytes of it (the
 * cache owns the first CACHE_HDR bytes of every block).  Object bytes
 * [k*4080, (k+1)*4080) are logical block k.  Blocks that were never
 * written are holes and read as zeros; bytes past the size are zeros too.
 *
 * On disk (all pages are cache blocks, fields at CACHE_HDR):
 *
 *   root page (superblock's obj_root): struct oroot_hdr, then
 *       OBJ_NBUCKETS bucket heads: the first directory page of the names
 *       hashing there (CRC32C of the name), or 0.  next_id numbers objects.
 *   directory page: struct odir_hdr (magic, nent, used bytes, next page),
 *       then nent entries packed: inode block (8 bytes), name length (1),
 *       the name.
 *   inode (one block per object): struct oinode_hdr (id, size, name),
 *       then either nextents extents inline (nind = 0), or nind
 *       references to indirect pages, each holding up to OIND_NEXT
 *       extents.  Extents map logical blocks to runs of blocks, ascending
 *       and disjoint, allocated with balloc near the previous extent.
 *
 * A handle names the object by its inode block and id: after the object
 * is deleted, calls through a stale handle return EXO_ENOENT.
 */
#ifndef DBLIBOS_OBJ_H
#define DBLIBOS_OBJ_H

#include "store.h"

#define OBJ_NAME_MAX   255
#define OBJ_BLOCK_DATA (EXO_BLOCK_SIZE - CACHE_HDR) /* 4080 */

#define OROOT_MAGIC 0x544f524fu /* "OROT" */
#define ODIR_MAGIC  0x5249444fu /* "ODIR" */
#define OINO_MAGIC  0x4f4e494fu /* "OINO" */
#define OIND_MAGIC  0x444e494fu /* "OIND" */

struct oroot_hdr {
	uint32_t magic;    /* OROOT_MAGIC */
	uint32_t nbuckets; /* OBJ_NBUCKETS */
	uint64_t next_id;  /* id of the next object created (>= 1) */
};
#define OBJ_NBUCKETS ((OBJ_BLOCK_DATA - sizeof(struct oroot_hdr)) / 8)

struct odir_hdr {
	uint32_t magic; /* ODIR_MAGIC */
	uint16_t nent;  /* entries */
	uint16_t used;  /* bytes of entries */
	exo_bno  next;  /* next page of the bucket, or 0 */
};
#define ODIR_SPACE (OBJ_BLOCK_DATA - sizeof(struct odir_hdr))

struct oext {
	uint64_t lbn; /* first logical block */
	exo_bno  pbn; /* first block */
	uint32_t len; /* blocks, 1..BALLOC_CHUNK_MAX */
	uint32_t _pad;
};

struct oref {
	uint64_t lbn;   /* first logical block of the page's first extent */
	exo_bno  bno;   /* the indirect page */
	uint32_t count; /* extents in it */
	uint32_t _pad;
};

struct oinode_hdr {
	uint32_t magic; /* OINO_MAGIC */
	uint32_t flags; /* 0 */
	uint64_t id;
	uint64_t size;
	uint32_t nextents; /* in all */
	uint32_t nind;     /* indirect pages (0: extents inline) */
	uint32_t namelen;
	uint32_t _pad;
	char     name[OBJ_NAME_MAX + 1];
};
#define OINO_AREA   (OBJ_BLOCK_DATA - sizeof(struct oinode_hdr))
#define OINO_NEXT   (OINO_AREA / sizeof(struct oext)) /* inline extents */
#define OINO_NREF   (OINO_AREA / sizeof(struct oref))

struct oind_hdr {
	uint32_t magic; /* OIND_MAGIC */
	uint32_t count; /* extents */
	uint64_t id;    /* the owning object's */
};
#define OIND_NEXT ((OBJ_BLOCK_DATA - sizeof(struct oind_hdr)) / \
		   sizeof(struct oext))

struct obj;

struct obj_info {
	char name[OBJ_NAME_MAX + 1];
	uint64_t size;
	uint64_t id;
	exo_bno ino;
};

/* Inside the transaction that creates a store: an empty root page. */
int obj_format(struct dtx *t, exo_bno *root);

/* Create an empty object (EXO_EEXIST, EXO_EINVAL for a bad name,
 * EXO_ENOSPC) and open it.  Visible to others when t commits. */
int obj_create(struct dtx *t, const char *name, struct obj **out);

/* Open by name: committed objects (obj_open), or as t sees them
 * (obj_open_tx).  EXO_ENOENT. */
int obj_open(struct store *s, const char *name, struct obj **out);
int obj_open_tx(struct dtx *t, const char *name, struct obj **out);
void obj_close(struct obj *o);

/* Delete by name (its blocks are freed when t commits).  EXO_ENOENT. */
int obj_delete(struct dtx *t, const char *name);

/* Every committed object, in no particular order: *out (free() it) and
 * *n.  EXO_ECORRUPT, EXO_EIO, EXO_ENOMEM. */
int obj_list(struct store *s, struct obj_info **out, size_t *n);

int obj_size(struct store *s, struct obj *o, uint64_t *size);
int obj_size_tx(struct dtx *t, struct obj *o, uint64_t *size);

/* Read up to len bytes at off; *nread (may be NULL) is how many there
 * were (short at the end of the object). */
int obj_read(struct store *s, struct obj *o, uint64_t off, void *buf,
	     size_t len, size_t *nread);
int obj_read_tx(struct dtx *t, struct obj *o, uint64_t off, void *buf,
		size_t len, size_t *nread);

/* Write len bytes at off, growing the object (and leaving a hole when off
 * is past its end).  EXO_ENOSPC (disk full, or the object too fragmented
 * for its inode), EXO_EINVAL, EXO_ENOENT (deleted). */
int obj_write(struct dtx *t, struct obj *o, uint64_t off, const void *buf,
	      size_t len);

/* Set the size: shrinking frees the blocks past it, growing leaves a hole. */
int obj_truncate(struct dtx *t, struct obj *o, uint64_t size);

/* Pure checks of on-disk pages (whole 4 KiB blocks), for fuzzing:
 * 0 or EXO_ECORRUPT (EXO_EINVAL for a bad len). */
int obj_check_root(const void *blk, size_t len);
int obj_check_dirpage(const void *blk, size_t len);
/* An inode: its header into *out (may be NULL); inline extents or
 * references checked. */
int obj_decode_inode(const void *blk, size_t len, struct oinode_hdr *out);
/* An indirect page of object id, expected to hold count extents starting
 * at logical block lbn. */
int obj_check_indirect(const void *blk, size_t len, uint64_t id,
		       uint32_t count, uint64_t lbn);

/* For store_check: mark every block of the object directory, inodes,
 * indirect pages and data, checking each page. */
int obj_check(struct store *s, struct store_checker *c);

#endif
