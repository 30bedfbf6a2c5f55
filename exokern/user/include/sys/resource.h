/*
 * sys/resource.h: getrusage for exokern programs (posix.c).  ru_utime is
 * the processor time the kernel has given the environment (run_ns on the
 * info page, its system calls included; ru_stime is 0), ru_maxrss the
 * most pages it has owned (in KiB, sampled at each call), the fault
 * counts 0: exokern does not page.
 */
#ifndef EXOKERN_SYS_RESOURCE_H
#define EXOKERN_SYS_RESOURCE_H

#include <sys/types.h>

struct timeval {
	int64_t tv_sec;
	int64_t tv_usec;
};

struct rusage {
	struct timeval ru_utime, ru_stime;
	long ru_maxrss;
	long ru_minflt, ru_majflt;
	long ru_inblock, ru_oublock;
	long ru_nvcsw, ru_nivcsw;
};

#define RUSAGE_SELF 0

int getrusage(int who, struct rusage *ru);

#endif
