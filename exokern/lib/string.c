/*
 * string.c: memory and string functions for the kernel and user programs
 * (klibc.h).  The compiler may emit calls to memcpy, memmove and memset
 * by itself, so these names must exist even in freestanding code.  The
 * bulk copies use `rep movs`/`rep stos`, eight bytes at a time when the
 * buffers allow it (QEMU's emulation pays per iteration).
 */
#include "klibc.h"

void *memcpy(void *dst, const void *src, size_t n)
{
	void *d = dst;

	if (((uintptr_t)dst | (uintptr_t)src | n) % 8 == 0) {
		n /= 8;
		__asm__ volatile("rep movsq"
				 : "+D"(d), "+S"(src), "+c"(n)
				 :
				 : "memory");
	} else {
		__asm__ volatile("rep movsb"
				 : "+D"(d), "+S"(src), "+c"(n)
				 :
				 : "memory");
	}
	return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;

	if (d <= s || d >= s + n)
		return memcpy(dst, src, n);
	while (n--)
		d[n] = s[n];
	return dst;
}

void *memset(void *dst, int c, size_t n)
{
	void *d = dst;

	if (((uintptr_t)dst | n) % 8 == 0) {
		n /= 8;
		__asm__ volatile("rep stosq"
				 : "+D"(d), "+c"(n)
				 : "a"(0x0101010101010101ull * (uint8_t)c)
				 : "memory");
	} else {
		__asm__ volatile("rep stosb"
				 : "+D"(d), "+c"(n)
				 : "a"(c)
				 : "memory");
	}
	return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;

	for (; n; n--, x++, y++)
		if (*x != *y)
			return *x < *y ? -1 : 1;
	return 0;
}

size_t strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

size_t strnlen(const char *s, size_t max)
{
	size_t n = 0;

	while (n < max && s[n])
		n++;
	return n;
}

int strcmp(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return (unsigned char)*a - (unsigned char)*b;
}

int strncmp(const char *a, const char *b, size_t n)
{
	for (; n; n--, a++, b++) {
		if (*a != *b)
			return (unsigned char)*a - (unsigned char)*b;
		if (!*a)
			return 0;
	}
	return 0;
}

char *strchr(const char *s, int c)
{
	for (;; s++) {
		if (*s == (char)c)
			return (char *)s;
		if (!*s)
			return NULL;
	}
}

char *strrchr(const char *s, int c)
{
	const char *last = NULL;

	for (;; s++) {
		if (*s == (char)c)
			last = s;
		if (!*s)
			return (char *)last;
	}
}

size_t strlcpy(char *dst, const char *src, size_t size)
{
	size_t n = strlen(src);

	if (size) {
		size_t k = n < size - 1 ? n : size - 1;

		memcpy(dst, src, k);
		dst[k] = '\0';
	}
	return n;
}

static int digit_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'Z')
		return c - 'A' + 10;
	return 99;
}

unsigned long strtoul(const char *s, char **end, int base)
{
	unsigned long v = 0;

	while (*s == ' ' || *s == '\t')
		s++;
	if ((base == 0 || base == 16) && s[0] == '0' &&
	    (s[1] == 'x' || s[1] == 'X') && digit_value(s[2]) < 16) {
		s += 2;
		base = 16;
	} else if (base == 0) {
		base = s[0] == '0' ? 8 : 10;
	}
	for (; digit_value(*s) < base; s++)
		v = v * (unsigned long)base + (unsigned long)digit_value(*s);
	if (end)
		*end = (char *)s;
	return v;
}
