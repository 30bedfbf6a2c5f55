/*
 * ulibtest.c: the user runtime: string functions, snprintf, malloc and
 * friends over real pages, and floating point (the kernel keeps each
 * environment's FPU state across preemption; run two of these at once).
 */
#include "utest.h"

static int fmt_is(const char *want, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int fmt_is(const char *want, const char *fmt, ...)
{
	char buf[128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (strcmp(buf, want) == 0 && n == (int)strlen(want))
		return 1;
	printf("snprintf(\"%s\") gave \"%s\" (%d)\n", fmt, buf, n);
	return 0;
}

static void test_strings(void)
{
	char a[32] = "hello, world", b[32], *end;

	CHECK_EQ(strlen(a), 12);
	CHECK_EQ(strnlen(a, 5), 5);
	CHECK(strcmp("abc", "abd") < 0);
	CHECK(strcmp("abd", "abc") > 0);
	CHECK_EQ(strcmp(a, "hello, world"), 0);
	CHECK_EQ(strncmp("abcx", "abcy", 3), 0);
	CHECK(strchr(a, 'o') == a + 4);
	CHECK(strrchr(a, 'o') == a + 8);
	CHECK(strchr(a, 'z') == NULL);
	CHECK_EQ(strlcpy(b, a, 6), 12);
	CHECK_EQ(strcmp(b, "hello"), 0);
	memmove(a + 2, a, 10); /* overlapping, forwards */
	CHECK_EQ(memcmp(a, "hehello, wor", 12), 0);
	memmove(a, a + 2, 10); /* overlapping, backwards */
	CHECK_EQ(memcmp(a, "hello, wor", 10), 0);
	memset(b, 'x', sizeof(b));
	CHECK_EQ(b[31], 'x');
	memcpy(b, "12345", 5);
	CHECK_EQ(memcmp(b, "12345xx", 7), 0);
	CHECK_EQ(strtoul("1234", NULL, 10), 1234);
	CHECK_EQ(strtoul("0x1fz", &end, 0), 0x1f);
	CHECK_EQ(*end, 'z');
	CHECK_EQ(strtoul("017", NULL, 0), 15);
	CHECK_EQ(strtoul("x", &end, 10), 0);
	CHECK_EQ(*end, 'x');
}

static void test_snprintf(void)
{
	const char *volatile null = NULL; /* hidden from format checking */
	char small[5];

	CHECK(fmt_is("-42 42 2a 2A", "%d %u %x %X", -42, 42u, 42, 42));
	CHECK(fmt_is("18446744073709551615", "%lu", ~0ul));
	CHECK(fmt_is("-9223372036854775808", "%lld", (long long)1 << 63));
	CHECK(fmt_is("[  7][7  ][007]", "[%3d][%-3d][%03d]", 7, 7, 7));
	CHECK(fmt_is("0x1000", "%p", (void *)0x1000));
	CHECK(fmt_is("ab|(null)|c%", "%.*s|%s|%c%%", 2, "abc", null, 'c'));
	CHECK_EQ(snprintf(small, sizeof(small), "%s", "truncated"), 9);
	CHECK_EQ(strcmp(small, "trun"), 0);
}

static void test_malloc(void)
{
	const volatile struct exo_info *in = sys_info();
	char *p[64], *big, *q;
	uint64_t owned;

	for (int i = 0; i < 64; i++) {
		p[i] = malloc((size_t)i * 37 + 1);
		CHECK(p[i] != NULL);
		memset(p[i], i, (size_t)i * 37 + 1);
	}
	for (int i = 0; i < 64; i++)
		if (p[i][i * 37] != (char)i || (uint64_t)p[i] % 16)
			CHECK(!"malloc block overlap or misaligned");
	owned = in->pages_owned;
	CHECK(owned > 0);
	for (int i = 0; i < 64; i += 2)
		free(p[i]);
	for (int i = 1; i < 64; i += 2)
		free(p[i]);
	big = malloc(60000); /* fits in the merged free space */
	CHECK(big != NULL);
	CHECK_EQ(in->pages_owned, owned);
	q = calloc(1000, 8);
	CHECK(q != NULL && q[7999] == 0 && q[0] == 0);
	free(q);
	memset(big, 'z', 60000);
	big = realloc(big, 1 << 20); /* grows the heap */
	CHECK(big != NULL && big[59999] == 'z' && big[0] == 'z');
	CHECK(in->pages_owned > owned + 200);
	free(big);
	CHECK(calloc((size_t)1 << 62, 16) == NULL);
	CHECK(malloc((size_t)1 << 62) == NULL);
}

/* Floating point across many time slices: the FPU state is per env. */
static void test_float(void)
{
	const volatile struct exo_info *in = sys_info();
	uint64_t s0 = in->slices;
	double x = 0.0;
	long n = 0;

	while (in->slices < s0 + 3) {
		x += 0.5;
		n++;
	}
	CHECK(x == 0.5 * (double)n);
	CHECK(n > 0);
}

int main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	test_strings();
	test_snprintf();
	test_malloc();
	test_float();
	return ut_done("ulibtest");
}
