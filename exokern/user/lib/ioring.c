/*
 * ioring.c: reaping disk completions without a system call.
 *
 * The kernel posts every completion of this environment's I/O to its
 * completion ring (struct exo_ioring, exo/syscall.h), mapped read-only.
 * After io_ring_init has registered ring_tail with the kernel, a program
 * reads completions from ring_tail up to the ring's head and then stores
 * the new tail, which the kernel reads when it next needs room.
 * sys_io_reap consumes from the same ring and writes ring_tail back, so
 * the two ways of reaping can be mixed freely: io_reap does.
 */
#include "ulib.h"

static const volatile struct exo_ioring *ring;
static volatile uint64_t ring_tail;

int io_ring_init(void)
{
	int64_t r = (int64_t)sys_io_ring(&ring_tail);

	if (r < 0)
		return (int)r;
	ring = (const volatile struct exo_ioring *)r;
	return 0;
}

unsigned io_ring_reap(struct exo_iocomp *c, unsigned max)
{
	uint64_t head, t = ring_tail;
	unsigned k = 0;

	if (!ring)
		return 0;
	head = ring->head;
	__asm__ volatile("" : : : "memory"); /* the head, then the entries */
	for (; k < max && t != head; k++, t++) {
		c[k].tag = ring->comp[t % EXO_IORING_N].tag;
		c[k].res = ring->comp[t % EXO_IORING_N].res;
		c[k]._pad = 0;
	}
	ring_tail = t;
	return k;
}

int io_reap(struct exo_iocomp *c, unsigned max, unsigned min)
{
	unsigned k = io_ring_reap(c, max);
	int r;

	if (k >= min)
		return (int)k;
	r = sys_io_reap(c + k, max - k, min - k);
	return r < 0 ? r : (int)k + r;
}
