/*
 * utest.h: checks for exokern test programs (header only; include it in
 * one file per program).
 *
 *   CHECK(cond)           counts a pass, or prints the failed condition;
 *   CHECK_EQ(expr, want)  the same for a value, printing both, with their
 *                         EXO_E* names when they are error codes;
 *   ut_done(label)        prints "label: N passed, N failed" (the line the
 *                         harness reads) and returns the exit status.
 */
#ifndef EXOKERN_UTEST_H
#define EXOKERN_UTEST_H

#include "ulib.h"

static int ut_passed, ut_failed;

#define CHECK(c) ut_check((c) != 0, #c, __LINE__)
#define CHECK_EQ(e, want) \
	ut_check_eq((int64_t)(e), (int64_t)(want), #e, __LINE__)

static inline const char *ut_name(int64_t v)
{
	return v < 0 && v >= EXO_ERRNO_MIN ? exo_strerror((int)v) : "";
}

static inline void ut_check(int ok, const char *what, int line)
{
	if (ok) {
		ut_passed++;
		return;
	}
	ut_failed++;
	printf("FAIL line %d: %s\n", line, what);
}

static inline void ut_check_eq(int64_t got, int64_t want, const char *what,
			int line)
{
	if (got == want) {
		ut_passed++;
		return;
	}
	ut_failed++;
	printf("FAIL line %d: %s is %ld %s, want %ld %s\n", line, what, got,
	       ut_name(got), want, ut_name(want));
}

static inline int ut_done(const char *label)
{
	printf("%s: %d passed, %d failed\n", label, ut_passed, ut_failed);
	return ut_failed ? 1 : 0;
}

/* The last component of a path: a program's name from argv[0]. */
static inline const char *ut_basename(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

#endif
