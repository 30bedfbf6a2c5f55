/*
 * row.h: table schemas described once, for every engine family.
 *
 * A benchmark's table is a C struct (one row) plus a struct table_def
 * listing its columns: name, type and offset in the struct.  Integer
 * columns are int64_t (money in cents, rates in 1/10000, times in
 * seconds); text columns are NUL-terminated char arrays whose size - 1 is
 * the column's maximum length.  The first nkey columns are the primary
 * key.  From that one description:
 *
 *   row_key()     the key-value key: the key columns as big-endian
 *                 32-bit numbers, so memcmp order is numeric order
 *   row_encode()  the key-value value: the other columns, integers in 8
 *                 bytes, text as a 2-byte length and its bytes (an update
 *                 of integers keeps the size, so engines update in place)
 *   row_decode()  back into the struct
 *
 * and sql.c derives CREATE TABLE and INSERT statements from it.  A table
 * without key columns (HISTORY) gets a generated key in key-value engines
 * and a rowid in SQL.  An integer column with COL_NULL0 stores 0 as SQL
 * NULL (TPC-C's O_CARRIER_ID and OL_DELIVERY_D).
 */
#ifndef EXODB_BENCH_ROW_H
#define EXODB_BENCH_ROW_H

#include <stddef.h>
#include <stdint.h>

enum col_type { COL_INT, COL_STR };

#define COL_NULL0 0x1 /* COL_INT: 0 is NULL in SQL */

struct col {
	const char *name;
	uint8_t type;  /* enum col_type */
	uint8_t flags; /* COL_NULL0 */
	uint16_t len;  /* COL_STR: maximum length (the array's size - 1) */
	uint16_t off;  /* offset in the row struct */
};

struct table_def {
	const char *name;
	const struct col *cols;
	int ncols;
	int nkey;	       /* leading key columns (0: none) */
	size_t row_size;       /* sizeof the row struct */
	const char *sql_index; /* CREATE INDEX statements, or NULL */
};

#define COL_I(type, f)                                                         \
	{                                                                      \
#f, COL_INT, 0, 0, offsetof(struct type, f)                    \
	}
#define COL_IN(type, f)                                                        \
	{                                                                      \
#f, COL_INT, COL_NULL0, 0, offsetof(struct type, f)            \
	}
#define COL_S(type, f)                                                         \
	{                                                                      \
#f, COL_STR, 0, sizeof(((struct type *)0)->f) - 1,             \
			offsetof(struct type, f)                               \
	}
#define NCOLS(a) ((int)(sizeof(a) / sizeof((a)[0])))

#define ROW_MAX_KEY 64	 /* bytes: enough for every key */
#define ROW_MAX_VAL 1024 /* bytes: enough for every encoded row */

/* The key of row: 4 bytes per key column.  Returns its length. */
size_t row_key(const struct table_def *t, const void *row, uint8_t *key);

/* Decode a key made by row_key into the key columns of row.  Returns 0,
 * or -1 when the key has the wrong length. */
int row_unkey(const struct table_def *t, const void *key, size_t len,
	      void *row);

/* Encode the non-key columns of row into buf (ROW_MAX_VAL bytes).
 * Returns the length. */
size_t row_encode(const struct table_def *t, const void *row, uint8_t *buf);

/* Decode a value made by row_encode into row (the key columns are left
 * as they are).  Returns 0, or -1 when the value is malformed. */
int row_decode(const struct table_def *t, const void *val, size_t len,
	       void *row);

/* Integer column i of row, and a pointer to text column i. */
int64_t *row_int(const struct table_def *t, void *row, int i);
char *row_str(const struct table_def *t, void *row, int i);

#endif
