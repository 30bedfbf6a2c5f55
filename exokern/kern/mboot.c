/*
 * mboot.c: read the Multiboot v1 information structure (see multiboot.h).
 * Everything a v1 loader hands over lies below 4 GiB, which the boot page
 * tables map at PHYSMAP.
 */
#include "kern.h"
#include "multiboot.h"

#define MBI_CMDLINE 0x004
#define MBI_MODS    0x008
#define MBI_MMAP    0x040
#define MMAP_RAM    1

struct mb_info {
	uint32_t flags;
	uint32_t mem_lower, mem_upper;
	uint32_t boot_device;
	uint32_t cmdline;
	uint32_t mods_count, mods_addr;
	uint32_t syms[4];
	uint32_t mmap_length, mmap_addr;
};

struct mb_module {
	uint32_t mod_start, mod_end;
	uint32_t cmdline;
	uint32_t pad;
};

struct mb_mmap {
	uint32_t size; /* of the rest of this entry */
	uint64_t addr, len;
	uint32_t type;
} __attribute__((packed));

static void parse_mmap(const struct mb_info *mbi, struct boot_info *bi)
{
	uint64_t p = mbi->mmap_addr, end = p + mbi->mmap_length;

	while (p + sizeof(struct mb_mmap) <= end) {
		const struct mb_mmap *m = P2V(p);

		if (m->type == MMAP_RAM && m->len && bi->nram < BOOT_MAXRAM) {
			bi->ram[bi->nram].start = m->addr;
			bi->ram[bi->nram].end = m->addr + m->len;
			bi->nram++;
		}
		p += m->size + sizeof(m->size);
	}
}

static void parse_mods(const struct mb_info *mbi, struct boot_info *bi)
{
	const struct mb_module *m = P2V(mbi->mods_addr);
	uint32_t n = mbi->mods_count;

	if (n > BOOT_MAXMODS) {
		kprintf("exokern: %u modules, only %d used\n", n,
			BOOT_MAXMODS);
		n = BOOT_MAXMODS;
	}
	for (uint32_t i = 0; i < n; i++) {
		struct boot_module *b = &bi->mods[bi->nmods++];

		b->start = m[i].mod_start;
		b->end = m[i].mod_end;
		b->cmdline[0] = '\0';
		if (m[i].cmdline)
			strlcpy(b->cmdline, P2V(m[i].cmdline),
				sizeof(b->cmdline));
	}
}

void mboot_parse(uint32_t magic, uint32_t mbi_pa, struct boot_info *bi)
{
	const struct mb_info *mbi = P2V(mbi_pa);

	if (magic != MB_BOOT_MAGIC)
		panic("mboot_parse: not booted by a Multiboot loader");
	if (!(mbi->flags & MBI_MMAP))
		panic("mboot_parse: the loader gave no memory map");
	bi->nram = bi->nmods = 0;
	parse_mmap(mbi, bi);
	if (mbi->flags & MBI_MODS)
		parse_mods(mbi, bi);
}
