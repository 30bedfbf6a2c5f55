/*
 * sqlcount.c: a pass-through SQLite VFS that counts reads, writes and
 * syncs.
 *
 * sqlcount_register("unix", "count-unix") registers a VFS named
 * "count-unix" that forwards every call to "unix" and counts the xRead,
 * xWrite and xSync calls of the files it opens (all files: database,
 * WAL, journals).  Both SQLite engines of the benchmark run through one,
 * so their I/O is counted at the same place: what SQLite asks of its VFS.
 * The counters are per process (each engine runs in its own process).
 *
 * A counted file is a struct cfile followed by the real VFS's file; the
 * method table given to SQLite has the same version as the real file's,
 * so SQLite sees the same capabilities (shared memory for WAL, mmap).
 */
#include "sqlcount.h"

#include <sqlite3.h>
#include <stdatomic.h>
#include <string.h>

static _Atomic uint64_t n_reads, n_writes, n_syncs;

struct cfile {
	sqlite3_file base;
	sqlite3_file *real;
	uint64_t pad; /* keeps the real file 16-byte aligned */
};

#define REAL(f) (((struct cfile *)(f))->real)

static int c_close(sqlite3_file *f)
{
	return REAL(f)->pMethods->xClose(REAL(f));
}

static int c_read(sqlite3_file *f, void *buf, int n, sqlite3_int64 off)
{
	atomic_fetch_add_explicit(&n_reads, 1, memory_order_relaxed);
	return REAL(f)->pMethods->xRead(REAL(f), buf, n, off);
}

static int c_write(sqlite3_file *f, const void *buf, int n, sqlite3_int64 off)
{
	atomic_fetch_add_explicit(&n_writes, 1, memory_order_relaxed);
	return REAL(f)->pMethods->xWrite(REAL(f), buf, n, off);
}

static int c_truncate(sqlite3_file *f, sqlite3_int64 size)
{
	return REAL(f)->pMethods->xTruncate(REAL(f), size);
}

static int c_sync(sqlite3_file *f, int flags)
{
	atomic_fetch_add_explicit(&n_syncs, 1, memory_order_relaxed);
	return REAL(f)->pMethods->xSync(REAL(f), flags);
}

static int c_size(sqlite3_file *f, sqlite3_int64 *size)
{
	return REAL(f)->pMethods->xFileSize(REAL(f), size);
}

static int c_lock(sqlite3_file *f, int lock)
{
	return REAL(f)->pMethods->xLock(REAL(f), lock);
}

static int c_unlock(sqlite3_file *f, int lock)
{
	return REAL(f)->pMethods->xUnlock(REAL(f), lock);
}

static int c_reserved(sqlite3_file *f, int *out)
{
	return REAL(f)->pMethods->xCheckReservedLock(REAL(f), out);
}

static int c_fcntl(sqlite3_file *f, int op, void *arg)
{
	return REAL(f)->pMethods->xFileControl(REAL(f), op, arg);
}

static int c_sector(sqlite3_file *f)
{
	return REAL(f)->pMethods->xSectorSize(REAL(f));
}

static int c_devchar(sqlite3_file *f)
{
	return REAL(f)->pMethods->xDeviceCharacteristics(REAL(f));
}

static int c_shm_map(sqlite3_file *f, int pg, int pgsz, int extend,
		     void volatile **pp)
{
	return REAL(f)->pMethods->xShmMap(REAL(f), pg, pgsz, extend, pp);
}

static int c_shm_lock(sqlite3_file *f, int off, int n, int flags)
{
	return REAL(f)->pMethods->xShmLock(REAL(f), off, n, flags);
}

static void c_shm_barrier(sqlite3_file *f)
{
	REAL(f)->pMethods->xShmBarrier(REAL(f));
}

static int c_shm_unmap(sqlite3_file *f, int del)
{
	return REAL(f)->pMethods->xShmUnmap(REAL(f), del);
}

static int c_fetch(sqlite3_file *f, sqlite3_int64 off, int n, void **pp)
{
	return REAL(f)->pMethods->xFetch(REAL(f), off, n, pp);
}

static int c_unfetch(sqlite3_file *f, sqlite3_int64 off, void *p)
{
	return REAL(f)->pMethods->xUnfetch(REAL(f), off, p);
}

#define C_METHODS_V1                                                           \
	c_close, c_read, c_write, c_truncate, c_sync, c_size, c_lock,          \
		c_unlock, c_reserved, c_fcntl, c_sector, c_devchar
#define C_METHODS_V2 c_shm_map, c_shm_lock, c_shm_barrier, c_shm_unmap

/* By the real file's version: 1, 2, 3. */
static const sqlite3_io_methods c_methods[3] = {
	{1, C_METHODS_V1, NULL, NULL, NULL, NULL, NULL, NULL},
	{2, C_METHODS_V1, C_METHODS_V2, NULL, NULL},
	{3, C_METHODS_V1, C_METHODS_V2, c_fetch, c_unfetch},
};

#define BASE(v) ((sqlite3_vfs *)(v)->pAppData)

static int c_open(sqlite3_vfs *v, const char *name, sqlite3_file *f, int flags,
		  int *outflags)
{
	struct cfile *cf = (struct cfile *)f;
	int rc, ver;

	cf->real = (sqlite3_file *)(cf + 1);
	rc = BASE(v)->xOpen(BASE(v), name, cf->real, flags, outflags);
	if (!cf->real->pMethods) {
		cf->base.pMethods = NULL;
		return rc;
	}
	ver = cf->real->pMethods->iVersion;
	cf->base.pMethods = &c_methods[ver < 1 ? 0 : ver > 3 ? 2 : ver - 1];
	return rc;
}

static int c_delete(sqlite3_vfs *v, const char *name, int sync)
{
	return BASE(v)->xDelete(BASE(v), name, sync);
}

static int c_access(sqlite3_vfs *v, const char *name, int flags, int *out)
{
	return BASE(v)->xAccess(BASE(v), name, flags, out);
}

static int c_fullpath(sqlite3_vfs *v, const char *name, int n, char *out)
{
	return BASE(v)->xFullPathname(BASE(v), name, n, out);
}

static void *c_dlopen(sqlite3_vfs *v, const char *name)
{
	return BASE(v)->xDlOpen(BASE(v), name);
}

static void c_dlerror(sqlite3_vfs *v, int n, char *msg)
{
	BASE(v)->xDlError(BASE(v), n, msg);
}

static void (*c_dlsym(sqlite3_vfs *v, void *h, const char *sym))(void)
{
	return BASE(v)->xDlSym(BASE(v), h, sym);
}

static void c_dlclose(sqlite3_vfs *v, void *h)
{
	BASE(v)->xDlClose(BASE(v), h);
}

static int c_random(sqlite3_vfs *v, int n, char *out)
{
	return BASE(v)->xRandomness(BASE(v), n, out);
}

static int c_sleep(sqlite3_vfs *v, int us)
{
	return BASE(v)->xSleep(BASE(v), us);
}

static int c_time(sqlite3_vfs *v, double *out)
{
	return BASE(v)->xCurrentTime(BASE(v), out);
}

static int c_lasterr(sqlite3_vfs *v, int n, char *out)
{
	return BASE(v)->xGetLastError ? BASE(v)->xGetLastError(BASE(v), n, out)
				      : 0;
}

static int c_time64(sqlite3_vfs *v, sqlite3_int64 *out)
{
	double d;
	int rc;

	if (BASE(v)->iVersion >= 2 && BASE(v)->xCurrentTimeInt64)
		return BASE(v)->xCurrentTimeInt64(BASE(v), out);
	rc = BASE(v)->xCurrentTime(BASE(v), &d);
	*out = (sqlite3_int64)(d * 86400000.0);
	return rc;
}

#define SQLCOUNT_MAX 2

static sqlite3_vfs c_vfs[SQLCOUNT_MAX];
static char c_names[SQLCOUNT_MAX][32];

int sqlcount_register(const char *base, const char *name)
{
	sqlite3_vfs *real = sqlite3_vfs_find(base), *v;
	int i;

	if (sqlite3_vfs_find(name))
		return SQLITE_OK;
	if (!real)
		return SQLITE_ERROR;
	for (i = 0; i < SQLCOUNT_MAX && c_vfs[i].zName; i++)
		;
	if (i == SQLCOUNT_MAX || strlen(name) >= sizeof(c_names[i]))
		return SQLITE_FULL;
	strcpy(c_names[i], name);
	v = &c_vfs[i];
	*v = (sqlite3_vfs){
		.iVersion = 2,
		.szOsFile = (int)sizeof(struct cfile) + real->szOsFile,
		.mxPathname = real->mxPathname,
		.zName = c_names[i],
		.pAppData = real,
		.xOpen = c_open,
		.xDelete = c_delete,
		.xAccess = c_access,
		.xFullPathname = c_fullpath,
		.xDlOpen = real->xDlOpen ? c_dlopen : NULL,
		.xDlError = real->xDlError ? c_dlerror : NULL,
		.xDlSym = real->xDlSym ? c_dlsym : NULL,
		.xDlClose = real->xDlClose ? c_dlclose : NULL,
		.xRandomness = c_random,
		.xSleep = c_sleep,
		.xCurrentTime = c_time,
		.xGetLastError = c_lasterr,
		.xCurrentTimeInt64 = c_time64,
	};
	return sqlite3_vfs_register(v, 0);
}

void sqlcount_get(uint64_t *reads, uint64_t *writes, uint64_t *syncs)
{
	*reads = atomic_load(&n_reads);
	*writes = atomic_load(&n_writes);
	*syncs = atomic_load(&n_syncs);
}
