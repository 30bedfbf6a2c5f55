/*
 * victim.h: what hostile.c and victim.c agree on.
 *
 * The victim owns physical page victim_ppn() and maps it at VICTIM_VA; the
 * hostile program attacks that page by its physical name.  They have no
 * shared memory, so they synchronize through page ownership itself, the
 * one thing every environment can observe.  page_taken() asks whether
 * someone else owns a page by trying to allocate exactly that page.
 *
 *   hostile: take busy_ppn; wait for ack_ppn taken; attack; free busy_ppn
 *   victim:  take victim_ppn; wait for busy_ppn taken; take ack_ppn;
 *            wait for busy_ppn free (the attack is over); check
 *
 * The hostile program holds busy_ppn until the victim has acknowledged
 * seeing it, so the victim cannot miss the whole attack between two looks.
 */
#ifndef EXOKERN_VICTIM_H
#define EXOKERN_VICTIM_H

#include "ulib.h"

#define VICTIM_VA   ((char *)0x300000000ull)
#define SYNC_WAIT_NS (10ull * 1000 * 1000 * 1000)

static inline exo_ppn victim_ppn(void)
{
	return sys_info()->pages_total * 5 / 8;
}

static inline exo_ppn busy_ppn(void)
{
	return victim_ppn() + 1;
}

static inline exo_ppn ack_ppn(void)
{
	return victim_ppn() + 2;
}

/* 1 if another environment owns ppn, 0 if it is free (or ours). */
static inline int page_taken(exo_ppn ppn)
{
	exo_ppn got;

	if (sys_page_alloc(ppn, 1, &got))
		return 1;
	sys_page_free(got, 1);
	return got != ppn;
}

/* Allocate exactly ppn, waiting while another environment holds it. */
static inline int page_take(exo_ppn ppn)
{
	uint64_t t0 = sys_time();
	exo_ppn got;

	while (sys_time() - t0 < SYNC_WAIT_NS) {
		if (sys_page_alloc(ppn, 1, &got) == 0) {
			if (got == ppn)
				return 0;
			sys_page_free(got, 1);
		}
		sys_yield();
	}
	return EXO_EBUSY;
}

/* Wait until page_taken(ppn) == taken; 0, or EXO_EBUSY on timeout. */
static inline int page_wait(exo_ppn ppn, int taken)
{
	uint64_t t0 = sys_time();

	while (page_taken(ppn) != taken) {
		if (sys_time() - t0 > SYNC_WAIT_NS)
			return EXO_EBUSY;
		sys_yield();
	}
	return 0;
}

#endif
