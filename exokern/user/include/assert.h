/*
 * assert.h: assert() for exokern programs.  A failed assertion prints
 * "assert: FILE:LINE: FUNC: EXPR" and exits with status 134, as abort
 * would; NDEBUG removes the checks.
 */
#ifndef EXOKERN_ASSERT_H
#define EXOKERN_ASSERT_H

#include <stdnoreturn.h>

noreturn void __assert_fail(const char *expr, const char *file,
			    unsigned line, const char *func);

#ifdef NDEBUG
#define assert(e) ((void)0)
#else
#define assert(e) \
	((e) ? (void)0 : __assert_fail(#e, __FILE__, __LINE__, __func__))
#endif

#define static_assert _Static_assert

#endif
