/*
 * err.c: exodb_strerror, names for every error code.
 *
 * Engine codes live in LMDB's style of reserved range (-30799 up to
 * EXODB_LAST_ERRCODE); codes of the layers below (EXO_E*, -1..-19) pass
 * through the engine unchanged and are named by exo_strerror.
 */
#include "engine.h"

static const char *const engine_msg[] = {
	[EXODB_KEYEXIST - EXODB_KEYEXIST] =
		"EXODB_KEYEXIST: key already exists (or out of order for "
		"EXODB_APPEND)",
	[EXODB_NOTFOUND - EXODB_KEYEXIST] =
		"EXODB_NOTFOUND: no matching key, or no such tree",
	[EXODB_CORRUPT - EXODB_KEYEXIST] =
		"EXODB_CORRUPT: a tree page fails the engine's checks",
	[EXODB_BAD_TXN - EXODB_KEYEXIST] =
		"EXODB_BAD_TXN: the transaction failed earlier and must be "
		"aborted",
	[EXODB_READONLY - EXODB_KEYEXIST] =
		"EXODB_READONLY: write in a read-only transaction or store",
	[EXODB_BAD_TREE - EXODB_KEYEXIST] =
		"EXODB_BAD_TREE: tree handle not valid here (deleted, or "
		"created by an uncommitted or aborted transaction)",
	[EXODB_BAD_VALSIZE - EXODB_KEYEXIST] =
		"EXODB_BAD_VALSIZE: key or value size out of range (keys "
		"1..1024 bytes, tree names 1..255)",
	[EXODB_TXN_FULL - EXODB_KEYEXIST] =
		"EXODB_TXN_FULL: transaction too large for the log or the "
		"cache; commit in smaller batches",
	[EXODB_INCOMPAT - EXODB_KEYEXIST] =
		"EXODB_INCOMPAT: the store was not made by this engine (or "
		"another version)",
};

const char *exodb_strerror(int err)
{
	if (err == 0)
		return "EXODB_SUCCESS: success";
	if (err >= EXODB_KEYEXIST && err <= EXODB_LAST_ERRCODE)
		return engine_msg[err - EXODB_KEYEXIST];
	if (err < 0 && err >= EXO_ERRNO_MIN)
		return exo_strerror(err);
	return "EXODB_UNKNOWN: unknown error code";
}
