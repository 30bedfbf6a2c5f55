/*
 * kv.c: the key-value layer's calls (kv.h), dispatched to a backend.
 *
 * Each call goes through the ops table of the struct kv it reaches; the
 * layer's own codes (KV_NOTFOUND, KV_KEYEXIST) are named here, the rest
 * by the backend.
 */
#include "kv.h"

int kv_open(const struct kv_ops *ops, const struct kv_opts *o, struct kv **out)
{
	return ops->open(o, out);
}

int kv_close(struct kv *kv)
{
	return kv ? kv->ops->close(kv) : 0;
}

int kv_begin(struct kv *kv, enum kv_kind kind, struct kv_txn **out)
{
	return kv->ops->begin(kv, kind, out);
}

int kv_commit(struct kv_txn *t)
{
	return t->kv->ops->commit(t);
}

void kv_abort(struct kv_txn *t)
{
	if (t)
		t->kv->ops->abort(t);
}

int kv_get(struct kv_txn *t, int table, const void *key, size_t klen,
	   struct kv_val *val)
{
	return t->kv->ops->get(t, table, key, klen, val);
}

int kv_put(struct kv_txn *t, int table, const void *key, size_t klen,
	   const void *val, size_t vlen, unsigned flags)
{
	return t->kv->ops->put(t, table, key, klen, val, vlen, flags);
}

int kv_del(struct kv_txn *t, int table, const void *key, size_t klen)
{
	return t->kv->ops->del(t, table, key, klen);
}

int kv_cursor_open(struct kv_txn *t, int table, struct kv_cursor **out)
{
	return t->kv->ops->cursor_open(t, table, out);
}

int kv_first(struct kv_cursor *c, struct kv_val *key, struct kv_val *val)
{
	return c->txn->kv->ops->cursor_get(c, NULL, 0, KV_FIRST, key, val);
}

int kv_next(struct kv_cursor *c, struct kv_val *key, struct kv_val *val)
{
	return c->txn->kv->ops->cursor_get(c, NULL, 0, KV_NEXT, key, val);
}

int kv_seek(struct kv_cursor *c, const void *k, size_t klen, struct kv_val *key,
	    struct kv_val *val)
{
	return c->txn->kv->ops->cursor_get(c, k, klen, KV_SEEK, key, val);
}

void kv_cursor_close(struct kv_cursor *c)
{
	if (c)
		c->txn->kv->ops->cursor_close(c);
}

int kv_counters(struct kv *kv, struct kv_counters *c)
{
	return kv->ops->counters(kv, c);
}

const char *kv_strerror(const struct kv *kv, int err)
{
	if (err == KV_NOTFOUND)
		return "KV_NOTFOUND: no such key";
	if (err == KV_KEYEXIST)
		return "KV_KEYEXIST: key exists or is out of order";
	return kv->ops->strerror(err);
}
