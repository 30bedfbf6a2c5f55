/*
 * kv.c: the exodb CLI's store commands.
 *
 *   exodb create IMAGE [--store NAME] [--size SIZE] [--log SIZE]
 *   exodb stat   IMAGE [--store NAME] [-s TREE]
 *   exodb check  IMAGE [--store NAME]
 *   exodb get    IMAGE [--store NAME] [-s TREE] [--hex|--raw] KEY
 *   exodb put    IMAGE [--store NAME] [-s TREE] [--hex] [-N] KEY VALUE
 *   exodb del    IMAGE [--store NAME] [-s TREE] [--hex] KEY
 *   exodb scan   IMAGE [--store NAME] [-s TREE] [--from K] [--to K]
 *                [--limit N] [--reverse] [--hex]
 *
 * Commands that only read (stat, check, get, scan) open the store
 * read-only: recovery, if the store needs any, is done in memory and
 * nothing is written.  put and del are one durable transaction each.
 * Each has --help; see kv.h for the options they share.
 */
#include "kv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "exo.h"

/* ---- create ---- */

static const char create_usage[] =
	"usage: exodb create IMAGE [--store NAME] [--size SIZE] [--log SIZE]"
	"\n\n"
	"Create an empty store called NAME on the exodb disk IMAGE.  With\n"
	"--size, IMAGE is first made an exodb disk of SIZE bytes (like\n"
	"'exodb disk format'), which is refused if it already is one (a disk\n"
	"holds many stores, and create never formats over them) or if it is\n"
	"some other non-empty file.\n"
	"\n"
	"options:\n"
	"      --size SIZE    format IMAGE first (64M, 1G, ...)\n"
	"      --log SIZE     the store's log (default 128M, at most a\n"
	"                     quarter of the free disk); a transaction may\n"
	"                     change up to a quarter of it\n" KV_COMMON_HELP;

static int format_first(const struct kv_args *a, const char *size_arg)
{
	struct exo_disk_info *info;
	struct stat st;
	uint64_t bytes;
	int err;

	if (cli_parse_size(size_arg, &bytes) < 0 || bytes % EXO_BLOCK_SIZE)
		return cli_usage_error(a->path,
				       "bad size '%s' (a multiple of 4096)",
				       size_arg);
	if (exo_disk_info(a->image, &info) == 0) {
		exo_disk_info_free(info);
		return cli_fail("%s: already an exodb disk: leave out --size "
				"to add a store to it",
				a->image);
	}
	if (stat(a->image, &st) == 0 && (!S_ISREG(st.st_mode) || st.st_size))
		return cli_fail("%s: exists and is not an exodb disk: 'exodb "
				"disk format' overwrites it",
				a->image);
	err = exo_disk_format(a->image, bytes);
	if (err < 0)
		return cli_fail("%s: cannot format: %s", a->image,
				exo_strerror(err));
	return CLI_OK;
}

int cmd_create(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"size", required_argument, NULL, 'z'},
		{"log", required_argument, NULL, 'l'},
		KV_LONGOPTS,
		{NULL, 0, NULL, 0},
	};
	struct kv_args a = { .path = "exodb create" };
	struct exodb_opts o = { 0 };
	const char *size_arg = NULL;
	struct exodb *db;
	int c, rc;

	while ((c = cli_getopt(a.path, argc, argv, "", longopts)) != -1) {
		if (c == 'h')
			return fputs(create_usage, stdout), CLI_OK;
		if (c == 'z') {
			size_arg = optarg;
		} else if (c == 'l') {
			if (cli_parse_size(optarg, &o.log_bytes) < 0)
				return cli_usage_error(a.path, "bad size '%s'",
						       optarg);
		} else if ((rc = kv_common_opt(&a, c, optarg)) <= 0) {
			return CLI_USAGE;
		}
	}
	rc = kv_positional(&a, argc, argv, 0, NULL);
	if (rc == CLI_OK && size_arg)
		rc = format_first(&a, size_arg);
	if (rc != CLI_OK)
		return rc;
	o.disk = a.image;
	o.store = a.store;
	o.cache_bytes = a.cache;
	o.io = a.io;
	o.flags = EXODB_CREATE | EXODB_EXCL;
	rc = exodb_open(&o, &db);
	if (rc == EXO_EEXIST || rc == EXO_EBADDISK || rc == EXO_EBUSY ||
	    rc == EXO_ENOENT)
		return kv_open(&a, o.flags, &db);
	if (rc < 0)
		return kv_fail(&a, "cannot create the store", rc);
	rc = exodb_close(db);
	if (rc < 0)
		return kv_fail(&a, "close", rc);
	printf("created store '%s' on %s\n", a.store ? a.store : "main",
	       a.image);
	return CLI_OK;
}

/* ---- stat ---- */

static const char stat_usage[] =
	"usage: exodb stat IMAGE [--store NAME] [-s TREE]\n"
	"\n"
	"Show the store's space and, for every tree (or only TREE), its\n"
	"entries, depth, pages (branch, leaf, overflow) and how full they\n"
	"are.\n"
	"\n"
	"options:\n"
	"  -s, --tree TREE    only this tree (default: every tree)\n"
	KV_COMMON_HELP;

static void stat_line(const char *name, const struct exodb_stat *st)
{
	uint64_t pages = st->branch_pages + st->leaf_pages;
	double fill = pages ? 100.0 * (double)st->bytes_used /
				      (double)(pages * 4056)
			    : 0;

	printf("  %-20s %10llu entries, depth %u, %llu branch + %llu leaf + "
	       "%llu overflow pages, %.0f%% full\n",
	       name, (unsigned long long)st->entries, st->depth,
	       (unsigned long long)st->branch_pages,
	       (unsigned long long)st->leaf_pages,
	       (unsigned long long)st->overflow_pages, fill);
}

struct stat_ctx {
	const struct kv_args *a;
	struct exodb_txn *t;
	int rc;
};

static int stat_tree(void *arg, const char *name)
{
	struct stat_ctx *sc = arg;
	struct exodb_tree *tr;
	struct exodb_stat st;
	int err;

	err = exodb_tree_open(sc->t, name, 0, &tr);
	if (err == 0)
		err = exodb_stat(sc->t, tr, &st);
	if (err < 0)
		return sc->rc = kv_fail(sc->a, name ? name : "(default)", err),
		       -1;
	if (name) {
		char q[EXODB_NAME_MAX + 3];

		snprintf(q, sizeof(q), "'%s'", name);
		stat_line(q, &st);
	} else {
		stat_line("(default)", &st);
	}
	return 0;
}

int cmd_stat(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"tree", required_argument, NULL, 's'},
		KV_LONGOPTS,
		{NULL, 0, NULL, 0},
	};
	struct kv_args a = { .path = "exodb stat" };
	struct stat_ctx sc = { .a = &a };
	struct exodb_stat st;
	struct exodb *db;
	char h1[32], h2[32];
	int c, rc;

	while ((c = cli_getopt(a.path, argc, argv, "s:", longopts)) != -1) {
		if (c == 'h')
			return fputs(stat_usage, stdout), CLI_OK;
		if (c == 's')
			a.tree = optarg;
		else if (kv_common_opt(&a, c, optarg) <= 0)
			return CLI_USAGE;
	}
	rc = kv_positional(&a, argc, argv, 0, NULL);
	if (rc == CLI_OK)
		rc = kv_open(&a, EXODB_READONLY_STORE, &db);
	if (rc != CLI_OK)
		return rc;
	rc = exodb_txn_begin(db, EXODB_RDONLY, &sc.t);
	if (rc == 0)
		rc = exodb_stat(sc.t, NULL, &st);
	if (rc < 0) {
		exodb_close(db);
		return kv_fail(&a, "stat", rc);
	}
	printf("store '%s' on %s: %llu blocks in chunks (%s), %llu free "
	       "(%s)\n",
	       a.store ? a.store : "main", a.image,
	       (unsigned long long)st.disk_blocks,
	       cli_human_bytes(st.disk_blocks * 4096, h1, sizeof(h1)),
	       (unsigned long long)st.disk_free,
	       cli_human_bytes(st.disk_free * 4096, h2, sizeof(h2)));
	if (a.tree) {
		stat_tree(&sc, a.tree);
	} else if (stat_tree(&sc, NULL) == 0) {
		rc = exodb_tree_names(sc.t, stat_tree, &sc);
		if (rc < 0 && !sc.rc)
			sc.rc = kv_fail(&a, "trees", rc);
	}
	exodb_txn_abort(sc.t);
	exodb_close(db);
	return sc.rc;
}

/* ---- check ---- */

static const char check_usage[] =
	"usage: exodb check IMAGE [--store NAME]\n"
	"\n"
	"Verify the whole store: every page's checksum; the superblock, log\n"
	"and allocator (every block used exactly once or free); every tree's\n"
	"pages (format, keys in order and in their parent's range, all\n"
	"leaves at one depth, no empty pages) and overflow chains.  Prints\n"
	"what it counted, or the first problem and its block (exit 1).\n"
	"\n"
	"options:\n" KV_COMMON_HELP;

int cmd_check(int argc, char **argv)
{
	static const struct option longopts[] = {
		KV_LONGOPTS,
		{NULL, 0, NULL, 0},
	};
	struct kv_args a = { .path = "exodb check" };
	struct exodb_check_report r;
	struct exodb *db;
	int c, rc;

	while ((c = cli_getopt(a.path, argc, argv, "", longopts)) != -1) {
		if (c == 'h')
			return fputs(check_usage, stdout), CLI_OK;
		if (kv_common_opt(&a, c, optarg) <= 0)
			return CLI_USAGE;
	}
	rc = kv_positional(&a, argc, argv, 0, NULL);
	if (rc == CLI_OK)
		rc = kv_open(&a, EXODB_READONLY_STORE, &db);
	if (rc != CLI_OK)
		return rc;
	rc = exodb_check(db, &r);
	exodb_close(db);
	if (rc < 0)
		return cli_fail("%s: store '%s' is damaged: %s", a.image,
				a.store ? a.store : "main",
				r.problem[0] ? r.problem : exodb_strerror(rc));
	printf("%s: store '%s' ok: %llu trees, %llu entries; pages: %llu "
	       "branch, %llu leaf, %llu overflow; depth up to %u; %llu "
	       "under-full pages\n",
	       a.image, a.store ? a.store : "main",
	       (unsigned long long)r.trees, (unsigned long long)r.entries,
	       (unsigned long long)r.branch_pages,
	       (unsigned long long)r.leaf_pages,
	       (unsigned long long)r.overflow_pages, r.max_depth,
	       (unsigned long long)r.underfull_pages);
	return CLI_OK;
}

/* ---- get, put, del ---- */

static const char get_usage[] =
	"usage: exodb get IMAGE [--store NAME] [-s TREE] [--hex|--raw] KEY\n"
	"\n"
	"Print the value of KEY: as text, non-printable bytes escaped like\n"
	"'mdb_dump -p' (\\\\ and \\xx); as hex with --hex; or its exact bytes\n"
	"with --raw.  Exit 1 if KEY is not there.\n"
	"\n"
	"options:\n"
	"  -s, --tree TREE    the tree (default: the default tree)\n"
	"  -x, --hex          KEY is hex, and the value is printed as hex\n"
	"  -r, --raw          print the value's bytes, nothing added\n"
	KV_COMMON_HELP;

static const char put_usage[] =
	"usage: exodb put IMAGE [--store NAME] [-s TREE] [--hex] [-N] KEY "
	"VALUE\n"
	"\n"
	"Set KEY to VALUE in one durable transaction (VALUE '-': read it\n"
	"from standard input).  The tree is created if it does not exist.\n"
	"\n"
	"options:\n"
	"  -s, --tree TREE    the tree (default: the default tree)\n"
	"  -x, --hex          KEY and VALUE are hex\n"
	"  -N, --no-overwrite fail (exit 1) if KEY exists\n" KV_COMMON_HELP;

static const char del_usage[] =
	"usage: exodb del IMAGE [--store NAME] [-s TREE] [--hex] KEY\n"
	"\n"
	"Delete KEY in one durable transaction.  Exit 1 if it is not there.\n"
	"\n"
	"options:\n"
	"  -s, --tree TREE    the tree (default: the default tree)\n"
	"  -x, --hex          KEY is hex\n" KV_COMMON_HELP;

enum { OP_GET, OP_PUT, OP_DEL };

struct kv_cmd {
	struct kv_args a;
	int raw, noover;
	char *args[2];
};

static int parse_kv(struct kv_cmd *k, int op, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"tree", required_argument, NULL, 's'},
		{"hex", no_argument, NULL, 'x'},
		{"raw", no_argument, NULL, 'r'},
		{"no-overwrite", no_argument, NULL, 'N'},
		KV_LONGOPTS,
		{NULL, 0, NULL, 0},
	};
	const char *usage = op == OP_GET ? get_usage
			    : op == OP_PUT ? put_usage
					   : del_usage;
	int c;

	while ((c = cli_getopt(k->a.path, argc, argv, "s:xrN", longopts)) !=
	       -1) {
		if (c == 'h') {
			fputs(usage, stdout);
			return -1;
		}
		if (c == 's')
			k->a.tree = optarg;
		else if (c == 'x')
			k->a.hex = 1;
		else if (c == 'r' && op == OP_GET)
			k->raw = 1;
		else if (c == 'N' && op == OP_PUT)
			k->noover = 1;
		else if (c == 'r' || c == 'N')
			return cli_usage_error(k->a.path, "unknown option "
						"'%s'", argv[optind - 1]);
		else if (kv_common_opt(&k->a, c, optarg) <= 0)
			return CLI_USAGE;
	}
	return kv_positional(&k->a, argc, argv, op == OP_PUT ? 2 : 1,
			     k->args);
}

/* Read all of standard input into *out. */
static int read_stdin(uint8_t **out, size_t *len)
{
	size_t cap = 1 << 16, n = 0, got;
	uint8_t *b = malloc(cap), *nb;

	while (b && (got = fread(b + n, 1, cap - n, stdin)) > 0) {
		n += got;
		if (n == cap) {
			nb = realloc(b, cap * 2);
			if (!nb)
				break;
			b = nb;
			cap *= 2;
		}
	}
	if (!b || ferror(stdin) || n == cap) {
		free(b);
		return -1;
	}
	*out = b;
	*len = n;
	return 0;
}

static int get_value(const struct kv_cmd *k, struct exodb_txn *t,
		     struct exodb_tree *tr, const struct exodb_val *key)
{
	struct exodb_val v;
	int err = exodb_get(t, tr, key, &v);

	if (err == EXODB_NOTFOUND)
		return cli_fail("%s: key not found", k->a.image);
	if (err < 0)
		return kv_fail(&k->a, "get", err);
	if (k->raw) {
		fwrite(v.data, 1, v.size, stdout);
	} else {
		if (k->a.hex)
			kv_print_hex(stdout, v.data, v.size);
		else
			kv_print_text(stdout, v.data, v.size);
		putchar('\n');
	}
	return CLI_OK;
}

/* Run op on the decoded key (and value) in one transaction. */
static int run_kv(struct kv_cmd *k, int op, struct exodb *db,
		  const struct exodb_val *key, const struct exodb_val *val)
{
	struct exodb_txn *t;
	struct exodb_tree *tr;
	int err, rc;

	err = exodb_txn_begin(db, op == OP_GET ? EXODB_RDONLY : 0, &t);
	if (err < 0)
		return kv_fail(&k->a, "begin", err);
	rc = kv_tree(&k->a, t, op == OP_PUT, &tr);
	if (rc == CLI_OK && op == OP_GET)
		rc = get_value(k, t, tr, key);
	if (rc != CLI_OK || op == OP_GET) {
		exodb_txn_abort(t);
		return rc;
	}
	err = op == OP_PUT ? exodb_put(t, tr, key, val,
				       k->noover ? EXODB_NOOVERWRITE : 0)
			   : exodb_del(t, tr, key);
	if (err < 0) {
		exodb_txn_abort(t);
		if (err == EXODB_NOTFOUND)
			return cli_fail("%s: key not found", k->a.image);
		if (err == EXODB_KEYEXIST)
			return cli_fail("%s: key exists", k->a.image);
		if (err == EXODB_BAD_VALSIZE)
			return cli_fail("key of %zu bytes: keys are 1..%u "
					"bytes", key->size, EXODB_MAXKEYSIZE);
		return kv_fail(&k->a, op == OP_PUT ? "put" : "del", err);
	}
	err = exodb_txn_commit(t);
	return err < 0 ? kv_fail(&k->a, "commit", err) : CLI_OK;
}

static int kv_command(int op, const char *path, int argc, char **argv)
{
	struct kv_cmd k = { .a = { .path = path } };
	struct exodb_val key = { 0 }, val = { 0 };
	uint8_t *kb = NULL, *vb = NULL;
	struct exodb *db;
	int rc;

	rc = parse_kv(&k, op, argc, argv);
	if (rc != CLI_OK)
		return rc < 0 ? CLI_OK : rc;
	if (kv_decode(&k.a, k.args[0], &kb, &key.size) < 0)
		return cli_usage_error(path, "bad hex key '%s'", k.args[0]);
	key.data = kb;
	if (op == OP_PUT && !strcmp(k.args[1], "-") && !k.a.hex)
		rc = read_stdin(&vb, &val.size) < 0
			     ? cli_fail("cannot read the value from stdin")
			     : CLI_OK;
	else if (op == OP_PUT && kv_decode(&k.a, k.args[1], &vb, &val.size))
		rc = cli_usage_error(path, "bad hex value '%s'", k.args[1]);
	val.data = vb;
	if (rc == CLI_OK && (key.size == 0 || key.size > EXODB_MAXKEYSIZE))
		rc = cli_usage_error(path, "key of %zu bytes: keys are 1..%u "
				     "bytes", key.size, EXODB_MAXKEYSIZE);
	if (rc == CLI_OK)
		rc = kv_open(&k.a, op == OP_GET ? EXODB_READONLY_STORE : 0,
			     &db);
	if (rc == CLI_OK) {
		rc = run_kv(&k, op, db, &key, &val);
		int err = exodb_close(db);

		if (rc == CLI_OK && err < 0)
			rc = kv_fail(&k.a, "close", err);
	}
	free(kb);
	free(vb);
	return rc;
}

int cmd_get(int argc, char **argv)
{
	return kv_command(OP_GET, "exodb get", argc, argv);
}

int cmd_put(int argc, char **argv)
{
	return kv_command(OP_PUT, "exodb put", argc, argv);
}

int cmd_del(int argc, char **argv)
{
	return kv_command(OP_DEL, "exodb del", argc, argv);
}

/* ---- scan ---- */

static const char scan_usage[] =
	"usage: exodb scan IMAGE [--store NAME] [-s TREE] [--from KEY] "
	"[--to KEY]\n"
	"                  [--limit N] [--reverse] [--hex]\n"
	"\n"
	"Print the entries of a tree in key order, one per line: the key, a\n"
	"tab, the value, both as text with non-printable bytes escaped like\n"
	"'mdb_dump -p' (\\\\ and \\xx; a tab is \\09), or as hex with --hex.\n"
	"\n"
	"options:\n"
	"  -s, --tree TREE    the tree (default: the default tree)\n"
	"      --from KEY     start at the first key >= KEY\n"
	"      --to KEY       stop before the first key >= KEY\n"
	"  -n, --limit N      print at most N entries\n"
	"      --reverse      from the last key down (--from is then the\n"
	"                     upper end, inclusive; --to the lower, exclusive)"
	"\n"
	"  -x, --hex          keys given and printed as hex\n" KV_COMMON_HELP;

struct scan {
	struct kv_args a;
	const char *from, *to;
	uint64_t limit;
	int reverse;
	uint8_t *fb, *tb;
	size_t flen, tlen;
};

static int parse_scan(struct scan *s, int argc, char **argv)
{
	enum { FROM = 0x200, TO, REVERSE };
	static const struct option longopts[] = {
		{"tree", required_argument, NULL, 's'},
		{"from", required_argument, NULL, FROM},
		{"to", required_argument, NULL, TO},
		{"limit", required_argument, NULL, 'n'},
		{"reverse", no_argument, NULL, REVERSE},
		{"hex", no_argument, NULL, 'x'},
		KV_LONGOPTS,
		{NULL, 0, NULL, 0},
	};
	char *end;
	int c;

	while ((c = cli_getopt(s->a.path, argc, argv, "s:n:x", longopts)) !=
	       -1) {
		if (c == 'h') {
			fputs(scan_usage, stdout);
			return -1;
		}
		if (c == 's') {
			s->a.tree = optarg;
		} else if (c == FROM) {
			s->from = optarg;
		} else if (c == TO) {
			s->to = optarg;
		} else if (c == REVERSE) {
			s->reverse = 1;
		} else if (c == 'x') {
			s->a.hex = 1;
		} else if (c == 'n') {
			errno = 0;
			s->limit = strtoull(optarg, &end, 10);
			if (errno || *end || !*optarg || *optarg == '-')
				return cli_usage_error(s->a.path,
						       "bad limit '%s'",
						       optarg);
		} else if (kv_common_opt(&s->a, c, optarg) <= 0) {
			return CLI_USAGE;
		}
	}
	if (s->from && kv_decode(&s->a, s->from, &s->fb, &s->flen) < 0)
		return cli_usage_error(s->a.path, "bad hex key '%s'", s->from);
	if (s->to && kv_decode(&s->a, s->to, &s->tb, &s->tlen) < 0)
		return cli_usage_error(s->a.path, "bad hex key '%s'", s->to);
	if ((s->from && (s->flen == 0 || s->flen > EXODB_MAXKEYSIZE)) ||
	    (s->to && (s->tlen == 0 || s->tlen > EXODB_MAXKEYSIZE)))
		return cli_usage_error(s->a.path, "keys are 1..%u bytes",
				       EXODB_MAXKEYSIZE);
	return kv_positional(&s->a, argc, argv, 0, NULL);
}

static int keycmp(const void *a, size_t al, const void *b, size_t bl)
{
	int c = memcmp(a, b, al < bl ? al : bl);

	return c ? c : (al > bl) - (al < bl);
}

/* Position on the first entry of the scan. */
static int scan_start(const struct scan *s, struct exodb_cursor *c,
		      struct exodb_val *k, struct exodb_val *v)
{
	int err;

	if (!s->from)
		return exodb_cursor_get(c, k, v,
					s->reverse ? EXODB_LAST : EXODB_FIRST);
	*k = (struct exodb_val){ s->flen, s->fb };
	err = exodb_cursor_get(c, k, v, EXODB_SET_RANGE);
	if (!s->reverse)
		return err;
	if (err == EXODB_NOTFOUND)
		return exodb_cursor_get(c, k, v, EXODB_LAST);
	if (err == 0 && keycmp(k->data, k->size, s->fb, s->flen) > 0)
		return exodb_cursor_get(c, k, v, EXODB_PREV);
	return err;
}

static int scan_run(struct scan *s, struct exodb_txn *t,
		    struct exodb_tree *tr)
{
	struct exodb_cursor *c;
	struct exodb_val k, v;
	uint64_t n = 0;
	int err, cmp;

	err = exodb_cursor_open(t, tr, &c);
	if (err == 0)
		err = scan_start(s, c, &k, &v);
	while (err == 0 && (!s->limit || n < s->limit)) {
		if (s->to) {
			cmp = keycmp(k.data, k.size, s->tb, s->tlen);
			if (s->reverse ? cmp <= 0 : cmp >= 0)
				break;
		}
		if (s->a.hex) {
			kv_print_hex(stdout, k.data, k.size);
			putchar('\t');
			kv_print_hex(stdout, v.data, v.size);
		} else {
			kv_print_text(stdout, k.data, k.size);
			putchar('\t');
			kv_print_text(stdout, v.data, v.size);
		}
		putchar('\n');
		n++;
		err = exodb_cursor_get(c, &k, &v,
				       s->reverse ? EXODB_PREV : EXODB_NEXT);
	}
	if (err < 0 && err != EXODB_NOTFOUND)
		return kv_fail(&s->a, "scan", err);
	return CLI_OK;
}

int cmd_scan(int argc, char **argv)
{
	struct scan s = { .a = { .path = "exodb scan" } };
	struct exodb_txn *t;
	struct exodb_tree *tr;
	struct exodb *db;
	int rc, err;

	rc = parse_scan(&s, argc, argv);
	if (rc == CLI_OK)
		rc = kv_open(&s.a, EXODB_READONLY_STORE, &db);
	if (rc == CLI_OK) {
		err = exodb_txn_begin(db, EXODB_RDONLY, &t);
		rc = err < 0 ? kv_fail(&s.a, "begin", err) : CLI_OK;
		if (rc == CLI_OK)
			rc = kv_tree(&s.a, t, 0, &tr);
		if (rc == CLI_OK)
			rc = scan_run(&s, t, tr);
		if (err == 0)
			exodb_txn_abort(t);
		exodb_close(db);
	}
	free(s.fb);
	free(s.tb);
	return rc < 0 ? CLI_OK : rc;
}
