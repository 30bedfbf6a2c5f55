/*
 * virtio_blk.c: the virtio-blk PCI driver (see virtio_blk.h).
 *
 * Device setup (virtio 1.0, sections 3.1 and 4.1): find the PCI function
 * (vendor 0x1af4, device 0x1042, or the transitional 0x1001 that QEMU
 * gives a virtio-blk-pci on a PCI bus), locate its common, notify, ISR
 * and device configuration regions through the vendor capabilities, map
 * them uncached, reset the device, negotiate features, set up queue 0,
 * and set DRIVER_OK.  Features required: VERSION_1, BLK_F_FLUSH (so the
 * device runs its write cache and honours flushes) and RING_F_INDIRECT_DESC.
 *
 * The queue is a split virtqueue of qsize (at most VQ_MAX) entries.  Each
 * request uses exactly one ring descriptor, number s, pointing to the
 * indirect table of slot s:
 *
 *   ind[0]  the request header (type, sector)      device reads
 *   ind[1]  the data: n * 4096 bytes at pa         device writes for reads
 *   ind[2]  the status byte                        device writes
 *
 * (a flush has no data descriptor).  So a slot and its descriptor are one
 * thing, free slots sit on a stack, and a used-ring entry's id is the slot
 * of the finished request.  The data descriptor carries the physical
 * address it was given: the device moves data straight to or from those
 * pages, with no copy.  Interrupts come on the legacy INTx line; reading
 * the ISR register acknowledges (lowers) it.
 */
#include <exo/io.h>

#include "kern.h"
#include "pci.h"
#include "virtio_blk.h"
#include "vm.h"
#include "x86.h"

#define VIRTIO_VENDOR	 0x1af4
#define VIRTIO_ID_BLK	 0x1042 /* modern only */
#define VIRTIO_ID_BLK_TR 0x1001 /* transitional: legacy and modern */

/* vendor capability: cfg_type, and where the fields are */
#define VCAP_COMMON	 1
#define VCAP_NOTIFY	 2
#define VCAP_ISR	 3
#define VCAP_DEVICE	 4
#define VCAP_TYPE	 3
#define VCAP_BAR	 4
#define VCAP_OFFSET	 8
#define VCAP_LENGTH	 12
#define VCAP_NOTIFY_MULT 16

/* common configuration registers */
#define CC_DFSELECT 0x00
#define CC_DF	    0x04
#define CC_GFSELECT 0x08
#define CC_GF	    0x0c
#define CC_STATUS   0x14
#define CC_CFGGEN   0x15
#define CC_Q_SELECT 0x16
#define CC_Q_SIZE   0x18
#define CC_Q_ENABLE 0x1c
#define CC_Q_NOTIFY 0x1e
#define CC_Q_DESC   0x20
#define CC_Q_DRIVER 0x28
#define CC_Q_DEVICE 0x30

#define ST_ACK	       1
#define ST_DRIVER      2
#define ST_DRIVER_OK   4
#define ST_FEATURES_OK 8
#define ST_FAILED      128

#define F_BLK_FLUSH	(1ull << 9)
#define F_INDIRECT_DESC (1ull << 28)
#define F_VERSION_1	(1ull << 32)
#define F_WANTED	(F_BLK_FLUSH | F_INDIRECT_DESC | F_VERSION_1)

#define T_IN		  0
#define T_OUT		  1
#define T_FLUSH		  4
#define SECTORS_PER_BLOCK (EXO_BLOCK_SIZE / 512)

#define VQ_MAX	    256
#define VQ_NEXT	    1
#define VQ_WRITE    2 /* the device writes this buffer */
#define VQ_INDIRECT 4

struct vq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags, next;
};

struct vq_avail {
	uint16_t flags, idx;
	uint16_t ring[VQ_MAX];
};

struct vq_used {
	uint16_t flags, idx;
	struct {
		uint32_t id, len;
	} ring[VQ_MAX];
};

struct blk_hdr {
	uint32_t type, reserved;
	uint64_t sector;
};

struct slot {
	struct vq_desc ind[3];
	struct blk_hdr hdr;
	uint8_t status;
	uint64_t cookie;
} __attribute__((aligned(16)));

static struct vq_desc desc[VQ_MAX] __attribute__((aligned(PAGE_SIZE)));
static volatile struct vq_avail avail __attribute__((aligned(PAGE_SIZE)));
static volatile struct vq_used used __attribute__((aligned(PAGE_SIZE)));
static volatile struct slot slots[VQ_MAX];

static struct {
	volatile uint8_t *common, *isr, *devcfg, *notify_base;
	volatile uint16_t *notify;
	uint32_t notify_mult;
	uint16_t qsize, avail_idx, last_used;
	uint16_t nfree, free[VQ_MAX]; /* stack of free slots */
	uint64_t nblocks;
	int irq;
	vblk_done_fn done;
} vb;

/* Physical address of the driver's static structures (kernel image). */
static uint64_t kpa(const volatile void *va)
{
	return KV2P(va);
}

static uint8_t cc_r8(int off)
{
	return vb.common[off];
}

static void cc_w8(int off, uint8_t v)
{
	vb.common[off] = v;
}

static uint16_t cc_r16(int off)
{
	return *(volatile uint16_t *)(vb.common + off);
}

static void cc_w16(int off, uint16_t v)
{
	*(volatile uint16_t *)(vb.common + off) = v;
}

static uint32_t cc_r32(int off)
{
	return *(volatile uint32_t *)(vb.common + off);
}

static void cc_w32(int off, uint32_t v)
{
	*(volatile uint32_t *)(vb.common + off) = v;
}

static void cc_w64(int off, uint64_t v)
{
	cc_w32(off, (uint32_t)v);
	cc_w32(off + 4, (uint32_t)(v >> 32));
}

/* Map the region a vendor capability at off describes. */
static volatile uint8_t *cap_map(const struct pci_dev *d, uint8_t off)
{
	uint64_t bar = pci_bar(d, pci_read8(d, off + VCAP_BAR));
	uint32_t o = pci_read32(d, off + VCAP_OFFSET);
	uint32_t len = pci_read32(d, off + VCAP_LENGTH);

	return bar ? vm_mmio(bar + o, len) : NULL;
}

/* Find and map the four regions (the first capability of each type). */
static int caps_find(const struct pci_dev *d)
{
	uint8_t off = 0;

	for (int i = 0; i < PCI_CAP_MAX && (off = pci_cap_next(d, off)); i++) {
		volatile uint8_t **slot = NULL;

		if (pci_read8(d, off) != PCI_CAP_VENDOR)
			continue;
		switch (pci_read8(d, off + VCAP_TYPE)) {
		case VCAP_COMMON:
			slot = &vb.common;
			break;
		case VCAP_NOTIFY:
			slot = &vb.notify_base;
			vb.notify_mult = pci_read32(d, off + VCAP_NOTIFY_MULT);
			break;
		case VCAP_ISR:
			slot = &vb.isr;
			break;
		case VCAP_DEVICE:
			slot = &vb.devcfg;
			break;
		}
		if (slot && !*slot)
			*slot = cap_map(d, off);
	}
	return vb.common && vb.notify_base && vb.isr && vb.devcfg ? 0 : -1;
}

static uint64_t features_read(void)
{
	uint64_t f;

	cc_w32(CC_DFSELECT, 0);
	f = cc_r32(CC_DF);
	cc_w32(CC_DFSELECT, 1);
	return f | (uint64_t)cc_r32(CC_DF) << 32;
}

static void features_write(uint64_t f)
{
	cc_w32(CC_GFSELECT, 0);
	cc_w32(CC_GF, (uint32_t)f);
	cc_w32(CC_GFSELECT, 1);
	cc_w32(CC_GF, (uint32_t)(f >> 32));
}

/* Reset, acknowledge, negotiate: 0 or a reason. */
static const char *negotiate(void)
{
	uint64_t f;

	cc_w8(CC_STATUS, 0);
	while (cc_r8(CC_STATUS))
		pause();
	cc_w8(CC_STATUS, ST_ACK);
	cc_w8(CC_STATUS, ST_ACK | ST_DRIVER);
	f = features_read();
	if ((f & F_WANTED) != F_WANTED)
		return "it lacks VERSION_1, BLK_F_FLUSH or INDIRECT_DESC";
	features_write(F_WANTED);
	cc_w8(CC_STATUS, ST_ACK | ST_DRIVER | ST_FEATURES_OK);
	if (!(cc_r8(CC_STATUS) & ST_FEATURES_OK))
		return "it refused the features";
	return NULL;
}

/* Queue 0: its size, its three rings, its notify address. */
static const char *queue_setup(void)
{
	uint16_t max;

	cc_w16(CC_Q_SELECT, 0);
	max = cc_r16(CC_Q_SIZE);
	if (max == 0)
		return "it has no queue 0";
	vb.qsize = max < VQ_MAX ? max : VQ_MAX;
	cc_w16(CC_Q_SIZE, vb.qsize);
	cc_w64(CC_Q_DESC, kpa(desc));
	cc_w64(CC_Q_DRIVER, kpa(&avail));
	cc_w64(CC_Q_DEVICE, kpa(&used));
	vb.notify = (volatile uint16_t *)(vb.notify_base +
					  cc_r16(CC_Q_NOTIFY) * vb.notify_mult);
	cc_w16(CC_Q_ENABLE, 1);
	for (uint16_t i = 0; i < vb.qsize; i++)
		vb.free[i] = vb.qsize - 1 - i;
	vb.nfree = vb.qsize;
	return NULL;
}

/* The capacity field (512-byte sectors), read consistently. */
static uint64_t capacity(void)
{
	volatile uint32_t *cfg = (volatile uint32_t *)vb.devcfg;
	uint32_t lo, hi;
	uint8_t gen;

	do {
		gen = cc_r8(CC_CFGGEN);
		lo = cfg[0];
		hi = cfg[1];
	} while (gen != cc_r8(CC_CFGGEN));
	return (uint64_t)hi << 32 | lo;
}

int vblk_init(vblk_done_fn done)
{
	struct pci_dev d;
	const char *why;

	if (pci_find(VIRTIO_VENDOR, VIRTIO_ID_BLK, VIRTIO_ID_BLK_TR, &d))
		return EXO_ENOENT;
	if (caps_find(&d)) {
		kprintf("exokern: virtio-blk: no virtio 1.0 interface\n");
		return EXO_ENOENT;
	}
	pci_write16(
		&d, PCI_COMMAND,
		(pci_read16(&d, PCI_COMMAND) | PCI_CMD_MEM | PCI_CMD_MASTER) &
			~PCI_CMD_INTX_OFF);
	why = negotiate();
	if (!why)
		why = queue_setup();
	if (why) {
		cc_w8(CC_STATUS, ST_FAILED);
		kprintf("exokern: virtio-blk: not used: %s\n", why);
		return EXO_ENOENT;
	}
	vb.nblocks = capacity() / SECTORS_PER_BLOCK;
	vb.irq = pci_read8(&d, PCI_INTR_LINE);
	vb.done = done;
	cc_w8(CC_STATUS, cc_r8(CC_STATUS) | ST_DRIVER_OK);
	kprintf("exokern: virtio-blk: pci %u:%u.%u irq %d, %lu blocks, "
		"queue of %u\n",
		d.bus, d.slot, d.fn, vb.irq, vb.nblocks, vb.qsize);
	return 0;
}

uint64_t vblk_nblocks(void)
{
	return vb.nblocks;
}

int vblk_irq(void)
{
	return vb.irq;
}

unsigned vblk_slots_free(void)
{
	return vb.nfree;
}

int vblk_start(int op, exo_bno bno, uint32_t n, uint64_t pa, uint64_t cookie)
{
	volatile struct slot *r;
	uint16_t s, k = 0;

	if (!vb.nfree)
		return EXO_EAGAIN;
	s = vb.free[--vb.nfree];
	r = &slots[s];
	r->hdr.type = op == EXO_OP_READ	   ? T_IN
		      : op == EXO_OP_WRITE ? T_OUT
					   : T_FLUSH;
	r->hdr.reserved = 0;
	r->hdr.sector = op == EXO_OP_FLUSH ? 0 : bno * SECTORS_PER_BLOCK;
	r->status = 0xff;
	r->cookie = cookie;
	r->ind[k++] =
		(struct vq_desc){kpa(&r->hdr), sizeof(r->hdr), VQ_NEXT, 1};
	if (op != EXO_OP_FLUSH)
		r->ind[k++] = (struct vq_desc){
			pa, n * EXO_BLOCK_SIZE,
			VQ_NEXT | (op == EXO_OP_READ ? VQ_WRITE : 0), 2};
	r->ind[k++] = (struct vq_desc){kpa(&r->status), 1, VQ_WRITE, 0};
	desc[s] = (struct vq_desc){kpa(r->ind), k * sizeof(struct vq_desc),
				   VQ_INDIRECT, 0};
	avail.ring[vb.avail_idx % vb.qsize] = s;
	mfence(); /* the entry before the index that publishes it */
	avail.idx = ++vb.avail_idx;
	return 0;
}

void vblk_kick(void)
{
	mfence(); /* the index before the notification */
	*vb.notify = 0;
}

int vblk_poll(void)
{
	int n = 0;

	while (vb.last_used != used.idx) {
		uint32_t s = used.ring[vb.last_used % vb.qsize].id;
		int res;

		vb.last_used++;
		if (s >= vb.qsize || vb.nfree >= vb.qsize)
			panic("vblk_poll: device completed unknown slot %u", s);
		res = slots[s].status == 0 ? 0 : EXO_EIO;
		vb.free[vb.nfree++] = (uint16_t)s;
		vb.done(slots[s].cookie, res);
		n++;
	}
	return n;
}

void vblk_intr(void)
{
	(void)*vb.isr; /* reading acknowledges the interrupt */
	vblk_poll();
}
