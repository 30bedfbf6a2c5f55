/*
 * vnode.c: the bytes of one file as SQLite sees them.
 *
 * A vnode is what the operating system's page cache is to a file: SQLite
 * reads its own writes at once, and they reach the disk later.  Between
 * two commits a vnode holds its pending changes in memory: a map of dirty
 * 4 KiB chunks over the committed object, a size, and "keep", the point
 * below which bytes outside the chunks are still the committed object's
 * (a truncate lowers it; from keep to the size, bytes read as zeros).
 * A chunk is filled from that view when first written, so a chunk always
 * holds the whole truth for its 4 KiB.
 *
 * vstore_commit turns the pending changes of every dirty vnode into one
 * transaction: vnode_apply writes them into the object (delete, create,
 * truncate to keep, the chunks in ascending order, then the final size),
 * and after the commit vnode_committed drops them (vnode_unapply after a
 * failure keeps them for the next try).  A memory-only vnode (temporary
 * files) has no store: keep stays 0 and its chunks are its only data.
 *
 * Callers hold the store's mutex (vfs_int.h).
 */
#include <stdlib.h>
#include <string.h>

#include "vfs_int.h"

/* ---- the chunk map ---- */

static size_t map_hash(uint64_t idx, size_t cap)
{
	return (size_t)(idx * 0x9e3779b97f4a7c15ull >> 20) & (cap - 1);
}

static struct vchunk *map_find(const struct vmap *m, uint64_t idx)
{
	size_t i;

	if (!m->cap)
		return NULL;
	for (i = map_hash(idx, m->cap); m->slot[i]; i = (i + 1) & (m->cap - 1))
		if (m->slot[i]->idx == idx)
			return m->slot[i];
	return NULL;
}

static void map_put(struct vmap *m, struct vchunk *c)
{
	size_t i = map_hash(c->idx, m->cap);

	while (m->slot[i])
		i = (i + 1) & (m->cap - 1);
	m->slot[i] = c;
	m->n++;
}

/* Make room for one more chunk (load factor at most 1/2). */
static int map_grow(struct vmap *m)
{
	struct vmap big = { 0 };
	size_t i;

	if ((m->n + 1) * 2 <= m->cap)
		return 0;
	big.cap = m->cap ? m->cap * 2 : 64;
	big.slot = calloc(big.cap, sizeof(*big.slot));
	if (!big.slot)
		return EXO_ENOMEM;
	for (i = 0; i < m->cap; i++)
		if (m->slot[i])
			map_put(&big, m->slot[i]);
	free(m->slot);
	*m = big;
	return 0;
}

/* Drop every chunk at or past index from: unlink every chunk, then put
 * the survivors back. */
static void map_cut(struct vmap *m, uint64_t from)
{
	struct vchunk *list = NULL, *c;
	size_t i;

	for (i = 0; i < m->cap; i++) {
		c = m->slot[i];
		m->slot[i] = NULL;
		if (c && c->idx >= from) {
			free(c);
		} else if (c) {
			c->link = list;
			list = c;
		}
	}
	m->n = 0;
	while ((c = list)) {
		list = c->link;
		map_put(m, c);
	}
}

static void map_free(struct vmap *m)
{
	size_t i;

	for (i = 0; i < m->cap; i++)
		free(m->slot[i]);
	free(m->slot);
	memset(m, 0, sizeof(*m));
}

static int chunk_cmp(const void *a, const void *b)
{
	const struct vchunk *x = *(struct vchunk *const *)a;
	const struct vchunk *y = *(struct vchunk *const *)b;

	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* The chunks in ascending order: *out (free() it), m->n of them. */
static int map_sorted(const struct vmap *m, struct vchunk ***out)
{
	struct vchunk **v = malloc((m->n ? m->n : 1) * sizeof(*v));
	size_t i, k = 0;

	if (!v)
		return EXO_ENOMEM;
	for (i = 0; i < m->cap; i++)
		if (m->slot[i])
			v[k++] = m->slot[i];
	qsort(v, k, sizeof(*v), chunk_cmp);
	*out = v;
	return 0;
}

/* ---- lifetime ---- */

/* The vnode of name in vs, made from the committed object if needed. */
int vnode_get(struct vstore *vs, const char *name, struct vnode **out)
{
	struct vnode *n;
	int rc;

	for (n = vs->nodes; n; n = n->next)
		if (!strcmp(n->name, name)) {
			*out = n;
			return 0;
		}
	n = calloc(1, sizeof(*n));
	if (!n || !(n->name = strdup(name))) {
		free(n);
		return EXO_ENOMEM;
	}
	n->vs = vs;
	rc = obj_open(vs->st, name, &n->obj);
	if (rc == 0)
		rc = obj_size(vs->st, n->obj, &n->csize);
	if (rc == 0) {
		n->exists = n->committed = 1;
		n->size = n->keep = n->csize;
	} else if (rc == EXO_ENOENT) {
		n->obj = NULL;
		rc = 0;
	}
	if (rc < 0) {
		vnode_free(n);
		return rc;
	}
	n->next = vs->nodes;
	vs->nodes = n;
	*out = n;
	return 0;
}

struct vnode *vnode_mem(void)
{
	struct vnode *n = calloc(1, sizeof(*n));

	if (n)
		n->exists = 1;
	return n;
}

void vnode_free(struct vnode *n)
{
	if (n->obj)
		obj_close(n->obj);
	map_free(&n->map);
	free(n->name);
	free(n);
}

/* Free n if nothing needs it: no handle, no pending change, no shared
 * memory.  Memory-only vnodes go with their last handle. */
void vnode_release(struct vnode *n)
{
	struct vnode **pp;

	if (n->refs || n->shm || (n->vs && n->dirty))
		return;
	if (n->vs) {
		for (pp = &n->vs->nodes; *pp != n; pp = &(*pp)->next)
			;
		*pp = n->next;
	}
	vnode_free(n);
}

/* ---- the view SQLite sees ---- */

/* Committed bytes [off, off+len) below keep, zeros above. */
static int read_base(struct vnode *n, uint8_t *buf, size_t len, uint64_t off)
{
	size_t from = 0, got = 0;
	int rc;

	if (off < n->keep) {
		from = n->keep - off < len ? (size_t)(n->keep - off) : len;
		rc = obj_read(n->vs->st, n->obj, off, buf, from, &got);
		if (rc < 0)
			return rc;
	}
	memset(buf + got, 0, len - got);
	return 0;
}

/* Read up to amt bytes at off; *got is how many there were. */
int vnode_read(struct vnode *n, void *buf, size_t amt, uint64_t off,
	       size_t *got)
{
	uint8_t *p = buf;
	uint64_t end, pos;
	int rc;

	*got = 0;
	if (off >= n->size)
		return 0;
	end = off + amt < n->size ? off + amt : n->size;
	for (pos = off; pos < end;) {
		uint64_t k = pos / VCHUNK, stop = (k + 1) * VCHUNK;
		struct vchunk *c = map_find(&n->map, k);

		if (c) {
			stop = stop < end ? stop : end;
			memcpy(p, c->data + (pos - k * VCHUNK), stop - pos);
		} else {
			while (stop < end && !map_find(&n->map, stop / VCHUNK))
				stop += VCHUNK;
			stop = stop < end ? stop : end;
			rc = read_base(n, p, stop - pos, pos);
			if (rc < 0)
				return rc;
		}
		p += stop - pos;
		pos = stop;
	}
	*got = end - off;
	return 0;
}

/* The chunk k, made from the current view if new. */
static int chunk_get(struct vnode *n, uint64_t k, struct vchunk **out)
{
	struct vchunk *c = map_find(&n->map, k);
	uint64_t base = k * VCHUNK;
	size_t len = 0;
	int rc;

	if (c) {
		*out = c;
		return 0;
	}
	if (map_grow(&n->map) < 0 || !(c = malloc(sizeof(*c))))
		return EXO_ENOMEM;
	c->idx = k;
	if (base < n->size)
		len = n->size - base < VCHUNK ? n->size - base : VCHUNK;
	rc = read_base(n, c->data, len, base);
	if (rc < 0) {
		free(c);
		return rc;
	}
	memset(c->data + len, 0, VCHUNK - len);
	map_put(&n->map, c);
	*out = c;
	return 0;
}

int vnode_write(struct vnode *n, const void *buf, size_t amt, uint64_t off)
{
	const uint8_t *p = buf;
	uint64_t pos, end = off + amt;
	int rc;

	for (pos = off; pos < end;) {
		uint64_t k = pos / VCHUNK, stop = (k + 1) * VCHUNK;
		struct vchunk *c;

		rc = chunk_get(n, k, &c);
		if (rc < 0)
			return rc;
		stop = stop < end ? stop : end;
		memcpy(c->data + (pos - k * VCHUNK), p, stop - pos);
		p += stop - pos;
		pos = stop;
	}
	if (end > n->size)
		n->size = end;
	n->dirty = 1;
	return 0;
}

int vnode_truncate(struct vnode *n, uint64_t size)
{
	struct vchunk *c;

	if (size < n->size) {
		map_cut(&n->map, (size + VCHUNK - 1) / VCHUNK);
		c = map_find(&n->map, size / VCHUNK);
		if (c)
			memset(c->data + size % VCHUNK, 0,
			       VCHUNK - size % VCHUNK);
		if (n->keep > size)
			n->keep = size;
	}
	if (size != n->size)
		n->dirty = 1;
	n->size = size;
	return 0;
}

/* The file comes into existence, empty. */
void vnode_create(struct vnode *n)
{
	n->exists = 1;
	n->size = n->keep = 0;
	n->dirty = 1;
}

void vnode_delete(struct vnode *n)
{
	map_free(&n->map);
	if (n->committed)
		n->recreate = 1;
	n->exists = 0;
	n->size = n->keep = 0;
	n->dirty = 1;
}

/* ---- commit ---- */

static int apply_chunks(struct vnode *n, struct dtx *t, struct obj *o,
			uint64_t *sz)
{
	struct vchunk **v;
	size_t i;
	int rc;

	rc = map_sorted(&n->map, &v);
	if (rc < 0)
		return rc;
	for (i = 0; rc == 0 && i < n->map.n; i++) {
		uint64_t base = v[i]->idx * VCHUNK;
		size_t len = n->size - base < VCHUNK ? n->size - base : VCHUNK;

		rc = obj_write(t, o, base, v[i]->data, len);
		if (base + len > *sz)
			*sz = base + len;
	}
	free(v);
	return rc;
}

/* Write n's pending changes into t. */
int vnode_apply(struct vnode *n, struct dtx *t)
{
	struct obj *o = n->obj;
	uint64_t sz = n->csize;
	int rc;

	if (n->recreate && n->committed) {
		rc = obj_delete(t, n->name);
		if (rc < 0)
			return rc;
	}
	if (!n->exists)
		return 0;
	if (n->recreate || !n->committed) {
		rc = obj_create(t, n->name, &n->newobj);
		if (rc < 0)
			return rc;
		o = n->newobj;
		sz = 0;
	} else if (n->keep < sz) {
		rc = obj_truncate(t, o, n->keep);
		if (rc < 0)
			return rc;
		sz = n->keep;
	}
	rc = apply_chunks(n, t, o, &sz);
	if (rc == 0 && sz != n->size)
		rc = obj_truncate(t, o, n->size);
	return rc;
}

/* The transaction failed: forget what apply made. */
void vnode_unapply(struct vnode *n)
{
	if (n->newobj)
		obj_close(n->newobj);
	n->newobj = NULL;
}

/* The transaction committed: the object now is the view. */
void vnode_committed(struct vnode *n)
{
	if (n->newobj || !n->exists) {
		if (n->obj)
			obj_close(n->obj);
		n->obj = n->newobj;
		n->newobj = NULL;
	}
	n->committed = n->exists;
	n->recreate = 0;
	n->csize = n->keep = n->size;
	map_free(&n->map);
	n->dirty = 0;
}

/* Drop every pending change: the view is the committed object again. */
void vnode_revert(struct vnode *n)
{
	map_free(&n->map);
	n->exists = n->committed;
	n->recreate = 0;
	n->size = n->keep = n->csize;
	n->dirty = 0;
}
