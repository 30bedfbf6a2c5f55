/*
 * vstore.c: the stores the VFS has open, and their commits.
 *
 * A process opens each (disk, store) once: vstore_get finds it in the
 * registry or opens it (creating and formatting a missing image file,
 * creating a missing store), and counts references; the last
 * vstore_put commits what is pending and closes the store.  Another
 * process holding the disk makes the open fail with SQLITE_BUSY.
 *
 * Names.  Only the main database is opened with URI parameters; its
 * journal, its WAL file and a super-journal are found by name through the
 * open main databases: first by pointer (SQLite passes the very journal
 * and WAL names it derived from the database's, sqlite3_filename_journal),
 * then by spelling ("DB-journal", "DB-wal", "DB-mj..."), then in the store
 * named by EXODB_VFS_DISK, then in the only open store.
 *
 * Commits.  vstore_commit writes the pending changes of every dirty vnode
 * of the store into one transaction (one log record: atomic) and commits
 * it, durably.  Since each commit takes everything written so far, a
 * write is never durable before an earlier one: SQLite's ordering rules
 * hold, which is why the VFS may claim SQLITE_IOCAP_SEQUENTIAL.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vfs_int.h"

#define DEFAULT_SIZE (1ull << 30)

/* An open main database: how its journal and WAL are found. */
struct vdb {
	void *file;
	const char *db, *jrnl, *wal;
	struct vstore *vs;
	struct vdb *next;
};

static pthread_mutex_t reg_mu = PTHREAD_MUTEX_INITIALIZER;
static struct vstore *stores;
static struct vdb *dbs;

/* EXO_E* code to SQLITE_* code; ioerr is the extended I/O error for
 * what failed (SQLITE_IOERR_READ, ..._WRITE, ...). */
int vfs_rc(int err, int ioerr)
{
	switch (err) {
	case 0:
		return SQLITE_OK;
	case EXO_ENOSPC:
	case EXO_EMAPFULL:
		return SQLITE_FULL;
	case EXO_ECORRUPT:
		return SQLITE_CORRUPT;
	case EXO_ENOMEM:
		return SQLITE_IOERR_NOMEM;
	case EXO_EBUSY:
		return SQLITE_BUSY;
	case EXO_EBADDISK:
	case EXO_EVERSION:
	case EXO_ENOENT:
		return SQLITE_CANTOPEN;
	default:
		return ioerr;
	}
}

/* ---- configuration ---- */

static const char *param(const char *zname, const char *key, const char *env)
{
	const char *v = zname ? sqlite3_uri_parameter(zname, key) : NULL;

	return v && *v ? v : getenv(env);
}

/* "123", "64K", "16M", "1G" -> bytes; 0 if malformed. */
static uint64_t parse_size(const char *s)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 10);

	switch (*end) {
	case 'g': case 'G': v <<= 10; /* fall through */
	case 'm': case 'M': v <<= 10; /* fall through */
	case 'k': case 'K': v <<= 10; end++; break;
	default: break;
	}
	return *end || end == s ? 0 : v;
}

/* The configuration of a main database file name (zname may be NULL:
 * the environment alone).  SQLITE_CANTOPEN without a disk. */
int vconf_from_uri(const char *zname, struct vconf *c)
{
	const char *v;

	memset(c, 0, sizeof(*c));
	c->disk = param(zname, "disk", "EXODB_VFS_DISK");
	c->sname = param(zname, "store", "EXODB_VFS_STORE");
	if (!c->sname)
		c->sname = "sqlite";
	c->size = DEFAULT_SIZE;
	v = param(zname, "size", "EXODB_VFS_SIZE");
	if (v && !(c->size = parse_size(v) & ~(uint64_t)(EXO_BLOCK_SIZE - 1)))
		c->size = DEFAULT_SIZE;
	v = param(zname, "cache_pages", "EXODB_VFS_CACHE");
	if (v)
		c->cache_pages = strtoull(v, NULL, 10);
	c->io = param(zname, "io", "EXODB_VFS_IO");
	if (!c->disk) {
		sqlite3_log(SQLITE_CANTOPEN, "exodb: no disk: give disk= in "
			    "the URI or set EXODB_VFS_DISK");
		return SQLITE_CANTOPEN;
	}
	return SQLITE_OK;
}

/* ---- opening stores ---- */

/* A missing disk: create and format it (as SQLite creates a missing
 * database file).  Anything else is left to store_open, which says what
 * is wrong with it: a device or a foreign file is never formatted. */
static int ensure_disk(const char *disk, uint64_t size)
{
	struct exo_disk_info *info;
	int rc = exo_disk_info(disk, &info);

	if (rc == 0)
		exo_disk_info_free(info);
	return rc == EXO_ENOENT ? exo_disk_format(disk, size) : 0;
}

static int open_store(const struct vconf *c, struct store **out)
{
	struct store_opts o = { .cache_pages = c->cache_pages, .io = c->io };
	size_t len = strlen(c->sname);
	int rc;

	rc = store_open(c->disk, c->sname, len, &o, out);
	if (rc == EXO_ENOENT)
		rc = store_create(c->disk, c->sname, len, &o, out);
	return rc;
}

/* Most dirty chunks in one transaction: well inside the cache (shadows
 * are pinned) and a quarter of the log (one record), allowing two blocks
 * per chunk and full-page images. */
static size_t max_chunks(struct store *st, uint64_t cache_pages)
{
	uint64_t log = store_sb(st)->log_nblocks / 16;
	uint64_t cache = (cache_pages ? cache_pages : 4096) / 4;
	uint64_t m = log < cache ? log : cache;

	return m < 16 ? 16 : (size_t)m;
}

static int vstore_new(const struct vconf *c, struct vstore **out)
{
	struct vstore *vs = calloc(1, sizeof(*vs));
	int rc;

	if (!vs || !(vs->disk = strdup(c->disk)) ||
	    !(vs->sname = strdup(c->sname))) {
		rc = EXO_ENOMEM;
		goto fail;
	}
	rc = open_store(c, &vs->st);
	if (rc < 0)
		goto fail;
	vs->max_chunks = max_chunks(vs->st, c->cache_pages);
	pthread_mutex_init(&vs->mu, NULL);
	*out = vs;
	return 0;
fail:
	if (vs) {
		free(vs->disk);
		free(vs->sname);
	}
	free(vs);
	return rc;
}

/* The store c names, opened if needed, with a reference for the caller. */
int vstore_get(const struct vconf *c, struct vstore **out)
{
	struct vconf rc_conf = *c;
	struct vstore *vs;
	char *real;
	int rc;

	rc = ensure_disk(c->disk, c->size);
	if (rc < 0) {
		sqlite3_log(SQLITE_CANTOPEN, "exodb: cannot create disk %s: %s",
			    c->disk, exo_strerror(rc));
		return SQLITE_CANTOPEN;
	}
	real = realpath(c->disk, NULL);
	if (real)
		rc_conf.disk = real;
	pthread_mutex_lock(&reg_mu);
	for (vs = stores; vs; vs = vs->next)
		if (!strcmp(vs->disk, rc_conf.disk) &&
		    !strcmp(vs->sname, c->sname))
			break;
	if (!vs) {
		rc = vstore_new(&rc_conf, &vs);
		if (rc == 0) {
			vs->next = stores;
			stores = vs;
		}
	}
	if (rc == 0) {
		vs->refs++;
		*out = vs;
	}
	pthread_mutex_unlock(&reg_mu);
	if (rc < 0)
		sqlite3_log(vfs_rc(rc, SQLITE_CANTOPEN),
			    "exodb: cannot open store \"%s\" on %s: %s",
			    c->sname, c->disk, exo_strerror(rc));
	free(real);
	return rc == EXO_EBUSY ? SQLITE_BUSY
			       : rc < 0 ? SQLITE_CANTOPEN : SQLITE_OK;
}

void vstore_put(struct vstore *vs)
{
	struct vstore **pp;
	struct vnode *n;
	int rc;

	pthread_mutex_lock(&reg_mu);
	if (--vs->refs > 0) {
		pthread_mutex_unlock(&reg_mu);
		return;
	}
	for (pp = &stores; *pp != vs; pp = &(*pp)->next)
		;
	*pp = vs->next;
	rc = vstore_commit(vs);
	if (rc < 0)
		sqlite3_log(SQLITE_IOERR, "exodb: pending writes lost at "
			    "close: %s", exo_strerror(rc));
	while ((n = vs->nodes)) {
		vs->nodes = n->next;
		vnode_free(n);
	}
	rc = store_close(vs->st);
	if (rc < 0)
		sqlite3_log(SQLITE_IOERR, "exodb: closing %s: %s", vs->disk,
			    exo_strerror(rc));
	pthread_mutex_unlock(&reg_mu);
	pthread_mutex_destroy(&vs->mu);
	free(vs->disk);
	free(vs->sname);
	free(vs);
}

/* ---- finding the store of a journal or WAL name ---- */

void vstore_add_db(void *f, const char *db, const char *jrnl,
		   const char *wal, struct vstore *vs)
{
	struct vdb *d = malloc(sizeof(*d));

	if (!d)
		return; /* found by the slower ways */
	d->file = f;
	d->db = db;
	d->jrnl = jrnl;
	d->wal = wal;
	d->vs = vs;
	pthread_mutex_lock(&reg_mu);
	d->next = dbs;
	dbs = d;
	pthread_mutex_unlock(&reg_mu);
}

void vstore_del_db(void *f)
{
	struct vdb **pp, *d;

	pthread_mutex_lock(&reg_mu);
	for (pp = &dbs; (d = *pp); pp = &d->next)
		if (d->file == f) {
			*pp = d->next;
			free(d);
			break;
		}
	pthread_mutex_unlock(&reg_mu);
}

/* Is name DB-journal, DB-wal or DB-mj...? */
static int derived(const char *db, const char *name)
{
	size_t l = strlen(db);

	if (strncmp(db, name, l))
		return 0;
	name += l;
	return !strcmp(name, "-journal") || !strcmp(name, "-wal") ||
	       !strncmp(name, "-mj", 3);
}

static struct vstore *find_locked(const char *name)
{
	struct vdb *d;

	for (d = dbs; d; d = d->next)
		if (name == d->jrnl || name == d->wal || name == d->db)
			return d->vs;
	for (d = dbs; d; d = d->next)
		if (!strcmp(name, d->db) || derived(d->db, name))
			return d->vs;
	return NULL;
}

/* The store holding name, with a reference, or NULL. */
struct vstore *vstore_for_name(const char *name)
{
	struct vstore *vs;
	struct vconf c;

	pthread_mutex_lock(&reg_mu);
	vs = find_locked(name);
	if (!vs && stores && !stores->next && !getenv("EXODB_VFS_DISK"))
		vs = stores;
	if (vs)
		vs->refs++;
	pthread_mutex_unlock(&reg_mu);
	if (vs || vconf_from_uri(NULL, &c) != SQLITE_OK)
		return vs;
	return vstore_get(&c, &vs) == SQLITE_OK ? vs : NULL;
}

/* ---- commit ---- */

size_t vstore_pending(struct vstore *vs)
{
	struct vnode *n;
	size_t k = 0;

	for (n = vs->nodes; n; n = n->next)
		k += n->map.n;
	return k;
}

static void drop_unused(struct vstore *vs)
{
	struct vnode *n, *next;

	for (n = vs->nodes; n; n = next) {
		next = n->next;
		vnode_release(n);
	}
}

/* Commit every pending change of vs as one transaction (mutex held). */
int vstore_commit(struct vstore *vs)
{
	struct vnode *n;
	struct dtx *t;
	int rc;

	for (n = vs->nodes; n && !n->dirty; n = n->next)
		;
	if (!n)
		return 0;
	rc = dtx_begin(vs->st, &t);
	if (rc < 0)
		return rc;
	for (n = vs->nodes; n && rc == 0; n = n->next)
		if (n->dirty)
			rc = vnode_apply(n, t);
	if (rc < 0)
		dtx_abort(t);
	else
		rc = dtx_commit(t, NULL);
	for (n = vs->nodes; n; n = n->next) {
		if (!n->dirty)
			continue;
		if (rc < 0)
			vnode_unapply(n);
		else
			vnode_committed(n);
	}
	if (rc == 0)
		drop_unused(vs);
	return rc;
}
