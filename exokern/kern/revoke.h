/*
 * revoke.h: when and from whom the kernel takes pages back.
 *
 * Policy: when an allocation fails for lack of pages, every other
 * environment that owns pages is asked (on its info page) to give back a
 * quarter of them (at least one) within REVOKE_DEADLINE_NS; the failed
 * caller gets EXO_ENOMEM and may yield and retry.  An environment is asked
 * at most once per REVOKE_INTERVAL_NS.  Every tick, requests past their
 * deadline are enforced: core repossesses the pages still owed, and the
 * kernel unmaps them from the owner's address space.
 */
#ifndef EXOKERN_REVOKE_H
#define EXOKERN_REVOKE_H

#include <stdint.h>

struct env;

#define REVOKE_DEADLINE_NS (200ull * 1000 * 1000)
#define REVOKE_INTERVAL_NS (1000ull * 1000 * 1000)

void revoke_pressure(const struct env *requester);
void revoke_expire(uint64_t now_ns);

#endif
