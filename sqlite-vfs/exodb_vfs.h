/*
 * exodb_vfs.h: SQLite on exodb, the "exodb" VFS.
 *
 * A program linked with libexodb (and SQLite) calls exodb_vfs_register()
 * once, then opens databases with a URI:
 *
 *   exodb_vfs_register(0);
 *   sqlite3_open_v2("file:main.db?vfs=exodb&disk=var/sqlite.img",
 *                   &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
 *                   SQLITE_OPEN_URI, NULL);
 *
 * The sqlite3 shell and other SQLite clients load the same VFS from the
 * extension build/lib/libexodb_vfs.so instead:
 *
 *   sqlite> .load build/lib/libexodb_vfs
 *   sqlite> .open file:main.db?vfs=exodb&disk=var/sqlite.img
 *
 * URI parameters of the main database (each with an environment variable
 * used when the parameter is absent, for programs that cannot pass URIs;
 * they matter when the process opens the store, with its first database
 * there):
 *
 *   disk=PATH   EXODB_VFS_DISK   the exodb disk: an image file, a block
 *                                device, or "fault:NAME" (tests).  A
 *                                missing image file is created and
 *                                formatted.  Required.
 *   store=NAME  EXODB_VFS_STORE  the store on that disk (its capability);
 *                                default "sqlite".  A missing store is
 *                                created.
 *   size=BYTES  EXODB_VFS_SIZE   size of a disk image created here, with an
 *                                optional K, M or G suffix; default 1G
 *                                (preallocated by exo_disk_format).
 *   cache_pages=PAGES            buffer cache budget of the store, in 4 KiB
 *               EXODB_VFS_CACHE  pages; default the store's (16 MiB).  (Not
 *                                "cache=": SQLite takes that one itself.)
 *   io=ENGINE   EXODB_VFS_IO     hosted I/O engine: io_uring (default),
 *                                libaio or psync.
 *
 * Every database, rollback journal and WAL file is an object of the store
 * named by the file name as SQLite gives it (journals and WAL files of a
 * database live in its store).  Names are paths inside the store, not
 * relative to the working directory: "./a//b/../x.db" is "a/x.db".
 * Temporary files and statement journals live in process memory.
 *
 * One process opens each store once and shares it between all its
 * connections; another process opening the same disk gets SQLITE_BUSY
 * ("database is locked").  Writes become durable, as one atomic store
 * transaction, at xSync (and deletes at once: a rollback journal deleted
 * at commit never comes back).  The VFS offers SQLITE_IOCAP_BATCH_ATOMIC
 * (used by SQLite builds with SQLITE_ENABLE_BATCH_ATOMIC_WRITE: then
 * journal_mode DELETE, TRUNCATE or PERSIST commit each transaction as one
 * store transaction, without writing the journal), POWERSAFE_OVERWRITE,
 * SAFE_APPEND and SEQUENTIAL, with 4096-byte sectors.  No memory-mapped
 * I/O (xFetch).
 */
#ifndef EXODB_VFS_H
#define EXODB_VFS_H

#define EXODB_VFS_NAME "exodb"

/* Register the "exodb" VFS with SQLite (again: harmless); make_default
 * non-zero makes it SQLite's default VFS.  Returns an SQLITE_* code. */
int exodb_vfs_register(int make_default);

#endif
