/*
 * exodb_init.c: makes exodb the default VFS of SQLite's testfixture.
 *
 * Compiled into testfixture (tests/sqlite/build.sh) and called through
 * -DSQLITE_EXTRA_INIT=exodb_testfixture_init at the end of
 * sqlite3_initialize().  It registers the exodb VFS (its disk comes from
 * EXODB_VFS_DISK: the runner gives each testfixture process its own
 * in-memory "fault:" disk) and, as the default VFS, a thin shim over it,
 * "exodb-test", that keeps the Tcl harness's view of files consistent:
 *
 * SQLite's tests create and remove databases through the operating system
 * ("forcedelete test.db" is Tcl's file delete, "file exists").  So the shim
 * keeps an empty marker file in the OS for every database, journal and WAL
 * file it opens; an object whose marker the test deleted is deleted from
 * the store when it is next opened or looked at, and a delete through
 * SQLite removes both.  The data itself lives only in the exodb store.
 * Files opened through the shim do not show SQLITE_IOCAP_BATCH_ATOMIC (see
 * hide_batch).  Tests that read file contents or sizes through the OS
 * cannot pass this way: tests/sqlite/excluded.txt lists them.
 */
#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include "exodb_vfs.h"

int exodb_testfixture_init(const char *unused);

static sqlite3_vfs shim;

static sqlite3_vfs *exo(void)
{
	return shim.pAppData;
}

static int marked(int flags)
{
	return flags & (SQLITE_OPEN_MAIN_DB | SQLITE_OPEN_MAIN_JOURNAL |
			SQLITE_OPEN_WAL | SQLITE_OPEN_SUPER_JOURNAL);
}

/* The test removed the marker: the object goes too. */
static void sync_deleted(const char *name)
{
	int out = 0;

	if (access(name, F_OK) == 0)
		return;
	if (exo()->xAccess(exo(), name, SQLITE_ACCESS_READWRITE, &out) ==
		    SQLITE_OK && out)
		exo()->xDelete(exo(), name, 0);
}

/* testfixture's SQLite is built without SQLITE_ENABLE_BATCH_ATOMIC_WRITE,
 * so it never uses exodb's SQLITE_IOCAP_BATCH_ATOMIC; but 33 test files
 * skip themselves when a VFS offers it.  Files opened here hide it. */
static sqlite3_io_methods methods;
static int (*exo_device_chars)(sqlite3_file *);

static int device_chars(sqlite3_file *f)
{
	return exo_device_chars(f) & ~SQLITE_IOCAP_BATCH_ATOMIC;
}

static void hide_batch(sqlite3_file *f)
{
	if (!f->pMethods)
		return;
	if (!exo_device_chars) {
		methods = *f->pMethods;
		exo_device_chars = methods.xDeviceCharacteristics;
		methods.xDeviceCharacteristics = device_chars;
	}
	f->pMethods = &methods;
}

static int shim_open(sqlite3_vfs *v, const char *name, sqlite3_file *f,
		     int flags, int *out)
{
	int rc, fd;

	(void)v;
	if (!name || !marked(flags)) {
		rc = exo()->xOpen(exo(), name, f, flags, out);
		if (rc == SQLITE_OK)
			hide_batch(f);
		return rc;
	}
	sync_deleted(name);
	rc = exo()->xOpen(exo(), name, f, flags, out);
	if (rc == SQLITE_OK) {
		hide_batch(f);
		fd = open(name, O_WRONLY | O_CREAT, 0644);
		if (fd >= 0)
			close(fd);
	}
	return rc;
}

static int shim_delete(sqlite3_vfs *v, const char *name, int sync_dir)
{
	int had = access(name, F_OK) == 0;
	int rc = exo()->xDelete(exo(), name, sync_dir);

	(void)v;
	unlink(name);
	if (rc == SQLITE_IOERR_DELETE_NOENT && had)
		return SQLITE_OK;
	return rc;
}

static int shim_access(sqlite3_vfs *v, const char *name, int flags,
		       int *out)
{
	(void)v;
	sync_deleted(name);
	if (access(name, F_OK) != 0) {
		*out = 0;
		return SQLITE_OK;
	}
	return exo()->xAccess(exo(), name, flags, out);
}

int exodb_testfixture_init(const char *unused)
{
	int rc;

	(void)unused;
	/* Again after each sqlite3_shutdown: the unix VFS, registered anew,
	 * has become the default. */
	if (sqlite3_vfs_find("exodb-test"))
		return sqlite3_vfs_register(&shim, 1);
	rc = exodb_vfs_register(0);
	if (rc != SQLITE_OK)
		return rc;
	shim = *sqlite3_vfs_find(EXODB_VFS_NAME);
	shim.pNext = NULL;
	shim.zName = "exodb-test";
	shim.pAppData = sqlite3_vfs_find(EXODB_VFS_NAME);
	shim.xOpen = shim_open;
	shim.xDelete = shim_delete;
	shim.xAccess = shim_access;
	return sqlite3_vfs_register(&shim, 1);
}
