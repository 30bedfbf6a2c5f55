/*
 * kv_lmdb.c: the key-value layer (kv.h) on LMDB.
 *
 * kv_opts.path is a directory holding data.mdb and lock.mdb (with
 * kv_opts.create both are removed first); kv_opts.size is the map size.
 * Each table is a named database (DBI), all opened once at start.  LMDB
 * has no cache of its own: it reads through a memory map, so the OS page
 * cache is its cache and kv_opts.cache_bytes does not apply.  Durability
 * full is LMDB's default (each commit writes the pages, fdatasync, then
 * the meta page with O_DSYNC); lazy is MDB_NOMETASYNC (the meta page is
 * written without a sync; the next commit's fdatasync makes it durable).
 * Writers are serialized by LMDB's writer mutex; readers are snapshots.
 */
#include "kv.h"

#include <lmdb.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#define KVL_MAX_TABLES	32
#define KVL_MAX_READERS 2048 /* threads with a read transaction at once */

struct kvl {
	struct kv base;
	MDB_env *env;
	MDB_dbi dbi[KVL_MAX_TABLES];
	int ntables;
};

struct kvl_txn {
	struct kv_txn base;
	MDB_txn *t;
	int rdonly;
};

struct kvl_cursor {
	struct kv_cursor base;
	MDB_cursor *c;
};

static int kvl_err(int err)
{
	if (err == MDB_NOTFOUND)
		return KV_NOTFOUND;
	if (err == MDB_KEYEXIST)
		return KV_KEYEXIST;
	return err > 0 ? -err : err;
}

static const char *kvl_strerror(int err)
{
	return mdb_strerror(err > -30800 && err < -30700 ? err : -err);
}

/* Remove the files of a previous database in dir, creating dir. */
static int kvl_wipe(const char *dir)
{
	char path[PATH_MAX];
	const char *files[] = {"data.mdb", "lock.mdb"};

	if (mkdir(dir, 0777) < 0 && errno != EEXIST)
		return -errno;
	for (size_t i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		if (unlink(path) < 0 && errno != ENOENT)
			return -errno;
	}
	return 0;
}

static int kvl_open_dbis(struct kvl *l, const struct kv_opts *o)
{
	MDB_txn *t;
	int err;

	err = mdb_txn_begin(l->env, NULL, 0, &t);
	if (err)
		return err;
	for (int i = 0; !err && i < o->ntables; i++)
		err = mdb_dbi_open(t, o->tables[i], MDB_CREATE, &l->dbi[i]);
	if (err) {
		mdb_txn_abort(t);
		return err;
	}
	return mdb_txn_commit(t);
}

static int kvl_setup(struct kvl *l, const struct kv_opts *o)
{
	int err;

	err = mdb_env_create(&l->env);
	if (err)
		return err;
	err = mdb_env_set_mapsize(l->env, o->size);
	if (!err)
		err = mdb_env_set_maxdbs(l->env, (MDB_dbi)o->ntables);
	if (!err)
		err = mdb_env_set_maxreaders(l->env, KVL_MAX_READERS);
	if (!err)
		err = mdb_env_open(l->env, o->path,
				   o->lazy ? MDB_NOMETASYNC : 0, 0644);
	if (!err)
		err = kvl_open_dbis(l, o);
	if (err)
		mdb_env_close(l->env);
	return err;
}

static int kvl_open(const struct kv_opts *o, struct kv **out)
{
	struct kvl *l;
	int err;

	if (o->ntables > KVL_MAX_TABLES)
		return -EINVAL;
	if (o->create && (err = kvl_wipe(o->path)) < 0)
		return err;
	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->base.ops = &kv_lmdb;
	l->ntables = o->ntables;
	err = kvl_setup(l, o);
	if (err) {
		free(l);
		return kvl_err(err);
	}
	*out = &l->base;
	return 0;
}

static int kvl_close(struct kv *kv)
{
	struct kvl *l = (struct kvl *)kv;

	mdb_env_close(l->env);
	free(l);
	return 0;
}

static int kvl_begin(struct kv *kv, enum kv_kind kind, struct kv_txn **out)
{
	struct kvl *l = (struct kvl *)kv;
	struct kvl_txn *lt = malloc(sizeof(*lt));
	int err;

	if (!lt)
		return -ENOMEM;
	lt->rdonly = kind != KV_WRITE;
	err = mdb_txn_begin(l->env, NULL, lt->rdonly ? MDB_RDONLY : 0, &lt->t);
	if (err) {
		free(lt);
		return kvl_err(err);
	}
	lt->base.kv = kv;
	*out = &lt->base;
	return 0;
}

static int kvl_commit(struct kv_txn *t)
{
	struct kvl_txn *lt = (struct kvl_txn *)t;
	int err = 0;

	if (lt->rdonly)
		mdb_txn_abort(lt->t);
	else
		err = mdb_txn_commit(lt->t);
	free(lt);
	return kvl_err(err);
}

static void kvl_abort(struct kv_txn *t)
{
	struct kvl_txn *lt = (struct kvl_txn *)t;

	mdb_txn_abort(lt->t);
	free(lt);
}

/* The DBI of table, or -1. */
static int kvl_dbi(struct kv_txn *t, int table, MDB_dbi *dbi)
{
	struct kvl *l = (struct kvl *)t->kv;

	if (table < 0 || table >= l->ntables)
		return -1;
	*dbi = l->dbi[table];
	return 0;
}

static int kvl_get(struct kv_txn *t, int table, const void *key, size_t klen,
		   struct kv_val *val)
{
	MDB_val k = {klen, (void *)key}, v;
	MDB_dbi dbi;
	int err;

	if (kvl_dbi(t, table, &dbi) < 0)
		return -EINVAL;
	err = mdb_get(((struct kvl_txn *)t)->t, dbi, &k, &v);
	if (err)
		return kvl_err(err);
	val->size = v.mv_size;
	val->data = v.mv_data;
	return 0;
}

static int kvl_put(struct kv_txn *t, int table, const void *key, size_t klen,
		   const void *val, size_t vlen, unsigned flags)
{
	MDB_val k = {klen, (void *)key}, v = {vlen, (void *)val};
	unsigned f = 0;
	MDB_dbi dbi;

	if (kvl_dbi(t, table, &dbi) < 0)
		return -EINVAL;
	if (flags & KV_APPEND)
		f |= MDB_APPEND;
	if (flags & KV_NOOVERWRITE)
		f |= MDB_NOOVERWRITE;
	return kvl_err(mdb_put(((struct kvl_txn *)t)->t, dbi, &k, &v, f));
}

static int kvl_del(struct kv_txn *t, int table, const void *key, size_t klen)
{
	MDB_val k = {klen, (void *)key};
	MDB_dbi dbi;

	if (kvl_dbi(t, table, &dbi) < 0)
		return -EINVAL;
	return kvl_err(mdb_del(((struct kvl_txn *)t)->t, dbi, &k, NULL));
}

static int kvl_cursor_open(struct kv_txn *t, int table, struct kv_cursor **out)
{
	struct kvl_cursor *lc;
	MDB_dbi dbi;
	int err;

	if (kvl_dbi(t, table, &dbi) < 0)
		return -EINVAL;
	lc = malloc(sizeof(*lc));
	if (!lc)
		return -ENOMEM;
	err = mdb_cursor_open(((struct kvl_txn *)t)->t, dbi, &lc->c);
	if (err) {
		free(lc);
		return kvl_err(err);
	}
	lc->base.txn = t;
	*out = &lc->base;
	return 0;
}

static int kvl_cursor_get(struct kv_cursor *c, const void *seek, size_t slen,
			  int op, struct kv_val *key, struct kv_val *val)
{
	MDB_val k = {slen, (void *)seek}, v;
	MDB_cursor_op lop = op == KV_FIRST  ? MDB_FIRST
			    : op == KV_NEXT ? MDB_NEXT
					    : MDB_SET_RANGE;
	int err;

	err = mdb_cursor_get(((struct kvl_cursor *)c)->c, &k, &v, lop);
	if (err)
		return kvl_err(err);
	if (key) {
		key->size = k.mv_size;
		key->data = k.mv_data;
	}
	if (val) {
		val->size = v.mv_size;
		val->data = v.mv_data;
	}
	return 0;
}

static void kvl_cursor_close(struct kv_cursor *c)
{
	struct kvl_cursor *lc = (struct kvl_cursor *)c;

	mdb_cursor_close(lc->c);
	free(lc);
}

static int kvl_counters(struct kv *kv, struct kv_counters *c)
{
	(void)kv;
	*c = (struct kv_counters){0};
	return 0;
}

const struct kv_ops kv_lmdb = {
	.name = "lmdb",
	.open = kvl_open,
	.close = kvl_close,
	.begin = kvl_begin,
	.commit = kvl_commit,
	.abort = kvl_abort,
	.get = kvl_get,
	.put = kvl_put,
	.del = kvl_del,
	.cursor_open = kvl_cursor_open,
	.cursor_get = kvl_cursor_get,
	.cursor_close = kvl_cursor_close,
	.counters = kvl_counters,
	.strerror = kvl_strerror,
};
