/*
 * row.c: key-value keys and values from table descriptions (row.h).
 */
#include "row.h"

#include <assert.h>
#include <string.h>

#include "kv.h"

int64_t *row_int(const struct table_def *t, void *row, int i)
{
	return (int64_t *)((char *)row + t->cols[i].off);
}

char *row_str(const struct table_def *t, void *row, int i)
{
	return (char *)row + t->cols[i].off;
}

size_t row_key(const struct table_def *t, const void *row, uint8_t *key)
{
	uint8_t *p = key;

	for (int i = 0; i < t->nkey; i++) {
		assert(t->cols[i].type == COL_INT);
		kv_key32(&p, (uint32_t)*row_int(t, (void *)row, i));
	}
	return (size_t)(p - key);
}

int row_unkey(const struct table_def *t, const void *key, size_t len, void *row)
{
	const uint8_t *p = key;

	if (len != 4 * (size_t)t->nkey)
		return -1;
	for (int i = 0; i < t->nkey; i++, p += 4)
		*row_int(t, row, i) = kv_get32(p);
	return 0;
}

size_t row_encode(const struct table_def *t, const void *row, uint8_t *buf)
{
	uint8_t *p = buf;
	uint16_t n;

	for (int i = t->nkey; i < t->ncols; i++) {
		if (t->cols[i].type == COL_INT) {
			memcpy(p, row_int(t, (void *)row, i), 8);
			p += 8;
			continue;
		}
		n = (uint16_t)strnlen(row_str(t, (void *)row, i),
				      t->cols[i].len);
		memcpy(p, &n, 2);
		memcpy(p + 2, row_str(t, (void *)row, i), n);
		p += 2 + n;
	}
	assert(p - buf <= ROW_MAX_VAL);
	return (size_t)(p - buf);
}

int row_decode(const struct table_def *t, const void *val, size_t len,
	       void *row)
{
	const uint8_t *p = val, *end = p + len;
	uint16_t n;
	char *s;

	for (int i = t->nkey; i < t->ncols; i++) {
		if (t->cols[i].type == COL_INT) {
			if (end - p < 8)
				return -1;
			memcpy(row_int(t, row, i), p, 8);
			p += 8;
			continue;
		}
		if (end - p < 2)
			return -1;
		memcpy(&n, p, 2);
		if (n > t->cols[i].len || end - p - 2 < n)
			return -1;
		s = row_str(t, row, i);
		memcpy(s, p + 2, n);
		s[n] = '\0';
		p += 2 + n;
	}
	return p == end ? 0 : -1;
}
