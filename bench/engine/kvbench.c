/*
 * kvbench.c: exodb-vs-lmdb, the engine against LMDB on the same data.
 *
 *   build/bin/exodb-vs-lmdb [--keys N] [--seconds S] [--dir DIR]
 *
 * In one run, on this machine, with the same keys (16 bytes, ascending by
 * number) and values (100 bytes), it measures on exodb (an image file
 * DIR/kvbench.img through the hosted port, O_DIRECT, io_uring; a 768 MiB
 * cache and a 1 GiB log, so checkpoints are rare) and on LMDB (an
 * environment DIR/kvbench.lmdb on the file system):
 *
 *   bulk load     N keys in ascending order (EXODB_APPEND, MDB_APPEND),
 *                 committed every 100000 keys (exodb must: a transaction
 *                 fits in a quarter of its log; LMDB does the same here)
 *   point reads   N gets of random keys in one read-only transaction,
 *                 after a full scan warmed both caches (exodb's buffer
 *                 cache holds the whole tree; LMDB's map is in the page
 *                 cache)
 *   updates       random keys get a new 100-byte value, one key per
 *                 transaction, durability full (exodb EXODB_FULL: the
 *                 commit returns after its log flush, shared by
 *                 concurrent commits; LMDB default: fsync at each
 *                 commit), from 1 thread and from 16, for S seconds each
 *
 * and prints each figure with the ratio exodb/LMDB.  Every 1000th read
 * checks the value it got, so a fast wrong answer cannot pass.
 */
#include <errno.h>
#include <lmdb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "exo.h"
#include "exodb.h"

#define KEYLEN  16
#define VALLEN  100
#define BATCH   100000
#define MAXTHR  16

static uint64_t nkeys = 1000000;
static double seconds = 5;
static const char *dir = "var";

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static void make_key(uint64_t i, uint8_t *k)
{
	uint64_t h = mix(i);

	for (int b = 0; b < 8; b++) {
		k[b] = (uint8_t)(i >> (56 - 8 * b));
		k[8 + b] = (uint8_t)(h >> (8 * b));
	}
}

static void make_val(uint64_t i, uint64_t ver, uint8_t *v)
{
	uint64_t x = mix(i ^ (ver << 40));

	for (int b = 0; b < VALLEN; b++) {
		if (b % 8 == 0)
			x = mix(x);
		v[b] = (uint8_t)(x >> (b % 8 * 8));
	}
	memcpy(v, &i, 8); /* the key's number: reads check it */
}

static void die(const char *what, const char *err)
{
	fprintf(stderr, "exodb-vs-lmdb: %s: %s\n", what, err);
	exit(1);
}

/* ---- one engine behind four calls ---- */

struct engine {
	const char *name;
	void (*open)(int create);
	void (*close)(void);
	void (*load)(void);
	uint64_t (*reads)(uint64_t n);
	int (*update)(uint64_t *rng); /* one durable update */
};

/* ---- exodb ---- */

static struct exodb *xdb;
static struct exodb_tree *xtree;

static void xcheck(int rc, const char *what)
{
	if (rc)
		die(what, exodb_strerror(rc));
}

static void x_open(int create)
{
	char img[512];
	struct exodb_opts o = { .disk = img, .store = "kv",
				.cache_bytes = 768ull << 20,
				.durability = EXODB_FULL,
				.log_bytes = 1ull << 30,
				.flags = EXODB_CREATE };
	struct exodb_txn *t;
	uint64_t size = (nkeys * 400 + (5ull << 30)) & ~4095ull;

	snprintf(img, sizeof(img), "%s/kvbench.img", dir);
	if (create) {
		unlink(img);
		xcheck(exo_disk_format(img, size), "format");
	}
	xcheck(exodb_open(&o, &xdb), "open");
	xcheck(exodb_txn_begin(xdb, 0, &t), "begin");
	xcheck(exodb_tree_open(t, "kv", EXODB_TREE_CREATE, &xtree), "tree");
	xcheck(exodb_txn_commit(t), "commit");
}

static void x_close(void)
{
	xcheck(exodb_close(xdb), "close");
}

static void x_load(void)
{
	uint8_t k[KEYLEN], v[VALLEN];
	struct exodb_val key = { KEYLEN, k }, val = { VALLEN, v };
	struct exodb_txn *t = NULL;

	for (uint64_t i = 0; i < nkeys; i++) {
		if (i % BATCH == 0)
			xcheck(exodb_txn_begin(xdb, 0, &t), "begin");
		make_key(i, k);
		make_val(i, 0, v);
		xcheck(exodb_put(t, xtree, &key, &val, EXODB_APPEND), "put");
		if (i % BATCH == BATCH - 1 || i == nkeys - 1)
			xcheck(exodb_txn_commit(t), "commit");
	}
}

static uint64_t x_reads(uint64_t n)
{
	uint8_t k[KEYLEN];
	struct exodb_val key = { KEYLEN, k }, val;
	struct exodb_txn *t;
	struct exodb_cursor *c;
	uint64_t rng = 42, sum = 0, i, id;

	xcheck(exodb_txn_begin(xdb, EXODB_RDONLY, &t), "begin");
	if (n == 0) { /* warm up: a full scan */
		xcheck(exodb_cursor_open(t, xtree, &c), "cursor");
		while (exodb_cursor_get(c, &key, &val, EXODB_NEXT) == 0)
			sum += ((const uint8_t *)val.data)[0];
	}
	for (i = 0; i < n; i++) {
		rng = mix(rng);
		id = rng % nkeys;
		make_key(id, k);
		xcheck(exodb_get(t, xtree, &key, &val), "get");
		sum += ((const uint8_t *)val.data)[VALLEN - 1];
		if (i % 1000 == 0 && (val.size != VALLEN ||
				      memcmp(val.data, &id, 8)))
			die("get", "wrong value");
	}
	exodb_txn_abort(t);
	return sum;
}

static int x_update(uint64_t *rng)
{
	uint8_t k[KEYLEN], v[VALLEN];
	struct exodb_val key = { KEYLEN, k }, val = { VALLEN, v };
	struct exodb_txn *t;
	uint64_t id;

	*rng = mix(*rng);
	id = *rng % nkeys;
	make_key(id, k);
	make_val(id, *rng, v);
	xcheck(exodb_txn_begin(xdb, 0, &t), "begin");
	xcheck(exodb_put(t, xtree, &key, &val, 0), "put");
	xcheck(exodb_txn_commit(t), "commit");
	return 0;
}

/* ---- LMDB ---- */

static MDB_env *lenv;
static MDB_dbi ldbi;

static void lcheck(int rc, const char *what)
{
	if (rc)
		die(what, mdb_strerror(rc));
}

static void l_open(int create)
{
	char path[512], f[600];
	MDB_txn *t;

	snprintf(path, sizeof(path), "%s/kvbench.lmdb", dir);
	if (create) {
		snprintf(f, sizeof(f), "%s/data.mdb", path);
		unlink(f);
		snprintf(f, sizeof(f), "%s/lock.mdb", path);
		unlink(f);
		mkdir(path, 0755);
	}
	lcheck(mdb_env_create(&lenv), "env");
	lcheck(mdb_env_set_mapsize(lenv, nkeys * 400 + (1ull << 30)),
	       "mapsize");
	lcheck(mdb_env_set_maxreaders(lenv, 64), "maxreaders");
	lcheck(mdb_env_open(lenv, path, 0, 0644), "open");
	lcheck(mdb_txn_begin(lenv, NULL, 0, &t), "begin");
	lcheck(mdb_dbi_open(t, NULL, 0, &ldbi), "dbi");
	lcheck(mdb_txn_commit(t), "commit");
}

static void l_close(void)
{
	mdb_env_close(lenv);
}

static void l_load(void)
{
	uint8_t k[KEYLEN], v[VALLEN];
	MDB_val key = { KEYLEN, k }, val = { VALLEN, v };
	MDB_txn *t = NULL;

	for (uint64_t i = 0; i < nkeys; i++) {
		if (i % BATCH == 0)
			lcheck(mdb_txn_begin(lenv, NULL, 0, &t), "begin");
		make_key(i, k);
		make_val(i, 0, v);
		lcheck(mdb_put(t, ldbi, &key, &val, MDB_APPEND), "put");
		if (i % BATCH == BATCH - 1 || i == nkeys - 1)
			lcheck(mdb_txn_commit(t), "commit");
	}
}

static uint64_t l_reads(uint64_t n)
{
	uint8_t k[KEYLEN];
	MDB_val key = { KEYLEN, k }, val;
	MDB_txn *t;
	MDB_cursor *c;
	uint64_t rng = 42, sum = 0, i, id;

	lcheck(mdb_txn_begin(lenv, NULL, MDB_RDONLY, &t), "begin");
	if (n == 0) {
		lcheck(mdb_cursor_open(t, ldbi, &c), "cursor");
		while (mdb_cursor_get(c, &key, &val, MDB_NEXT) == 0)
			sum += ((const uint8_t *)val.mv_data)[0];
		mdb_cursor_close(c);
	}
	for (i = 0; i < n; i++) {
		rng = mix(rng);
		id = rng % nkeys;
		make_key(id, k);
		key.mv_data = k;
		key.mv_size = KEYLEN;
		lcheck(mdb_get(t, ldbi, &key, &val), "get");
		sum += ((const uint8_t *)val.mv_data)[VALLEN - 1];
		if (i % 1000 == 0 && (val.mv_size != VALLEN ||
				      memcmp(val.mv_data, &id, 8)))
			die("get", "wrong value");
	}
	mdb_txn_abort(t);
	return sum;
}

static int l_update(uint64_t *rng)
{
	uint8_t k[KEYLEN], v[VALLEN];
	MDB_val key = { KEYLEN, k }, val = { VALLEN, v };
	MDB_txn *t;
	uint64_t id;

	*rng = mix(*rng);
	id = *rng % nkeys;
	make_key(id, k);
	make_val(id, *rng, v);
	lcheck(mdb_txn_begin(lenv, NULL, 0, &t), "begin");
	lcheck(mdb_put(t, ldbi, &key, &val, 0), "put");
	lcheck(mdb_txn_commit(t), "commit");
	return 0;
}

/* ---- the measurements ---- */

static const struct engine engines[2] = {
	{ "exodb", x_open, x_close, x_load, x_reads, x_update },
	{ "lmdb", l_open, l_close, l_load, l_reads, l_update },
};

struct upd_arg {
	const struct engine *e;
	atomic_int *stop;
	uint64_t rng, done;
};

static void *updater(void *p)
{
	struct upd_arg *a = p;

	while (!atomic_load(a->stop)) {
		a->e->update(&a->rng);
		a->done++;
	}
	return NULL;
}

/* Durable updates per second from nthr threads over `seconds`. */
static double updates(const struct engine *e, int nthr)
{
	struct upd_arg a[MAXTHR];
	pthread_t th[MAXTHR];
	atomic_int stop = 0;
	uint64_t total = 0;
	double t0;

	for (int i = 0; i < nthr; i++) {
		a[i] = (struct upd_arg){ e, &stop, 1000 + (uint64_t)i, 0 };
		pthread_create(&th[i], NULL, updater, &a[i]);
	}
	t0 = now();
	usleep((useconds_t)(seconds * 1e6));
	atomic_store(&stop, 1);
	for (int i = 0; i < nthr; i++) {
		pthread_join(th[i], NULL);
		total += a[i].done;
	}
	return (double)total / (now() - t0);
}

enum { LOAD, READS, UPD1, UPD16, NFIG };

static const char *const fig_name[NFIG] = {
	"bulk load (keys/s)", "random reads (gets/s)",
	"durable updates, 1 thread (txn/s)",
	"durable updates, 16 threads (txn/s)",
};

static void measure(const struct engine *e, double fig[NFIG])
{
	double t0;

	e->open(1);
	t0 = now();
	e->load();
	fig[LOAD] = (double)nkeys / (now() - t0);
	e->close();
	e->open(0); /* reopened: the reads start from a cold cache */
	e->reads(0);
	t0 = now();
	e->reads(nkeys);
	fig[READS] = (double)nkeys / (now() - t0);
	fig[UPD1] = updates(e, 1);
	fig[UPD16] = updates(e, 16);
	e->close();
	fprintf(stderr, "%s done\n", e->name);
}

static void usage(void)
{
	fputs("usage: exodb-vs-lmdb [--keys N] [--seconds S] [--dir DIR]\n",
	      stderr);
	exit(2);
}

int main(int argc, char **argv)
{
	double fig[2][NFIG];

	for (int i = 1; i < argc; i++) {
		if (i + 1 < argc && !strcmp(argv[i], "--keys"))
			nkeys = strtoull(argv[++i], NULL, 10);
		else if (i + 1 < argc && !strcmp(argv[i], "--seconds"))
			seconds = atof(argv[++i]);
		else if (i + 1 < argc && !strcmp(argv[i], "--dir"))
			dir = argv[++i];
		else
			usage();
	}
	if (nkeys == 0 || seconds <= 0)
		usage();
	mkdir(dir, 0755);
	for (int e = 0; e < 2; e++)
		measure(&engines[e], fig[e]);
	printf("exodb vs LMDB: %llu keys of %d bytes, values of %d bytes, "
	       "in %s; durability full\n",
	       (unsigned long long)nkeys, KEYLEN, VALLEN, dir);
	printf("%-38s %12s %12s %8s\n", "", "exodb", "lmdb", "ratio");
	for (int f = 0; f < NFIG; f++)
		printf("%-38s %12.0f %12.0f %7.2fx\n", fig_name[f], fig[0][f],
		       fig[1][f], fig[0][f] / fig[1][f]);
	return 0;
}
