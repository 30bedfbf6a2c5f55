/*
 * txn.c: transactions, and get, put and del.
 *
 * A read-write exodb transaction is exactly one dblibos transaction
 * (dtx_begin takes the store's writer mutex; dtx_commit appends one log
 * record, installs it, releases the mutex and only then waits for the
 * flush, so concurrent committers share flushes).  The engine hangs its
 * per-transaction state in the dtx's ENGINE slot: its install hook runs
 * under the install lock, where the transaction's tree handles change
 * state and, if it freed pages, the store's free epoch moves (cursors of
 * readers then stop trusting cached positions, see cursor.c).
 *
 * A read-only transaction is only a handle: each call opens its own read
 * section (pg.c), so it sees committed data as of that call.
 */
#include <stdlib.h>
#include <string.h>

#include "engine.h"

static void txn_install(struct dtx *d, void *state, lsn_t lsn)
{
	struct exodb_txn *t = state;

	(void)d;
	(void)lsn;
	t->installed = 1;
	if (t->freed)
		atomic_fetch_add(&t->db->free_epoch, 1);
	tree_settle(t, 1);
}

static const struct dtx_ops engine_ops = {
	.install = txn_install,
};

static void txn_free(struct exodb_txn *t)
{
	cursor_free_all(t);
	free(t->buf);
	free(t);
}

int exodb_txn_begin(struct exodb *db, unsigned flags, struct exodb_txn **out)
{
	struct exodb_txn *t;
	int rc;

	if (!db || !out || (flags & ~EXODB_RDONLY))
		return EXO_EINVAL;
	if (!(flags & EXODB_RDONLY) && db->read_only)
		return EXODB_READONLY;
	t = calloc(1, sizeof(*t));
	if (!t)
		return EXO_ENOMEM;
	t->db = db;
	if (!(flags & EXODB_RDONLY)) {
		rc = dtx_begin(db->s, &t->dtx);
		if (rc < 0) {
			free(t);
			return rc;
		}
		dtx_set_slot(t->dtx, DTX_SLOT_ENGINE, t, &engine_ops);
	}
	*out = t;
	return 0;
}

int exodb_txn_commit(struct exodb_txn *t)
{
	int rc;

	if (!t)
		return EXO_EINVAL;
	if (!t->dtx) {
		txn_free(t);
		return 0;
	}
	if (t->failed) {
		exodb_txn_abort(t);
		return EXODB_BAD_TXN;
	}
	cursor_free_all(t);
	rc = dtx_commit(t->dtx, NULL);
	t->dtx = NULL;
	if (!t->installed) {
		tree_settle(t, 0);
		if (rc == EXO_ENOSPC) /* the record is too big for the log */
			rc = EXODB_TXN_FULL;
	}
	txn_free(t);
	return rc;
}

void exodb_txn_abort(struct exodb_txn *t)
{
	if (!t)
		return;
	cursor_free_all(t);
	if (t->dtx) {
		dtx_abort(t->dtx);
		t->dtx = NULL;
		tree_settle(t, 0);
	}
	txn_free(t);
}

/* ---- get, put, del ---- */

static int check_val(const struct exodb_val *v, size_t min, size_t max)
{
	if (!v || (!v->data && v->size))
		return EXO_EINVAL;
	if (v->size < min || v->size > max)
		return EXODB_BAD_VALSIZE;
	return 0;
}

int exodb_get(struct exodb_txn *t, struct exodb_tree *tree,
	      const struct exodb_val *key, struct exodb_val *val)
{
	size_t vlen = 0;
	int rc;

	if (!t || !val)
		return EXO_EINVAL;
	rc = check_val(key, 1, EXODB_MAXKEYSIZE);
	if (rc < 0)
		return rc;
	rd_begin(t);
	rc = tree_usable(t, tree);
	if (rc == 0)
		rc = bt_get(t, tree->root, key->data, key->size, &t->buf,
			    &t->bufcap, &vlen);
	rd_end(t);
	if (rc < 0)
		return rc;
	val->data = t->buf;
	val->size = vlen;
	return 0;
}

/* Checks shared by put and del. */
static int write_ok(struct exodb_txn *t, struct exodb_tree *tree,
		    const struct exodb_val *key)
{
	int rc;

	if (!t)
		return EXO_EINVAL;
	if (!t->dtx)
		return EXODB_READONLY;
	rc = check_val(key, 1, EXODB_MAXKEYSIZE);
	return rc < 0 ? rc : tree_usable(t, tree);
}

int exodb_put(struct exodb_txn *t, struct exodb_tree *tree,
	      const struct exodb_val *key, const struct exodb_val *val,
	      unsigned flags)
{
	int rc;

	if (flags & ~(EXODB_NOOVERWRITE | EXODB_APPEND))
		return EXO_EINVAL;
	rc = write_ok(t, tree, key);
	if (rc == 0)
		rc = check_val(val, 0, EXODB_MAXVALSIZE);
	if (rc == 0)
		rc = bt_put(t, tree->root, key->data, key->size, val->data,
			    val->size, flags);
	if (rc == 0)
		t->mods++;
	return rc;
}

int exodb_del(struct exodb_txn *t, struct exodb_tree *tree,
	      const struct exodb_val *key)
{
	int rc = write_ok(t, tree, key);

	if (rc == 0)
		rc = bt_del(t, tree->root, key->data, key->size);
	if (rc == 0)
		t->mods++;
	return rc;
}
