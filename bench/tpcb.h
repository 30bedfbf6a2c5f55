/*
 * tpcb.h: TPC-B's tables (tpcb.c), for the workload and its tests.
 *
 * Rows are these structs (row.h); the tables are numbered TB_* in the
 * key-value engines and named by tpcb_defs[] in SQL.  HISTORY has no key
 * columns: one row per transaction.
 */
#ifndef EXODB_BENCH_TPCB_H
#define EXODB_BENCH_TPCB_H

#include "row.h"
#include "workload.h"

struct tpcb_branch {
	int64_t b_id, b_balance;
	char b_filler[87];
};

struct tpcb_teller {
	int64_t t_id, t_b_id, t_balance;
	char t_filler[79];
};

struct tpcb_account {
	int64_t a_id, a_b_id, a_balance;
	char a_filler[79];
};

struct tpcb_history {
	int64_t h_t_id, h_b_id, h_a_id, h_delta, h_time;
};

enum { TB_BRANCH, TB_TELLER, TB_ACCOUNT, TB_HISTORY, TB_N };

extern const struct table_def tpcb_defs[TB_N];

#endif
