/*
 * errstr.c: exo_strerror, the names of the EXO_E* codes (exo/errno.h).
 *
 * exo_strerror(err) returns "EXO_NAME: what it means" for every code, so a
 * message can be grepped for its code's name (LMDB's mdb_strerror style).
 * 0 is "EXO_OK: success"; any other value is "EXO_E?: unknown error".  The
 * strings are static: never free them.
 */
#include "core.h"

static const char *const exo_errstr[] = {
	[-EXO_OK] = "EXO_OK: success",
	[-EXO_EINVAL] = "EXO_EINVAL: invalid argument",
	[-EXO_EPERM] = "EXO_EPERM: caller does not own that block or page",
	[-EXO_ENOSPC] = "EXO_ENOSPC: no free run of disk blocks that large",
	[-EXO_ENOMEM] = "EXO_ENOMEM: no free run of pages that large, or "
			"no memory",
	[-EXO_ERANGE] = "EXO_ERANGE: block or page number past the end",
	[-EXO_EOVERLAP] = "EXO_EOVERLAP: request overlaps another in the batch "
			  "or in flight",
	[-EXO_EAGAIN] = "EXO_EAGAIN: submission queue full, reap completions "
			"first",
	[-EXO_EIO] = "EXO_EIO: the device reported an I/O error",
	[-EXO_EBADDISK] = "EXO_EBADDISK: not an exodb disk (no label)",
	[-EXO_ECORRUPT] = "EXO_ECORRUPT: on-disk data is corrupt (checksum or check failed)",
	[-EXO_EVERSION] = "EXO_EVERSION: on-disk format version not supported",
	[-EXO_EBUSY] = "EXO_EBUSY: disk attached elsewhere, or blocks or pages under I/O",
	[-EXO_ENOENT] = "EXO_ENOENT: no such disk, owner or capability",
	[-EXO_EFAULT] = "EXO_EFAULT: bad address passed to a system call",
	[-EXO_ENOSYS] = "EXO_ENOSYS: no such system call",
	[-EXO_EMAPFULL] = "EXO_EMAPFULL: ownership map has no room for more "
			  "extents or owners",
	[-EXO_EEXIST] = "EXO_EEXIST: already exists",
	[-EXO_ETOOSMALL] = "EXO_ETOOSMALL: disk too small to format",
	[-EXO_EDETACHED] = "EXO_EDETACHED: handle no longer attached",
};

EXO_STATIC_ASSERT(sizeof(exo_errstr) / sizeof(exo_errstr[0]) ==
			  1 - EXO_ERRNO_MIN,
		  "a string for every EXO_E* code");

const char *exo_strerror(int err)
{
	if (err > 0 || err < EXO_ERRNO_MIN)
		return "EXO_E?: unknown error";
	return exo_errstr[-err];
}
