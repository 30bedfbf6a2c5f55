/*
 * dump.c: `exodb dump` and `exodb load`, in mdb_dump's text format.
 *
 * The format (LMDB's mdb_dump/mdb_load, VERSION=3), one section per tree:
 *
 *   VERSION=3
 *   format=bytevalue            or print
 *   database=NAME               only for a named tree
 *   type=btree
 *   mapsize=1048576             for mdb_load: an LMDB map big enough
 *   maxreaders=126
 *   db_pagesize=4096
 *   HEADER=END
 *    6b6579                     a key: a space, then hex (bytevalue) or
 *    76616c7565                 text with \\ and \xx escapes (print);
 *   DATA=END                    then its value, the same way
 *
 * dump writes exactly that, so mdb_load reads it into an LMDB
 * environment (the default tree goes to LMDB's main database, named trees
 * to named databases); with -a every tree is dumped, one section after
 * the other, the default tree first if it holds anything.
 *
 * load reads mdb_dump's output (both formats, one section or many, as
 * from mdb_dump -a) or, with -T, plain text (a key line, a value line,
 * print escapes, no header).  The whole input is read and checked first
 * (header keywords, escapes and hex, key sizes, DATA=END): bad input is
 * one clear line naming the line number and nothing is written.  Then
 * the records go in, in transactions of a few MiB (halved if a
 * transaction turns out too big for the store's log); a tree that was
 * empty and whose keys come sorted is loaded with EXODB_APPEND, so its
 * pages are filled completely.  LMDB features exodb does not have
 * (duplicate keys, integer or reverse key order) are refused.
 */
#include "kv.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define MAXREADERS 126
#define BATCH_RECS 20000
#define BATCH_BYTES (8u << 20)

/* ---- dump ---- */

static const char dump_usage[] =
	"usage: exodb dump IMAGE [--store NAME] [-s TREE | -a] [-p] [-l] "
	"[-f FILE]\n"
	"\n"
	"Write a tree (default: the default tree) in the text format of\n"
	"'mdb_dump', which 'mdb_load' and 'exodb load' read.\n"
	"\n"
	"options:\n"
	"  -s, --tree TREE    dump this tree\n"
	"  -a, --all          dump every tree (the default tree first, if\n"
	"                     it is not empty), one section each\n"
	"  -p, --print        printable characters as text (format=print)\n"
	"  -l, --list         list the names of the trees instead\n"
	"  -f, --file FILE    write to FILE instead of standard output\n"
	KV_COMMON_HELP;

struct dump {
	struct kv_args a;
	int all, print, list;
	const char *file;
	FILE *out;
	uint64_t mapsize;
	struct exodb_txn *t;
	int rc;
};

static void dump_val(struct dump *d, const struct exodb_val *v)
{
	putc(' ', d->out);
	if (d->print)
		kv_print_text(d->out, v->data, v->size);
	else
		kv_print_hex(d->out, v->data, v->size);
	putc('\n', d->out);
}

/* Dump the tree called name (NULL: the default tree); with skip_empty,
 * an empty tree writes nothing. */
static int dump_tree(struct dump *d, const char *name, int skip_empty)
{
	struct exodb_tree *tr;
	struct exodb_cursor *c;
	struct exodb_val k, v;
	int err;

	err = exodb_tree_open(d->t, name, 0, &tr);
	if (err == 0)
		err = exodb_cursor_open(d->t, tr, &c);
	if (err == EXODB_NOTFOUND)
		return cli_fail("%s: no tree '%s'", d->a.image, name);
	if (err < 0)
		return kv_fail(&d->a, "dump", err);
	err = exodb_cursor_get(c, &k, &v, EXODB_FIRST);
	if (err == EXODB_NOTFOUND && skip_empty)
		return CLI_OK;
	fprintf(d->out, "VERSION=3\nformat=%s\n",
		d->print ? "print" : "bytevalue");
	if (name)
		fprintf(d->out, "database=%s\n", name);
	fprintf(d->out,
		"type=btree\nmapsize=%llu\nmaxreaders=%d\n"
		"db_pagesize=4096\nHEADER=END\n",
		(unsigned long long)d->mapsize, MAXREADERS);
	while (err == 0) {
		dump_val(d, &k);
		dump_val(d, &v);
		err = exodb_cursor_get(c, &k, &v, EXODB_NEXT);
	}
	if (err != EXODB_NOTFOUND)
		return kv_fail(&d->a, "dump", err);
	fputs("DATA=END\n", d->out);
	return CLI_OK;
}

static int dump_named(void *arg, const char *name)
{
	struct dump *d = arg;

	if (d->list) {
		fprintf(d->out, "%s\n", name);
		return 0;
	}
	d->rc = dump_tree(d, name, 0);
	return d->rc == CLI_OK ? 0 : 1;
}

/* An LMDB map size that holds what the store holds, with room: four
 * times the blocks in use, a power of two, at least LMDB's 1 MiB. */
static uint64_t map_size(const struct exodb_stat *st)
{
	uint64_t used = (st->disk_blocks - st->disk_free) * 4096, m = 1 << 20;

	while (m < 4 * used)
		m *= 2;
	return m;
}

static int dump_all(struct dump *d)
{
	struct exodb_stat st;
	int err;

	err = exodb_stat(d->t, NULL, &st);
	if (err < 0)
		return kv_fail(&d->a, "stat", err);
	d->mapsize = map_size(&st);
	if (d->list || d->all) {
		if (!d->list)
			d->rc = dump_tree(d, NULL, 1);
		if (d->rc != CLI_OK)
			return d->rc;
		err = exodb_tree_names(d->t, dump_named, d);
		if (err < 0)
			return kv_fail(&d->a, "trees", err);
		return d->rc;
	}
	return dump_tree(d, d->a.tree, 0);
}

static int parse_dump(struct dump *d, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"tree", required_argument, NULL, 's'},
		{"all", no_argument, NULL, 'a'},
		{"print", no_argument, NULL, 'p'},
		{"list", no_argument, NULL, 'l'},
		{"file", required_argument, NULL, 'f'},
		KV_LONGOPTS,
		{NULL, 0, NULL, 0},
	};
	int c;

	while ((c = cli_getopt(d->a.path, argc, argv, "s:aplf:", longopts)) !=
	       -1) {
		if (c == 'h') {
			fputs(dump_usage, stdout);
			return -1;
		}
		if (c == 's')
			d->a.tree = optarg;
		else if (c == 'a')
			d->all = 1;
		else if (c == 'p')
			d->print = 1;
		else if (c == 'l')
			d->list = 1;
		else if (c == 'f')
			d->file = optarg;
		else if (kv_common_opt(&d->a, c, optarg) <= 0)
			return CLI_USAGE;
	}
	if (d->all && d->a.tree)
		return cli_usage_error(d->a.path, "give -s or -a, not both");
	return kv_positional(&d->a, argc, argv, 0, NULL);
}

int cmd_dump(int argc, char **argv)
{
	struct dump d = { .a = { .path = "exodb dump" } };
	struct exodb *db;
	int rc, err;

	rc = parse_dump(&d, argc, argv);
	if (rc != CLI_OK)
		return rc < 0 ? CLI_OK : rc;
	rc = kv_open(&d.a, EXODB_READONLY_STORE, &db);
	if (rc != CLI_OK)
		return rc;
	d.out = d.file ? fopen(d.file, "w") : stdout;
	if (!d.out) {
		exodb_close(db);
		return cli_fail("%s: %s", d.file, strerror(errno));
	}
	err = exodb_txn_begin(db, EXODB_RDONLY, &d.t);
	rc = err < 0 ? kv_fail(&d.a, "begin", err) : dump_all(&d);
	exodb_txn_abort(d.t);
	exodb_close(db);
	if (fflush(d.out) || ferror(d.out))
		rc = cli_fail("%s: write error: %s",
			      d.file ? d.file : "stdout", strerror(errno));
	if (d.file && fclose(d.out) && rc == CLI_OK)
		rc = cli_fail("%s: %s", d.file, strerror(errno));
	return rc;
}

/* ---- load: reading and checking the input ---- */

static const char load_usage[] =
	"usage: exodb load IMAGE [--store NAME] [-s TREE] [-f FILE] [-N] "
	"[-T]\n"
	"\n"
	"Load the output of 'mdb_dump' or 'exodb dump' (one tree or, from\n"
	"-a, many) into the store, creating trees as needed: each section\n"
	"goes to the tree its database= line names, or to TREE (default: the\n"
	"default tree).  The whole input is checked before anything is\n"
	"written; bad input is an error naming its line, and nothing is\n"
	"loaded.\n"
	"\n"
	"options:\n"
	"  -s, --tree TREE    the tree for sections without database=\n"
	"  -f, --file FILE    read FILE instead of standard input\n"
	"  -N, --no-overwrite keep the value of keys that already exist\n"
	"  -T, --text         plain text: a key line, then a value line,\n"
	"                     escaped like format=print, no header\n"
	KV_COMMON_HELP;

struct rec {
	const uint8_t *k, *v;
	size_t klen, vlen;
};

struct section {
	char *name; /* from database=, or NULL */
	struct rec *r;
	size_t n, cap;
	int print;
	int sorted; /* keys strictly ascending */
};

struct load {
	struct kv_args a;
	const char *file;
	int noover, text;
	uint8_t *buf;
	size_t len, pos;
	uint64_t line;
	struct section *sec;
	size_t nsec;
};

static int bad_input(struct load *l, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int bad_input(struct load *l, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return cli_fail("%s: line %llu: %s (nothing loaded)",
			l->file ? l->file : "stdin",
			(unsigned long long)l->line, msg);
}

static int read_input(struct load *l)
{
	FILE *f = l->file ? fopen(l->file, "rb") : stdin;
	size_t cap = 1 << 16, got;
	uint8_t *nb;

	if (!f)
		return cli_fail("%s: %s", l->file, strerror(errno));
	l->buf = malloc(cap);
	while (l->buf && (got = fread(l->buf + l->len, 1, cap - l->len, f))) {
		l->len += got;
		if (l->len < cap)
			continue;
		nb = realloc(l->buf, cap * 2);
		if (!nb)
			free(l->buf);
		l->buf = nb;
		cap *= 2;
	}
	if (!l->buf || ferror(f)) {
		if (l->file)
			fclose(f);
		return cli_fail("%s: cannot read it", l->file ? l->file
							  : "stdin");
	}
	if (l->file)
		fclose(f);
	return CLI_OK;
}

/* The next line (without its newline): 1, or 0 at the end. */
static int next_line(struct load *l, uint8_t **s, size_t *n)
{
	uint8_t *nl;

	if (l->pos >= l->len)
		return 0;
	*s = l->buf + l->pos;
	nl = memchr(*s, '\n', l->len - l->pos);
	*n = nl ? (size_t)(nl - *s) : l->len - l->pos;
	l->pos += *n + (nl != NULL);
	l->line++;
	return 1;
}

static int is(const uint8_t *s, size_t n, const char *word)
{
	return n == strlen(word) && !memcmp(s, word, n);
}

/* One header line "key=value" into sec. */
static int header_line(struct load *l, struct section *sec, uint8_t *s,
		       size_t n)
{
	uint8_t *eq = memchr(s, '=', n), *v;
	size_t kl, vl;

	if (!eq)
		return bad_input(l, "expected KEYWORD=VALUE in the header");
	kl = (size_t)(eq - s);
	v = eq + 1;
	vl = n - kl - 1;
	if (is(s, kl, "VERSION")) {
		if (!is(v, vl, "1") && !is(v, vl, "2") && !is(v, vl, "3"))
			return bad_input(l, "unsupported VERSION '%.*s'",
					 (int)vl, v);
	} else if (is(s, kl, "format")) {
		if (!is(v, vl, "print") && !is(v, vl, "bytevalue"))
			return bad_input(l, "unsupported format '%.*s'",
					 (int)vl, v);
		sec->print = is(v, vl, "print");
	} else if (is(s, kl, "database")) {
		if (vl == 0 || vl > EXODB_NAME_MAX || memchr(v, 0, vl))
			return bad_input(l, "bad database name (1..%u bytes)",
					 EXODB_NAME_MAX);
		free(sec->name);
		sec->name = strndup((const char *)v, vl);
	} else if (is(s, kl, "type")) {
		if (!is(v, vl, "btree"))
			return bad_input(l, "unsupported type '%.*s'", (int)vl,
					 v);
	} else if (is(s, kl, "duplicates") || is(s, kl, "dupsort") ||
		   is(s, kl, "dupfixed") || is(s, kl, "integerdup") ||
		   is(s, kl, "reversedup")) {
		if (!is(v, vl, "0"))
			return bad_input(l, "duplicate keys (%.*s) are not "
					 "supported by exodb",
					 (int)kl, s);
	} else if (is(s, kl, "integerkey") || is(s, kl, "reversekey")) {
		if (!is(v, vl, "0"))
			return bad_input(l, "%.*s order is not supported: "
					 "exodb orders keys with memcmp",
					 (int)kl, s);
	} else if (!is(s, kl, "mapsize") && !is(s, kl, "maxreaders") &&
		   !is(s, kl, "mapaddr") && !is(s, kl, "db_pagesize")) {
		fprintf(stderr, "exodb: line %llu: unknown keyword '%.*s' "
			"ignored\n",
			(unsigned long long)l->line, (int)kl, s);
	}
	return CLI_OK;
}

/* A header; *end set if the input ended before it began. */
static int read_header(struct load *l, struct section *sec, int *end)
{
	uint8_t *s;
	size_t n;
	int any = 0, rc;

	*end = 0;
	while (next_line(l, &s, &n)) {
		any = 1;
		if (is(s, n, "HEADER=END"))
			return CLI_OK;
		rc = header_line(l, sec, s, n);
		if (rc != CLI_OK)
			return rc;
	}
	if (!any) {
		*end = 1;
		return CLI_OK;
	}
	return bad_input(l, "the input ends inside a header");
}

static int add_rec(struct load *l, struct section *sec, uint8_t *k,
		   size_t kl, uint8_t *v, size_t vl)
{
	struct rec *r, *nr;
	int c;

	if (kl == 0 || kl > EXODB_MAXKEYSIZE)
		return bad_input(l, "a key of %zu bytes (exodb keys are "
				 "1..%u bytes)",
				 kl, EXODB_MAXKEYSIZE);
	if (vl > EXODB_MAXVALSIZE)
		return bad_input(l, "a value of %zu bytes (at most %u)", vl,
				 EXODB_MAXVALSIZE);
	if (sec->n == sec->cap) {
		sec->cap = sec->cap ? sec->cap * 2 : 1024;
		nr = realloc(sec->r, sec->cap * sizeof(*nr));
		if (!nr)
			return cli_fail("out of memory");
		sec->r = nr;
	}
	if (sec->n) {
		r = &sec->r[sec->n - 1];
		c = memcmp(r->k, k, r->klen < kl ? r->klen : kl);
		if (c > 0 || (c == 0 && r->klen >= kl))
			sec->sorted = 0;
	}
	sec->r[sec->n++] = (struct rec){ k, v, kl, vl };
	return CLI_OK;
}

/* Decode one data line in place. */
static int decode(struct load *l, int print, uint8_t *s, size_t n,
		  size_t *out)
{
	if (print ? kv_unprint(s, n, out) : kv_unhex(s, n, out))
		return bad_input(l, print ? "bad escape (\\\\ or \\ and two "
					    "hex digits)"
					  : "bad hex digits");
	return CLI_OK;
}

/* The data lines of a section, up to DATA=END. */
static int read_data(struct load *l, struct section *sec)
{
	uint8_t *k, *v;
	size_t kn, vn, kl, vl;
	int rc;

	for (;;) {
		if (!next_line(l, &k, &kn))
			return bad_input(l, "the input ends before DATA=END");
		if (is(k, kn, "DATA=END"))
			return CLI_OK;
		if (kn == 0 || k[0] != ' ')
			return bad_input(l, "expected a data line (starting "
					 "with a space) or DATA=END");
		rc = decode(l, sec->print, k + 1, kn - 1, &kl);
		if (rc != CLI_OK)
			return rc;
		if (!next_line(l, &v, &vn) || vn == 0 || v[0] != ' ')
			return bad_input(l, "a key without a value line");
		rc = decode(l, sec->print, v + 1, vn - 1, &vl);
		if (rc == CLI_OK)
			rc = add_rec(l, sec, k + 1, kl, v + 1, vl);
		if (rc != CLI_OK)
			return rc;
	}
}

/* -T: key and value lines, print escapes, no header. */
static int read_text(struct load *l, struct section *sec)
{
	uint8_t *k, *v;
	size_t kn, vn;
	int rc;

	sec->print = 1;
	while (next_line(l, &k, &kn)) {
		rc = decode(l, 1, k, kn, &kn);
		if (rc != CLI_OK)
			return rc;
		if (!next_line(l, &v, &vn))
			return bad_input(l, "a key without a value line");
		rc = decode(l, 1, v, vn, &vn);
		if (rc == CLI_OK)
			rc = add_rec(l, sec, k, kn, v, vn);
		if (rc != CLI_OK)
			return rc;
	}
	return CLI_OK;
}

static struct section *new_section(struct load *l)
{
	struct section *ns = realloc(l->sec, (l->nsec + 1) * sizeof(*ns));

	if (!ns)
		return NULL;
	l->sec = ns;
	ns = &l->sec[l->nsec++];
	memset(ns, 0, sizeof(*ns));
	ns->sorted = 1;
	return ns;
}

static int parse_input(struct load *l)
{
	struct section *sec;
	int rc, end;

	if (l->len == 0)
		return bad_input(l, "empty input");
	if (l->text) {
		sec = new_section(l);
		return sec ? read_text(l, sec) : cli_fail("out of memory");
	}
	for (;;) {
		sec = new_section(l);
		if (!sec)
			return cli_fail("out of memory");
		rc = read_header(l, sec, &end);
		if (rc != CLI_OK)
			return rc;
		if (end) {
			l->nsec--;
			return CLI_OK;
		}
		rc = read_data(l, sec);
		if (rc != CLI_OK)
			return rc;
	}
}

/* ---- load: writing ---- */

struct batch {
	size_t recs;
	size_t bytes;
};

/* Load records [from, ...) of sec in one transaction, as many as the
 * batch allows; *next is where the next transaction starts. */
static int load_batch(struct load *l, struct exodb *db, struct section *sec,
		      const char *name, int append, size_t from,
		      const struct batch *b, size_t *next)
{
	struct exodb_txn *t;
	struct exodb_tree *tr;
	struct exodb_val k, v;
	size_t i, bytes = 0;
	unsigned flags = (append ? EXODB_APPEND : 0) |
			 (l->noover ? EXODB_NOOVERWRITE : 0);
	int err;

	*next = from;
	err = exodb_txn_begin(db, 0, &t);
	if (err < 0)
		return err;
	err = exodb_tree_open(t, name, EXODB_TREE_CREATE, &tr);
	for (i = from; err == 0 && i < sec->n; i++) {
		if (i - from >= b->recs || (bytes >= b->bytes && i > from))
			break;
		k = (struct exodb_val){ sec->r[i].klen, sec->r[i].k };
		v = (struct exodb_val){ sec->r[i].vlen, sec->r[i].v };
		err = exodb_put(t, tr, &k, &v, flags);
		if (err == EXODB_KEYEXIST && l->noover)
			err = 0;
		bytes += k.size + v.size;
	}
	*next = i;
	if (err < 0) {
		exodb_txn_abort(t);
		return err;
	}
	return exodb_txn_commit(t);
}

/* Is the tree called name empty (or missing)? */
static int tree_empty(struct exodb *db, const char *name)
{
	struct exodb_txn *t;
	struct exodb_tree *tr;
	struct exodb_cursor *c;
	struct exodb_val k;
	int err, empty = 1;

	if (exodb_txn_begin(db, EXODB_RDONLY, &t) < 0)
		return 0;
	err = exodb_tree_open(t, name, 0, &tr);
	if (err == 0)
		err = exodb_cursor_open(t, tr, &c);
	if (err == 0)
		empty = exodb_cursor_get(c, &k, NULL, EXODB_FIRST) ==
			EXODB_NOTFOUND;
	else if (err != EXODB_NOTFOUND)
		empty = 0;
	exodb_txn_abort(t);
	return empty;
}

static int load_section(struct load *l, struct exodb *db,
			struct section *sec, uint64_t *done)
{
	const char *name = sec->name ? sec->name : l->a.tree;
	struct batch b = { BATCH_RECS, BATCH_BYTES };
	int append = sec->sorted && tree_empty(db, name);
	size_t i = 0, next;
	int err;

	while (i < sec->n || i == 0) {
		err = load_batch(l, db, sec, name, append, i, &b, &next);
		if (err == EXODB_TXN_FULL && b.recs > 1) {
			/* too big for the log or cache: halve the batch */
			if (next - i < b.recs)
				b.recs = next - i;
			b.recs = b.recs > 1 ? b.recs / 2 : 1;
			b.bytes /= 2;
			continue;
		}
		if (err < 0)
			return cli_fail("%s: load stopped after %llu records "
					"(%s): %s",
					l->a.image, (unsigned long long)*done,
					name ? name : "default tree",
					exodb_strerror(err));
		*done += next - i;
		i = next;
		if (sec->n == 0)
			break;
	}
	return CLI_OK;
}

static int parse_load(struct load *l, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"tree", required_argument, NULL, 's'},
		{"file", required_argument, NULL, 'f'},
		{"no-overwrite", no_argument, NULL, 'N'},
		{"text", no_argument, NULL, 'T'},
		KV_LONGOPTS,
		{NULL, 0, NULL, 0},
	};
	int c;

	while ((c = cli_getopt(l->a.path, argc, argv, "s:f:NT", longopts)) !=
	       -1) {
		if (c == 'h') {
			fputs(load_usage, stdout);
			return -1;
		}
		if (c == 's')
			l->a.tree = optarg;
		else if (c == 'f')
			l->file = optarg;
		else if (c == 'N')
			l->noover = 1;
		else if (c == 'T')
			l->text = 1;
		else if (kv_common_opt(&l->a, c, optarg) <= 0)
			return CLI_USAGE;
	}
	if (l->a.tree && (!l->a.tree[0] || strlen(l->a.tree) > EXODB_NAME_MAX))
		return cli_usage_error(l->a.path, "bad tree name '%s'",
				       l->a.tree);
	return kv_positional(&l->a, argc, argv, 0, NULL);
}

static void free_load(struct load *l)
{
	for (size_t i = 0; i < l->nsec; i++) {
		free(l->sec[i].name);
		free(l->sec[i].r);
	}
	free(l->sec);
	free(l->buf);
}

int cmd_load(int argc, char **argv)
{
	struct load l = { .a = { .path = "exodb load" } };
	struct exodb *db;
	uint64_t done = 0;
	size_t i;
	int rc, err;

	rc = parse_load(&l, argc, argv);
	if (rc != CLI_OK)
		return rc < 0 ? CLI_OK : rc;
	rc = read_input(&l);
	if (rc == CLI_OK)
		rc = parse_input(&l);
	if (rc == CLI_OK)
		rc = kv_open(&l.a, 0, &db);
	if (rc == CLI_OK) {
		for (i = 0; rc == CLI_OK && i < l.nsec; i++)
			rc = load_section(&l, db, &l.sec[i], &done);
		err = exodb_close(db);
		if (rc == CLI_OK && err < 0)
			rc = kv_fail(&l.a, "close", err);
	}
	if (rc == CLI_OK)
		printf("loaded %llu records into %zu tree%s\n",
		       (unsigned long long)done, l.nsec,
		       l.nsec == 1 ? "" : "s");
	free_load(&l);
	return rc;
}
