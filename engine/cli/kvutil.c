/*
 * kvutil.c: what the key-value commands share (see kv.h): the common
 * options, opening a store with clear messages, and the text encodings of
 * keys and values (print format and hex, as mdb_dump writes them).
 */
#include "kv.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char hexd[] = "0123456789abcdef";

int kv_common_opt(struct kv_args *a, int c, const char *arg)
{
	switch (c) {
	case KV_OPT_STORE:
		if (!arg[0])
			return cli_usage_error(a->path, "empty store name"), -1;
		a->store = arg;
		return 1;
	case KV_OPT_IO:
		a->io = arg;
		return 1;
	case KV_OPT_CACHE:
		if (cli_parse_size(arg, &a->cache) < 0)
			return cli_usage_error(a->path, "bad size '%s'", arg),
			       -1;
		return 1;
	}
	return 0;
}

int kv_positional(struct kv_args *a, int argc, char **argv, int nargs,
		  char **rest)
{
	int have = argc - optind;

	if (have < 1)
		return cli_usage_error(a->path, "missing IMAGE");
	if (have < 1 + nargs)
		return cli_usage_error(a->path, "missing argument%s",
				       nargs - have > 0 ? "s" : "");
	if (have > 1 + nargs)
		return cli_usage_error(a->path, "too many arguments");
	a->image = argv[optind];
	for (int i = 0; i < nargs; i++)
		rest[i] = argv[optind + 1 + i];
	return CLI_OK;
}

static const char *store_name(const struct kv_args *a)
{
	return a->store ? a->store : "main";
}

int kv_fail(const struct kv_args *a, const char *what, int err)
{
	return cli_fail("%s: %s: %s", a->image, what, exodb_strerror(err));
}

int kv_open(const struct kv_args *a, unsigned flags, struct exodb **db)
{
	struct exodb_opts o = { .disk = a->image, .store = a->store,
				.cache_bytes = a->cache, .io = a->io,
				.flags = flags };
	struct stat st;
	int err = exodb_open(&o, db);

	if (err == 0)
		return CLI_OK;
	if (err == EXO_ENOENT && stat(a->image, &st) < 0)
		return cli_fail("%s: no such file", a->image);
	if (err == EXO_ENOENT)
		return cli_fail("%s: no store '%s' (make one with 'exodb "
				"create %s --store %s')",
				a->image, store_name(a), a->image,
				store_name(a));
	if (err == EXO_EBADDISK)
		return cli_fail("%s: not an exodb disk (format one with "
				"'exodb create %s --size SIZE')",
				a->image, a->image);
	if (err == EXO_EBUSY)
		return cli_fail("%s: in use by another process", a->image);
	if (err == EXO_EEXIST)
		return cli_fail("%s: store '%s' already exists", a->image,
				store_name(a));
	return cli_fail("%s: store '%s': %s", a->image, store_name(a),
			exodb_strerror(err));
}

int kv_tree(const struct kv_args *a, struct exodb_txn *t, int create,
	    struct exodb_tree **tree)
{
	int err = exodb_tree_open(t, a->tree,
				  create ? EXODB_TREE_CREATE : 0, tree);

	if (err == EXODB_NOTFOUND)
		return cli_fail("%s: no tree '%s' in store '%s'", a->image,
				a->tree, store_name(a));
	if (err == EXODB_BAD_VALSIZE)
		return cli_fail("bad tree name '%s' (1..%u bytes)", a->tree,
				EXODB_NAME_MAX);
	if (err < 0)
		return kv_fail(a, "tree", err);
	return CLI_OK;
}

int kv_decode(const struct kv_args *a, const char *s, uint8_t **out,
	      size_t *len)
{
	size_t n = strlen(s);
	uint8_t *b = malloc(n + 1);

	if (!b)
		return -1;
	memcpy(b, s, n + 1);
	if (a->hex && kv_unhex(b, n, &n) < 0) {
		free(b);
		return -1;
	}
	*out = b;
	*len = n;
	return 0;
}

void kv_print_text(FILE *f, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\\') {
			fputs("\\\\", f);
		} else if (isprint(p[i])) {
			putc(p[i], f);
		} else {
			putc('\\', f);
			putc(hexd[p[i] >> 4], f);
			putc(hexd[p[i] & 15], f);
		}
	}
}

void kv_print_hex(FILE *f, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		putc(hexd[p[i] >> 4], f);
		putc(hexd[p[i] & 15], f);
	}
}

static int hexval(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (uint8_t)tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int kv_unhex(uint8_t *s, size_t n, size_t *out)
{
	size_t i;
	int hi, lo;

	if (n % 2)
		return -1;
	for (i = 0; i < n; i += 2) {
		hi = hexval(s[i]);
		lo = hexval(s[i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		s[i / 2] = (uint8_t)(hi << 4 | lo);
	}
	*out = n / 2;
	return 0;
}

int kv_unprint(uint8_t *s, size_t n, size_t *out)
{
	size_t i = 0, o = 0;
	int hi, lo;

	while (i < n) {
		if (s[i] != '\\') {
			s[o++] = s[i++];
			continue;
		}
		if (i + 1 < n && s[i + 1] == '\\') {
			s[o++] = '\\';
			i += 2;
			continue;
		}
		if (i + 2 >= n) /* a backslash needs two hex digits */
			return -1;
		hi = hexval(s[i + 1]);
		lo = hexval(s[i + 2]);
		if (hi < 0 || lo < 0)
			return -1;
		s[o++] = (uint8_t)(hi << 4 | lo);
		i += 3;
	}
	*out = o;
	return 0;
}
