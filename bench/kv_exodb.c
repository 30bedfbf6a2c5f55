/*
 * kv_exodb.c: the key-value layer (kv.h) on exodb (engine/exodb.h).
 *
 * The database is the store "bench" on an exodb disk: kv_opts.path is an
 * image file or a block device, opened by the hosted port with O_DIRECT.
 * With kv_opts.create the disk is formatted first (an image is created
 * or resized to kv_opts.size), so every run starts from the same empty
 * disk.  Each table is a named tree.  Durability full is EXODB_FULL
 * (the commit returns after its log flush, shared with concurrent
 * commits), lazy is EXODB_LAZY.
 *
 * A KV_SNAPSHOT transaction is a read-write exodb transaction, aborted at
 * its end: exodb's read-only transactions are read-committed per call.
 */
#include "kv.h"

#include <exo.h>
#include <exodb.h>

#include <stdlib.h>

#define KVX_STORE      "bench"
#define KVX_MAX_TABLES 32

struct kvx {
	struct kv base;
	struct exodb *db;
	struct exodb_tree *tree[KVX_MAX_TABLES];
	int ntables;
};

struct kvx_txn {
	struct kv_txn base;
	struct exodb_txn *t;
	enum kv_kind kind;
};

struct kvx_cursor {
	struct kv_cursor base;
	struct exodb_cursor *c;
};

static int kvx_err(int err)
{
	if (err == EXODB_NOTFOUND)
		return KV_NOTFOUND;
	if (err == EXODB_KEYEXIST)
		return KV_KEYEXIST;
	return err;
}

static int kvx_open_trees(struct kvx *x, const struct kv_opts *o)
{
	struct exodb_txn *t;
	int err;

	err = exodb_txn_begin(x->db, 0, &t);
	for (int i = 0; !err && i < o->ntables; i++)
		err = exodb_tree_open(t, o->tables[i], EXODB_TREE_CREATE,
				      &x->tree[i]);
	if (err) {
		exodb_txn_abort(t);
		return err;
	}
	return exodb_txn_commit(t);
}

static int kvx_open(const struct kv_opts *o, struct kv **out)
{
	struct exodb_opts eo = {
		.disk = o->path,
		.store = KVX_STORE,
		.cache_bytes = o->cache_bytes,
		.durability = o->lazy ? EXODB_LAZY : EXODB_FULL,
		.io = o->io,
		.flags = o->create ? EXODB_CREATE : 0,
	};
	struct kvx *x;
	int err;

	if (o->ntables > KVX_MAX_TABLES)
		return EXO_EINVAL;
	if (o->create && (err = exo_disk_format(o->path, o->size)) < 0 &&
	    err != EXO_ENOSYS) /* exokern: the disk comes formatted */
		return err;
	x = calloc(1, sizeof(*x));
	if (!x)
		return EXO_ENOMEM;
	x->base.ops = &kv_exodb;
	x->ntables = o->ntables;
	err = exodb_open(&eo, &x->db);
	if (!err && (err = kvx_open_trees(x, o)) < 0)
		exodb_close(x->db);
	if (err) {
		free(x);
		return err;
	}
	*out = &x->base;
	return 0;
}

static int kvx_close(struct kv *kv)
{
	struct kvx *x = (struct kvx *)kv;
	int err = exodb_close(x->db);

	free(x);
	return err;
}

static int kvx_begin(struct kv *kv, enum kv_kind kind, struct kv_txn **out)
{
	struct kvx *x = (struct kvx *)kv;
	struct kvx_txn *xt = malloc(sizeof(*xt));
	int err;

	if (!xt)
		return EXO_ENOMEM;
	err = exodb_txn_begin(x->db, kind == KV_READ ? EXODB_RDONLY : 0,
			      &xt->t);
	if (err) {
		free(xt);
		return err;
	}
	xt->base.kv = kv;
	xt->kind = kind;
	*out = &xt->base;
	return 0;
}

static int kvx_commit(struct kv_txn *t)
{
	struct kvx_txn *xt = (struct kvx_txn *)t;
	int err = 0;

	if (xt->kind == KV_SNAPSHOT)
		exodb_txn_abort(xt->t);
	else
		err = exodb_txn_commit(xt->t);
	free(xt);
	return err;
}

static void kvx_abort(struct kv_txn *t)
{
	struct kvx_txn *xt = (struct kvx_txn *)t;

	exodb_txn_abort(xt->t);
	free(xt);
}

static struct exodb_tree *kvx_tree(struct kv_txn *t, int table)
{
	struct kvx *x = (struct kvx *)t->kv;

	return table >= 0 && table < x->ntables ? x->tree[table] : NULL;
}

static int kvx_get(struct kv_txn *t, int table, const void *key, size_t klen,
		   struct kv_val *val)
{
	struct exodb_val k = {klen, key}, v;
	struct exodb_tree *tree = kvx_tree(t, table);
	int err;

	if (!tree)
		return EXO_EINVAL;
	err = exodb_get(((struct kvx_txn *)t)->t, tree, &k, &v);
	if (err)
		return kvx_err(err);
	val->size = v.size;
	val->data = v.data;
	return 0;
}

static int kvx_put(struct kv_txn *t, int table, const void *key, size_t klen,
		   const void *val, size_t vlen, unsigned flags)
{
	struct exodb_val k = {klen, key}, v = {vlen, val};
	struct exodb_tree *tree = kvx_tree(t, table);
	unsigned f = 0;

	if (!tree)
		return EXO_EINVAL;
	if (flags & KV_APPEND)
		f |= EXODB_APPEND;
	if (flags & KV_NOOVERWRITE)
		f |= EXODB_NOOVERWRITE;
	return kvx_err(exodb_put(((struct kvx_txn *)t)->t, tree, &k, &v, f));
}

static int kvx_del(struct kv_txn *t, int table, const void *key, size_t klen)
{
	struct exodb_val k = {klen, key};
	struct exodb_tree *tree = kvx_tree(t, table);

	if (!tree)
		return EXO_EINVAL;
	return kvx_err(exodb_del(((struct kvx_txn *)t)->t, tree, &k));
}

static int kvx_cursor_open(struct kv_txn *t, int table, struct kv_cursor **out)
{
	struct exodb_tree *tree = kvx_tree(t, table);
	struct kvx_cursor *xc;
	int err;

	if (!tree)
		return EXO_EINVAL;
	xc = malloc(sizeof(*xc));
	if (!xc)
		return EXO_ENOMEM;
	err = exodb_cursor_open(((struct kvx_txn *)t)->t, tree, &xc->c);
	if (err) {
		free(xc);
		return err;
	}
	xc->base.txn = t;
	*out = &xc->base;
	return 0;
}

static int kvx_cursor_get(struct kv_cursor *c, const void *seek, size_t slen,
			  int op, struct kv_val *key, struct kv_val *val)
{
	struct exodb_val k = {slen, seek}, v;
	enum exodb_cursor_op xop = op == KV_FIRST  ? EXODB_FIRST
				   : op == KV_NEXT ? EXODB_NEXT
						   : EXODB_SET_RANGE;
	int err;

	err = exodb_cursor_get(((struct kvx_cursor *)c)->c, &k, &v, xop);
	if (err)
		return kvx_err(err);
	if (key) {
		key->size = k.size;
		key->data = k.data;
	}
	if (val) {
		val->size = v.size;
		val->data = v.data;
	}
	return 0;
}

static void kvx_cursor_close(struct kv_cursor *c)
{
	struct kvx_cursor *xc = (struct kvx_cursor *)c;

	exodb_cursor_close(xc->c);
	free(xc);
}

static int kvx_counters(struct kv *kv, struct kv_counters *c)
{
	struct kvx *x = (struct kvx *)kv;
	struct exodb_stat st;
	struct exodb_txn *t;
	int err;

	err = exodb_txn_begin(x->db, EXODB_RDONLY, &t);
	if (err)
		return err;
	err = exodb_stat(t, NULL, &st);
	exodb_txn_abort(t);
	if (err)
		return err;
	*c = (struct kv_counters){
		.log_flushes = st.wal_flushes,
		.page_writes = st.cache_writebacks,
		.page_reads = st.cache_misses,
		.log_bytes = st.wal_bytes,
		.commits = st.wal_commits,
	};
	return 0;
}

const struct kv_ops kv_exodb = {
	.name = "exodb",
	.open = kvx_open,
	.close = kvx_close,
	.begin = kvx_begin,
	.commit = kvx_commit,
	.abort = kvx_abort,
	.get = kvx_get,
	.put = kvx_put,
	.del = kvx_del,
	.cursor_open = kvx_cursor_open,
	.cursor_get = kvx_cursor_get,
	.cursor_close = kvx_cursor_close,
	.counters = kvx_counters,
	.strerror = exodb_strerror,
};
