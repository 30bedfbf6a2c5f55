/*
 * sqlite_os.c: what SQLite, built for exokern with SQLITE_OS_OTHER and
 * SQLITE_MUTEX_APPDEF, asks of its host.
 *
 * sqlite3_os_init registers the default VFS, "exokern": the machine as
 * SQLite sees it without a file system: randomness, sleep and time, and
 * no files (xOpen says SQLITE_CANTOPEN).  Databases live in the exodb
 * VFS (sqlite-vfs/), as objects in a store on the disk: the program
 * registers it (exodb_vfs_register), and it takes those services from
 * the default VFS it finds then, "exokern".  The
 * mutexes are uthread.h's, made recursive where SQLite asks: a mutex
 * remembers its owner and how often that thread entered it.  The static
 * mutexes are a fixed table, one per SQLITE_MUTEX_STATIC_* type.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "ulib.h"
#include "uthread.h"

#define NSTATIC 16 /* more than the static mutex types SQLite has */

struct sqlite3_mutex {
	struct umutex m;
	struct uthread *owner;
	int count;
	int type;
};

static struct sqlite3_mutex statics[NSTATIC];

static int mx_init(void)
{
	for (int i = 0; i < NSTATIC; i++)
		umutex_init(&statics[i].m);
	return SQLITE_OK;
}

static int mx_end(void)
{
	return SQLITE_OK;
}

static sqlite3_mutex *mx_alloc(int type)
{
	sqlite3_mutex *x;

	if (type > SQLITE_MUTEX_RECURSIVE) {
		if (type - 2 >= NSTATIC)
			return NULL;
		return &statics[type - 2];
	}
	x = calloc(1, sizeof(*x));
	if (x) {
		umutex_init(&x->m);
		x->type = type;
	}
	return x;
}

static void mx_free(sqlite3_mutex *x)
{
	if (x < statics || x >= statics + NSTATIC)
		free(x);
}

static void mx_enter(sqlite3_mutex *x)
{
	if (x->owner == uthread_self()) {
		x->count++;
		return;
	}
	umutex_lock(&x->m);
	x->owner = uthread_self();
	x->count = 1;
}

static int mx_try(sqlite3_mutex *x)
{
	if (x->owner && x->owner != uthread_self())
		return SQLITE_BUSY;
	mx_enter(x);
	return SQLITE_OK;
}

static void mx_leave(sqlite3_mutex *x)
{
	if (--x->count == 0) {
		x->owner = NULL;
		umutex_unlock(&x->m);
	}
}

static int mx_held(sqlite3_mutex *x)
{
	return !x || x->owner == uthread_self();
}

static int mx_notheld(sqlite3_mutex *x)
{
	return !x || x->owner != uthread_self();
}

static const sqlite3_mutex_methods mutex_methods = {
	mx_init, mx_end,   mx_alloc, mx_free,    mx_enter,
	mx_try,  mx_leave, mx_held,  mx_notheld,
};

const sqlite3_mutex_methods *sqlite3DefaultMutex(void);
const sqlite3_mutex_methods *sqlite3DefaultMutex(void)
{
	return &mutex_methods;
}

/* ---- the "exokern" VFS ---- */

static int ev_open(sqlite3_vfs *v, const char *name, sqlite3_file *f,
		   int flags, int *out)
{
	(void)v, (void)name, (void)flags, (void)out;
	f->pMethods = NULL;
	return SQLITE_CANTOPEN;
}

static int ev_delete(sqlite3_vfs *v, const char *name, int sync)
{
	(void)v, (void)name, (void)sync;
	return SQLITE_IOERR_DELETE_NOENT;
}

static int ev_access(sqlite3_vfs *v, const char *name, int flags, int *res)
{
	(void)v, (void)name, (void)flags;
	*res = 0;
	return SQLITE_OK;
}

static int ev_fullpath(sqlite3_vfs *v, const char *name, int n, char *out)
{
	(void)v;
	if ((int)strlen(name) >= n)
		return SQLITE_CANTOPEN;
	strcpy(out, name);
	return SQLITE_OK;
}

static void *ev_dlopen(sqlite3_vfs *v, const char *name)
{
	(void)v, (void)name;
	return NULL;
}

static void ev_dlerror(sqlite3_vfs *v, int n, char *msg)
{
	(void)v;
	snprintf(msg, (size_t)n, "no shared libraries on exokern");
}

static void (*ev_dlsym(sqlite3_vfs *v, void *h, const char *sym))(void)
{
	(void)v, (void)h, (void)sym;
	return NULL;
}

static void ev_dlclose(sqlite3_vfs *v, void *h)
{
	(void)v, (void)h;
}

/* Bytes of the TSC, stirred (SQLite wants unpredictable, not secret). */
static int ev_random(sqlite3_vfs *v, int n, char *out)
{
	uint64_t x = rdtsc() ^ 0x9e3779b97f4a7c15ull;

	(void)v;
	for (int i = 0; i < n; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		out[i] = (char)(x >> 24);
	}
	return n;
}

static int ev_sleep(sqlite3_vfs *v, int us)
{
	(void)v;
	uthread_sleep_ns((uint64_t)us * 1000u);
	return us;
}

/* Milliseconds since the Julian epoch, as SQLite counts time. */
static int ev_time64(sqlite3_vfs *v, sqlite3_int64 *t)
{
	struct timespec ts;

	(void)v;
	clock_gettime(CLOCK_REALTIME, &ts);
	*t = 210866760000000ll + (sqlite3_int64)ts.tv_sec * 1000 +
	     ts.tv_nsec / 1000000;
	return SQLITE_OK;
}

static int ev_time(sqlite3_vfs *v, double *t)
{
	sqlite3_int64 ms;

	ev_time64(v, &ms);
	*t = (double)ms / 86400000.0;
	return SQLITE_OK;
}

static int ev_lasterror(sqlite3_vfs *v, int n, char *msg)
{
	(void)v, (void)n, (void)msg;
	return 0;
}

static sqlite3_vfs exokern_vfs = {
	.iVersion = 2,
	.szOsFile = sizeof(sqlite3_file),
	.mxPathname = 512,
	.zName = "exokern",
	.xOpen = ev_open,
	.xDelete = ev_delete,
	.xAccess = ev_access,
	.xFullPathname = ev_fullpath,
	.xDlOpen = ev_dlopen,
	.xDlError = ev_dlerror,
	.xDlSym = ev_dlsym,
	.xDlClose = ev_dlclose,
	.xRandomness = ev_random,
	.xSleep = ev_sleep,
	.xCurrentTime = ev_time,
	.xGetLastError = ev_lasterror,
	.xCurrentTimeInt64 = ev_time64,
};

int sqlite3_os_init(void)
{
	return sqlite3_vfs_register(&exokern_vfs, 1);
}

int sqlite3_os_end(void)
{
	return SQLITE_OK;
}
