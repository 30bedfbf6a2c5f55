/*
 * diskvictim.h: what diskhostile.c and diskvictim.c agree on, besides the
 * page handshake of victim.h (take busy_ppn ... ack_ppn ... free
 * busy_ppn), which they reuse: the victim owns VICTIM_NB blocks at
 * VICTIM_BNO (the hostile program knows the numbers, not the
 * capability), and the page victim_ppn(), mapped at VICTIM_VA.
 */
#ifndef EXOKERN_DISKVICTIM_H
#define EXOKERN_DISKVICTIM_H

#include "victim.h"

#define VICTIM_BNO  2000
#define VICTIM_NB   16
#define VICTIM_SEED 0x71c71
#define VICTIM_CAP  "victim-secret-7f3a"

#endif
