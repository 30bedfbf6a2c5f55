/*
 * workload.h: what a benchmark (TPC-B, TPC-C) gives the driver.
 *
 * A struct workload names the benchmark and its transaction types and
 * has one implementation per engine family: key-value (kv.h: exodb,
 * lmdb) and SQL (sql.h: sqlite, sqlite-exodb).  The driver (driver.c)
 * opens the engine, then works through terminals, each a struct wl_term
 * owned by one thread:
 *
 *   impl->load(t)        create the tables and load the initial data
 *                        (one terminal, large sorted transactions)
 *   impl->txn(t, &type)  run one transaction chosen by the benchmark's
 *                        mix; *type is its index in types[]
 *   impl->check(t, done) the consistency conditions, after the run
 *
 * Every call returns WL_OK; WL_ROLLBACK (the transaction rolled back as
 * the benchmark asks, e.g. TPC-C's 1% of New-Orders: it counts as done);
 * WL_RETRY (the engine was busy: nothing happened, run another); or a
 * negative code with t->err saying what failed.  check returns 0 when
 * every condition holds, else a bit mask of the violated conditions (bit
 * n for condition n; bit 0 for WL_COND_COUNTS) with the first violation
 * described in t->err.
 */
#ifndef EXODB_BENCH_WORKLOAD_H
#define EXODB_BENCH_WORKLOAD_H

#include <stddef.h>
#include <stdint.h>

#include "kv.h"
#include "sql.h"

enum { WL_OK = 0, WL_ROLLBACK = 1, WL_RETRY = 2 };
enum { WL_EFAIL = -1 };

#define WL_MAX_TYPES 5
#define WL_LOADER    0xffffu /* the loading terminal's id */

/* Check bit 0: the rows the transactions add (history, orders) are as
 * many as the transactions the driver saw commit. */
#define WL_COND_COUNTS 0

enum wl_family { WL_KV, WL_SQL };

/* The engine of a run, opened by the driver. */
struct wl_db {
	enum wl_family family;
	struct kv *kv;	   /* WL_KV */
	struct sqldb *sql; /* WL_SQL */
};

struct wl_config {
	uint32_t scale; /* TPC-B: branches; TPC-C: warehouses */
	int tiny;	/* 1: a hundredth of the rows (tests; not valid) */
	uint64_t seed;
};

struct wl_term {
	unsigned id; /* 0..nterms-1, or WL_LOADER */
	unsigned nterms;
	const struct wl_config *cfg;
	struct wl_db *db;
	struct sqlconn *conn; /* WL_SQL: this terminal's connection */
	uint64_t rng;
	uint32_t seq; /* rows this terminal added to HISTORY */
	/* load progress, 0..1 (may be NULL) */
	void (*progress)(void *arg, double done);
	void *progress_arg;
	char err[256];
};

struct wl_impl {
	int (*load)(struct wl_term *t);
	int (*txn)(struct wl_term *t, int *type);
	/* done[type]: transactions committed since the load (not counting
	 * rollbacks), or NULL to skip WL_COND_COUNTS. */
	int64_t (*check)(struct wl_term *t, const uint64_t *done);
};

struct workload {
	const char *name;  /* "tpcb" */
	const char *title; /* "TPC-B" */
	int ntypes;
	const char *const *types;
	int rate_type; /* reported per minute (TPC-C New-Order), or -1 */
	const char *const *tables; /* key-value tables */
	int ntables;
	const struct wl_impl *kv, *sql;
	/* disk space the database needs, to size exodb's image */
	uint64_t (*disk_bytes)(const struct wl_config *c);
	/* one line: the scale in rows */
	void (*describe)(const struct wl_config *c, char *buf, size_t n);
};

extern const struct workload wl_tpcb;
extern const struct workload wl_tpcc;

/* xorshift64*: the terminals' random numbers. */
uint64_t wl_rand(uint64_t *s);
/* Uniform in [lo, hi]. */
int64_t wl_urand(uint64_t *s, int64_t lo, int64_t hi);
/* Format t->err; returns WL_EFAIL. */
int wl_fail(struct wl_term *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* t->err from a key-value or SQL error; WL_RETRY when SQL was busy. */
int wl_kv_fail(struct wl_term *t, const char *what, int err);
int wl_sql_fail(struct wl_term *t, const char *what, int rc);
/* Report load progress (done of total). */
void wl_progress(struct wl_term *t, uint64_t done, uint64_t total);
/* Key-value engines: the key of the next HISTORY row of t (8 bytes:
 * terminal id, sequence number; a table without a natural key). */
size_t wl_hist_key(struct wl_term *t, uint8_t *key);
/* Wall-clock seconds, for dates in rows. */
int64_t wl_now(void);

#endif
