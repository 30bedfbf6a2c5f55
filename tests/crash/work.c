/*
 * work.c: the crash tests' workload, history, model and fault-disk
 * helpers (see work.h for what they promise).
 *
 * A round: wl_round opens the store and starts one thread per worker;
 * each runs its batches (run_batch: dtx_begin, number the batch, one to
 * three targets, dtx_commit, record the fate) and stops at its first
 * error.  Thread 0 also checkpoints every ckpt_every batches.  The
 * history array is sized before the threads start, so each thread writes
 * its own entries without moving the others.
 *
 * The check: snapshot() reads every object back whole (obj_list,
 * obj_open, obj_size, obj_read) and inspect() runs store_check (with a
 * flipped block, an EXO_ECORRUPT that names it is allowed and makes the
 * object unknown, left out of the comparison); then the model
 * replays the history from the empty store, comparing at every prefix
 * from the last acknowledged batch to the last batch that may be in the
 * log.
 */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "work.h"

#define BD         OBJ_BLOCK_DATA
#define STAMP_SIZE 16
#define STAMP_MAGIC 0x48535243u /* "CRSH" */

/* ---- random numbers ---- */

uint64_t rnd_next(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

uint64_t rnd_below(uint64_t *state, uint64_t n)
{
	return n ? rnd_next(state) % n : 0;
}

/* ---- the watchdog ---- */

static char dog_msg[256];
static size_t dog_len;

static void dog_bark(int sig)
{
	(void)sig;
	if (write(2, dog_msg, dog_len) < 0)
		_exit(3);
	_exit(2);
}

void watchdog(unsigned secs, const char *what)
{
	int n = snprintf(dog_msg, sizeof(dog_msg), "TIMEOUT: %s\n", what);

	dog_len = n < 0 ? 0 : (size_t)n < sizeof(dog_msg) ? (size_t)n
							  : sizeof(dog_msg) - 1;
	signal(SIGALRM, dog_bark);
	alarm(secs);
}

/* ---- the bytes of a batch ---- */

struct stamp {
	uint32_t magic;
	uint32_t g;
	uint16_t thread;
	uint16_t obj;
	uint32_t lbn;
};

static uint8_t hash_byte(uint64_t g, unsigned obj, uint64_t off)
{
	uint64_t x = g * 0x9e3779b97f4a7c15ull ^
		     (uint64_t)obj * 0xc2b2ae3d27d4eb4full ^ off;

	x ^= x >> 29;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 32;
	return (uint8_t)x;
}

void wl_gen(uint8_t *buf, uint64_t g, unsigned th, unsigned obj,
	    uint64_t off, size_t len)
{
	struct stamp st = { .magic = STAMP_MAGIC, .g = (uint32_t)g,
			    .thread = (uint16_t)th, .obj = (uint16_t)obj };
	uint64_t p, in;
	size_t i;

	for (i = 0; i < len; i++) {
		p = off + i;
		in = p % BD;
		if (in < STAMP_SIZE) {
			st.lbn = (uint32_t)(p / BD);
			buf[i] = ((const uint8_t *)&st)[in];
		} else {
			buf[i] = hash_byte(g, obj, p);
		}
	}
}

/* What the block at blk (BD bytes of an object) says about its writer. */
static void describe(const uint8_t *blk, char *out, size_t len)
{
	struct stamp st;
	size_t i;

	memcpy(&st, blk, sizeof(st));
	if (st.magic == STAMP_MAGIC) {
		snprintf(out, len, "batch %" PRIu32 " (thread %u)", st.g,
			 (unsigned)st.thread);
		return;
	}
	for (i = 0; i < BD && blk[i] == 0; i++)
		;
	snprintf(out, len, i == BD ? "zeros" : "unstamped bytes");
}

/* ---- the history ---- */

static void make_name(const struct wl *w, unsigned i, char *out)
{
	unsigned pad = (i * 37) % 120;
	int n;

	if (i < w->p.nshared)
		n = snprintf(out, WL_NAMELEN, "shared-%u", i);
	else
		n = snprintf(out, WL_NAMELEN, "t%u-o%u",
			     (i - w->p.nshared) / w->p.nprivate,
			     (i - w->p.nshared) % w->p.nprivate);
	if (pad) {
		out[n] = '.';
		memset(out + n + 1, 'x', pad - 1);
		out[n + pad] = '\0';
	}
}

void wl_init(struct wl *w, const struct wl_params *p)
{
	unsigned i;

	memset(w, 0, sizeof(*w));
	w->p = *p;
	w->nobj = p->nshared + p->nthreads * p->nprivate;
	if (w->nobj > WL_MAXOBJ) {
		fprintf(stderr, "wl_init: too many objects\n");
		abort();
	}
	for (i = 0; i < w->nobj; i++)
		make_name(w, i, w->names[i]);
	w->maxbytes = (uint64_t)p->maxblocks * BD;
	pthread_mutex_init(&w->lock, NULL);
}

void wl_free(struct wl *w)
{
	free(w->b);
	pthread_mutex_destroy(&w->lock);
	memset(w, 0, sizeof(*w));
}

void wl_truncate(struct wl *w, size_t n)
{
	if (n < w->n)
		w->n = n;
}

size_t wl_last_acked(const struct wl *w)
{
	size_t g;

	for (g = w->n; g > 0; g--)
		if (w->b[g - 1].fate == WL_ACKED)
			return g;
	return 0;
}

void wl_dump(const struct wl *w, FILE *out)
{
	static const char *fates[] = { "void", "pending", "acked", "maybe" };
	static const char *kinds[] = { "create", "delete", "write", "trunc" };
	const struct wl_op *op;
	size_t g;
	unsigned i;

	for (g = 1; g <= w->n; g++) {
		fprintf(out, "     batch %zu thread %u %s:", g,
			w->b[g - 1].thread, fates[w->b[g - 1].fate]);
		for (i = 0; i < w->b[g - 1].nops; i++) {
			op = &w->b[g - 1].ops[i];
			fprintf(out, " %s %.8s", kinds[op->kind],
				w->names[op->obj]);
			if (op->kind == WL_WRITE)
				fprintf(out, " [%" PRIu64 ", +%" PRIu64 ")",
					op->off, op->len);
			else if (op->kind == WL_TRUNC)
				fprintf(out, " %" PRIu64, op->off);
		}
		fprintf(out, "\n");
	}
}

void wl_settle(struct wl *w, long g)
{
	size_t i;

	for (i = 0; i < w->n; i++) {
		if ((long)i < g && w->b[i].fate != WL_VOID)
			w->b[i].fate = WL_ACKED;
		else if ((long)i >= g)
			w->b[i].fate = WL_VOID;
	}
}

static int reserve(struct wl *w, size_t more)
{
	struct wl_batch *b;

	if (w->n + more <= w->cap)
		return 0;
	b = realloc(w->b, (w->n + more) * sizeof(*b));
	if (!b)
		return EXO_ENOMEM;
	w->b = b;
	w->cap = w->n + more;
	return 0;
}

/* Number a new batch (the writer mutex is held: log order). */
static struct wl_batch *new_batch(struct wl *w, unsigned th, uint64_t *g)
{
	struct wl_batch *b;

	pthread_mutex_lock(&w->lock);
	if (w->n == w->cap) {
		pthread_mutex_unlock(&w->lock);
		fprintf(stderr, "new_batch: history full\n");
		abort();
	}
	b = &w->b[w->n++];
	*g = w->n;
	pthread_mutex_unlock(&w->lock);
	memset(b, 0, sizeof(*b));
	b->thread = th;
	b->fate = WL_PENDING;
	return b;
}

static void add_op(struct wl_batch *b, int kind, unsigned obj, uint64_t off,
		   uint64_t len)
{
	struct wl_op *op = &b->ops[b->nops++];

	if (b->nops > WL_MAXOPS) {
		fprintf(stderr, "add_op: too many ops\n");
		abort();
	}
	op->kind = (uint8_t)kind;
	op->obj = (uint8_t)obj;
	op->off = off;
	op->len = len;
}

/* ---- the workload ---- */

struct worker {
	struct wl *w;
	unsigned th;
	unsigned batch; /* this round's batches so far */
	uint64_t rng;
	int err;        /* first error */
	unsigned calls; /* failed calls */
	int bad;        /* first error other than EXO_EIO */
	char what[128];
};

/* Note a failed call; errors other than EXO_EIO are bugs. */
static int failed(struct worker *k, int rc, const char *call)
{
	k->calls++;
	if (!k->err)
		k->err = rc;
	if (rc != EXO_EIO && !k->bad) {
		k->bad = rc;
		snprintf(k->what, sizeof(k->what), "thread %u: %s: %s", k->th,
			 call, exo_strerror(rc));
	}
	return rc;
}

static int do_write(struct worker *k, struct dtx *t, struct obj *o,
		    struct wl_batch *b, uint64_t g, unsigned obj, int aligned)
{
	uint64_t max = k->w->maxbytes, off, len, nb;
	uint8_t *buf;
	int rc;

	if (aligned) {
		nb = 1 + rnd_below(&k->rng, k->w->p.maxwrite ? k->w->p.maxwrite
							     : 3);
		if (nb > k->w->p.maxblocks)
			nb = k->w->p.maxblocks;
		off = rnd_below(&k->rng, k->w->p.maxblocks - nb + 1) * BD;
		len = nb * BD;
	} else {
		off = rnd_below(&k->rng, max - 1);
		len = max - off < 2 * BD ? max - off : 2 * BD;
		len = 1 + rnd_below(&k->rng, len);
	}
	buf = malloc(len);
	if (!buf)
		return failed(k, EXO_ENOMEM, "malloc");
	wl_gen(buf, g, k->th, obj, off, len);
	rc = obj_write(t, o, off, buf, len);
	free(buf);
	if (rc < 0)
		return failed(k, rc, "obj_write");
	add_op(b, WL_WRITE, obj, off, len);
	return 0;
}

/* One object of a batch: create it if missing, then write, truncate or
 * delete it. */
static int do_target(struct worker *k, struct dtx *t, struct wl_batch *b,
		     uint64_t g, unsigned obj)
{
	const char *name = k->w->names[obj];
	unsigned r = (unsigned)rnd_below(&k->rng, 100);
	struct obj *o;
	uint64_t size;
	int rc;

	rc = obj_open_tx(t, name, &o);
	if (rc == EXO_ENOENT) {
		rc = obj_create(t, name, &o);
		if (rc < 0)
			return failed(k, rc, "obj_create");
		add_op(b, WL_CREATE, obj, 0, 0);
		r = r < 20 ? 100 : 0; /* empty, or a first write */
	} else if (rc < 0) {
		return failed(k, rc, "obj_open_tx");
	} else if (k->w->p.phased) {
		r = k->batch < k->w->p.nbatches / 2 ? r % 55 : 72 + r % 28;
	}
	if (r < 55) {
		rc = do_write(k, t, o, b, g, obj, 1);
	} else if (r < 72) {
		rc = do_write(k, t, o, b, g, obj, 0);
	} else if (r < 88) {
		size = rnd_below(&k->rng, k->w->maxbytes + 1);
		rc = obj_truncate(t, o, size);
		if (rc < 0)
			rc = failed(k, rc, "obj_truncate");
		else
			add_op(b, WL_TRUNC, obj, size, 0);
	} else if (r < 100 && obj >= k->w->p.nshared) {
		rc = obj_delete(t, name);
		if (rc < 0)
			rc = failed(k, rc, "obj_delete");
		else
			add_op(b, WL_DELETE, obj, 0, 0);
	}
	obj_close(o);
	return rc;
}

static unsigned pick_object(struct worker *k)
{
	const struct wl_params *p = &k->w->p;
	unsigned i = (unsigned)rnd_below(&k->rng, p->nshared + p->nprivate);

	if (i < p->nshared)
		return i;
	return p->nshared + k->th * p->nprivate + (i - p->nshared);
}

static int run_batch(struct worker *k)
{
	struct wl_batch *b;
	struct dtx *t;
	unsigned n, i;
	uint64_t g;
	int rc;

	rc = dtx_begin(k->w->s, &t);
	if (rc < 0)
		return failed(k, rc, "dtx_begin");
	b = new_batch(k->w, k->th, &g);
	n = 1 + (unsigned)rnd_below(&k->rng, 3);
	for (i = 0; i < n; i++) {
		rc = do_target(k, t, b, g, pick_object(k));
		if (rc < 0) {
			dtx_abort(t);
			b->fate = WL_VOID;
			return rc;
		}
	}
	rc = dtx_commit(t, NULL);
	if (rc == 0 && b->nops == 0)
		b->fate = WL_VOID; /* no record: nothing made durable */
	else if (rc == 0)
		b->fate = WL_ACKED;
	else if (rc == EXO_ENOSPC || rc == EXO_ENOMEM || rc == EXO_EINVAL)
		b->fate = WL_VOID;
	else
		b->fate = WL_MAYBE;
	return rc < 0 ? failed(k, rc, "dtx_commit") : 0;
}

static void *worker_main(void *arg)
{
	struct worker *k = arg;
	unsigned i;
	int rc;

	for (i = 0; i < k->w->p.nbatches; i++) {
		k->batch = i;
		if (run_batch(k) < 0)
			break;
		if (k->th == 0 && k->w->p.ckpt_every &&
		    (i + 1) % k->w->p.ckpt_every == 0) {
			rc = store_checkpoint(k->w->s);
			if (rc < 0) {
				failed(k, rc, "store_checkpoint");
				break;
			}
		}
	}
	return NULL;
}

int wl_round(struct wl *w, unsigned round, const char *disk,
	     const struct store_opts *o, unsigned *calls)
{
	struct worker k[16];
	pthread_t tid[16];
	unsigned i, nt = w->p.nthreads;
	int rc, err = 0;

	*calls = 0;
	if (nt > 16 || reserve(w, (size_t)nt * w->p.nbatches) < 0)
		return EXO_ENOMEM;
	rc = store_open(disk, WL_CAP, WL_CAPLEN, o, &w->s);
	if (rc < 0) {
		*calls = 1;
		return rc;
	}
	for (i = 0; i < nt; i++) {
		memset(&k[i], 0, sizeof(k[i]));
		k[i].w = w;
		k[i].th = i;
		k[i].rng = w->p.seed * 1000003u + round * 7919u + i;
		if (nt == 1)
			worker_main(&k[i]);
		else if (pthread_create(&tid[i], NULL, worker_main, &k[i]))
			abort();
	}
	for (i = 0; i < nt; i++) {
		if (nt > 1)
			pthread_join(tid[i], NULL);
		*calls += k[i].calls;
		if (!err)
			err = k[i].err;
		if (k[i].bad && !w->bad) {
			w->bad = k[i].bad;
			snprintf(w->bad_what, sizeof(w->bad_what), "%s",
				 k[i].what);
		}
	}
	rc = store_close(w->s);
	w->s = NULL;
	if (rc < 0) {
		++*calls;
		if (!err)
			err = rc;
	}
	return err;
}

/* ---- the model ---- */

struct state {
	int exists[WL_MAXOBJ];
	int unknown[WL_MAXOBJ];    /* a snapshot's: unreadable, not compared */
	uint64_t size[WL_MAXOBJ];
	uint8_t *bytes[WL_MAXOBJ]; /* maxbytes + BD each; zero past size */
};

static int state_init(const struct wl *w, struct state *m)
{
	unsigned i;

	memset(m, 0, sizeof(*m));
	for (i = 0; i < w->nobj; i++) {
		m->bytes[i] = calloc(1, w->maxbytes + BD);
		if (!m->bytes[i])
			return EXO_ENOMEM;
	}
	return 0;
}

static void state_free(const struct wl *w, struct state *m)
{
	unsigned i;

	for (i = 0; i < w->nobj; i++)
		free(m->bytes[i]);
}

/* Apply batch g; returns -1 (why set) if an op's object is in the wrong
 * state. */
static int apply(const struct wl *w, struct state *m, uint64_t g,
		 char *why, size_t whylen)
{
	const struct wl_batch *b = &w->b[g - 1];
	const struct wl_op *op;
	unsigned i, x;

	for (i = 0; i < b->nops; i++) {
		op = &b->ops[i];
		x = op->obj;
		if (m->exists[x] != (op->kind != WL_CREATE)) {
			snprintf(why, whylen,
				 "history: batch %" PRIu64 " op %u on %s "
				 "which %s",
				 g, i, w->names[x],
				 m->exists[x] ? "exists" : "does not exist");
			return -1;
		}
		switch (op->kind) {
		case WL_CREATE:
			m->exists[x] = 1;
			m->size[x] = 0;
			break;
		case WL_DELETE:
			m->exists[x] = 0;
			memset(m->bytes[x], 0, m->size[x]);
			m->size[x] = 0;
			break;
		case WL_WRITE:
			wl_gen(m->bytes[x] + op->off, g, b->thread, x, op->off,
			       op->len);
			if (op->off + op->len > m->size[x])
				m->size[x] = op->off + op->len;
			break;
		case WL_TRUNC:
			if (op->off < m->size[x])
				memset(m->bytes[x] + op->off, 0,
				       m->size[x] - op->off);
			m->size[x] = op->off;
			break;
		}
	}
	return 0;
}

/* Whether snapshot a (its unknown objects skipped) equals model b. */
static int same(const struct wl *w, const struct state *a,
		const struct state *b)
{
	unsigned i;

	for (i = 0; i < w->nobj; i++) {
		if (a->unknown[i])
			continue;
		if (a->exists[i] != b->exists[i] || a->size[i] != b->size[i])
			return 0;
		if (a->exists[i] &&
		    memcmp(a->bytes[i], b->bytes[i], a->size[i]) != 0)
			return 0;
	}
	return 1;
}

/* Say how snapshot s differs from model m (the first difference). */
static void explain(const struct wl *w, const struct state *s,
		    const struct state *m, size_t g, char *why, size_t whylen)
{
	char got[64], want[64];
	uint64_t blk, nb;
	unsigned i;

	for (i = 0; i < w->nobj; i++) {
		if (s->unknown[i])
			continue;
		if (s->exists[i] != m->exists[i] || s->size[i] != m->size[i]) {
			snprintf(why, whylen,
				 "%.40s: store exists %d size %" PRIu64
				 ", after batch %zu exists %d size %" PRIu64,
				 w->names[i], s->exists[i], s->size[i], g,
				 m->exists[i], m->size[i]);
			return;
		}
		nb = (s->size[i] + BD - 1) / BD;
		for (blk = 0; blk < nb; blk++) {
			if (memcmp(s->bytes[i] + blk * BD,
				   m->bytes[i] + blk * BD, BD) == 0)
				continue;
			describe(s->bytes[i] + blk * BD, got, sizeof(got));
			describe(m->bytes[i] + blk * BD, want, sizeof(want));
			snprintf(why, whylen,
				 "%.40s block %" PRIu64 ": store has %s, after "
				 "batch %zu it holds %s",
				 w->names[i], blk, got, g, want);
			return;
		}
	}
	snprintf(why, whylen, "no difference after batch %zu", g);
}

/* ---- reading the store back ---- */

/* What a check may meet: with a flipped block, EXO_ECORRUPT naming it. */
struct probe {
	const struct wl *w;
	struct store *s;
	exo_bno flipped;   /* EXO_BNO_NONE: no error is allowed */
	unsigned detected; /* errors that named the flipped block */
	char *why;
	size_t whylen;
};

/* A call failed with rc, blaming block bad: 1 if that is the detection
 * of the flipped block, else -1 (why set). */
static int tolerate(struct probe *pr, int rc, exo_bno bad, const char *call,
		    const char *name)
{
	if (pr->flipped != EXO_BNO_NONE && rc == EXO_ECORRUPT &&
	    bad == pr->flipped) {
		pr->detected++;
		return 1;
	}
	snprintf(pr->why, pr->whylen, "%s(%.40s): %s (bad block %" PRId64 ")",
		 call, name, exo_strerror(rc),
		 bad == EXO_BNO_NONE ? (int64_t)-1 : (int64_t)bad);
	return -1;
}

/* Before a call whose error should name a block. */
static void unblame(struct probe *pr)
{
	store_set_bad(pr->s, EXO_BNO_NONE);
}

static int find_name(const struct wl *w, const char *name)
{
	unsigned i;

	for (i = 0; i < w->nobj; i++)
		if (strcmp(w->names[i], name) == 0)
			return (int)i;
	return -1;
}

/* Object i: its size and bytes into x (unknown if a tolerated error
 * stops the reading; absent if it does not open). */
static int read_object(struct probe *pr, unsigned i, struct state *x)
{
	const char *name = pr->w->names[i], *call = "obj_open";
	struct obj *o;
	uint64_t size = 0;
	size_t got = 0;
	int rc;

	unblame(pr);
	rc = obj_open(pr->s, name, &o);
	if (rc == EXO_ENOENT)
		return 0;
	if (rc == 0) {
		call = "obj_size";
		rc = obj_size(pr->s, o, &size);
		if (rc == 0 && size > pr->w->maxbytes)
			size = pr->w->maxbytes;
		if (rc == 0) {
			call = "obj_read";
			rc = obj_read(pr->s, o, 0, x->bytes[i],
				      pr->w->maxbytes + BD, &got);
		}
		if (rc == 0 && got != size) {
			call = "obj_read (short)";
			rc = EXO_ECORRUPT;
		}
		obj_close(o);
	}
	x->exists[i] = 1;
	x->size[i] = size;
	if (rc == 0)
		return 0;
	x->unknown[i] = 1;
	return tolerate(pr, rc, store_bad_block(pr->s), call, name) < 0 ? -1
									 : 0;
}

/* Every object's state as the store has it.  Names come from obj_list
 * (which must agree with obj_open), or, if a tolerated error stops the
 * listing, from the history. */
static int snapshot(struct probe *pr, struct state *x)
{
	struct obj_info *in = NULL;
	size_t n = 0, k;
	int rc, i;

	unblame(pr);
	rc = obj_list(pr->s, &in, &n);
	if (rc < 0 && tolerate(pr, rc, store_bad_block(pr->s), "obj_list",
			       "") < 0)
		return -1;
	for (k = 0; k < n; k++) {
		i = find_name(pr->w, in[k].name);
		if (i < 0 || x->exists[i] || in[k].size > pr->w->maxbytes) {
			snprintf(pr->why, pr->whylen, "obj_list: unexpected "
				 "%.40s (size %" PRIu64 ")", in[k].name,
				 in[k].size);
			free(in);
			return -1;
		}
		x->exists[i] = 1;
		x->size[i] = in[k].size;
	}
	free(in);
	for (i = 0; i < (int)pr->w->nobj; i++) {
		uint64_t listed = x->size[i];
		int was = x->exists[i];

		x->exists[i] = 0;
		if (read_object(pr, (unsigned)i, x) < 0)
			return -1;
		if (rc == 0 && !x->unknown[i] &&
		    (was != x->exists[i] || listed != x->size[i])) {
			snprintf(pr->why, pr->whylen, "%.40s: obj_list says "
				 "%s size %" PRIu64 ", obj_open and obj_size "
				 "%s size %" PRIu64, pr->w->names[i],
				 was ? "present" : "absent", listed,
				 x->exists[i] ? "present" : "absent",
				 x->size[i]);
			return -1;
		}
	}
	return 0;
}

/* Open the store and take its snapshot, then store_check.  0, 1 if the
 * open was refused for the flipped block, -1 (why set). */
static int inspect(struct probe *pr, const char *disk,
		   const struct store_opts *o, struct state *x)
{
	struct store_opts so = *o;
	exo_bno bad = EXO_BNO_NONE;
	int rc;

	so.bad = &bad;
	rc = store_open(disk, WL_CAP, WL_CAPLEN, &so, &pr->s);
	if (rc < 0)
		return tolerate(pr, rc, bad, "store_open", "");
	rc = snapshot(pr, x);
	if (rc == 0) {
		unblame(pr);
		rc = store_check(pr->s, NULL, NULL);
		if (rc < 0)
			rc = tolerate(pr, rc, store_bad_block(pr->s),
				      "store_check", "") < 0 ? -1 : 0;
	}
	if (store_close(pr->s) < 0 && rc == 0) {
		snprintf(pr->why, pr->whylen, "store_close after the check "
			 "failed");
		rc = -1;
	}
	pr->s = NULL;
	return rc;
}

/* The prefix of the history the snapshot x matches, or -1. */
static long match(const struct wl *w, const struct state *x, char *why,
		  size_t whylen)
{
	size_t lo = wl_last_acked(w), hi = 0, g;
	struct state m;
	long found = -1;

	for (g = w->n; g > 0 && !hi; g--)
		if (w->b[g - 1].fate != WL_VOID)
			hi = g;
	if (state_init(w, &m) < 0) {
		snprintf(why, whylen, "out of memory");
		state_free(w, &m);
		return -1;
	}
	for (g = 0; g <= hi && found < 0; g++) {
		if (g > 0 && w->b[g - 1].fate != WL_VOID &&
		    apply(w, &m, g, why, whylen) < 0)
			break;
		if (g < lo)
			continue;
		if (same(w, x, &m))
			found = (long)g;
		else if (g == lo)
			explain(w, x, &m, g, why, whylen);
	}
	state_free(w, &m);
	return found;
}

static long verify(struct wl *w, const char *disk, const struct store_opts *o,
		   exo_bno flipped, unsigned *detected, char *why,
		   size_t whylen)
{
	struct probe pr = { .w = w, .flipped = flipped, .why = why,
			    .whylen = whylen };
	struct state x;
	long g = -1;
	int rc;

	if (w->bad) {
		snprintf(why, whylen, "workload: %s", w->bad_what);
		return -1;
	}
	if (state_init(w, &x) < 0) {
		snprintf(why, whylen, "out of memory");
	} else {
		rc = inspect(&pr, disk, o, &x);
		if (rc == 1)
			g = WL_REFUSED;
		else if (rc == 0)
			g = match(w, &x, why, whylen);
	}
	state_free(w, &x);
	if (detected)
		*detected = pr.detected;
	return g;
}

long wl_verify(struct wl *w, const char *disk, const struct store_opts *o,
	       char *why, size_t whylen)
{
	return verify(w, disk, o, EXO_BNO_NONE, NULL, why, whylen);
}

long wl_verify_flip(struct wl *w, const char *disk,
		    const struct store_opts *o, exo_bno flipped,
		    unsigned *detected, char *why, size_t whylen)
{
	return verify(w, disk, o, flipped, detected, why, whylen);
}

/* ---- fixtures ---- */

#define FIXTURE_BLOCKS 3072 /* 12 MiB: metadata, superblocks, log, a chunk */
#define GROW_BLOCKS    8192 /* 32 MiB: room for a second chunk */

static const struct wl_params small_params = {
	.nthreads = 1, .nbatches = 8, .nprivate = 2, .nshared = 1,
	.maxblocks = 6, .ckpt_every = 3, .seed = 1,
};

static const struct wl_params big_params = {
	.nthreads = 4, .nbatches = 6, .nprivate = 3, .nshared = 2,
	.maxblocks = 8, .ckpt_every = 4,
};

static const struct wl_params grow_params = {
	.nthreads = 1, .nbatches = 40, .nprivate = 4, .nshared = 0,
	.maxblocks = 1500, .maxwrite = 120, .ckpt_every = 5, .phased = 1,
};

static int fixture_init(struct fixture *f, const char *name,
			const struct wl_params *p, uint64_t nblocks,
			const struct store_opts *o)
{
	memset(f, 0, sizeof(*f));
	snprintf(f->name, sizeof(f->name), "%s", name);
	f->nblocks = nblocks;
	f->o = *o;
	wl_init(&f->w, p);
	return disk_setup(f->name, f->nblocks, &f->o, f->disk,
			  sizeof(f->disk));
}

/* A first round without faults, checked: everything present. */
static int first_round(struct fixture *f, char *why, size_t whylen)
{
	unsigned calls;
	int rc;

	plan_none(f->name);
	rc = wl_round(&f->w, 1, f->disk, &f->o, &calls);
	f->ios = (uint64_t)fault_io_count(f->name);
	if (rc < 0)
		snprintf(why, whylen, "a round without faults: %s",
			 f->w.bad ? f->w.bad_what : exo_strerror(rc));
	else if (wl_verify(&f->w, f->disk, &f->o, why, whylen) !=
		 (long)f->w.n)
		rc = EXO_ECORRUPT;
	return rc;
}

int fixture_small(struct fixture *f, const char *name, char *why,
		  size_t whylen)
{
	struct store_opts o = { .cache_pages = 64, .log_blocks = 512,
				.log_buf_pages = 16 };
	int rc;

	rc = fixture_init(f, name, &small_params, FIXTURE_BLOCKS, &o);
	if (rc == 0)
		rc = first_round(f, why, whylen);
	if (rc < 0)
		return rc;
	f->n0 = f->w.n;
	f->media = media_save(f->name, f->nblocks);
	return f->media ? 0 : EXO_ENOMEM;
}

/* An empty store, saved; then a first round to count its I/Os. */
static int fixture_empty(struct fixture *f, const char *name,
			 const struct wl_params *p, uint64_t nblocks,
			 const struct store_opts *o, uint64_t span,
			 uint64_t seed, char *why, size_t whylen)
{
	int rc;

	rc = fixture_init(f, name, p, nblocks, o);
	f->span = span;
	if (rc < 0)
		return rc;
	f->w.p.seed = seed;
	f->media = media_save(f->name, f->nblocks);
	if (!f->media)
		return EXO_ENOMEM;
	rc = first_round(f, why, whylen);
	wl_truncate(&f->w, 0);
	return rc;
}

int fixture_big(struct fixture *f, const char *name, uint64_t seed,
		char *why, size_t whylen)
{
	struct store_opts o = { .cache_pages = 96, .log_blocks = 128,
				.log_buf_pages = 16 };

	return fixture_empty(f, name, &big_params, FIXTURE_BLOCKS, &o, 200,
			     seed, why, whylen);
}

int fixture_grow(struct fixture *f, const char *name, uint64_t seed,
		 char *why, size_t whylen)
{
	struct store_opts o = { .cache_pages = 1024, .log_blocks = 2048,
				.log_buf_pages = 64 };

	return fixture_empty(f, name, &grow_params, GROW_BLOCKS, &o, 1000,
			     seed, why, whylen);
}

int fixture_reset(struct fixture *f)
{
	wl_truncate(&f->w, f->n0);
	return media_restore(f->name, f->media, f->nblocks);
}

void fixture_free(struct fixture *f)
{
	free(f->media);
	wl_free(&f->w);
	fault_disk_destroy(f->name);
}

/* ---- fault disks ---- */

int disk_setup(const char *name, uint64_t nblocks,
	       const struct store_opts *o, char *path, size_t pathlen)
{
	struct store *s;
	int rc;

	fault_disk_destroy(name);
	snprintf(path, pathlen, "fault:%s", name);
	rc = fault_disk_create(name, nblocks);
	if (rc == 0)
		rc = exo_disk_format(path, nblocks * EXO_BLOCK_SIZE);
	if (rc == 0)
		rc = store_create(path, WL_CAP, WL_CAPLEN, o, &s);
	if (rc == 0)
		rc = store_close(s);
	return rc;
}

uint8_t *media_save(const char *name, uint64_t nblocks)
{
	uint8_t *m = malloc(nblocks * EXO_BLOCK_SIZE);

	if (m && fault_disk_read_raw(name, 0, nblocks, m) < 0) {
		free(m);
		m = NULL;
	}
	return m;
}

int media_restore(const char *name, const uint8_t *m, uint64_t nblocks)
{
	int rc = fault_disk_destroy(name);

	if (rc == 0)
		rc = fault_disk_create(name, nblocks);
	if (rc == 0)
		rc = fault_disk_write_raw(name, 0, nblocks, m);
	return rc;
}

int media_flip(const char *name, exo_bno bno, unsigned bit)
{
	uint8_t blk[EXO_BLOCK_SIZE];
	int rc;

	if (bit >= EXO_BLOCK_SIZE * 8)
		return EXO_EINVAL;
	rc = fault_disk_read_raw(name, bno, 1, blk);
	if (rc < 0)
		return rc;
	blk[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	return fault_disk_write_raw(name, bno, 1, blk);
}

int plan_cut(const char *name, uint64_t n, uint64_t seed, unsigned pct)
{
	struct fault_plan p = FAULT_PLAN_INIT;

	p.seed = seed;
	p.cut_at_io = n;
	p.persist_pct = pct;
	return fault_set_plan(name, &p);
}

int plan_eio(const char *name, uint64_t n, uint64_t seed, int sticky)
{
	struct fault_plan p = FAULT_PLAN_INIT;

	p.seed = seed;
	p.eio_at_io = n;
	p.eio_sticky = sticky;
	return fault_set_plan(name, &p);
}

int plan_none(const char *name)
{
	struct fault_plan p = FAULT_PLAN_INIT;

	return fault_set_plan(name, &p);
}
