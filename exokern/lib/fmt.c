/*
 * fmt.c: printf-style formatting for the kernel and user programs
 * (klibc.h).  One formatter, fmt_vprint(), writes through a put callback;
 * the kernel console, the user console and snprintf are sinks for it.
 */
#include "klibc.h"

struct fmt_spec {
	int left;      /* '-': pad on the right */
	int zero;      /* '0': pad numbers with zeros */
	int width;
	int prec;      /* -1: none */
	int lng;       /* 0 int, 1 long, 2 long long; z counts as 1 */
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

static void out_num(struct fmt_out *o, const struct fmt_spec *sp,
		    uint64_t v, int neg, unsigned base, int upper,
		    const char *prefix)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char buf[24];
	int n = 0, nd, plen = (int)strlen(prefix) + neg;

	do {
		buf[n++] = digits[v % base];
		v /= base;
	} while (v);
	nd = n;
	if (!sp->left && !sp->zero)
		out_pad(o, ' ', sp->width - nd - plen);
	if (neg)
		out_char(o, '-');
	while (*prefix)
		out_char(o, *prefix++);
	if (!sp->left && sp->zero)
		out_pad(o, '0', sp->width - nd - plen);
	while (n)
		out_char(o, buf[--n]);
	if (sp->left)
		out_pad(o, ' ', sp->width - nd - plen);
}

static const char *parse_spec(const char *f, struct fmt_spec *sp,
			      va_list *ap)
{
	*sp = (struct fmt_spec){.prec = -1};
	for (;; f++) {
		if (*f == '-')
			sp->left = 1;
		else if (*f == '0')
			sp->zero = 1;
		else
			break;
	}
	if (*f == '*') {
		sp->width = va_arg(*ap, int);
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
	if (*f == 'z') {
		sp->lng = 1;
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

static void convert(struct fmt_out *o, char c, const struct fmt_spec *sp,
		    va_list *ap)
{
	const char *s;
	int64_t v;

	switch (c) {
	case 'd':
	case 'i':
		v = arg_signed(sp, ap);
		out_num(o, sp, v < 0 ? -(uint64_t)v : (uint64_t)v, v < 0, 10,
			0, "");
		break;
	case 'u':
		out_num(o, sp, arg_unsigned(sp, ap), 0, 10, 0, "");
		break;
	case 'x':
	case 'X':
		out_num(o, sp, arg_unsigned(sp, ap), 0, 16, c == 'X', "");
		break;
	case 'p':
		out_num(o, sp, (uintptr_t)va_arg(*ap, void *), 0, 16, 0, "0x");
		break;
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
