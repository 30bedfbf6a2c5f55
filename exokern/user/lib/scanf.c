/*
 * scanf.c: sscanf and fscanf for exokern programs.
 *
 * Conversions: %d %i %u %x %o (with hh h l ll z j), %s, %c, %[set] (with
 * ^ and ranges), %n and %%, each with a width and '*' to skip the value;
 * whitespace in the format skips any whitespace.  Input comes from a
 * string or a FILE (stdio_int.h) through one getc/ungetc pair.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "stdio_int.h"

struct src {
	int (*get)(struct src *s);
	void (*unget)(struct src *s);
	const char *str; /* string input */
	size_t pos;
	FILE *f;         /* FILE input */
	size_t used;     /* characters consumed, for %n */
};

static int str_get(struct src *s)
{
	return s->str[s->pos] ? (unsigned char)s->str[s->pos++] : EOF;
}

static void str_unget(struct src *s)
{
	s->pos--;
}

static int file_get(struct src *s)
{
	return file_getc(s->f);
}

static void file_unget(struct src *s)
{
	file_ungetc(s->f);
}

static int get(struct src *s)
{
	int c = s->get(s);

	s->used += c != EOF;
	return c;
}

static void unget(struct src *s, int c)
{
	if (c == EOF)
		return;
	s->unget(s);
	s->used--;
}

static void skip_space(struct src *s)
{
	int c;

	while ((c = get(s)) != EOF && isspace(c))
		;
	unget(s, c);
}

static int digit_in(int c, int base)
{
	int d = isdigit(c) ? c - '0' : isalpha(c) ? tolower(c) - 'a' + 10 : 99;

	return d < base ? d : -1;
}

/* An integer of at most width characters; 0 if there was none. */
static int scan_int(struct src *s, int base, int width, uint64_t *out)
{
	uint64_t v = 0;
	int c, neg = 0, n = 0, any = 0;

	skip_space(s);
	c = get(s);
	if ((c == '-' || c == '+') && n < width) {
		neg = c == '-';
		n++;
		c = get(s);
	}
	if (base == 0 || base == 16) {
		if (c == '0' && n < width) {
			any = 1;
			n++;
			c = get(s);
			if ((c == 'x' || c == 'X') && n < width) {
				base = 16;
				n++;
				c = get(s);
			} else if (base == 0) {
				base = 8;
			}
		} else if (base == 0) {
			base = 10;
		}
	}
	for (; n < width && digit_in(c, base) >= 0; n++, c = get(s)) {
		v = v * (uint64_t)base + (uint64_t)digit_in(c, base);
		any = 1;
	}
	unget(s, c);
	*out = neg ? -v : v;
	return any;
}

static void store_int(va_list *ap, int lng, uint64_t v)
{
	if (lng >= 2)
		*va_arg(*ap, long long *) = (long long)v;
	else if (lng == 1)
		*va_arg(*ap, long *) = (long)v;
	else if (lng == -1)
		*va_arg(*ap, short *) = (short)v;
	else if (lng == -2)
		*va_arg(*ap, char *) = (char)v;
	else
		*va_arg(*ap, int *) = (int)v;
}

/* The set of %[...] at f (after the '['): into in[256]; returns the
 * format after the ']'. */
static const char *scan_set(const char *f, char in[256])
{
	int neg = *f == '^';

	memset(in, 0, 256);
	f += neg;
	if (*f == ']')
		in[(unsigned char)*f++] = 1;
	for (; *f && *f != ']'; f++) {
		if (f[1] == '-' && f[2] && f[2] != ']') {
			for (int c = (unsigned char)f[0]; c <= (unsigned char)f[2];
			     c++)
				in[c] = 1;
			f += 2;
		} else {
			in[(unsigned char)*f] = 1;
		}
	}
	if (neg)
		for (int c = 0; c < 256; c++)
			in[c] = !in[c];
	return *f ? f + 1 : f;
}

/* Characters while in[c], at most width; stored unless skip (with a NUL
 * unless chars).  How many. */
static int scan_chars(struct src *s, const char in[256], int width,
		      char *dst, int nul)
{
	int n = 0, c = 0;

	while (n < width && (c = get(s)) != EOF && in[c]) {
		if (dst)
			dst[n] = (char)c;
		n++;
	}
	if (n < width)
		unget(s, c);
	if (dst && nul && n)
		dst[n] = '\0';
	return n;
}

static int scan(struct src *s, const char *f, va_list ap0)
{
	int assigned = 0, convs = 0;
	char set[256];
	va_list ap;

	va_copy(ap, ap0);
	for (; *f; f++) {
		int skip = 0, width = 0, lng = 0, c;
		uint64_t v;

		if (isspace((unsigned char)*f)) {
			skip_space(s);
			continue;
		}
		if (*f != '%' || f[1] == '%') {
			f += *f == '%';
			if ((c = get(s)) != (unsigned char)*f) {
				unget(s, c);
				break;
			}
			continue;
		}
		f++;
		if (*f == '*') {
			skip = 1;
			f++;
		}
		while (isdigit((unsigned char)*f))
			width = width * 10 + (*f++ - '0');
		for (; *f == 'h'; f++)
			lng--;
		for (; *f == 'l' || *f == 'z' || *f == 'j'; f++)
			lng = *f == 'l' ? lng + 1 : 2;
		if (*f == 'n') {
			if (!skip)
				store_int(&ap, lng, s->used);
			continue;
		}
		convs++;
		if (*f == 'd' || *f == 'i' || *f == 'u' || *f == 'x' ||
		    *f == 'X' || *f == 'o') {
			int base = *f == 'i' ? 0 : *f == 'o' ? 8
					     : *f == 'x' || *f == 'X' ? 16 : 10;

			if (!scan_int(s, base, width ? width : 1 << 30, &v))
				break;
			if (!skip) {
				store_int(&ap, lng, v);
				assigned++;
			}
		} else if (*f == 's' || *f == '[' || *f == 'c') {
			char *dst = skip ? NULL : va_arg(ap, char *);

			if (*f == '[') {
				f = scan_set(f + 1, set) - 1;
			} else {
				for (int k = 0; k < 256; k++)
					set[k] = *f == 'c' || !isspace(k);
				set[0] = *f == 'c';
			}
			if (*f == 's')
				skip_space(s);
			if (!scan_chars(s, set, width ? width
						      : *f == 'c' ? 1 : 1 << 30,
					dst, *f != 'c'))
				break;
			assigned += !skip;
		} else {
			break;
		}
	}
	va_end(ap);
	if (assigned == 0 && convs > 0 && s->get(s) == EOF)
		return EOF;
	return assigned;
}

int vsscanf(const char *str, const char *fmt, va_list ap)
{
	struct src s = { .get = str_get, .unget = str_unget, .str = str };

	return scan(&s, fmt, ap);
}

int sscanf(const char *str, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsscanf(str, fmt, ap);
	va_end(ap);
	return n;
}

int vfscanf(FILE *f, const char *fmt, va_list ap)
{
	struct src s = { .get = file_get, .unget = file_unget, .f = f };

	return scan(&s, fmt, ap);
}

int fscanf(FILE *f, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vfscanf(f, fmt, ap);
	va_end(ap);
	return n;
}
