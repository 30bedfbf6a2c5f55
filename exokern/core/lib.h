/*
 * lib.h: the few libc-like helpers exokern/core needs, private to core.
 *
 * core is linked into the kernel, which has no libc, so it brings its own
 * byte helpers.  They are static inline so that every core file gets its
 * own copy and nothing is exported.  They are plain byte loops: the maps
 * they copy are small and the copies are dwarfed by the disk writes that
 * follow them.  (Like any freestanding GCC code, the kernel must still
 * provide memcpy/memset symbols, which the compiler may emit for struct
 * copies.)
 *
 * crc32c_sw is the portable table-driven CRC32C that crc32c() falls back
 * to on CPUs without the crc32 instruction; it is declared here so the unit
 * tests can check both paths against each other.
 */
#ifndef EXOKERN_CORE_LIB_H
#define EXOKERN_CORE_LIB_H

#include <stddef.h>
#include <stdint.h>

static inline void *core_memcpy(void *dst, const void *src, size_t n)
{
	uint8_t *d = dst;
	const uint8_t *s = src;

	while (n--)
		*d++ = *s++;
	return dst;
}

static inline void *core_memset(void *dst, int c, size_t n)
{
	uint8_t *d = dst;

	while (n--)
		*d++ = (uint8_t)c;
	return dst;
}

static inline int core_memcmp(const void *a, const void *b, size_t n)
{
	const uint8_t *x = a, *y = b;

	for (; n; n--, x++, y++)
		if (*x != *y)
			return *x < *y ? -1 : 1;
	return 0;
}

static inline uint64_t core_min64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static inline uint64_t core_max64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

uint32_t crc32c_sw(uint32_t crc, const void *buf, size_t len);

#endif
