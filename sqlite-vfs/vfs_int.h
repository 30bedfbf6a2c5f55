/*
 * vfs_int.h: the insides of the exodb VFS, shared by its files.
 *
 *   vfs.c     the sqlite3_vfs and sqlite3_io_methods tables
 *   vstore.c  open stores (one per disk and store name per process), name
 *             lookup, commit of the pending writes as one transaction
 *   vnode.c   the bytes of one file as SQLite sees them: committed object
 *             data under a map of dirty 4 KiB chunks not yet committed
 *   vlock.c   file locks and WAL shared memory, in process memory
 *
 * Concurrency: every vnode of a store, and the store's pending writes,
 * are guarded by the store's mutex (vstore.mu); a memory-only vnode (a
 * temporary file) belongs to one sqlite3_file and needs no lock.
 *
 * The same sources build into libexodb (SQLite API called directly) and,
 * with EXODB_VFS_EXT defined, into the loadable extension (through the
 * API table SQLite hands the extension).
 */
#ifndef SQLITE_VFS_INT_H
#define SQLITE_VFS_INT_H

#ifdef EXODB_VFS_EXT
#include <sqlite3ext.h>
SQLITE_EXTENSION_INIT3
#else
#include <sqlite3.h>
#endif

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "obj.h"

#define VCHUNK 4096u /* unit of dirty data kept in memory */

struct vchunk {
	uint64_t idx; /* bytes [idx * VCHUNK, (idx + 1) * VCHUNK) */
	struct vchunk *link; /* scratch, while the map is rebuilt */
	uint8_t data[VCHUNK];
};

/* Chunk index -> chunk: open addressing, linear probing. */
struct vmap {
	struct vchunk **slot;
	size_t cap, n; /* cap is 0 or a power of two */
};

struct vshm;

/* One file: a named object of a store, or a memory-only temporary file. */
struct vnode {
	char *name;         /* NULL for a memory-only file */
	struct vstore *vs;  /* NULL for a memory-only file */
	int refs;           /* open sqlite3_files */
	int exists;         /* as SQLite sees it */
	int committed;      /* the store holds an object of this name */
	int recreate;       /* deleted since the last commit */
	int dirty;          /* differs from the committed object */
	struct obj *obj;    /* the committed object, or NULL */
	struct obj *newobj; /* created by the commit under way */
	uint64_t size;      /* as SQLite sees it */
	uint64_t csize;     /* the committed object's size */
	uint64_t keep;      /* bytes below it outside chunks are committed
			     * data; from it to size, zeros (keep <= size) */
	struct vmap map;    /* dirty chunks; bytes past size are zero */
	int lock;           /* strongest SQLITE_LOCK_* held on it */
	int nshared;        /* handles holding SHARED or more */
	struct vshm *shm;   /* WAL-index memory, while mapped */
	struct vnode *next; /* in vs->nodes */
};

/* An open store, shared by every connection of the process. */
struct vstore {
	char *disk, *sname;
	struct store *st;
	pthread_mutex_t mu;
	int refs;
	struct vnode *nodes;
	size_t max_chunks; /* most dirty chunks in one transaction */
	struct vstore *next;
};

/* Where to open a store (from URI parameters and the environment). */
struct vconf {
	const char *disk, *sname;
	uint64_t size;
	uint64_t cache_pages;
	const char *io; /* hosted I/O engine, or NULL for the store's */
};

/* vstore.c */
int vconf_from_uri(const char *zname, struct vconf *c);
int vstore_get(const struct vconf *c, struct vstore **out);
struct vstore *vstore_for_name(const char *name);
void vstore_put(struct vstore *vs);
void vstore_add_db(void *f, const char *db, const char *jrnl,
		   const char *wal, struct vstore *vs);
void vstore_del_db(void *f);
int vstore_commit(struct vstore *vs);
size_t vstore_pending(struct vstore *vs);
int vfs_rc(int err, int ioerr);

/* vnode.c */
int vnode_get(struct vstore *vs, const char *name, struct vnode **out);
struct vnode *vnode_mem(void);
void vnode_release(struct vnode *n);
int vnode_read(struct vnode *n, void *buf, size_t amt, uint64_t off,
	       size_t *got);
int vnode_write(struct vnode *n, const void *buf, size_t amt, uint64_t off);
int vnode_truncate(struct vnode *n, uint64_t size);
void vnode_create(struct vnode *n);
void vnode_delete(struct vnode *n);
int vnode_apply(struct vnode *n, struct dtx *t);
void vnode_unapply(struct vnode *n);
void vnode_committed(struct vnode *n);
void vnode_revert(struct vnode *n);
void vnode_free(struct vnode *n);

/* vlock.c */
int vlock_lock(struct vnode *n, int *mine, int want);
int vlock_unlock(struct vnode *n, int *mine, int want);
int vlock_reserved(struct vnode *n);
struct vshmconn {
	int open;
	uint16_t shared, excl; /* slot bit masks held by this handle */
};
int vshm_map(struct vnode *n, struct vshmconn *c, int region, int size,
	     int extend, void volatile **pp);
int vshm_lock(struct vnode *n, struct vshmconn *c, int ofst, int cnt,
	      int flags);
void vshm_unmap(struct vnode *n, struct vshmconn *c);

#endif
