/*
 * fmt.c: printf-style formatting for the kernel and user programs
 * (klibc.h).  One formatter, fmt_vprint(), writes through a put callback;
 * the kernel console, the user console and snprintf are sinks for it.
 *
 * Floating point (%f %e %g and their capitals) is compiled only with
 * KLIBC_FLOAT, which user code defines: the kernel is built without the
 * FPU and never formats a double.  %f is exact (and rounds half to even,
 * like glibc) for values below 2^64; larger ones, and %e, scale by powers
 * of ten in double arithmetic, so their far digits may differ from
 * glibc's.  At most FLT_PREC digits follow the point.
 */
#include "klibc.h"

struct fmt_spec {
	int left;      /* '-': pad on the right */
	int zero;      /* '0': pad numbers with zeros */
	int plus;      /* '+': a sign even when positive */
	int space;     /* ' ': a space where the sign would go */
	int alt;       /* '#': 0x for %x, the point for %g */
	int width;
	int prec;      /* -1: none */
	int lng;       /* 0 int, 1 long, 2 long long (also z j t L) */
};

struct fmt_out {
	fmt_put_fn put;
	void *arg;
	int n;
};

static void out_char(struct fmt_out *o, char c)
{
	o->put(o->arg, c);
	o->n++;
}

static void out_pad(struct fmt_out *o, char c, int n)
{
	while (n-- > 0)
		out_char(o, c);
}

static void out_str(struct fmt_out *o, const struct fmt_spec *sp,
		    const char *s, int len)
{
	if (!sp->left)
		out_pad(o, ' ', sp->width - len);
	for (int i = 0; i < len; i++)
		out_char(o, s[i]);
	if (sp->left)
		out_pad(o, ' ', sp->width - len);
}

/* The sign character of a number: '-', '+', ' ' or none (0). */
static char sign_of(const struct fmt_spec *sp, int neg)
{
	if (neg)
		return '-';
	return sp->plus ? '+' : sp->space ? ' ' : 0;
}

/* Digits (nd of them, most significant first in buf) with sign, prefix
 * and padding.  zeros more zeros go between the prefix and the digits
 * (an integer's precision). */
static void out_digits(struct fmt_out *o, const struct fmt_spec *sp,
		       char sign, const char *prefix, const char *buf, int nd,
		       int zeros)
{
	int len = nd + zeros + (int)strlen(prefix) + (sign != 0);

	if (!sp->left && !sp->zero)
		out_pad(o, ' ', sp->width - len);
	if (sign)
		out_char(o, sign);
	while (*prefix)
		out_char(o, *prefix++);
	if (!sp->left && sp->zero)
		out_pad(o, '0', sp->width - len);
	out_pad(o, '0', zeros);
	for (int i = 0; i < nd; i++)
		out_char(o, buf[i]);
	if (sp->left)
		out_pad(o, ' ', sp->width - len);
}

static void out_num(struct fmt_out *o, const struct fmt_spec *sp,
		    uint64_t v, int neg, unsigned base, int upper,
		    const char *prefix)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char buf[24];
	int n = sizeof(buf), nd, zeros;

	if (v == 0 && sp->prec == 0) {
		out_digits(o, sp, sign_of(sp, neg), "", "", 0, 0);
		return;
	}
	do {
		buf[--n] = digits[v % base];
		v /= base;
	} while (v);
	nd = (int)sizeof(buf) - n;
	zeros = sp->prec > nd ? sp->prec - nd : 0;
	out_digits(o, sp, sign_of(sp, neg), prefix, buf + n, nd, zeros);
}

#ifdef KLIBC_FLOAT
#define FLT_DIGITS 512 /* a double's 309 integer digits, FLT_PREC more */
#define FLT_PREC   100 /* most digits after the point */

/* Round the n digits in buf up by one unit in the last place; returns 1
 * if a new leading digit '1' had to be inserted. */
static int digits_round_up(char *buf, int n)
{
	for (int i = n - 1; i >= 0; i--) {
		if (buf[i] != '9') {
			buf[i]++;
			return 0;
		}
		buf[i] = '0';
	}
	memmove(buf + 1, buf, (size_t)n);
	buf[0] = '1';
	return 1;
}

/* The fraction f in [0, 1) as F / 2^k exactly (k <= 124; a fraction
 * below 2^-71 loses bits beyond the 37th decimal place). */
static unsigned __int128 frac_bits(double f, int *k)
{
	uint64_t raw, mant;
	int e;

	memcpy(&raw, &f, sizeof(raw));
	mant = raw & ((1ull << 52) - 1);
	e = (int)(raw >> 52 & 0x7ff);
	if (e)
		mant |= 1ull << 52;
	else
		e = 1;
	*k = 1075 - e; /* f = mant * 2^-k, k > 52 since f < 1 */
	if (mant == 0)
		*k = 0;
	if (*k > 124) {
		mant = *k - 124 < 64 ? mant >> (*k - 124) : 0;
		*k = 124;
	}
	return mant;
}

/* Append prec digits of the fraction f to buf (at *n) and round half to
 * even from the rest, exactly; a carry into a new leading digit grows
 * *ni. */
static void fraction_digits(double f, int prec, char *buf, int *n, int *ni)
{
	int k, grew = 0;
	unsigned __int128 F = frac_bits(f, &k), one = (unsigned __int128)1 << k;

	for (int i = 0; i < prec; i++) {
		F *= 10;
		buf[(*n)++] = (char)('0' + (int)(F >> k));
		F &= one - 1;
	}
	if (k && (2 * F > one || (2 * F == one && (buf[*n - 1] - '0') % 2)))
		grew = digits_round_up(buf, *n);
	*n += grew;
	*ni += grew;
}

/* Decimal digits of v >= 0 rounded (half to even) to prec places after
 * the point, into buf as "IIII" then "FFF" without the point: returns the
 * count of integer digits (at least 1) and the total through *nd.  Below
 * 2^64 the integer part is exact; above, v has no fraction and its digits
 * come from division by powers of ten. */
static int float_digits(double v, int prec, char *buf, int *nd)
{
	double frac = 0;
	int ni = 0, n;

	if (v < 18446744073709551616.0) {
		uint64_t ip = (uint64_t)v;

		frac = v - (double)ip;
		do {
			buf[ni++] = (char)('0' + ip % 10);
			ip /= 10;
		} while (ip);
		for (int i = 0; i < ni / 2; i++) {
			char c = buf[i];

			buf[i] = buf[ni - 1 - i];
			buf[ni - 1 - i] = c;
		}
	} else {
		double scale = 1;

		while (scale * 10 <= v)
			scale *= 10;
		for (; scale >= 1 && ni < FLT_DIGITS - FLT_PREC - 2;
		     scale /= 10) {
			int d = (int)(v / scale);

			d = d < 0 ? 0 : d > 9 ? 9 : d;
			buf[ni++] = (char)('0' + d);
			v -= d * scale;
		}
	}
	n = ni;
	fraction_digits(frac, prec, buf, &n, &ni);
	*nd = n;
	return ni;
}

static void out_fixed(struct fmt_out *o, const struct fmt_spec *sp,
		      double v, int neg, int prec, int strip)
{
	char buf[FLT_DIGITS + 2], out[FLT_DIGITS + 3];
	int nd, ni = float_digits(v, prec, buf, &nd), k = 0, last;

	for (int i = 0; i < nd; i++) {
		if (i == ni)
			out[k++] = '.';
		out[k++] = buf[i];
	}
	if (prec == 0 && sp->alt)
		out[k++] = '.';
	if (strip && prec > 0) {
		last = k;
		while (last > ni + 1 && out[last - 1] == '0')
			last--;
		k = out[last - 1] == '.' ? last - 1 : last;
	}
	out_digits(o, sp, sign_of(sp, neg), "", out, k, 0);
}

/* Decimal exponent of v > 0: 10^x <= v < 10^(x+1), after rounding v to
 * prec + 1 significant digits. */
static int float_exp10(double v, int prec)
{
	double half = 0.5;
	int x = 0;

	for (int i = 0; i < prec; i++)
		half /= 10;
	while (v >= 10) {
		v /= 10;
		x++;
	}
	while (v < 1) {
		v *= 10;
		x--;
	}
	return v + half >= 10 ? x + 1 : x;
}

static void out_expo(struct fmt_out *o, const struct fmt_spec *sp,
		     double v, int neg, int prec, int upper, int strip)
{
	char buf[FLT_DIGITS + 2], out[FLT_DIGITS + 8];
	int x = v > 0 ? float_exp10(v, prec) : 0, nd, k = 0, e;

	for (e = x; e > 0; e--)
		v /= 10;
	for (; e < 0; e++)
		v *= 10;
	float_digits(v, prec, buf, &nd);
	out[k++] = buf[0];
	if (prec > 0 || sp->alt)
		out[k++] = '.';
	for (int i = 1; i < nd && i <= prec; i++)
		out[k++] = buf[i];
	if (strip && prec > 0) {
		while (out[k - 1] == '0')
			k--;
		if (out[k - 1] == '.')
			k--;
	}
	out[k++] = upper ? 'E' : 'e';
	out[k++] = x < 0 ? '-' : '+';
	e = x < 0 ? -x : x;
	if (e >= 100)
		out[k++] = (char)('0' + e / 100);
	out[k++] = (char)('0' + e / 10 % 10);
	out[k++] = (char)('0' + e % 10);
	out_digits(o, sp, sign_of(sp, neg), "", out, k, 0);
}

static void out_float(struct fmt_out *o, char c, struct fmt_spec *sp,
		      double v)
{
	int neg = v < 0 || (v == 0 && 1 / v < 0), upper = c < 'a';
	int prec = sp->prec < 0 ? 6 : sp->prec, x;

	prec = prec > FLT_PREC ? FLT_PREC : prec;

	v = neg ? -v : v;
	if (v != v || v > 1.7976931348623157e308) {
		sp->zero = 0;
		out_digits(o, sp, sign_of(sp, neg && v == v), "",
			   v != v ? (upper ? "NAN" : "nan")
				  : (upper ? "INF" : "inf"),
			   3, 0);
		return;
	}
	if (c == 'f' || c == 'F') {
		out_fixed(o, sp, v, neg, prec, 0);
		return;
	}
	if (c == 'e' || c == 'E') {
		out_expo(o, sp, v, neg, prec, upper, 0);
		return;
	}
	prec = prec ? prec : 1; /* %g: prec significant digits */
	x = v > 0 ? float_exp10(v, prec - 1) : 0;
	if (x >= -4 && x < prec)
		out_fixed(o, sp, v, neg, prec - 1 - x, !sp->alt);
	else
		out_expo(o, sp, v, neg, prec - 1, upper, !sp->alt);
}
#endif

static const char *parse_spec(const char *f, struct fmt_spec *sp,
			      va_list *ap)
{
	*sp = (struct fmt_spec){.prec = -1};
	for (;; f++) {
		if (*f == '-')
			sp->left = 1;
		else if (*f == '0')
			sp->zero = 1;
		else if (*f == '+')
			sp->plus = 1;
		else if (*f == ' ')
			sp->space = 1;
		else if (*f == '#')
			sp->alt = 1;
		else
			break;
	}
	if (*f == '*') {
		sp->width = va_arg(*ap, int);
		if (sp->width < 0) {
			sp->left = 1;
			sp->width = -sp->width;
		}
		f++;
	}
	while (*f >= '0' && *f <= '9')
		sp->width = sp->width * 10 + (*f++ - '0');
	if (*f == '.') {
		f++;
		sp->prec = 0;
		if (*f == '*') {
			sp->prec = va_arg(*ap, int);
			f++;
		}
		while (*f >= '0' && *f <= '9')
			sp->prec = sp->prec * 10 + (*f++ - '0');
	}
	while (*f == 'h')
		f++;
	if (*f == 'z' || *f == 'j' || *f == 't' || *f == 'L') {
		sp->lng = 2;
		f++;
	}
	while (*f == 'l') {
		sp->lng++;
		f++;
	}
	return f;
}

static uint64_t arg_unsigned(const struct fmt_spec *sp, va_list *ap)
{
	if (sp->lng >= 2)
		return va_arg(*ap, unsigned long long);
	if (sp->lng == 1)
		return va_arg(*ap, unsigned long);
	return va_arg(*ap, unsigned int);
}

static int64_t arg_signed(const struct fmt_spec *sp, va_list *ap)
{
	if (sp->lng >= 2)
		return va_arg(*ap, long long);
	if (sp->lng == 1)
		return va_arg(*ap, long);
	return va_arg(*ap, int);
}

static void convert(struct fmt_out *o, char c, struct fmt_spec *sp,
		    va_list *ap)
{
	const char *s;
	uint64_t u;
	int64_t v;

	switch (c) {
	case 'd':
	case 'i':
		v = arg_signed(sp, ap);
		out_num(o, sp, v < 0 ? -(uint64_t)v : (uint64_t)v, v < 0, 10,
			0, "");
		break;
	case 'u':
		sp->plus = sp->space = 0;
		out_num(o, sp, arg_unsigned(sp, ap), 0, 10, 0, "");
		break;
	case 'x':
	case 'X':
		u = arg_unsigned(sp, ap);
		sp->plus = sp->space = 0;
		out_num(o, sp, u, 0, 16, c == 'X',
			sp->alt && u ? (c == 'X' ? "0X" : "0x") : "");
		break;
	case 'o':
		sp->plus = sp->space = 0;
		out_num(o, sp, arg_unsigned(sp, ap), 0, 8, 0,
			sp->alt ? "0" : "");
		break;
	case 'p':
		sp->plus = sp->space = 0;
		out_num(o, sp, (uintptr_t)va_arg(*ap, void *), 0, 16, 0, "0x");
		break;
#ifdef KLIBC_FLOAT
	case 'f':
	case 'F':
	case 'e':
	case 'E':
	case 'g':
	case 'G':
		out_float(o, c, sp, va_arg(*ap, double));
		break;
#endif
	case 'c':
		out_char(o, (char)va_arg(*ap, int));
		break;
	case 's':
		s = va_arg(*ap, const char *);
		if (!s)
			s = "(null)";
		out_str(o, sp, s,
			(int)strnlen(s, sp->prec < 0 ? SIZE_MAX
						     : (size_t)sp->prec));
		break;
	case '%':
		out_char(o, '%');
		break;
	default:
		out_char(o, '%');
		if (c)
			out_char(o, c);
	}
}

int fmt_vprint(fmt_put_fn put, void *arg, const char *fmt, va_list ap)
{
	struct fmt_out o = {put, arg, 0};
	struct fmt_spec sp;
	va_list aq;

	va_copy(aq, ap);
	while (*fmt) {
		if (*fmt != '%') {
			out_char(&o, *fmt++);
			continue;
		}
		fmt = parse_spec(fmt + 1, &sp, &aq);
		convert(&o, *fmt, &sp, &aq);
		if (*fmt)
			fmt++;
	}
	va_end(aq);
	return o.n;
}

struct snbuf {
	char *buf;
	size_t size, len;
};

static void snbuf_put(void *arg, char c)
{
	struct snbuf *b = arg;

	if (b->len + 1 < b->size)
		b->buf[b->len] = c;
	b->len++;
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct snbuf b = {buf, size, 0};
	int n = fmt_vprint(snbuf_put, &b, fmt, ap);

	if (size)
		buf[b.len < size ? b.len : size - 1] = '\0';
	return n;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
