/*
 * diskbench.c: block I/O through the disk system calls, measured inside
 * the guest (the figures of issue 6; under QEMU TCG they measure the
 * emulated path, not the host disk alone):
 *
 *   randread qd1    4 KiB reads of random blocks of a REGION_NB region,
 *                   one at a time: submit, then io_reap (which sleeps in
 *                   the kernel until the completion interrupt)
 *   randread qd32   the same with 32 in flight, completions read from
 *                   the ring without a system call when there are any
 *   write+flush     a 4 KiB write of a random block, reaped, then a
 *                   flush, reaped: the latency of one durable write
 *
 * Each runs up to its operation count or RUN_NS, whichever comes first,
 * and reports operations per second and the median and 99th percentile
 * latency.  The region is written first, so reads reach real data.
 */
#include "dtest.h"
#include "utest.h"

#define REGION_NB 4096 /* 16 MiB */
#define FILL_NB	  EXO_IO_MAXBLOCKS
#define BUF_VA	  0x600000000ull
#define QD	  32
#define MAXOPS	  20000
#define RUN_NS	  (1000ull * 1000 * 1000)

static uint64_t lat[MAXOPS]; /* TSC cycles per operation */
static uint64_t start_tsc[QD];
static uint64_t mhz; /* TSC ticks per microsecond */
static exo_bno region;
static struct dbuf buf;
static uint64_t rng = 88172645463325252ull;

static exo_bno random_block(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return region + rng % REGION_NB;
}

static uint64_t tsc_per_us(void)
{
	uint64_t t0 = sys_time(), c0 = rdtsc(), t1;

	while ((t1 = sys_time()) - t0 < 20000000)
		;
	return (rdtsc() - c0) * 1000 / (t1 - t0);
}

static void sort(uint64_t *a, unsigned n)
{
	for (unsigned gap = n / 2; gap; gap /= 2)
		for (unsigned i = gap; i < n; i++)
			for (unsigned j = i; j >= gap && a[j - gap] > a[j];
			     j -= gap) {
				uint64_t t = a[j];

				a[j] = a[j - gap];
				a[j - gap] = t;
			}
}

static void report(const char *what, unsigned n, uint64_t cycles)
{
	uint64_t us = cycles / mhz;

	sort(lat, n);
	printf("diskbench: %-14s %6lu ops/s  p50 %5lu us  p99 %5lu us  "
	       "(%u ops)\n",
	       what, us ? n * (uint64_t)1000000 / us : 0, lat[n / 2] / mhz,
	       lat[n * 99 / 100] / mhz, n);
}

/* Write the whole region, FILL_NB blocks a request, and flush. */
static void fill(void)
{
	for (unsigned i = 0; i < FILL_NB; i++)
		dfill(dblk(&buf, i), i, 1, 0);
	for (exo_bno b = 0; b < REGION_NB; b += FILL_NB)
		CHECK_EQ(dio(EXO_OP_WRITE, region + b, FILL_NB, buf.ppn), 0);
	CHECK_EQ(dio(EXO_OP_FLUSH, 0, 0, 0), 0);
}

static void randread_qd1(void)
{
	uint64_t t0 = rdtsc(), end = t0 + RUN_NS / 1000 * mhz;
	unsigned n = 0, bad = 0;

	while (n < MAXOPS / 4 && rdtsc() < end) {
		uint64_t t = rdtsc();

		bad += dio(EXO_OP_READ, random_block(), 1, buf.ppn) != 0;
		lat[n++] = rdtsc() - t;
	}
	CHECK_EQ(bad, 0);
	report("randread qd1", n, rdtsc() - t0);
}

static int submit_read(unsigned slot)
{
	struct exo_ioreq r =
		dreq(EXO_OP_READ, random_block(), 1, buf.ppn + slot, slot);

	start_tsc[slot] = rdtsc();
	return sys_io_submit(&r, 1);
}

static void randread_qd32(void)
{
	uint64_t t0 = rdtsc(), end = t0 + RUN_NS / 1000 * mhz;
	struct exo_iocomp c[QD];
	unsigned n = 0, bad = 0, inflight = 0;

	for (unsigned s = 0; s < QD; s++)
		inflight += submit_read(s) == 1;
	while (inflight) {
		int k = io_reap(c, QD, 1);

		if (k <= 0) {
			bad++;
			break;
		}
		for (int j = 0; j < k; j++) {
			unsigned s = (unsigned)c[j].tag;

			bad += c[j].res != 0 || s >= QD;
			if (s >= QD)
				continue;
			inflight--;
			if (n < MAXOPS)
				lat[n++] = rdtsc() - start_tsc[s];
			if (n < MAXOPS && rdtsc() < end)
				inflight += submit_read(s) == 1;
		}
	}
	CHECK_EQ(bad, 0);
	report("randread qd32", n, rdtsc() - t0);
}

static void write_flush(void)
{
	uint64_t t0 = rdtsc(), end = t0 + RUN_NS / 1000 * mhz;
	unsigned n = 0, bad = 0;

	while (n < MAXOPS / 4 && rdtsc() < end) {
		uint64_t t = rdtsc();

		bad += dio(EXO_OP_WRITE, random_block(), 1, buf.ppn) != 0;
		bad += dio(EXO_OP_FLUSH, 0, 0, 0) != 0;
		lat[n++] = rdtsc() - t;
	}
	CHECK_EQ(bad, 0);
	report("write+flush", n, rdtsc() - t0);
}

int main(int argc, char **argv)
{
	const char *cap = "diskbench";

	(void)argc;
	(void)argv;
	mhz = tsc_per_us();
	CHECK_EQ(sys_disk_attach(cap, strlen(cap), EXO_DISK_CREATE), 0);
	CHECK_EQ(io_ring_init(), 0);
	CHECK_EQ(dbuf_get(&buf, FILL_NB, BUF_VA), 0);
	CHECK_EQ(sys_block_alloc(0, REGION_NB, &region), 0);
	fill();
	randread_qd1();
	randread_qd32();
	write_flush();
	CHECK_EQ(sys_block_free(region, REGION_NB), 0);
	CHECK_EQ(sys_info()->io_errors, 0);
	return ut_done("diskbench");
}
