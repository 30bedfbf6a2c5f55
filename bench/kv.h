/*
 * kv.h: the key-value layer under the benchmarks' KV implementations.
 *
 * TPC-B and TPC-C have one implementation each for key-value engines,
 * written against this header; kv_exodb.c and kv_lmdb.c map it onto
 * exodb.h and lmdb.h.  The layer is thin on purpose: a transaction is the
 * engine's transaction, a get is the engine's get.
 *
 *   struct kv_opts o = { .path = "var/exodb.img", .tables = names,
 *                        .ntables = 3, .create = 1 };
 *   struct kv *kv;  struct kv_txn *t;  struct kv_val v;
 *   kv_open(&kv_exodb, &o, &kv);
 *   kv_begin(kv, KV_WRITE, &t);
 *   kv_put(t, 0, "k", 1, "v", 1, 0);
 *   kv_get(t, 0, "k", 1, &v);          v valid until the next call on t
 *   kv_commit(t);
 *   kv_close(kv);
 *
 * Tables are numbered 0..ntables-1 in the order of o.tables.  Keys are
 * compared with memcmp.  Transactions: KV_WRITE (writers are serialized
 * by the engine), KV_READ (each read sees committed data; enough for
 * TPC-C's Stock-Level, which needs only read-committed isolation) and
 * KV_SNAPSHOT (every read sees the same committed state: LMDB's read
 * transactions are snapshots; exodb's read-only ones are not, so on exodb
 * a KV_SNAPSHOT is a read-write transaction that is aborted at the end).
 * Any number of threads may share a struct kv; a transaction and its
 * cursors belong to one thread.
 *
 * Calls return 0 or a negative code: KV_NOTFOUND, KV_KEYEXIST, or the
 * engine's own code, which kv_strerror() names.
 */
#ifndef EXODB_BENCH_KV_H
#define EXODB_BENCH_KV_H

#include <stddef.h>
#include <stdint.h>

#define KV_NOTFOUND (-40001) /* no such key (or a cursor at its end) */
#define KV_KEYEXIST (-40002) /* KV_APPEND out of order, KV_NOOVERWRITE */

#define KV_APPEND      0x1 /* kv_put: the key is above every other key */
#define KV_NOOVERWRITE 0x2 /* kv_put: fail if the key exists */

enum kv_kind { KV_WRITE, KV_READ, KV_SNAPSHOT };

struct kv_val {
	size_t size;
	const void *data;
};

struct kv_opts {
	const char *path;     /* exodb: disk image or device; lmdb: directory */
	uint64_t size;	      /* exodb: image size; lmdb: map size */
	uint64_t cache_bytes; /* exodb's cache (LMDB uses the OS page cache) */
	int lazy;	      /* durability lazy instead of full */
	const char *io;	      /* exodb's I/O engine (NULL: io_uring) */
	int create;	      /* make a fresh, empty database */
	const char *const *tables;
	int ntables;
};

/* What the engine counts itself (zero where it does not). */
struct kv_counters {
	uint64_t log_flushes; /* exodb: log flushes (device FLUSH) */
	uint64_t page_writes; /* exodb: cache write-backs */
	uint64_t page_reads;  /* exodb: cache misses */
	uint64_t log_bytes;   /* exodb: bytes of log records */
	uint64_t commits;     /* exodb: transactions committed */
};

struct kv;
struct kv_txn;
struct kv_cursor;

/* A backend; kv_exodb and kv_lmdb below.  The layer's calls dispatch
 * through it: backends embed struct kv / kv_txn / kv_cursor first. */
struct kv_ops {
	const char *name;
	int (*open)(const struct kv_opts *o, struct kv **out);
	int (*close)(struct kv *kv);
	int (*begin)(struct kv *kv, enum kv_kind kind, struct kv_txn **out);
	int (*commit)(struct kv_txn *t);
	void (*abort)(struct kv_txn *t);
	int (*get)(struct kv_txn *t, int table, const void *key, size_t klen,
		   struct kv_val *val);
	int (*put)(struct kv_txn *t, int table, const void *key, size_t klen,
		   const void *val, size_t vlen, unsigned flags);
	int (*del)(struct kv_txn *t, int table, const void *key, size_t klen);
	int (*cursor_open)(struct kv_txn *t, int table, struct kv_cursor **out);
	int (*cursor_get)(struct kv_cursor *c, const void *seek, size_t slen,
			  int op, struct kv_val *key, struct kv_val *val);
	void (*cursor_close)(struct kv_cursor *c);
	int (*counters)(struct kv *kv, struct kv_counters *c);
	const char *(*strerror)(int err);
};

struct kv {
	const struct kv_ops *ops;
};

struct kv_txn {
	struct kv *kv;
};

struct kv_cursor {
	struct kv_txn *txn;
};

/* cursor_get ops */
enum { KV_FIRST, KV_NEXT, KV_SEEK };

extern const struct kv_ops kv_exodb;
extern const struct kv_ops kv_lmdb;

/* Open (with o->create: create afresh, wiping what was there). */
int kv_open(const struct kv_ops *ops, const struct kv_opts *o, struct kv **out);
int kv_close(struct kv *kv);

int kv_begin(struct kv *kv, enum kv_kind kind, struct kv_txn **out);
/* Commit (a KV_READ or KV_SNAPSHOT transaction just ends). */
int kv_commit(struct kv_txn *t);
void kv_abort(struct kv_txn *t);

/* The value stays valid until the next call on t (or its end). */
int kv_get(struct kv_txn *t, int table, const void *key, size_t klen,
	   struct kv_val *val);
int kv_put(struct kv_txn *t, int table, const void *key, size_t klen,
	   const void *val, size_t vlen, unsigned flags);
int kv_del(struct kv_txn *t, int table, const void *key, size_t klen);

/* Cursors: kv_first and kv_next step through the table in key order;
 * kv_seek goes to the first key >= key.  KV_NOTFOUND past the end.  key
 * and val (either may be NULL) stay valid until the cursor moves.  Close
 * a cursor before its transaction ends. */
int kv_cursor_open(struct kv_txn *t, int table, struct kv_cursor **out);
int kv_first(struct kv_cursor *c, struct kv_val *key, struct kv_val *val);
int kv_next(struct kv_cursor *c, struct kv_val *key, struct kv_val *val);
int kv_seek(struct kv_cursor *c, const void *k, size_t klen, struct kv_val *key,
	    struct kv_val *val);
void kv_cursor_close(struct kv_cursor *c);

int kv_counters(struct kv *kv, struct kv_counters *c);
const char *kv_strerror(const struct kv *kv, int err);

/* Big-endian key building: kv_key32 appends v to *p and advances it. */
static inline void kv_key32(uint8_t **p, uint32_t v)
{
	(*p)[0] = (uint8_t)(v >> 24);
	(*p)[1] = (uint8_t)(v >> 16);
	(*p)[2] = (uint8_t)(v >> 8);
	(*p)[3] = (uint8_t)v;
	*p += 4;
}

static inline uint32_t kv_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

#endif
