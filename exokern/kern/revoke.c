/*
 * revoke.c: revocation policy and the abort protocol (see revoke.h).  The
 * bookkeeping (pending count, deadline, repossession ring on the info
 * page, choosing the pages) is core's; this file decides when to ask and
 * cleans up the page tables after a repossession.  Before repossessing,
 * it waits for the environment's disk requests in flight, so no DMA
 * reaches a page that has been taken.
 */
#include "core.h"
#include "disk.h"
#include "env.h"
#include "kern.h"
#include "pmem.h"
#include "revoke.h"

void revoke_pressure(const struct env *requester)
{
	uint64_t now = clock_ns();

	for (int i = 0; i < NENV; i++) {
		struct env *o = &envs[i];
		uint64_t want = (o->npages + 3) / 4;

		if (o == requester || o->state == ENV_FREE ||
		    !o->npages || o->info->revoke_pages ||
		    (o->revoke_last && now - o->revoke_last <
					       REVOKE_INTERVAL_NS))
			continue;
		core_revoke_request(o->info, want, now + REVOKE_DEADLINE_NS);
		o->revoke_last = now;
		kprintf("exokern: env %u [%s]: asked to return %lu of its %lu "
			"pages\n",
			o->id, o->name, want, o->npages);
	}
}

/* Unmap the pages core just took from o.  A mapped page is always owned
 * by the env that mapped it, until page_free or env_exit unmap it first;
 * so a mapped page that is now free was o's. */
static void revoke_unmap(struct env *o)
{
	for (uint64_t p = 0; p < pages.npages; p++) {
		if (!page_mapva[p] || pages.owner[p] != CORE_PAGE_FREE)
			continue;
		as_unmap(&o->as, page_mapva[p]);
		page_mapva[p] = 0;
	}
}

void revoke_expire(uint64_t now_ns)
{
	for (int i = 0; i < NENV; i++) {
		struct env *o = &envs[i];
		uint64_t taken;

		if (o->state == ENV_FREE || !o->info->revoke_pages)
			continue;
		if (now_ns >= o->info->revoke_deadline_ns)
			disk_drain(o); /* no DMA into the pages taken */
		taken = core_revoke_expire(&pages, o->id, o->info, now_ns);
		if (!taken)
			continue;
		o->npages -= taken;
		revoke_unmap(o);
		kprintf("exokern: env %u [%s]: repossessed %lu pages\n", o->id,
			o->name, taken);
	}
}
