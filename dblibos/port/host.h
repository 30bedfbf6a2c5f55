/*
 * host.h: the device below the hosted exo port (port/host.c).
 *
 * host.c implements exo.h for a Linux process: the page arena, page and
 * block ownership through exokern/core, request checking, locking.  It
 * moves data through a struct hostdev, of which there are two:
 *   linux.c  an image file or block device, O_DIRECT, io_uring|libaio|psync
 *   fault.c  an in-memory disk with a volatile write cache (tests)
 * Only host.c calls these.  Calls on one hostdev are serialized by host.c
 * except reap, which may run in one thread while another submits.
 */
#ifndef DBLIBOS_PORT_HOST_H
#define DBLIBOS_PORT_HOST_H

#include <exo/errno.h>
#include <exo/io.h>
#include <exo/types.h>

struct hostdev;

struct hostdev_comp {
	uint32_t slot; /* as passed to submit */
	int32_t res;   /* 0 or EXO_EIO */
};

struct hostdev_ops {
	/* Synchronous, for exokern/core's label and map.  buf is 4 KiB
	 * aligned. */
	int (*read)(struct hostdev *d, exo_bno bno, uint32_t n, void *buf);
	int (*write)(struct hostdev *d, exo_bno bno, uint32_t n,
		     const void *buf);
	int (*flush)(struct hostdev *d);
	int (*zero)(struct hostdev *d, exo_bno bno, uint64_t n);
	/* Asynchronous data path.  Start n checked requests; bufs[i] is the
	 * arena address of reqs[i].ppn, slots[i] names it in completions.
	 * Returns 0 or EXO_EAGAIN/EXO_EIO having started none. */
	int (*submit)(struct hostdev *d, const struct exo_ioreq *reqs,
		      void *const *bufs, const uint32_t *slots, uint32_t n);
	/* Wait for at least min completions, return up to max. */
	int (*reap)(struct hostdev *d, struct hostdev_comp *c, uint32_t max,
		    uint32_t min);
	void (*close)(struct hostdev *d);
};

struct hostdev {
	const struct hostdev_ops *ops;
	uint64_t nblocks; /* device size in blocks */
};

/* linux.c.  path: image or block device.  io: "io_uring", "libaio",
 * "psync" (NULL: io_uring).  arena: the page arena, registered with
 * io_uring as fixed buffers where possible.  Takes an exclusive lock
 * (EXO_EBUSY if another process holds it) unless shared is set
 * (read-only inspection: no lock, no writes). */
int linuxdev_open(const char *path, const char *io, void *arena,
		  size_t arena_bytes, uint32_t depth, int shared,
		  struct hostdev **out);
/* Create or resize an image file to bytes and preallocate it, or check a
 * block device; returns its size in blocks through nblocks. */
int linuxdev_create(const char *path, uint64_t bytes, uint64_t *nblocks);

/* fault.c: "fault:NAME" disks; see fault.h for the test controls. */
int faultdev_open(const char *name, uint32_t depth, struct hostdev **out);

#endif
