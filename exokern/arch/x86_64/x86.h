/*
 * x86.h: inline wrappers for the x86-64 instructions C code needs: port
 * I/O, control registers, MSRs, the TSC, TLB invalidation, memory
 * barriers for device rings, and QEMU's isa-debug-exit device.  Kernel
 * only.
 */
#ifndef EXOKERN_X86_H
#define EXOKERN_X86_H

#include <stdint.h>

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint32_t inl(uint16_t port)
{
	uint32_t v;

	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

/* Full barrier: orders this CPU's memory accesses against a device's. */
static inline void mfence(void)
{
	__asm__ volatile("mfence" : : : "memory");
}

/* Spin-wait hint. */
static inline void pause(void)
{
	__asm__ volatile("pause" : : : "memory");
}

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return (uint64_t)hi << 32 | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
	uint32_t lo = (uint32_t)v, hi = (uint32_t)(v >> 32);

	__asm__ volatile("wrmsr" : : "c"(msr), "a"(lo), "d"(hi));
}

static inline uint64_t rcr2(void)
{
	uint64_t v;

	__asm__ volatile("mov %%cr2, %0" : "=r"(v));
	return v;
}

static inline uint64_t rcr3(void)
{
	uint64_t v;

	__asm__ volatile("mov %%cr3, %0" : "=r"(v));
	return v;
}

static inline void lcr3(uint64_t pa)
{
	__asm__ volatile("mov %0, %%cr3" : : "r"(pa) : "memory");
}

static inline uint64_t rcr4(void)
{
	uint64_t v;

	__asm__ volatile("mov %%cr4, %0" : "=r"(v));
	return v;
}

static inline void lcr4(uint64_t v)
{
	__asm__ volatile("mov %0, %%cr4" : : "r"(v) : "memory");
}

static inline void invlpg(uint64_t va)
{
	__asm__ volatile("invlpg (%0)" : : "r"(va) : "memory");
}

static inline void cpuid(uint32_t leaf, uint32_t *a, uint32_t *b, uint32_t *c,
			 uint32_t *d)
{
	__asm__ volatile("cpuid"
			 : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d)
			 : "a"(leaf), "c"(0));
}

static inline void fxsave(void *area)
{
	__asm__ volatile("fxsave64 %0" : "=m"(*(uint8_t(*)[512])area));
}

static inline void fxrstor(const void *area)
{
	__asm__ volatile("fxrstor64 %0" : : "m"(*(const uint8_t(*)[512])area));
}

static inline void hlt(void)
{
	__asm__ volatile("hlt");
}

/* QEMU's isa-debug-exit device (iobase 0xf4): QEMU exits with status
 * (code << 1) | 1.  Without the device this does nothing. */
#define QEMU_EXIT_PORT    0xf4
#define QEMU_EXIT_SUCCESS 0x10 /* status 33: every environment exited */
#define QEMU_EXIT_PANIC   0x11 /* status 35: the kernel panicked */

static inline void qemu_exit(uint32_t code)
{
	outl(QEMU_EXIT_PORT, code);
}

#endif
