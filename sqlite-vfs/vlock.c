/*
 * vlock.c: SQLite's file locks and WAL shared memory, in process memory.
 *
 * File locks follow SQLite's contract (sqlite3.h, os_unix.c) between the
 * connections of one process: a vnode records the strongest lock held on
 * it (n->lock) and how many handles hold at least SHARED (n->nshared);
 * each handle records its own level.  SHARED is shared, RESERVED has one
 * holder among the readers, PENDING keeps new readers out while its holder
 * waits for the others to leave, EXCLUSIVE has no other holder.  Another
 * process cannot open the store at all (the disk is attached), so nothing
 * needs to be locked across processes.
 *
 * Shared memory (the WAL index) is a list of heap regions per vnode, kept
 * while a handle maps it, with SQLITE_SHM_NLOCK lock slots: each slot has
 * a count of shared holders and an exclusive flag; a handle keeps bit
 * masks of the slots it holds.
 *
 * Callers hold the store's mutex.
 */
#include <stdlib.h>
#include <string.h>

#include "vfs_int.h"

struct vshm {
	void **region;
	int nregion, szregion;
	int nshared[SQLITE_SHM_NLOCK];
	int excl[SQLITE_SHM_NLOCK];
	int refs; /* handles mapping it */
};

/* ---- file locks ---- */

int vlock_lock(struct vnode *n, int *mine, int want)
{
	if (*mine >= want)
		return SQLITE_OK;
	if (*mine != n->lock &&
	    (n->lock >= SQLITE_LOCK_PENDING || want > SQLITE_LOCK_SHARED))
		return SQLITE_BUSY;
	if (want == SQLITE_LOCK_SHARED) {
		if (n->lock == SQLITE_LOCK_NONE)
			n->lock = SQLITE_LOCK_SHARED;
		n->nshared++;
		*mine = SQLITE_LOCK_SHARED;
		return SQLITE_OK;
	}
	if (want == SQLITE_LOCK_RESERVED) {
		n->lock = *mine = SQLITE_LOCK_RESERVED;
		return SQLITE_OK;
	}
	/* EXCLUSIVE (PENDING is only ever taken on the way there). */
	if (n->nshared > 1) {
		n->lock = *mine = SQLITE_LOCK_PENDING;
		return SQLITE_BUSY;
	}
	n->lock = *mine = SQLITE_LOCK_EXCLUSIVE;
	return SQLITE_OK;
}

int vlock_unlock(struct vnode *n, int *mine, int want)
{
	if (*mine <= want)
		return SQLITE_OK;
	if (*mine > SQLITE_LOCK_SHARED)
		n->lock = SQLITE_LOCK_SHARED;
	if (want == SQLITE_LOCK_NONE && --n->nshared == 0)
		n->lock = SQLITE_LOCK_NONE;
	*mine = want;
	return SQLITE_OK;
}

int vlock_reserved(struct vnode *n)
{
	return n->lock > SQLITE_LOCK_SHARED;
}

/* ---- shared memory ---- */

static int shm_grow(struct vshm *m, int region, int size)
{
	void **v;

	if (m->nregion && size != m->szregion)
		return SQLITE_IOERR_SHMSIZE;
	m->szregion = size;
	v = realloc(m->region, (size_t)(region + 1) * sizeof(*v));
	if (!v)
		return SQLITE_IOERR_NOMEM;
	m->region = v;
	while (m->nregion <= region) {
		v[m->nregion] = calloc(1, (size_t)size);
		if (!v[m->nregion])
			return SQLITE_IOERR_NOMEM;
		m->nregion++;
	}
	return SQLITE_OK;
}

int vshm_map(struct vnode *n, struct vshmconn *c, int region, int size,
	     int extend, void volatile **pp)
{
	int rc;

	*pp = NULL;
	if (region < 0 || size <= 0)
		return SQLITE_IOERR_SHMMAP;
	if (!n->shm && !(n->shm = calloc(1, sizeof(*n->shm))))
		return SQLITE_IOERR_NOMEM;
	if (!c->open) {
		c->open = 1;
		n->shm->refs++;
	}
	if (region >= n->shm->nregion) {
		if (!extend)
			return SQLITE_OK;
		rc = shm_grow(n->shm, region, size);
		if (rc != SQLITE_OK)
			return rc;
	}
	*pp = n->shm->region[region];
	return SQLITE_OK;
}

static int shm_take(struct vshm *m, struct vshmconn *c, uint16_t mask,
		    int exclusive)
{
	int i;

	for (i = 0; i < SQLITE_SHM_NLOCK; i++) {
		int mine = (c->shared >> i) & 1;

		if (!(mask & (1u << i)))
			continue;
		if (m->excl[i] && !((c->excl >> i) & 1))
			return SQLITE_BUSY;
		if (exclusive && m->nshared[i] - mine > 0)
			return SQLITE_BUSY;
	}
	for (i = 0; i < SQLITE_SHM_NLOCK; i++) {
		if (!(mask & (1u << i)))
			continue;
		if (exclusive) {
			m->excl[i] = 1;
		} else if (!((c->shared >> i) & 1)) {
			m->nshared[i]++;
		}
	}
	if (exclusive)
		c->excl |= mask;
	else
		c->shared |= mask;
	return SQLITE_OK;
}

static void shm_release(struct vshm *m, struct vshmconn *c, uint16_t mask)
{
	int i;

	for (i = 0; i < SQLITE_SHM_NLOCK; i++) {
		if (!(mask & (1u << i)))
			continue;
		if ((c->shared >> i) & 1)
			m->nshared[i]--;
		if ((c->excl >> i) & 1)
			m->excl[i] = 0;
	}
	c->shared &= (uint16_t)~mask;
	c->excl &= (uint16_t)~mask;
}

int vshm_lock(struct vnode *n, struct vshmconn *c, int ofst, int cnt,
	      int flags)
{
	uint16_t mask;

	if (!n->shm || !c->open || ofst < 0 || cnt < 1 ||
	    ofst + cnt > SQLITE_SHM_NLOCK)
		return SQLITE_IOERR_SHMLOCK;
	mask = (uint16_t)(((1u << cnt) - 1) << ofst);
	if (flags & SQLITE_SHM_UNLOCK) {
		shm_release(n->shm, c, mask);
		return SQLITE_OK;
	}
	return shm_take(n->shm, c, mask, !!(flags & SQLITE_SHM_EXCLUSIVE));
}

void vshm_unmap(struct vnode *n, struct vshmconn *c)
{
	struct vshm *m = n->shm;
	int i;

	if (!m || !c->open)
		return;
	shm_release(m, c, 0xffff);
	c->open = 0;
	if (--m->refs > 0)
		return;
	for (i = 0; i < m->nregion; i++)
		free(m->region[i]);
	free(m->region);
	free(m);
	n->shm = NULL;
}
