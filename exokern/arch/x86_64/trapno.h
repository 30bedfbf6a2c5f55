/*
 * trapno.h: trap numbers, shared by entry.S and C.
 *
 * 0..31 are the CPU exceptions; the 8259 PICs are remapped to 32..47.
 * T_SYSCALL is not a vector: it marks a trapframe built by syscall_entry.
 */
#ifndef EXOKERN_TRAPNO_H
#define EXOKERN_TRAPNO_H

#define T_DIVIDE  0
#define T_DEBUG   1
#define T_NMI     2
#define T_BRKPT   3
#define T_OFLOW   4
#define T_BOUND   5
#define T_ILLOP   6
#define T_DEVICE  7
#define T_DBLFLT  8
#define T_TSS     10
#define T_SEGNP   11
#define T_STACK   12
#define T_GPFLT   13
#define T_PGFLT   14
#define T_FPERR   16
#define T_ALIGN   17
#define T_MCHK    18
#define T_SIMDERR 19

#define T_IRQ0      32 /* IRQ n arrives as vector T_IRQ0 + n */
#define IRQ_TIMER   0
#define IRQ_SPUR1   7  /* spurious interrupts of the two PICs */
#define IRQ_SPUR2   15
#define T_NVECTORS  48

#define T_SYSCALL 256

#endif
