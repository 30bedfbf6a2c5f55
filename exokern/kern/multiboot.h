/*
 * multiboot.h: what the kernel takes from its Multiboot (v1) loader.
 *
 * mboot_parse() reads the loader's information structure once, at boot,
 * and copies what the kernel needs into a struct boot_info: the usable RAM
 * ranges of the memory map and, for each module, its physical extent and
 * its command line ("prog arg arg", the program's argv).  After that the
 * loader's structures are not looked at again; the modules themselves stay
 * where the loader put them (pmem reserves them).
 */
#ifndef EXOKERN_MULTIBOOT_H
#define EXOKERN_MULTIBOOT_H

#include <stdint.h>

#define MB_BOOT_MAGIC 0x2BADB002 /* in eax at entry */

#define BOOT_MAXRAM     32  /* usable RAM ranges kept */
#define BOOT_MAXMODS    64  /* modules kept */
#define BOOT_CMDLINE    160 /* bytes of a module command line kept */

struct boot_range {
	uint64_t start, end; /* physical, [start, end) */
};

struct boot_module {
	uint64_t start, end; /* physical, [start, end) */
	char cmdline[BOOT_CMDLINE];
};

struct boot_info {
	struct boot_range ram[BOOT_MAXRAM];
	int nram;
	struct boot_module mods[BOOT_MAXMODS];
	int nmods;
};

/* Panics when the loader was not Multiboot or gave no memory map. */
void mboot_parse(uint32_t magic, uint32_t mbi_pa, struct boot_info *bi);

#endif
