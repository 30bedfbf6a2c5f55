/*
 * math.c: math.h's functions.  sqrt is the SSE instruction; logarithms
 * and powers of two are the x87's (fyl2x, f2xm1, fscale), computed in
 * its 80-bit format and rounded once to double; the rest is exact
 * arithmetic on the representation.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#define TWO52 4503599627370496.0 /* from here on every double is whole */

double sqrt(double x)
{
	__asm__("sqrtsd %1, %0" : "=x"(x) : "x"(x));
	return x;
}

double fabs(double x)
{
	return x < 0 ? -x : x == 0 ? 0 : x;
}

double trunc(double x)
{
	if (!(fabs(x) < TWO52)) /* large, infinite or NaN */
		return x;
	return (double)(int64_t)x;
}

double floor(double x)
{
	double t = trunc(x);

	return t > x ? t - 1 : t;
}

double ceil(double x)
{
	double t = trunc(x);

	return t < x ? t + 1 : t;
}

double round(double x)
{
	double t = trunc(x);

	if (fabs(x - t) >= 0.5)
		t += x < 0 ? -1 : 1;
	return t;
}

double fmod(double x, double y)
{
	long double r;

	__asm__("1: fprem; fnstsw %%ax; testb $4, %%ah; jnz 1b"
		: "=t"(r)
		: "0"((long double)x), "u"((long double)y)
		: "ax", "cc");
	return (double)r;
}

/* y * log2(x) on the x87. */
static long double yl2x(long double x, long double y)
{
	long double r;

	__asm__("fyl2x" : "=t"(r) : "0"(x), "u"(y) : "st(1)");
	return r;
}

double log2(double x)
{
	return (double)yl2x(x, 1.0L);
}

double log(double x)
{
	return (double)yl2x(x, 0.693147180559945309417232121458L);
}

double log10(double x)
{
	return (double)yl2x(x, 0.301029995663981195213738894724L);
}

/* 2^t for any t, on the x87: 2^frac by f2xm1, scaled by 2^int. */
static long double exp2l_(long double t)
{
	long double i, f, r;

	if (t != t)
		return t;
	if (t > 20000)
		return INFINITY;
	if (t < -20000)
		return 0;
	__asm__("frndint" : "=t"(i) : "0"(t));
	f = t - i;
	__asm__("f2xm1" : "=t"(r) : "0"(f));
	r += 1;
	__asm__("fscale" : "=t"(r) : "0"(r), "u"(i));
	return r;
}

double exp2(double x)
{
	return (double)exp2l_(x);
}

double exp(double x)
{
	return (double)exp2l_(x * 1.44269504088896340735992468100L);
}

double pow(double x, double y)
{
	int odd;

	if (y == 0 || x == 1)
		return 1;
	if (x > 0)
		return (double)exp2l_(y * yl2x(x, 1.0L));
	if (x == 0)
		return y > 0 ? 0 : INFINITY;
	if (trunc(y) != y)
		return NAN; /* a negative number to a fractional power */
	odd = fabs(y) < TWO52 * 2 && (int64_t)fmod(y, 2) != 0;
	x = (double)exp2l_(y * yl2x(-x, 1.0L));
	return odd ? -x : x;
}

double ldexp(double x, int e)
{
	long double r;

	__asm__("fscale" : "=t"(r) : "0"((long double)x), "u"((long double)e));
	return (double)r;
}

double frexp(double x, int *e)
{
	uint64_t b;
	int ex;

	*e = 0;
	if (x == 0 || x != x || fabs(x) > 1.7976931348623157e308)
		return x;
	memcpy(&b, &x, sizeof(b));
	ex = (int)(b >> 52 & 0x7ff);
	if (ex == 0) { /* subnormal: scale up first */
		x = ldexp(x, 64);
		memcpy(&b, &x, sizeof(b));
		ex = (int)(b >> 52 & 0x7ff) - 64;
	}
	*e = ex - 1022;
	b = (b & ~(0x7ffull << 52)) | 1022ull << 52;
	memcpy(&x, &b, sizeof(x));
	return x;
}

double modf(double x, double *ip)
{
	*ip = trunc(x);
	return x - *ip;
}
