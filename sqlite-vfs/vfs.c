/*
 * vfs.c: the "exodb" sqlite3_vfs (exodb_vfs.h tells how to use it).
 *
 * A sqlite3_file (struct vfile) is a handle on a vnode (vnode.c): an
 * object of a store, or a memory-only temporary file.  Reads and writes go
 * to the vnode under the store's mutex; xSync commits the store's pending
 * writes as one transaction (vstore.c).  When the pending writes outgrow
 * what one transaction may hold, a write commits them early, as an
 * operating system writes back dirty pages.
 *
 * Batch-atomic writes.  Between SQLITE_FCNTL_BEGIN_ATOMIC_WRITE and
 * COMMIT_ATOMIC_WRITE, writes and truncates are kept aside in the handle
 * (struct vbatch).  COMMIT commits the store's other pending writes, then
 * applies the batch and commits it alone: one transaction, one log
 * record; if that fails, the vnode goes back to the committed object and
 * SQLite gets SQLITE_IOERR_WRITE (it then falls back to its rollback
 * journal) or SQLITE_FULL.  ROLLBACK_ATOMIC_WRITE drops the batch.  A
 * batch larger than one transaction may hold fails its xWrite with
 * SQLITE_IOERR_WRITE, which sends SQLite to the journal too.
 *
 * Everything SQLite asks of the system besides files (randomness, time,
 * sleeping, loading extensions) goes to the VFS that was the default when
 * exodb registered.
 */
#include <stdlib.h>
#include <string.h>

#include "exodb_vfs.h"
#include "vfs_int.h"

/* One write (or, with trunc set, a truncate) of a batch. */
struct vrec {
	struct vrec *next;
	uint64_t off; /* or the new size */
	size_t len;
	int trunc;
	uint8_t data[];
};

struct vbatch {
	struct vrec *head, **tail;
	size_t bytes;
};

struct vfile {
	sqlite3_file base;
	struct vnode *node;
	int flags;            /* SQLITE_OPEN_* */
	int lock;             /* this handle's SQLITE_LOCK_* */
	struct vshmconn shm;
	struct vbatch *batch; /* inside an atomic write */
};

static sqlite3_vfs *parent(sqlite3_vfs *vfs)
{
	return vfs->pAppData;
}

static void lock_vs(struct vfile *f)
{
	if (f->node->vs)
		pthread_mutex_lock(&f->node->vs->mu);
}

static void unlock_vs(struct vfile *f)
{
	if (f->node->vs)
		pthread_mutex_unlock(&f->node->vs->mu);
}

/* ---- batches ---- */

static void batch_free(struct vfile *f)
{
	struct vrec *r;

	if (!f->batch)
		return;
	while ((r = f->batch->head)) {
		f->batch->head = r->next;
		free(r);
	}
	free(f->batch);
	f->batch = NULL;
}

static int batch_add(struct vfile *f, const void *buf, size_t len,
		     uint64_t off, int trunc)
{
	struct vbatch *b = f->batch;
	struct vrec *r;

	if (b->bytes + len > f->node->vs->max_chunks * VCHUNK)
		return SQLITE_IOERR_WRITE;
	r = malloc(sizeof(*r) + len);
	if (!r)
		return SQLITE_IOERR_NOMEM;
	r->next = NULL;
	r->off = off;
	r->len = len;
	r->trunc = trunc;
	if (len)
		memcpy(r->data, buf, len);
	*b->tail = r;
	b->tail = &r->next;
	b->bytes += len;
	return SQLITE_OK;
}

/* The file's size as the batch leaves it. */
static uint64_t batch_size(struct vfile *f, uint64_t size)
{
	struct vrec *r;

	for (r = f->batch->head; r; r = r->next)
		if (r->trunc)
			size = r->off;
		else if (r->off + r->len > size)
			size = r->off + r->len;
	return size;
}

/* Lay the batch's records over buf, which holds [off, off+amt) as the
 * vnode has it (zeros past its end). */
static void batch_overlay(struct vfile *f, uint8_t *buf, size_t amt,
			  uint64_t off)
{
	uint64_t end = off + amt;
	struct vrec *r;

	for (r = f->batch->head; r; r = r->next) {
		uint64_t lo, hi;

		if (r->trunc) {
			if (r->off < end)
				memset(buf + (r->off > off ? r->off - off : 0),
				       0, end - (r->off > off ? r->off : off));
			continue;
		}
		lo = r->off > off ? r->off : off;
		hi = r->off + r->len < end ? r->off + r->len : end;
		if (lo < hi)
			memcpy(buf + (lo - off), r->data + (lo - r->off),
			       hi - lo);
	}
}

static int batch_apply(struct vfile *f)
{
	struct vrec *r;
	int rc = 0;

	for (r = f->batch->head; r && rc == 0; r = r->next)
		rc = r->trunc ? vnode_truncate(f->node, r->off)
			      : vnode_write(f->node, r->data, r->len, r->off);
	return rc;
}

/* Commit the batch as one transaction of its own (mutex held). */
static int batch_commit(struct vfile *f)
{
	struct vstore *vs = f->node->vs;
	int rc;

	rc = vstore_commit(vs);
	if (rc == 0) {
		rc = batch_apply(f);
		if (rc == 0)
			rc = vstore_commit(vs);
		if (rc < 0)
			vnode_revert(f->node);
	}
	return vfs_rc(rc, SQLITE_IOERR_WRITE);
}

static int file_control_batch(struct vfile *f, int op)
{
	int rc = SQLITE_OK;

	if (!f->node->vs)
		return SQLITE_NOTFOUND;
	switch (op) {
	case SQLITE_FCNTL_BEGIN_ATOMIC_WRITE:
		batch_free(f);
		f->batch = calloc(1, sizeof(*f->batch));
		if (!f->batch)
			return SQLITE_IOERR_NOMEM;
		f->batch->tail = &f->batch->head;
		return SQLITE_OK;
	case SQLITE_FCNTL_COMMIT_ATOMIC_WRITE:
		if (!f->batch)
			return SQLITE_MISUSE;
		lock_vs(f);
		rc = batch_commit(f);
		unlock_vs(f);
		batch_free(f);
		return rc;
	default: /* SQLITE_FCNTL_ROLLBACK_ATOMIC_WRITE */
		batch_free(f);
		return SQLITE_OK;
	}
}

/* ---- sqlite3_io_methods ---- */

static int x_close(sqlite3_file *file)
{
	struct vfile *f = (struct vfile *)file;
	struct vnode *n = f->node;
	struct vstore *vs = n->vs;

	batch_free(f);
	if (vs)
		pthread_mutex_lock(&vs->mu);
	vshm_unmap(n, &f->shm);
	vlock_unlock(n, &f->lock, SQLITE_LOCK_NONE);
	n->refs--;
	if (vs && (f->flags & SQLITE_OPEN_DELETEONCLOSE) && !n->refs)
		vnode_delete(n);
	vnode_release(n);
	if (vs) {
		pthread_mutex_unlock(&vs->mu);
		vstore_del_db(f);
		vstore_put(vs);
	}
	f->node = NULL;
	return SQLITE_OK;
}

static int x_read(sqlite3_file *file, void *buf, int amt, sqlite3_int64 off)
{
	struct vfile *f = (struct vfile *)file;
	size_t got = 0;
	int rc;

	if (amt < 0 || off < 0)
		return SQLITE_IOERR_READ;
	lock_vs(f);
	rc = vnode_read(f->node, buf, (size_t)amt, (uint64_t)off, &got);
	if (rc == 0 && f->batch) {
		memset((uint8_t *)buf + got, 0, (size_t)amt - got);
		batch_overlay(f, buf, (size_t)amt, (uint64_t)off);
		got = batch_size(f, f->node->size);
		got = got <= (uint64_t)off ? 0
		      : got - (uint64_t)off < (uint64_t)amt
			      ? got - (uint64_t)off : (size_t)amt;
	}
	unlock_vs(f);
	if (rc < 0)
		return vfs_rc(rc, SQLITE_IOERR_READ);
	if (got < (size_t)amt) {
		memset((uint8_t *)buf + got, 0, (size_t)amt - got);
		return SQLITE_IOERR_SHORT_READ;
	}
	return SQLITE_OK;
}

static int x_write(sqlite3_file *file, const void *buf, int amt,
		   sqlite3_int64 off)
{
	struct vfile *f = (struct vfile *)file;
	struct vstore *vs = f->node->vs;
	int rc;

	if (amt < 0 || off < 0)
		return SQLITE_IOERR_WRITE;
	if (f->batch)
		return batch_add(f, buf, (size_t)amt, (uint64_t)off, 0);
	lock_vs(f);
	rc = vnode_write(f->node, buf, (size_t)amt, (uint64_t)off);
	if (rc == 0 && vs && vstore_pending(vs) > vs->max_chunks)
		rc = vstore_commit(vs);
	unlock_vs(f);
	return vfs_rc(rc, SQLITE_IOERR_WRITE);
}

static int x_truncate(sqlite3_file *file, sqlite3_int64 size)
{
	struct vfile *f = (struct vfile *)file;
	int rc;

	if (size < 0)
		return SQLITE_IOERR_TRUNCATE;
	if (f->batch)
		return batch_add(f, NULL, 0, (uint64_t)size, 1);
	lock_vs(f);
	rc = vnode_truncate(f->node, (uint64_t)size);
	unlock_vs(f);
	return vfs_rc(rc, SQLITE_IOERR_TRUNCATE);
}

static int x_sync(sqlite3_file *file, int flags)
{
	struct vfile *f = (struct vfile *)file;
	int rc = 0;

	(void)flags;
	if (!f->node->vs)
		return SQLITE_OK;
	lock_vs(f);
	rc = vstore_commit(f->node->vs);
	unlock_vs(f);
	return vfs_rc(rc, SQLITE_IOERR_FSYNC);
}

static int x_file_size(sqlite3_file *file, sqlite3_int64 *size)
{
	struct vfile *f = (struct vfile *)file;
	uint64_t sz;

	lock_vs(f);
	sz = f->node->size;
	if (f->batch)
		sz = batch_size(f, sz);
	unlock_vs(f);
	*size = (sqlite3_int64)sz;
	return SQLITE_OK;
}

static int x_lock(sqlite3_file *file, int level)
{
	struct vfile *f = (struct vfile *)file;
	int rc;

	lock_vs(f);
	rc = vlock_lock(f->node, &f->lock, level);
	unlock_vs(f);
	return rc;
}

static int x_unlock(sqlite3_file *file, int level)
{
	struct vfile *f = (struct vfile *)file;
	int rc;

	lock_vs(f);
	rc = vlock_unlock(f->node, &f->lock, level);
	unlock_vs(f);
	return rc;
}

static int x_check_reserved(sqlite3_file *file, int *out)
{
	struct vfile *f = (struct vfile *)file;

	lock_vs(f);
	*out = vlock_reserved(f->node);
	unlock_vs(f);
	return SQLITE_OK;
}

static int x_file_control(sqlite3_file *file, int op, void *arg)
{
	struct vfile *f = (struct vfile *)file;

	switch (op) {
	case SQLITE_FCNTL_BEGIN_ATOMIC_WRITE:
	case SQLITE_FCNTL_COMMIT_ATOMIC_WRITE:
	case SQLITE_FCNTL_ROLLBACK_ATOMIC_WRITE:
		return file_control_batch(f, op);
	case SQLITE_FCNTL_VFSNAME:
		*(char **)arg = sqlite3_mprintf("%s", EXODB_VFS_NAME);
		return SQLITE_OK;
	case SQLITE_FCNTL_LOCKSTATE:
		*(int *)arg = f->lock;
		return SQLITE_OK;
	case SQLITE_FCNTL_HAS_MOVED:
		*(int *)arg = !f->node->exists;
		return SQLITE_OK;
	case SQLITE_FCNTL_SIZE_HINT:
	case SQLITE_FCNTL_CHUNK_SIZE:
		return SQLITE_OK;
	default:
		return SQLITE_NOTFOUND;
	}
}

static int x_sector_size(sqlite3_file *file)
{
	(void)file;
	return 4096;
}

static int x_device_chars(sqlite3_file *file)
{
	struct vfile *f = (struct vfile *)file;
	int dc = SQLITE_IOCAP_POWERSAFE_OVERWRITE | SQLITE_IOCAP_SAFE_APPEND |
		 SQLITE_IOCAP_SEQUENTIAL;

	return f->node->vs ? dc | SQLITE_IOCAP_BATCH_ATOMIC : dc;
}

static int x_shm_map(sqlite3_file *file, int region, int size, int extend,
		     void volatile **pp)
{
	struct vfile *f = (struct vfile *)file;
	int rc;

	lock_vs(f);
	rc = vshm_map(f->node, &f->shm, region, size, extend, pp);
	unlock_vs(f);
	return rc;
}

static int x_shm_lock(sqlite3_file *file, int ofst, int n, int flags)
{
	struct vfile *f = (struct vfile *)file;
	int rc;

	lock_vs(f);
	rc = vshm_lock(f->node, &f->shm, ofst, n, flags);
	unlock_vs(f);
	return rc;
}

static void x_shm_barrier(sqlite3_file *file)
{
	struct vfile *f = (struct vfile *)file;

	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	lock_vs(f);
	unlock_vs(f);
}

static int x_shm_unmap(sqlite3_file *file, int delete_flag)
{
	struct vfile *f = (struct vfile *)file;

	(void)delete_flag;
	lock_vs(f);
	vshm_unmap(f->node, &f->shm);
	unlock_vs(f);
	return SQLITE_OK;
}

static const sqlite3_io_methods io_methods = {
	.iVersion = 2,
	.xClose = x_close,
	.xRead = x_read,
	.xWrite = x_write,
	.xTruncate = x_truncate,
	.xSync = x_sync,
	.xFileSize = x_file_size,
	.xLock = x_lock,
	.xUnlock = x_unlock,
	.xCheckReservedLock = x_check_reserved,
	.xFileControl = x_file_control,
	.xSectorSize = x_sector_size,
	.xDeviceCharacteristics = x_device_chars,
	.xShmMap = x_shm_map,
	.xShmLock = x_shm_lock,
	.xShmBarrier = x_shm_barrier,
	.xShmUnmap = x_shm_unmap,
};

/* ---- sqlite3_vfs ---- */

static int memory_only(const char *name, int flags)
{
	return !name || (flags & (SQLITE_OPEN_TEMP_DB |
				  SQLITE_OPEN_TEMP_JOURNAL |
				  SQLITE_OPEN_TRANSIENT_DB |
				  SQLITE_OPEN_SUBJOURNAL));
}

/* The store of a file being opened, with a reference. */
static int store_of(const char *name, int flags, struct vstore **vs)
{
	struct vconf c;
	int rc;

	if (flags & SQLITE_OPEN_MAIN_DB) {
		rc = vconf_from_uri(name, &c);
		return rc == SQLITE_OK ? vstore_get(&c, vs) : rc;
	}
	*vs = vstore_for_name(name);
	return *vs ? SQLITE_OK : SQLITE_CANTOPEN;
}

/* Find or create the object (mutex held). */
static int open_node(struct vstore *vs, const char *name, int flags,
		     struct vnode **out)
{
	struct vnode *n;
	int rc;

	if (strlen(name) > OBJ_NAME_MAX)
		return SQLITE_CANTOPEN;
	rc = vnode_get(vs, name, &n);
	if (rc < 0)
		return vfs_rc(rc, SQLITE_IOERR);
	if (n->exists && (flags & SQLITE_OPEN_EXCLUSIVE) &&
	    (flags & SQLITE_OPEN_CREATE))
		rc = SQLITE_CANTOPEN;
	else if (!n->exists && !(flags & SQLITE_OPEN_CREATE))
		rc = SQLITE_CANTOPEN;
	else if (!n->exists)
		vnode_create(n);
	if (rc != SQLITE_OK) {
		vnode_release(n);
		return rc;
	}
	n->refs++;
	*out = n;
	return SQLITE_OK;
}

static int x_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *file,
		  int flags, int *out_flags)
{
	struct vfile *f = (struct vfile *)file;
	struct vstore *vs;
	int rc;

	(void)vfs;
	memset(f, 0, sizeof(*f));
	if (memory_only(name, flags)) {
		f->node = vnode_mem();
		if (!f->node)
			return SQLITE_NOMEM;
		f->node->refs = 1;
	} else {
		rc = store_of(name, flags, &vs);
		if (rc != SQLITE_OK)
			return rc;
		pthread_mutex_lock(&vs->mu);
		rc = open_node(vs, name, flags, &f->node);
		pthread_mutex_unlock(&vs->mu);
		if (rc != SQLITE_OK) {
			vstore_put(vs);
			return rc;
		}
		if (flags & SQLITE_OPEN_MAIN_DB)
			vstore_add_db(f, name, sqlite3_filename_journal(name),
				      sqlite3_filename_wal(name), vs);
	}
	f->flags = flags;
	f->base.pMethods = &io_methods;
	if (out_flags)
		*out_flags = flags;
	return SQLITE_OK;
}

/* The deletion is durable on return, whatever sync_dir says: SQLite in
 * journal_mode=DELETE acknowledges a commit once the journal is deleted,
 * and a journal that came back after a power cut would roll it back. */
static int x_delete(sqlite3_vfs *vfs, const char *name, int sync_dir)
{
	struct vstore *vs = vstore_for_name(name);
	struct vnode *n;
	int rc;

	(void)vfs;
	(void)sync_dir;
	if (!vs)
		return SQLITE_IOERR_DELETE_NOENT;
	pthread_mutex_lock(&vs->mu);
	rc = vnode_get(vs, name, &n);
	if (rc == 0 && !n->exists) {
		vnode_release(n);
		rc = 1;
	} else if (rc == 0) {
		vnode_delete(n);
		rc = vstore_commit(vs);
	}
	pthread_mutex_unlock(&vs->mu);
	vstore_put(vs);
	if (rc == 1)
		return SQLITE_IOERR_DELETE_NOENT;
	return vfs_rc(rc, SQLITE_IOERR_DELETE);
}

static int x_access(sqlite3_vfs *vfs, const char *name, int flags, int *out)
{
	struct vstore *vs = vstore_for_name(name);
	struct vnode *n;
	int rc;

	(void)vfs;
	*out = 0;
	if (!vs)
		return SQLITE_OK;
	pthread_mutex_lock(&vs->mu);
	rc = vnode_get(vs, name, &n);
	if (rc == 0) {
		*out = flags == SQLITE_ACCESS_EXISTS ? n->exists && n->size > 0
						     : n->exists;
		vnode_release(n);
	}
	pthread_mutex_unlock(&vs->mu);
	vstore_put(vs);
	return vfs_rc(rc, SQLITE_IOERR_ACCESS);
}

/* Names are paths inside the store, not relative to the working
 * directory: "./a//b/../c.db" is "a/c.db"; a leading '/' stays. */
static int x_full_pathname(sqlite3_vfs *vfs, const char *name, int nout,
			   char *out)
{
	const char *p = name, *e;
	int len = 0, n;

	(void)vfs;
	if ((int)strlen(name) >= nout)
		return SQLITE_CANTOPEN;
	if (*p == '/')
		out[len++] = '/';
	for (; *p; p = *e ? e + 1 : e) {
		e = strchrnul(p, '/');
		n = (int)(e - p);
		if (n == 0 || (n == 1 && p[0] == '.'))
			continue;
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			while (len > 0 && out[len - 1] == '/' && len > 1)
				len--;
			while (len > 0 && out[len - 1] != '/')
				len--;
			continue;
		}
		if (len > 0 && out[len - 1] != '/')
			out[len++] = '/';
		memcpy(out + len, p, (size_t)n);
		len += n;
	}
	out[len] = 0;
	return len ? SQLITE_OK : SQLITE_CANTOPEN;
}

static void *x_dlopen(sqlite3_vfs *vfs, const char *name)
{
	return parent(vfs)->xDlOpen(parent(vfs), name);
}

static void x_dlerror(sqlite3_vfs *vfs, int n, char *msg)
{
	parent(vfs)->xDlError(parent(vfs), n, msg);
}

static void (*x_dlsym(sqlite3_vfs *vfs, void *h, const char *sym))(void)
{
	return parent(vfs)->xDlSym(parent(vfs), h, sym);
}

static void x_dlclose(sqlite3_vfs *vfs, void *h)
{
	parent(vfs)->xDlClose(parent(vfs), h);
}

static int x_randomness(sqlite3_vfs *vfs, int n, char *out)
{
	return parent(vfs)->xRandomness(parent(vfs), n, out);
}

static int x_sleep(sqlite3_vfs *vfs, int us)
{
	return parent(vfs)->xSleep(parent(vfs), us);
}

static int x_current_time(sqlite3_vfs *vfs, double *t)
{
	return parent(vfs)->xCurrentTime(parent(vfs), t);
}

static int x_last_error(sqlite3_vfs *vfs, int n, char *msg)
{
	(void)vfs;
	if (n > 0)
		msg[0] = 0;
	return 0;
}

static int x_current_time64(sqlite3_vfs *vfs, sqlite3_int64 *t)
{
	sqlite3_vfs *p = parent(vfs);
	double d;
	int rc;

	if (p->iVersion >= 2 && p->xCurrentTimeInt64)
		return p->xCurrentTimeInt64(p, t);
	rc = p->xCurrentTime(p, &d);
	*t = (sqlite3_int64)(d * 86400000.0);
	return rc;
}

static sqlite3_vfs exodb_vfs = {
	.iVersion = 2,
	.szOsFile = sizeof(struct vfile),
	.mxPathname = 512,
	.zName = EXODB_VFS_NAME,
	.xOpen = x_open,
	.xDelete = x_delete,
	.xAccess = x_access,
	.xFullPathname = x_full_pathname,
	.xDlOpen = x_dlopen,
	.xDlError = x_dlerror,
	.xDlSym = x_dlsym,
	.xDlClose = x_dlclose,
	.xRandomness = x_randomness,
	.xSleep = x_sleep,
	.xCurrentTime = x_current_time,
	.xGetLastError = x_last_error,
	.xCurrentTimeInt64 = x_current_time64,
};

int exodb_vfs_register(int make_default)
{
	sqlite3_vfs *p;

	if (!exodb_vfs.pAppData) {
		p = sqlite3_vfs_find(NULL);
		if (!p || p == &exodb_vfs)
			return SQLITE_ERROR;
		exodb_vfs.pAppData = p;
	}
	return sqlite3_vfs_register(&exodb_vfs, make_default);
}
