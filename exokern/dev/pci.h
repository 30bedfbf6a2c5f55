/*
 * pci.h: the PCI configuration space, through the legacy I/O ports
 * 0xcf8/0xcfc (configuration mechanism #1), which QEMU's PC machines and
 * every PC chipset provide.
 *
 * pci_find() scans bus 0 (every slot, and every function of multifunction
 * devices) for a vendor and one of two device ids; that is where QEMU puts
 * the devices given with -device.  A struct pci_dev names the function
 * found; the accessors read and write its configuration registers.
 * pci_cap_next() walks the capability list; pci_bar() decodes a memory
 * BAR (32- or 64-bit) into a physical address.
 */
#ifndef EXOKERN_PCI_H
#define EXOKERN_PCI_H

#include <stdint.h>

#define PCI_COMMAND	 0x04
#define PCI_STATUS	 0x06
#define PCI_CAP_PTR	 0x34
#define PCI_INTR_LINE	 0x3c
#define PCI_CMD_MEM	 0x0002 /* respond to memory BARs */
#define PCI_CMD_MASTER	 0x0004 /* bus mastering: the device may DMA */
#define PCI_CMD_INTX_OFF 0x0400 /* INTx disabled */
#define PCI_STATUS_CAPS	 0x0010 /* a capability list exists */
#define PCI_CAP_VENDOR	 0x09	/* vendor-specific capability */
#define PCI_CAP_MAX	 48	/* most capabilities a walk visits */

struct pci_dev {
	uint8_t bus, slot, fn;
	uint16_t vendor, device;
};

uint8_t pci_read8(const struct pci_dev *d, uint8_t off);
uint16_t pci_read16(const struct pci_dev *d, uint8_t off);
uint32_t pci_read32(const struct pci_dev *d, uint8_t off);
void pci_write16(const struct pci_dev *d, uint8_t off, uint16_t v);

/* The first function on bus 0 with this vendor and device id0 or id1:
 * 0, or -1 if there is none. */
int pci_find(uint16_t vendor, uint16_t id0, uint16_t id1, struct pci_dev *out);

/* Offset of the capability after the one at off (off 0: the first),
 * or 0 at the end of the list. */
uint8_t pci_cap_next(const struct pci_dev *d, uint8_t off);

/* Physical address of memory BAR bar (0..5), 0 if it is not one. */
uint64_t pci_bar(const struct pci_dev *d, int bar);

#endif
