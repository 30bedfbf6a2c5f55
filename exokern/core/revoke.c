/*
 * revoke.c: revocation bookkeeping (the protocol is in exo/info.h).
 *
 * The kernel asks an environment for pages back with core_revoke_request,
 * which sets the count and deadline in the environment's info page and
 * bumps revoke_seq so the libOS notices.  Each page the environment then
 * frees is counted off with core_revoke_freed.  The kernel calls
 * core_revoke_expire from its timer: once the deadline has passed with
 * pages still owed, it repossesses them itself (the abort protocol),
 * taking the highest-numbered pages the environment owns, and records each
 * in the info page's repossession ring.  The caller unmaps the pages taken
 * and refreshes the info page's counters.
 */
#include "core.h"

void core_revoke_request(struct exo_info *info, uint64_t npages,
			 uint64_t deadline_ns)
{
	info->revoke_seq++;
	info->revoke_pages = npages;
	info->revoke_deadline_ns = deadline_ns;
}

void core_revoke_freed(struct exo_info *info, uint64_t n)
{
	info->revoke_pages -= n < info->revoke_pages ? n : info->revoke_pages;
}

uint64_t core_revoke_expire(struct core_pages *p, uint32_t env,
			    struct exo_info *info, uint64_t now_ns)
{
	uint64_t want = info->revoke_pages, taken = 0;
	exo_ppn ppn = p->npages;

	if (want == 0 || now_ns < info->revoke_deadline_ns ||
	    env == CORE_PAGE_FREE || env == CORE_PAGE_KERNEL)
		return 0;
	while (taken < want && ppn-- > 0) {
		if (p->owner[ppn] != env)
			continue;
		p->owner[ppn] = CORE_PAGE_FREE;
		p->nfree++;
		info->repo[info->repo_count % EXO_REPO_MAX] = ppn;
		info->repo_count++;
		taken++;
	}
	info->revoke_pages = 0;
	return taken;
}
