/*
 * syncount.h: how many fsync, fdatasync and msync calls this process has
 * made (see syncount.c: exobench's own definitions of the three calls).
 */
#ifndef EXODB_BENCH_SYNCOUNT_H
#define EXODB_BENCH_SYNCOUNT_H

#include <stdint.h>

uint64_t syncount_get(void);

#endif
