/*
 * pmem.h: physical memory.
 *
 * Every physical page has an owner in the core page table `pages`
 * (exokern/core): free, the kernel (CORE_PAGE_KERNEL: holes in the memory
 * map, the first MiB, the kernel image, the boot modules, the page-owner
 * arrays and the kernel pool), or an environment id.  Environments get
 * pages only through core_page_alloc.
 *
 * The kernel pool is a fixed run of reserved pages from which the kernel
 * takes its own memory with kalloc()/kfree(): page tables, environments'
 * program images, stacks and info pages.  page_mapva[ppn] records the one
 * user address at which the owner of page ppn has mapped it (0: not
 * mapped), so that freeing or repossessing a page can unmap it at once.
 */
#ifndef EXOKERN_PMEM_H
#define EXOKERN_PMEM_H

#include "core.h"
#include "multiboot.h"

extern struct core_pages pages;
extern uint64_t *page_mapva;

void pmem_init(const struct boot_info *bi);
uint64_t pmem_maxpa(void); /* end of the highest usable RAM */

void *kalloc(void); /* a zeroed pool page (kernel address) or NULL */
void kfree(void *va);

#define PMEM_RUN_OWNER 0xfffffffeu
void *pmem_run_alloc(uint64_t n); /* n contiguous pages, or NULL */
void pmem_run_free(void *va, uint64_t n);

#endif
