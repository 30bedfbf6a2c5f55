/*
 * math.h: the mathematics exokern programs use (math.c), on the x87 and
 * SSE instructions: results as accurate as the hardware's, no errno.
 */
#ifndef EXOKERN_MATH_H
#define EXOKERN_MATH_H

#define HUGE_VAL (__builtin_huge_val())
#define INFINITY (__builtin_inff())
#define NAN      (__builtin_nanf(""))
#define M_PI     3.14159265358979323846
#define M_E      2.7182818284590452354
#define M_LN2    0.69314718055994530942

#define isnan(x)    __builtin_isnan(x)
#define isinf(x)    __builtin_isinf(x)
#define isfinite(x) __builtin_isfinite(x)
#define signbit(x)  __builtin_signbit(x)

double sqrt(double x);
double fabs(double x);
double floor(double x);
double ceil(double x);
double round(double x);
double trunc(double x);
double fmod(double x, double y);
double log(double x);
double log2(double x);
double log10(double x);
double exp(double x);
double exp2(double x);
double pow(double x, double y);
double ldexp(double x, int e);
double frexp(double x, int *e);
double modf(double x, double *ip);

#endif
