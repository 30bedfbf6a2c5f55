/*
 * inttypes.h: printf formats of the fixed-width integers (LP64).
 */
#ifndef EXOKERN_INTTYPES_H
#define EXOKERN_INTTYPES_H

#include <stdint.h>

#define PRId8  "d"
#define PRId16 "d"
#define PRId32 "d"
#define PRId64 "ld"
#define PRIi64 "li"
#define PRIu8  "u"
#define PRIu16 "u"
#define PRIu32 "u"
#define PRIu64 "lu"
#define PRIx32 "x"
#define PRIx64 "lx"
#define PRIX64 "lX"
#define PRIuMAX "lu"
#define PRIdMAX "ld"
#define PRIuPTR "lu"
#define PRIxPTR "lx"
#define SCNu64 "lu"
#define SCNd64 "ld"

#endif
