/*
 * disk.c: raw disk blocks, exported securely (see disk.h).
 *
 * Two paths reach the device (dev/virtio_blk.c):
 *
 *   - core's own I/O (reading the label and the ownership map, writing
 *     map updates, zeroing freed blocks) goes through a synchronous
 *     struct core_dev: the kernel starts the requests and polls the
 *     device until they are done.  Its buffers are kernel memory: map
 *     images from pmem_run_alloc, a static buffer of zeros.  It runs
 *     inside system calls (interrupts off), so it is never interleaved
 *     with another update.
 *   - environments' I/O: an attachment per environment holds its owner,
 *     its requests in flight (core_inflight; in-flight slot s of the
 *     attachment of env slot i is cookie (i + 1) << 32 | s at the
 *     driver, cookie 0 is core's) and its completion ring.  disk_submit
 *     checks a batch with core_io_check and starts it with the physical
 *     addresses of the env's pages.  Completions arrive by interrupt (or
 *     while the kernel polls for its own I/O): each frees its in-flight
 *     slot, is posted to the ring, and, when the environment waits in
 *     io_reap for enough of them, finishes that call and wakes it.
 *
 * A page never gets a new owner while DMA may still reach it: page_free
 * refuses pages in flight (disk_pages_busy), block_free blocks in flight,
 * and exit and repossession first wait for the environment's requests
 * to finish (disk_drain).
 */
#include <exo/io.h>

#include "dev.h"
#include "disk.h"
#include "env.h"
#include "kern.h"
#include "pmem.h"
#include "sys.h"
#include "trap.h"
#include "virtio_blk.h"
#include "x86.h"

#define ZERO_BLOCKS 16 /* blocks one zeroing write covers */

static struct {
	int err; /* 0: the disk is open; else why it is not usable */
	struct core_dev dev;
	struct core_disk core;
	uint32_t sync_pending; /* core's requests not finished */
	int sync_err;	       /* the first error among them */
} dk = {.err = EXO_ENOENT};

static struct disk_att atts[NENV]; /* by env slot */
static uint8_t zeros[ZERO_BLOCKS * EXO_BLOCK_SIZE]
	__attribute__((aligned(PAGE_SIZE)));

/* Physical address of kernel memory: PHYSMAP or the kernel image. */
static uint64_t kva2pa(const void *va)
{
	return (uint64_t)va >= KERNBASE ? KV2P(va) : V2P(va);
}

static uint64_t min64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* ---- core's synchronous device ---- */

static void sync_start(int op, exo_bno bno, uint32_t n, uint64_t pa)
{
	while (vblk_start(op, bno, n, pa, 0) == EXO_EAGAIN) {
		vblk_kick();
		vblk_poll();
	}
	dk.sync_pending++;
}

static int sync_wait(void)
{
	int rc;

	vblk_kick();
	while (dk.sync_pending)
		if (!vblk_poll())
			pause();
	rc = dk.sync_err;
	dk.sync_err = 0;
	return rc;
}

/* n blocks at bno to or from the contiguous kernel buffer buf. */
static int sync_rw(int op, exo_bno bno, uint64_t n, const void *buf)
{
	uint64_t pa = kva2pa(buf);

	while (n) {
		uint32_t k = (uint32_t)min64(n, EXO_IO_MAXBLOCKS);

		sync_start(op, bno, k, pa);
		bno += k;
		n -= k;
		pa += (uint64_t)k * EXO_BLOCK_SIZE;
	}
	return sync_wait();
}

static int cd_read(void *ctx, exo_bno bno, uint32_t n, void *buf)
{
	(void)ctx;
	return sync_rw(EXO_OP_READ, bno, n, buf);
}

static int cd_write(void *ctx, exo_bno bno, uint32_t n, const void *buf)
{
	(void)ctx;
	return sync_rw(EXO_OP_WRITE, bno, n, buf);
}

static int cd_flush(void *ctx)
{
	(void)ctx;
	sync_start(EXO_OP_FLUSH, 0, 0, 0);
	return sync_wait();
}

static int cd_zero(void *ctx, exo_bno bno, uint64_t n)
{
	(void)ctx;
	while (n) {
		uint32_t k = (uint32_t)min64(n, ZERO_BLOCKS);

		sync_start(EXO_OP_WRITE, bno, k, kva2pa(zeros));
		bno += k;
		n -= k;
	}
	return sync_wait();
}

static void *cd_alloc(void *ctx, size_t bytes)
{
	(void)ctx;
	return pmem_run_alloc(PGROUNDUP(bytes) / PAGE_SIZE);
}

static void cd_free(void *ctx, void *p, size_t bytes)
{
	(void)ctx;
	pmem_run_free(p, PGROUNDUP(bytes) / PAGE_SIZE);
}

/* ---- completions ---- */

int disk_reapable(const struct disk_att *a, uint64_t min)
{
	return a->head - a->tail >= min || a->inflight.n == 0;
}

/* Post the completion of in-flight slot s of a to its ring. */
static void io_done(struct disk_att *a, uint32_t s, int res)
{
	struct exo_iocomp *c = &a->ring->comp[a->head % EXO_IORING_N];
	struct env *e = a->env;

	c->tag = a->req[s].tag;
	c->res = res;
	c->_pad = 0;
	core_inflight_done(&a->inflight, s);
	a->head++;
	__asm__ volatile("" : : : "memory"); /* the entry, then the head */
	a->ring->head = a->head;
	e->info->io_inflight--;
	if (res)
		e->info->io_errors++;
	if (e->state == ENV_IOWAIT && disk_reapable(a, a->wait))
		sys_io_reap_wake(e);
}

static void disk_done(uint64_t cookie, int res)
{
	if (cookie == 0) {
		dk.sync_pending--;
		if (res && !dk.sync_err)
			dk.sync_err = res;
		return;
	}
	io_done(&atts[(cookie >> 32) - 1], (uint32_t)cookie, res);
}

/* ---- the disk ---- */

static int disk_open(void)
{
	int irq = vblk_irq();

	if (irq <= IRQ_TIMER || irq >= 16) {
		kprintf("exokern: disk: no usable interrupt line (%d)\n", irq);
		return EXO_ENOENT;
	}
	dk.dev = (struct core_dev){
		.nblocks = vblk_nblocks(),
		.read = cd_read,
		.write = cd_write,
		.flush = cd_flush,
		.zero = cd_zero,
		.alloc = cd_alloc,
		.free = cd_free,
	};
	return core_disk_open(&dk.core, &dk.dev);
}

void disk_init(void)
{
	const struct exo_map_hdr *h;
	int r = vblk_init(disk_done);

	if (r) {
		kprintf("exokern: disk: none\n");
		return;
	}
	r = disk_open();
	if (r) {
		kprintf("exokern: disk: not used: %s\n", exo_strerror(r));
		dk.err = r;
		return;
	}
	dk.err = 0;
	irq_register(vblk_irq(), vblk_intr);
	pic_unmask(vblk_irq());
	h = dk.core.cur;
	kprintf("exokern: disk: map generation %lu in slot %c, %d owners, "
		"%lu of %lu blocks free\n",
		h->gen, "AB"[dk.core.slot], core_owner_count(&dk.core),
		core_blocks_free(&dk.core), dk.core.label.nblocks);
}

struct core_disk *disk_core(void)
{
	return dk.err ? NULL : &dk.core;
}

/* ---- attachments ---- */

struct disk_att *disk_att(const struct env *e)
{
	struct disk_att *a = &atts[e - envs];

	return a->env == e ? a : NULL;
}

/* A new attachment of e as owner: its ring mapped at UIORING. */
static int att_init(struct env *e, uint32_t owner)
{
	struct disk_att *a = &atts[e - envs];
	struct exo_ioring *ring = kalloc();
	int r;

	if (!ring)
		return EXO_ENOMEM;
	r = as_map(&e->as, UIORING, V2P(ring), PTE_U | pte_nx);
	if (r) {
		kfree(ring);
		return r;
	}
	ring->size = EXO_IORING_N;
	memset(a, 0, sizeof(*a));
	a->env = e;
	a->owner = owner;
	a->ring = ring;
	a->inflight = (struct core_inflight){a->req, a->used, EXO_IO_DEPTH, 0};
	e->info->blocks_total = dk.core.label.nblocks;
	disk_info_refresh(e);
	return 0;
}

int disk_attach(struct env *e, const void *cap, size_t len, int create)
{
	uint32_t owner;
	int r;

	if (dk.err)
		return dk.err;
	if (disk_att(e))
		return EXO_EEXIST;
	r = core_owner_attach(&dk.core, cap, len, create, &owner);
	if (r)
		return r;
	for (int i = 0; i < NENV; i++)
		if (atts[i].env && atts[i].owner == owner)
			return EXO_EBUSY;
	return att_init(e, owner);
}

/* ---- environments' I/O ---- */

void disk_tail_sync(struct disk_att *a)
{
	uint64_t t;

	if (a->tailp && !as_copyin(&a->env->as, &t, a->tailp, sizeof(t)) &&
	    t - a->tail <= a->head - a->tail)
		a->tail = t;
}

static void info_count(struct exo_info *in, const struct exo_ioreq *r)
{
	uint64_t bytes = (uint64_t)r->n * EXO_BLOCK_SIZE;

	if (r->op == EXO_OP_READ) {
		in->io_reads++;
		in->io_bytes_read += bytes;
	} else if (r->op == EXO_OP_WRITE) {
		in->io_writes++;
		in->io_bytes_written += bytes;
	} else {
		in->io_flushes++;
	}
	in->io_inflight++;
}

int disk_submit(struct disk_att *a, const struct exo_ioreq *reqs, uint32_t n)
{
	struct env *e = a->env;
	uint64_t cookie = (uint64_t)(a - atts + 1) << 32;
	int r;

	disk_tail_sync(a);
	if (a->inflight.n + (a->head - a->tail) + n > EXO_IORING_N ||
	    vblk_slots_free() < n)
		return EXO_EAGAIN;
	r = core_io_check(&dk.core, a->owner, &pages, e->id, &a->inflight, reqs,
			  n);
	if (r)
		return r;
	for (uint32_t i = 0; i < n; i++) {
		int s = core_inflight_add(&a->inflight, &reqs[i]);

		if (s < 0 ||
		    vblk_start(reqs[i].op, reqs[i].bno, reqs[i].n,
			       reqs[i].ppn << PAGE_SHIFT, cookie | (uint32_t)s))
			panic("disk_submit: no room after the checks");
		info_count(e->info, &reqs[i]);
	}
	vblk_kick();
	return (int)n;
}

uint64_t disk_reap(struct disk_att *a, uint64_t va, uint64_t max)
{
	struct aspace *as = &a->env->as;
	uint64_t k = min64(a->head - a->tail, max);

	for (uint64_t i = 0; i < k; i++)
		as_copyout(as, va + i * sizeof(struct exo_iocomp),
			   &a->ring->comp[(a->tail + i) % EXO_IORING_N],
			   sizeof(struct exo_iocomp));
	a->tail += k;
	if (a->tailp)
		as_copyout(as, a->tailp, &a->tail, sizeof(a->tail));
	return k;
}

/* ---- environments' lives ---- */

void disk_drain(struct env *e)
{
	struct disk_att *a = disk_att(e);

	while (a && a->inflight.n)
		if (!vblk_poll())
			pause();
}

void disk_env_exit(struct env *e)
{
	struct disk_att *a = disk_att(e);

	if (!a)
		return;
	disk_drain(e);
	a->env = NULL; /* the ring page goes with the address space */
	a->ring = NULL;
}

int disk_pages_busy(const struct env *e, exo_ppn ppn, uint64_t n)
{
	struct disk_att *a = disk_att(e);

	return a ? core_inflight_busy(&a->inflight, 0, 0, ppn, n) : 0;
}

void disk_info_refresh(struct env *e)
{
	struct disk_att *a = disk_att(e);

	if (!a)
		return;
	e->info->blocks_free = core_blocks_free(&dk.core);
	e->info->blocks_owned = core_blocks_owned(&dk.core, a->owner);
}
