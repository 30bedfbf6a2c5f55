/*
 * dbtest.c: dblibos running as a library OS on exokern, checked from
 * inside the guest.  The disk is the one virtio disk; the first argument
 * says what to do, the second is the capability:
 *
 *   dbtest store CAP     user-level threads and their locks; then a store
 *                        created on the disk, objects written by random
 *                        transactions (some aborted) against a model in
 *                        memory, store_check, close and reopen, a second
 *                        life without checkpoints so that the next open
 *                        recovers from the log, and NTHREADS threads
 *                        committing at once, which must share log flushes
 *                        (group commit); prints "dbtest-store: N passed,
 *                        M failed"
 *   dbtest cut CAP       open (or create) the store and commit forever
 *                        from NTHREADS threads, each appending sequence
 *                        numbers to its own object; after each commit
 *                        returns it prints "ack T SEQ": the harness kills
 *                        QEMU at some point (a power cut)
 *   dbtest verify CAP    after the cut: open (recovery), store_check, and
 *                        "durable T N" for each thread: its object holds
 *                        exactly the sequence 0..N-1; the harness checks
 *                        that every acknowledged SEQ is below N
 *   dbtest run CAP SECS  one database environment among others: a store
 *                        of its own (CAP), NTHREADS threads writing
 *                        their objects for SECS seconds against models,
 *                        then the models, store_check and a reopen; it
 *                        reports what its cache gave back to revocations
 *                        ("dbtest-run: ...")
 *   dbtest hog PAGES     memory pressure for the runs: after a second it
 *                        takes every free page, which makes the kernel
 *                        ask the others for pages back, waits for PAGES
 *                        to come free, takes them, holds everything for a
 *                        second and exits
 *
 * Object bytes in `store` are a function of (version, object, offset)
 * (gen), so a read shows which transaction wrote what it returns.
 */
#include <stdlib.h>
#include <string.h>

#include "../prog/utest.h"
#include "obj.h"
#include "store.h"
#include "uthread.h"

#define DISK      "virtio"
#define NOBJ      4
#define OBJ_SIZE  (48 * 1024)
#define NTXN      150
#define NTHREADS  8
#define TCOMMITS  25

const unsigned exo_main_stack_pages = 64;

static const char *cap;
static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(uint64_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng % n;
}

static struct store_opts opts(void)
{
	struct store_opts o = { .cache_pages = 256, .log_buf_pages = 64,
				.log_blocks = 2048 };
	return o;
}

/* ---- the threads themselves ---- */

struct counter {
	struct umutex m;
	struct ucond c;
	struct urwlock l;
	int value, turn, readers_in, max_readers;
};

static void *bump(void *arg)
{
	struct counter *k = arg;

	for (int i = 0; i < 100; i++) {
		umutex_lock(&k->m);
		int v = k->value;

		uthread_yield(); /* another thread runs in between */
		k->value = v + 1;
		umutex_unlock(&k->m);
	}
	return arg;
}

struct turn_arg {
	struct counter *k;
	int me;
};

/* Take turns: thread `me` waits until turn % 2 == me. */
static void *take_turns(void *arg)
{
	struct counter *k = ((struct turn_arg *)arg)->k;
	int me = ((struct turn_arg *)arg)->me;

	for (int i = 0; i < 10; i++) {
		umutex_lock(&k->m);
		while (k->turn % 2 != me)
			ucond_wait(&k->c, &k->m);
		k->turn++;
		ucond_broadcast(&k->c);
		umutex_unlock(&k->m);
	}
	return NULL;
}

static void *reader(void *arg)
{
	struct counter *k = arg;

	urwlock_rdlock(&k->l);
	k->readers_in++;
	if (k->readers_in > k->max_readers)
		k->max_readers = k->readers_in;
	uthread_yield();
	k->readers_in--;
	urwlock_unlock(&k->l);
	return NULL;
}

static void test_threads(void)
{
	struct counter k = { 0 };
	struct uthread *t[4];
	struct turn_arg turn[2] = { { &k, 0 }, { &k, 1 } };
	void *ret = NULL;
	unsigned n0 = uthread_count();
	uint64_t t0;

	umutex_init(&k.m);
	ucond_init(&k.c);
	urwlock_init(&k.l);
	for (int i = 0; i < 4; i++)
		CHECK_EQ(uthread_create(&t[i], bump, &k), 0);
	CHECK_EQ(uthread_count(), n0 + 4);
	for (int i = 0; i < 4; i++)
		CHECK_EQ(uthread_join(t[i], &ret), 0);
	CHECK_EQ(k.value, 400); /* the mutex kept every increment */
	CHECK(ret == &k);
	CHECK_EQ(uthread_count(), n0);

	for (int i = 0; i < 2; i++)
		CHECK_EQ(uthread_create(&t[i], take_turns, &turn[i]), 0);
	for (int i = 0; i < 2; i++)
		uthread_join(t[i], NULL);
	CHECK_EQ(k.turn, 20);

	for (int i = 0; i < 3; i++)
		CHECK_EQ(uthread_create(&t[i], reader, &k), 0);
	urwlock_wrlock(&k.l); /* before the readers run */
	uthread_yield();
	CHECK_EQ(k.readers_in, 0); /* they wait for the writer */
	urwlock_unlock(&k.l);
	for (int i = 0; i < 3; i++)
		uthread_join(t[i], NULL);
	CHECK_EQ(k.max_readers, 3); /* then share the lock */

	t0 = exo_clock_ns();
	uthread_sleep_ns(20 * 1000 * 1000);
	CHECK(exo_clock_ns() - t0 >= 20 * 1000 * 1000);
	umutex_lock(&k.m);
	t0 = exo_clock_ns();
	ucond_wait_ns(&k.c, &k.m, 5 * 1000 * 1000); /* nobody signals */
	CHECK(exo_clock_ns() - t0 >= 5 * 1000 * 1000);
	umutex_unlock(&k.m);
}

/* ---- objects against a model ---- */

static uint8_t *model[NOBJ]; /* committed contents */
static uint8_t *scratch;

static uint8_t byte_at(uint64_t ver, uint64_t obj, uint64_t off)
{
	uint64_t x = (ver * 1315423911u) ^ (obj * 2654435761u) ^ off;

	return (uint8_t)(x ^ (x >> 8) ^ (x >> 19));
}

static void gen(uint8_t *buf, uint64_t ver, uint64_t obj, uint64_t off,
		size_t len)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = byte_at(ver, obj, off + i);
}

static void obj_name(char *name, size_t size, unsigned i)
{
	snprintf(name, size, "object-%u", i);
}

/* Every object reads back as the model says. */
static void verify(struct store *s, const char *when)
{
	int bad = 0;

	for (unsigned i = 0; i < NOBJ; i++) {
		char name[32];
		struct obj *o;
		uint64_t size = 0;
		size_t got = 0;

		obj_name(name, sizeof(name), i);
		if (obj_open(s, name, &o)) {
			bad++;
			continue;
		}
		obj_size(s, o, &size);
		if (size != OBJ_SIZE ||
		    obj_read(s, o, 0, scratch, OBJ_SIZE, &got) ||
		    got != OBJ_SIZE || memcmp(scratch, model[i], OBJ_SIZE))
			bad++;
		obj_close(o);
	}
	if (bad)
		printf("FAIL %s: %d objects differ from the model\n", when,
		       bad);
	CHECK_EQ(bad, 0);
}

static void create_objects(struct store *s)
{
	struct dtx *t;

	CHECK_EQ(dtx_begin(s, &t), 0);
	for (unsigned i = 0; i < NOBJ; i++) {
		char name[32];
		struct obj *o;

		obj_name(name, sizeof(name), i);
		model[i] = malloc(OBJ_SIZE);
		gen(model[i], 0, i, 0, OBJ_SIZE);
		CHECK_EQ(obj_create(t, name, &o), 0);
		CHECK_EQ(obj_write(t, o, 0, model[i], OBJ_SIZE), 0);
		obj_close(o);
	}
	CHECK_EQ(dtx_commit(t, NULL), 0);
}

/* One transaction writing random ranges of 1..3 objects; every fifth is
 * aborted.  The model changes only when it commits. */
static int random_txn(struct store *s, uint64_t ver)
{
	unsigned nw = 1 + (unsigned)rnd(3), obj[3];
	uint64_t off[3], len[3];
	struct dtx *t;
	int rc = dtx_begin(s, &t);

	for (unsigned w = 0; w < nw && rc == 0; w++) {
		char name[32];
		struct obj *o;

		obj[w] = (unsigned)rnd(NOBJ);
		len[w] = 1 + rnd(6000);
		off[w] = rnd(OBJ_SIZE - len[w]);
		obj_name(name, sizeof(name), obj[w]);
		rc = obj_open_tx(t, name, &o);
		if (rc)
			break;
		gen(scratch, ver, obj[w], off[w], len[w]);
		rc = obj_write(t, o, off[w], scratch, len[w]);
		obj_close(o);
	}
	if (rc) {
		dtx_abort(t);
		return rc;
	}
	if (ver % 5 == 0) {
		dtx_abort(t);
		return 0;
	}
	rc = dtx_commit(t, NULL);
	for (unsigned w = 0; w < nw && rc == 0; w++)
		gen(model[obj[w]] + off[w], ver, obj[w], off[w], len[w]);
	return rc;
}

static void run_txns(struct store *s, uint64_t first, uint64_t n)
{
	int fails = 0;

	for (uint64_t v = first; v < first + n; v++)
		fails += random_txn(s, v) != 0;
	CHECK_EQ(fails, 0);
}

/* ---- group commit: threads committing at once ---- */

struct committer {
	struct store *s;
	unsigned id;
	int errors;
};

static void *commit_loop(void *arg)
{
	struct committer *c = arg;
	char name[32];
	struct obj *o;
	struct dtx *t;

	snprintf(name, sizeof(name), "thread-%u", c->id);
	for (uint64_t i = 0; i < TCOMMITS; i++) {
		uint64_t rec[2] = { c->id, i };

		if (dtx_begin(c->s, &t)) {
			c->errors++;
			continue;
		}
		if ((i == 0 ? obj_create(t, name, &o)
			    : obj_open_tx(t, name, &o)) == 0) {
			c->errors += obj_write(t, o, i * sizeof(rec), rec,
					       sizeof(rec)) != 0;
			obj_close(o);
		} else {
			c->errors++;
		}
		c->errors += dtx_commit(t, NULL) != 0;
	}
	return NULL;
}

static int thread_object_ok(struct store *s, unsigned id, uint64_t n)
{
	char name[32];
	struct obj *o;
	uint64_t rec[2];
	size_t got;
	int ok = 1;

	snprintf(name, sizeof(name), "thread-%u", id);
	if (obj_open(s, name, &o))
		return 0;
	for (uint64_t i = 0; i < n && ok; i++)
		ok = obj_read(s, o, i * sizeof(rec), rec, sizeof(rec), &got) ==
			     0 &&
		     got == sizeof(rec) && rec[0] == id && rec[1] == i;
	obj_close(o);
	return ok;
}

static void test_group_commit(struct store *s)
{
	struct committer c[NTHREADS];
	struct uthread *t[NTHREADS];
	struct wal_stats a, b;
	uint64_t t0, ns;
	int errors = 0, ok = 0;

	wal_get_stats(store_wal(s), &a);
	t0 = exo_clock_ns();
	for (unsigned i = 0; i < NTHREADS; i++) {
		c[i] = (struct committer){ .s = s, .id = i };
		CHECK_EQ(uthread_create(&t[i], commit_loop, &c[i]), 0);
	}
	for (unsigned i = 0; i < NTHREADS; i++) {
		uthread_join(t[i], NULL);
		errors += c[i].errors;
	}
	ns = exo_clock_ns() - t0;
	wal_get_stats(store_wal(s), &b);
	CHECK_EQ(errors, 0);
	CHECK_EQ(b.commits - a.commits, NTHREADS * TCOMMITS);
	CHECK(b.flushes - a.flushes < b.commits - a.commits);
	for (unsigned i = 0; i < NTHREADS; i++)
		ok += thread_object_ok(s, i, TCOMMITS);
	CHECK_EQ(ok, NTHREADS);
	printf("dbtest: group commit: %u threads, %lu commits, %lu log "
	       "flushes, %lu commits/s\n",
	       NTHREADS, b.commits - a.commits, b.flushes - a.flushes,
	       (b.commits - a.commits) * 1000000000ul / (ns ? ns : 1));
}

/* ---- the store test ---- */

static struct store *reopen(struct store *s, const struct store_opts *o)
{
	int rc;

	if (s)
		CHECK_EQ(store_close(s), 0);
	s = NULL;
	rc = store_open(DISK, cap, strlen(cap), o, &s);
	CHECK_EQ(rc, 0);
	if (rc) {
		printf("dbtest: store_open: %s\n", exo_strerror(rc));
		exit(ut_done("dbtest-store"));
	}
	return s;
}

static int test_store(void)
{
	struct store_opts o = opts(), manual = opts();
	struct store *s = NULL;
	const struct exo_info *in;
	uint64_t sc0;
	int rc;

	test_threads();
	scratch = malloc(OBJ_SIZE);
	rc = store_create(DISK, cap, strlen(cap), &o, &s);
	CHECK_EQ(rc, 0);
	if (rc)
		return ut_done("dbtest-store");
	in = exo_info(store_exo(s));
	sc0 = in->syscalls;
	create_objects(s);
	verify(s, "after create");
	run_txns(s, 1, NTXN);
	verify(s, "after the transactions");
	CHECK_EQ(store_check(s, NULL, NULL), 0);
	printf("dbtest: %d transactions, %lu system calls, %lu log flushes\n",
	       NTXN + 1, in->syscalls - sc0, in->io_flushes);

	s = reopen(s, &o);
	verify(s, "after reopen");
	CHECK_EQ(store_check(s, NULL, NULL), 0);

	manual.manual_ckpt = 1; /* close without a checkpoint */
	s = reopen(s, &manual);
	run_txns(s, NTXN + 1, 60);
	s = reopen(s, &o); /* recovery from the log */
	verify(s, "after recovery");
	CHECK_EQ(store_check(s, NULL, NULL), 0);

	test_group_commit(s);
	s = reopen(s, &o);
	for (unsigned i = 0; i < NTHREADS; i++)
		CHECK(thread_object_ok(s, i, TCOMMITS));
	verify(s, "at the end");
	CHECK_EQ(store_check(s, NULL, NULL), 0);
	CHECK_EQ(store_close(s), 0);
	return ut_done("dbtest-store");
}

/* ---- a database environment among others, and memory pressure ---- */

#define RUN_OBJ  (64 * 1024)
#define HOG_MAX  (1u << 20)

struct runner {
	struct store *s;
	unsigned id;
	uint64_t until_ns, commits;
	uint8_t *model;
	int errors;
};

static void *run_loop(void *arg)
{
	struct runner *r = arg;
	uint64_t rng_t = 0x2545f4914f6cdd1dull * (r->id + 1);
	uint8_t buf[512];
	char name[32];
	struct obj *o;
	struct dtx *t;

	snprintf(name, sizeof(name), "run-%u", r->id);
	for (uint64_t v = 1; exo_clock_ns() < r->until_ns; v++) {
		uint64_t len, off;

		rng_t ^= rng_t << 13, rng_t ^= rng_t >> 7, rng_t ^= rng_t << 17;
		len = 1 + rng_t % sizeof(buf);
		off = (rng_t >> 20) % (RUN_OBJ - len);
		gen(buf, v, r->id, off, len);
		if (dtx_begin(r->s, &t) || obj_open_tx(t, name, &o)) {
			r->errors++;
			break;
		}
		r->errors += obj_write(t, o, off, buf, len) != 0;
		obj_close(o);
		if (dtx_commit(t, NULL)) {
			r->errors++;
			break;
		}
		memcpy(r->model + off, buf, len);
		r->commits++;
	}
	return NULL;
}

static int run_objects_ok(struct store *s, struct runner *r, unsigned n)
{
	int ok = 0;

	for (unsigned i = 0; i < n; i++) {
		char name[32];
		struct obj *o;
		size_t got = 0;

		snprintf(name, sizeof(name), "run-%u", i);
		if (obj_open(s, name, &o))
			continue;
		ok += obj_read(s, o, 0, scratch, RUN_OBJ, &got) == 0 &&
		      got == RUN_OBJ && !memcmp(scratch, r[i].model, RUN_OBJ);
		obj_close(o);
	}
	return ok == (int)n;
}

static int run_env(unsigned seconds)
{
	struct store_opts o = { .cache_pages = 1024, .log_buf_pages = 64,
				.log_blocks = 2048 };
	struct runner r[NTHREADS];
	struct uthread *t[NTHREADS];
	struct cache_stats cs;
	struct store *s = NULL;
	struct dtx *x;
	uint64_t commits = 0;
	int errors = 0;

	scratch = malloc(RUN_OBJ);
	CHECK_EQ(store_create(DISK, cap, strlen(cap), &o, &s), 0);
	if (!s)
		return ut_done("dbtest-run");
	CHECK_EQ(dtx_begin(s, &x), 0);
	for (unsigned i = 0; i < NTHREADS; i++) {
		char name[32];
		struct obj *ob;

		r[i] = (struct runner){ .s = s, .id = i,
					.model = calloc(1, RUN_OBJ) };
		snprintf(name, sizeof(name), "run-%u", i);
		CHECK_EQ(obj_create(x, name, &ob), 0);
		CHECK_EQ(obj_write(x, ob, 0, r[i].model, RUN_OBJ), 0);
		obj_close(ob);
	}
	CHECK_EQ(dtx_commit(x, NULL), 0);
	for (unsigned i = 0; i < NTHREADS; i++) {
		r[i].until_ns = exo_clock_ns() + seconds * 1000000000ull;
		CHECK_EQ(uthread_create(&t[i], run_loop, &r[i]), 0);
	}
	for (unsigned i = 0; i < NTHREADS; i++) {
		uthread_join(t[i], NULL);
		commits += r[i].commits;
		errors += r[i].errors;
	}
	cache_get_stats(store_cache(s), &cs);
	CHECK_EQ(errors, 0);
	CHECK(run_objects_ok(s, r, NTHREADS));
	CHECK_EQ(store_check(s, NULL, NULL), 0);
	s = reopen(s, &o);
	CHECK(run_objects_ok(s, r, NTHREADS));
	CHECK_EQ(store_close(s), 0);
	printf("dbtest: store %s: %lu commits, cache %lu pages, %lu given "
	       "back to revocation\n",
	       cap, commits, cs.npages, cs.revoked);
	return ut_done("dbtest-run");
}

static int run_hog(uint64_t want)
{
	const volatile struct exo_info *in = sys_info();
	uint64_t got = 0, t0;
	exo_ppn p = 0;
	int r;

	uthread_sleep_ns(1000000000ull);
	while (got < HOG_MAX && (r = sys_page_alloc(p + 1, 1, &p)) == 0)
		got++;
	CHECK_EQ(r, EXO_ENOMEM);
	printf("dbtest: hog took %lu pages, memory is full\n", got);
	t0 = exo_clock_ns();
	while (in->pages_free < want && exo_clock_ns() - t0 < 5000000000ull)
		sys_yield();
	CHECK(in->pages_free >= want);
	for (got = 0; got < want && sys_page_alloc(0, 1, &p) == 0; got++)
		;
	CHECK_EQ(got, want);
	uthread_sleep_ns(1000000000ull);
	return ut_done("dbtest-hog");
}

/* ---- the power cut ---- */

static void *cut_loop(void *arg)
{
	struct committer *c = arg;
	char name[32];
	struct obj *o;
	struct dtx *t;

	snprintf(name, sizeof(name), "cut-%u", c->id);
	for (uint64_t i = 0;; i++) {
		int rc = dtx_begin(c->s, &t);

		if (rc == 0)
			rc = i == 0 ? obj_create(t, name, &o)
				    : obj_open_tx(t, name, &o);
		if (rc == 0) {
			rc = obj_write(t, o, i * 8, &i, 8);
			obj_close(o);
			rc = rc ? rc : dtx_commit(t, NULL);
		}
		if (rc) {
			printf("FAIL cut thread %u: %s\n", c->id,
			       exo_strerror(rc));
			return NULL;
		}
		printf("ack %u %lu\n", c->id, i);
	}
}

static int run_cut(void)
{
	struct store_opts o = opts();
	struct committer c[NTHREADS];
	struct uthread *t[NTHREADS];
	struct store *s = NULL;
	int rc = store_create(DISK, cap, strlen(cap), &o, &s);

	if (rc) {
		printf("FAIL dbtest cut: store_create: %s\n", exo_strerror(rc));
		return 1;
	}
	printf("dbtest-cut: running\n");
	for (unsigned i = 0; i < NTHREADS; i++) {
		c[i] = (struct committer){ .s = s, .id = i };
		uthread_create(&t[i], cut_loop, &c[i]);
	}
	for (unsigned i = 0; i < NTHREADS; i++)
		uthread_join(t[i], NULL);
	return 1; /* only an error ends the loops */
}

/* The number of sequence numbers 0..n-1 object cut-ID holds in order;
 * -1 if it holds anything else. */
static int64_t durable_count(struct store *s, unsigned id)
{
	char name[32];
	struct obj *o;
	uint64_t size = 0, v;
	size_t got;
	int64_t n = -1;

	snprintf(name, sizeof(name), "cut-%u", id);
	if (obj_open(s, name, &o))
		return 0; /* its creation was not committed */
	if (obj_size(s, o, &size) == 0 && size % 8 == 0) {
		n = (int64_t)(size / 8);
		for (uint64_t i = 0; i < size / 8 && n >= 0; i++)
			if (obj_read(s, o, i * 8, &v, 8, &got) || got != 8 ||
			    v != i)
				n = -1;
	}
	obj_close(o);
	return n;
}

static int run_verify(void)
{
	struct store_opts o = opts();
	struct store *s = NULL;
	int rc = store_open(DISK, cap, strlen(cap), &o, &s);

	CHECK_EQ(rc, 0);
	if (rc)
		return ut_done("dbtest-verify");
	CHECK_EQ(store_check(s, NULL, NULL), 0);
	for (unsigned i = 0; i < NTHREADS; i++) {
		int64_t n = durable_count(s, i);

		CHECK(n >= 0);
		printf("durable %u %ld\n", i, n);
	}
	CHECK_EQ(store_close(s), 0);
	return ut_done("dbtest-verify");
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "run")) {
		cap = argv[2];
		return run_env((unsigned)strtoul(argv[3], NULL, 10));
	}
	if (argc == 3 && !strcmp(argv[1], "hog"))
		return run_hog(strtoul(argv[2], NULL, 10));
	if (argc != 3) {
		printf("usage: dbtest store|cut|verify CAP | run CAP SECONDS "
		       "| hog PAGES\n");
		return 2;
	}
	cap = argv[2];
	if (!strcmp(argv[1], "store"))
		return test_store();
	if (!strcmp(argv[1], "cut"))
		return run_cut();
	if (!strcmp(argv[1], "verify"))
		return run_verify();
	printf("dbtest: unknown mode %s\n", argv[1]);
	return 2;
}
