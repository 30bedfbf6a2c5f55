/*
 * kv.h: the exodb CLI's key-value commands and what they share.
 *
 * The commands (kv.c: create, stat, check, get, put, del, scan; dump.c:
 * dump, load) all name a store the same way:
 *
 *   exodb COMMAND IMAGE [--store NAME] [--tree TREE] ...
 *
 * IMAGE is an exodb disk (image file or block device), NAME the store on
 * it (default "main"; its capability is derived from the name, see
 * exodb.h), TREE a named tree (default: the default tree).  kv_getopt
 * handles the options every command takes; kv_open opens the store and
 * turns the usual failures into one clear line.  Keys and values on the
 * command line are taken as text, or as hex with --hex.  Binary data is
 * printed like `mdb_dump -p` prints it: printable bytes as they are, a
 * backslash doubled, anything else as a backslash and two hex digits.
 */
#ifndef EXODB_CLI_KV_H
#define EXODB_CLI_KV_H

#include <stdint.h>
#include <stdio.h>

#include "cli.h"
#include "exodb.h"

/* What every key-value command is told. */
struct kv_args {
	const char *path;  /* "exodb get": for messages */
	const char *image;
	const char *store; /* NULL: "main" */
	const char *tree;  /* NULL: the default tree */
	const char *io;
	uint64_t cache;
	int hex;
};

/* getopt values of the shared options (longopts entries below). */
enum { KV_OPT_STORE = 0x100, KV_OPT_IO, KV_OPT_CACHE };

#define KV_LONGOPTS                                                    \
	{"store", required_argument, NULL, KV_OPT_STORE},              \
	{"io", required_argument, NULL, KV_OPT_IO},                    \
	{"cache", required_argument, NULL, KV_OPT_CACHE},              \
	{"help", no_argument, NULL, 'h'}

#define KV_COMMON_HELP                                                 \
	"      --store NAME   the store on IMAGE (default \"main\")\n"    \
	"      --cache SIZE   buffer cache size (default 64M)\n"          \
	"      --io ENGINE    io_uring (default), libaio or psync\n"     \
	"  -h, --help         show this help\n"

/* Handle a shared option c: 1 if it was one, 0 if not, -1 after a usage
 * error was printed. */
int kv_common_opt(struct kv_args *a, int c, const char *arg);

/* Take IMAGE and exactly nargs more positional arguments from argv at
 * optind (into rest).  CLI_OK, or CLI_USAGE after a message. */
int kv_positional(struct kv_args *a, int argc, char **argv, int nargs,
		  char **rest);

/* Open the store (flags: EXODB_READONLY_STORE, EXODB_CREATE...).
 * CLI_OK, or CLI_FAIL after a one-line message. */
int kv_open(const struct kv_args *a, unsigned flags, struct exodb **db);

/* Open a.tree in t (creating it if create).  CLI_OK or CLI_FAIL. */
int kv_tree(const struct kv_args *a, struct exodb_txn *t, int create,
	    struct exodb_tree **tree);

/* Print a failure of the engine: "exodb: IMAGE: what: error". */
int kv_fail(const struct kv_args *a, const char *what, int err);

/* Decode a command-line key or value (text, or hex with a->hex) into a
 * malloc'd buffer.  0, or -1 for bad hex. */
int kv_decode(const struct kv_args *a, const char *s, uint8_t **out,
	      size_t *len);

/* Print bytes: print format (mdb_dump -p) or hex. */
void kv_print_text(FILE *f, const uint8_t *p, size_t n);
void kv_print_hex(FILE *f, const uint8_t *p, size_t n);

/* Decode print format (mdb_dump -p) or hex in place; the result is never
 * longer.  0 or -1 for a bad escape or hex digit. */
int kv_unprint(uint8_t *s, size_t n, size_t *out);
int kv_unhex(uint8_t *s, size_t n, size_t *out);

/* Commands. */
int cmd_create(int argc, char **argv);
int cmd_stat(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_get(int argc, char **argv);
int cmd_put(int argc, char **argv);
int cmd_del(int argc, char **argv);
int cmd_scan(int argc, char **argv);
int cmd_dump(int argc, char **argv);
int cmd_load(int argc, char **argv);

#endif
