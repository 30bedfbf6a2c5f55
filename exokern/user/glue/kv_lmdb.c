/*
 * kv_lmdb.c: the benchmarks' lmdb engine (bench/kv.h) as exokern has it.
 * LMDB keeps its database in a file it maps into memory; exokern has
 * neither files nor mmap, so here the engine cannot be opened and says
 * why.  (Linux builds link bench/kv_lmdb.c instead.)
 */
#include "kv.h"

#define KV_LMDB_ABSENT (-40100)

static int lmdb_open(const struct kv_opts *o, struct kv **out)
{
	(void)o, (void)out;
	return KV_LMDB_ABSENT;
}

static const char *lmdb_strerror(int err)
{
	if (err == KV_LMDB_ABSENT)
		return "LMDB needs a file system and mmap: not on exokern";
	return "unknown error";
}

const struct kv_ops kv_lmdb = {
	.name = "lmdb",
	.open = lmdb_open,
	.strerror = lmdb_strerror,
};
