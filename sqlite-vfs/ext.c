/*
 * ext.c: the exodb VFS as a loadable SQLite extension.
 *
 * Built into build/lib/libexodb_vfs.so together with the VFS sources
 * compiled with EXODB_VFS_EXT (they then call SQLite through the API
 * table handed to this entry point) and the rest of libexodb.  Load it
 * from the sqlite3 shell with `.load build/lib/libexodb_vfs` (SQLite
 * derives the entry point's name, sqlite3_exodbvfs_init, from the file
 * name) or with sqlite3_load_extension(); the VFS stays registered after
 * the loading connection closes.  It is not made the default VFS: open
 * databases with vfs=exodb (exodb_vfs.h).
 */
#include <sqlite3ext.h>
SQLITE_EXTENSION_INIT1

#include "exodb_vfs.h"

int sqlite3_exodbvfs_init(sqlite3 *db, char **errmsg,
			  const sqlite3_api_routines *api);

int sqlite3_exodbvfs_init(sqlite3 *db, char **errmsg,
			  const sqlite3_api_routines *api)
{
	int rc;

	(void)db;
	SQLITE_EXTENSION_INIT2(api);
	rc = exodb_vfs_register(0);
	if (rc != SQLITE_OK) {
		*errmsg = sqlite3_mprintf("exodb: cannot register the VFS");
		return rc;
	}
	return SQLITE_OK_LOAD_PERMANENTLY;
}
