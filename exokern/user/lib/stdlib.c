/*
 * stdlib.c: number parsing, sorting, paths, abort and assert for user
 * programs (stdlib.h, assert.h).  qsort is a heapsort: no recursion, no
 * extra memory, O(n log n) whatever the input.  strtod keeps 19
 * significant digits and scales them in the x87's 80-bit format: its
 * last digit may differ from a correctly rounded conversion.
 */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ulib.h"

static int digit_of(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'Z')
		return c - 'A' + 10;
	return 99;
}

/* Parse an optionally signed number; the magnitude saturates at max. */
static unsigned long long parse(const char *s, char **end, int base,
				int *neg, unsigned long long max)
{
	unsigned long long v = 0;
	const char *start = s;
	int any = 0;

	while (*s == ' ' || (*s >= '\t' && *s <= '\r'))
		s++;
	*neg = *s == '-';
	if (*s == '-' || *s == '+')
		s++;
	if ((base == 0 || base == 16) && s[0] == '0' &&
	    (s[1] == 'x' || s[1] == 'X') && digit_of(s[2]) < 16) {
		s += 2;
		base = 16;
	} else if (base == 0) {
		base = s[0] == '0' ? 8 : 10;
	}
	for (; digit_of(*s) < base; s++, any = 1) {
		unsigned d = (unsigned)digit_of(*s);

		v = v > (max - d) / (unsigned)base ? max
						  : v * (unsigned)base + d;
	}
	if (end)
		*end = (char *)(any ? s : start);
	return v;
}

unsigned long long strtoull(const char *s, char **end, int base)
{
	int neg;
	unsigned long long v = parse(s, end, base, &neg, ~0ull);

	return neg ? -v : v;
}

long long strtoll(const char *s, char **end, int base)
{
	int neg;
	unsigned long long v = parse(s, end, base, &neg, 1ull << 63);

	if (neg)
		return (long long)-v;
	return v >> 63 ? (long long)(~0ull >> 1) : (long long)v;
}

long strtol(const char *s, char **end, int base)
{
	return (long)strtoll(s, end, base);
}

int atoi(const char *s)
{
	return (int)strtol(s, NULL, 10);
}

long atol(const char *s)
{
	return strtol(s, NULL, 10);
}

/* 10^e in 80 bits, by squaring. */
static long double pow10l_(int e)
{
	long double r = 1, p = 10;
	unsigned n = (unsigned)(e < 0 ? -e : e);

	for (; n; n >>= 1, p *= p)
		if (n & 1)
			r *= p;
	return e < 0 ? 1 / r : r;
}

double strtod(const char *s, char **end)
{
	const char *p = s;
	uint64_t m = 0;
	int neg, scale = 0, nd = 0, any = 0;
	long double v;

	while (*p == ' ' || (*p >= '\t' && *p <= '\r'))
		p++;
	neg = *p == '-';
	if (*p == '-' || *p == '+')
		p++;
	if (!strncmp(p, "inf", 3) || !strncmp(p, "INF", 3)) {
		if (end)
			*end = (char *)p + (strncmp(p + 3, "inity", 5) ? 3 : 8);
		return neg ? -__builtin_inf() : __builtin_inf();
	}
	if (!strncmp(p, "nan", 3) || !strncmp(p, "NAN", 3)) {
		if (end)
			*end = (char *)p + 3;
		return __builtin_nan("");
	}
	for (int point = 0;; p++) {
		if (*p == '.' && !point) {
			point = 1;
			continue;
		}
		if (*p < '0' || *p > '9')
			break;
		any = 1;
		if (nd < 19) {
			m = m * 10 + (uint64_t)(*p - '0');
			nd += m != 0;
			scale -= point;
		} else {
			scale += !point;
		}
	}
	if (!any) {
		if (end)
			*end = (char *)s;
		return 0;
	}
	if ((*p == 'e' || *p == 'E') &&
	    ((p[1] >= '0' && p[1] <= '9') ||
	     ((p[1] == '-' || p[1] == '+') && p[2] >= '0' && p[2] <= '9'))) {
		char *after;

		scale += (int)strtol(p + 1, &after, 10);
		p = after;
	}
	if (end)
		*end = (char *)p;
	if (scale > 400)
		v = m ? __builtin_infl() : 0;
	else if (scale < -400)
		v = 0;
	else
		v = (long double)m * pow10l_(scale);
	return (double)(neg ? -v : v);
}

double atof(const char *s)
{
	return strtod(s, NULL);
}

char *realpath(const char *path, char *resolved)
{
	size_t n = strlen(path), len = 0;
	char *out = resolved ? resolved : malloc(n + 2);

	if (!out)
		return NULL;
	for (const char *p = path; *p;) {
		size_t k;

		while (*p == '/')
			p++;
		k = strcspn(p, "/");
		if (k == 0 || (k == 1 && p[0] == '.')) {
			p += k;
			continue;
		}
		if (k == 2 && p[0] == '.' && p[1] == '.') {
			while (len > 0 && out[--len] != '/')
				;
		} else {
			out[len++] = '/';
			memcpy(out + len, p, k);
			len += k;
		}
		p += k;
	}
	if (len == 0)
		out[len++] = '/';
	out[len] = '\0';
	return out;
}

/* The environment: "NAME=VALUE" strings from malloc, nenv of them.
 * Strings replaced or removed are not freed (getenv handed them out). */
static char **env;
static size_t nenv, env_cap;

static int env_find(const char *name, size_t len)
{
	for (size_t i = 0; i < nenv; i++)
		if (!strncmp(env[i], name, len) && env[i][len] == '=')
			return (int)i;
	return -1;
}

static int env_name_ok(const char *name)
{
	return name && *name && !strchr(name, '=');
}

char *getenv(const char *name)
{
	int i = env_name_ok(name) ? env_find(name, strlen(name)) : -1;

	return i < 0 ? NULL : env[i] + strlen(name) + 1;
}

int setenv(const char *name, const char *value, int overwrite)
{
	size_t len;
	char *s;
	int i;

	if (!env_name_ok(name) || !value) {
		errno = EINVAL;
		return -1;
	}
	len = strlen(name);
	i = env_find(name, len);
	if (i >= 0 && !overwrite)
		return 0;
	if (i < 0 && nenv == env_cap) {
		size_t cap = env_cap ? 2 * env_cap : 16;
		char **n = realloc(env, cap * sizeof(*env));

		if (!n) {
			errno = ENOMEM;
			return -1;
		}
		env = n;
		env_cap = cap;
	}
	s = malloc(len + strlen(value) + 2);
	if (!s) {
		errno = ENOMEM;
		return -1;
	}
	strcpy(s, name);
	s[len] = '=';
	strcpy(s + len + 1, value);
	if (i < 0) /* an old string is kept: getenv may have returned it */
		i = (int)nenv++;
	env[i] = s;
	return 0;
}

int unsetenv(const char *name)
{
	int i;

	if (!env_name_ok(name)) {
		errno = EINVAL;
		return -1;
	}
	i = env_find(name, strlen(name));
	if (i >= 0)
		env[i] = env[--nenv];
	return 0;
}

noreturn void abort(void)
{
	printf("abort\n");
	exit(134);
}

noreturn void __assert_fail(const char *expr, const char *file,
			    unsigned line, const char *func)
{
	printf("assert: %s:%u: %s: %s\n", file, line, func, expr);
	exit(134);
}

static void swap(char *a, char *b, size_t size)
{
	while (size--) {
		char t = *a;

		*a++ = *b;
		*b++ = t;
	}
}

/* Move element i of the heap [0, n) down to its place. */
static void sift(char *base, size_t i, size_t n, size_t size,
		 int (*cmp)(const void *, const void *))
{
	for (;;) {
		size_t big = i, l = 2 * i + 1, r = l + 1;

		if (l < n && cmp(base + l * size, base + big * size) > 0)
			big = l;
		if (r < n && cmp(base + r * size, base + big * size) > 0)
			big = r;
		if (big == i)
			return;
		swap(base + i * size, base + big * size, size);
		i = big;
	}
}

void qsort(void *base, size_t n, size_t size,
	   int (*cmp)(const void *, const void *))
{
	char *b = base;

	for (size_t i = n / 2; i-- > 0;)
		sift(b, i, n, size, cmp);
	for (size_t end = n; end-- > 1;) {
		swap(b, b + end * size, size);
		sift(b, 0, end, size, cmp);
	}
}
