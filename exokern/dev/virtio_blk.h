/*
 * virtio_blk.h: the virtio block device driver (virtio_blk.c).
 *
 * The driver runs the one request queue of a virtio-blk PCI device
 * through the virtio 1.0 ("modern") PCI interface, which QEMU offers for
 * -device virtio-blk-pci.  It knows nothing of owners or environments:
 * it moves n blocks between the disk and physical memory at pa, where the
 * caller says, by DMA, and reports each completion with the 64-bit cookie
 * the caller gave it.  Checking who may do that is the caller's job
 * (kern/disk.c, through exokern/core).
 *
 *   vblk_init(done)     find and set up the device; done(cookie, res) is
 *                       called once per finished request, res 0 or EXO_EIO
 *   vblk_start(...)     put a request on the queue (EXO_EAGAIN: every slot
 *                       is in use; vblk_poll frees them)
 *   vblk_kick()         tell the device new requests are queued
 *   vblk_poll()         call done for every finished request; how many
 *   vblk_intr()         the interrupt handler: acknowledge, then poll
 *
 * Not reentrant: the kernel runs with interrupts off, so nothing is.
 */
#ifndef EXOKERN_VIRTIO_BLK_H
#define EXOKERN_VIRTIO_BLK_H

#include <exo/types.h>

typedef void (*vblk_done_fn)(uint64_t cookie, int res);

/* 0, or EXO_ENOENT when there is no device this driver can run. */
int vblk_init(vblk_done_fn done);
uint64_t vblk_nblocks(void); /* size of the disk in 4 KiB blocks */
int vblk_irq(void);	     /* its legacy interrupt line (PIC IRQ) */
unsigned vblk_slots_free(void);

/* op: EXO_OP_READ, EXO_OP_WRITE or EXO_OP_FLUSH (bno, n, pa ignored).
 * pa: physical address of n * 4096 contiguous bytes. */
int vblk_start(int op, exo_bno bno, uint32_t n, uint64_t pa, uint64_t cookie);
void vblk_kick(void);
int vblk_poll(void);
void vblk_intr(void);

#endif
