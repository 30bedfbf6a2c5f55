/*
 * pci.c: PCI configuration space access and device discovery (see
 * pci.h).  Registers are read as aligned 32-bit words through the
 * address port 0xcf8 and the data port 0xcfc; narrower reads pick bytes
 * out of the word, and the one narrower write the kernel needs (the
 * command register) is a read-modify-write of its word.
 */
#include "pci.h"
#include "x86.h"

#define PCI_ADDR_PORT 0xcf8
#define PCI_DATA_PORT 0xcfc
#define PCI_ENABLE    0x80000000u
#define PCI_SLOTS     32
#define PCI_FNS	      8
#define PCI_HDR_TYPE  0x0e
#define PCI_HDR_MULTI 0x80
#define PCI_BAR0      0x10

static void pci_select(uint8_t bus, uint8_t slot, uint8_t fn, uint8_t off)
{
	outl(PCI_ADDR_PORT, PCI_ENABLE | (uint32_t)bus << 16 |
				    (uint32_t)slot << 11 | (uint32_t)fn << 8 |
				    (off & 0xfcu));
}

static uint32_t pci_raw32(uint8_t bus, uint8_t slot, uint8_t fn, uint8_t off)
{
	pci_select(bus, slot, fn, off);
	return inl(PCI_DATA_PORT);
}

uint32_t pci_read32(const struct pci_dev *d, uint8_t off)
{
	return pci_raw32(d->bus, d->slot, d->fn, off);
}

uint16_t pci_read16(const struct pci_dev *d, uint8_t off)
{
	return (uint16_t)(pci_read32(d, off) >> (8 * (off & 2)));
}

uint8_t pci_read8(const struct pci_dev *d, uint8_t off)
{
	return (uint8_t)(pci_read32(d, off) >> (8 * (off & 3)));
}

void pci_write16(const struct pci_dev *d, uint8_t off, uint16_t v)
{
	unsigned shift = 8 * (off & 2);
	uint32_t w = pci_read32(d, off);

	w = (w & ~(0xffffu << shift)) | (uint32_t)v << shift;
	pci_select(d->bus, d->slot, d->fn, off);
	outl(PCI_DATA_PORT, w);
}

/* 1 if function fn of slot holds the device wanted (and fills *out). */
static int pci_match(uint8_t slot, uint8_t fn, uint16_t vendor, uint16_t id0,
		     uint16_t id1, struct pci_dev *out)
{
	uint32_t id = pci_raw32(0, slot, fn, 0);
	uint16_t v = (uint16_t)id, dev = (uint16_t)(id >> 16);

	if (v != vendor || (dev != id0 && dev != id1))
		return 0;
	*out = (struct pci_dev){0, slot, fn, v, dev};
	return 1;
}

int pci_find(uint16_t vendor, uint16_t id0, uint16_t id1, struct pci_dev *out)
{
	for (uint8_t slot = 0; slot < PCI_SLOTS; slot++) {
		uint32_t hdr;
		uint8_t nfn;

		if ((uint16_t)pci_raw32(0, slot, 0, 0) == 0xffff)
			continue; /* empty slot */
		hdr = pci_raw32(0, slot, 0, PCI_HDR_TYPE & 0xfc);
		nfn = (hdr >> 16) & PCI_HDR_MULTI ? PCI_FNS : 1;
		for (uint8_t fn = 0; fn < nfn; fn++)
			if (pci_match(slot, fn, vendor, id0, id1, out))
				return 0;
	}
	return -1;
}

uint8_t pci_cap_next(const struct pci_dev *d, uint8_t off)
{
	if (off == 0)
		return pci_read16(d, PCI_STATUS) & PCI_STATUS_CAPS
			       ? pci_read8(d, PCI_CAP_PTR) & 0xfc
			       : 0;
	return pci_read8(d, off + 1) & 0xfc;
}

uint64_t pci_bar(const struct pci_dev *d, int bar)
{
	uint8_t off = (uint8_t)(PCI_BAR0 + 4 * bar);
	uint32_t lo;

	if (bar < 0 || bar > 5)
		return 0;
	lo = pci_read32(d, off);
	if (lo & 1) /* an I/O port BAR */
		return 0;
	if (((lo >> 1) & 3) == 2 && bar < 5) /* 64-bit */
		return (uint64_t)pci_read32(d, off + 4) << 32 | (lo & ~0xfu);
	return lo & ~0xfu;
}
