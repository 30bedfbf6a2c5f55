/*
 * workload.c: helpers every workload implementation uses (workload.h):
 * random numbers, error reporting, load progress, dates.
 */
#include "workload.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

uint64_t wl_rand(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dull;
}

int64_t wl_urand(uint64_t *s, int64_t lo, int64_t hi)
{
	return lo + (int64_t)(wl_rand(s) % (uint64_t)(hi - lo + 1));
}

int wl_fail(struct wl_term *t, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(t->err, sizeof(t->err), fmt, ap);
	va_end(ap);
	return WL_EFAIL;
}

int wl_kv_fail(struct wl_term *t, const char *what, int err)
{
	return wl_fail(t, "%s: %s", what, kv_strerror(t->db->kv, err));
}

int wl_sql_fail(struct wl_term *t, const char *what, int rc)
{
	int busy = sql_busy(rc);

	if (!busy)
		wl_fail(t, "%s: %s (%s)", what, sqlite3_errstr(rc),
			sql_errmsg(t->conn));
	if (sql_in_txn(t->conn))
		sql_rollback(t->conn);
	return busy ? WL_RETRY : WL_EFAIL;
}

void wl_progress(struct wl_term *t, uint64_t done, uint64_t total)
{
	if (t->progress && total)
		t->progress(t->progress_arg, (double)done / (double)total);
}

size_t wl_hist_key(struct wl_term *t, uint8_t *key)
{
	uint8_t *p = key;

	kv_key32(&p, t->id);
	kv_key32(&p, ++t->seq);
	return 8;
}

int64_t wl_now(void)
{
	return (int64_t)time(NULL);
}
