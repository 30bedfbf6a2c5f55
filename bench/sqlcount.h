/*
 * sqlcount.h: a counting pass-through SQLite VFS (see sqlcount.c).
 *
 *   sqlcount_register("unix", "count-unix");
 *   sqlite3_open_v2(path, &db, flags, "count-unix");
 *   sqlcount_get(&reads, &writes, &syncs);   totals of this process
 */
#ifndef EXODB_BENCH_SQLCOUNT_H
#define EXODB_BENCH_SQLCOUNT_H

#include <stdint.h>

/* Register name as a counting wrapper of the VFS base (idempotent).
 * Returns SQLITE_OK, SQLITE_ERROR (no VFS base) or SQLITE_FULL. */
int sqlcount_register(const char *base, const char *name);

/* xRead, xWrite and xSync calls so far, through every counting VFS. */
void sqlcount_get(uint64_t *reads, uint64_t *writes, uint64_t *syncs);

#endif
