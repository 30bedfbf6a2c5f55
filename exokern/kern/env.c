/*
 * env.c: creating, running and ending environments (see env.h).
 *
 * A new environment's address space holds its program's ELF segments, a
 * stack of USTACKPAGES pages below USTACKTOP and the info page at UINFO,
 * all in kernel-pool pages that the environment does not own: it cannot
 * free, remap or unmap them (only pages from SYS_page_alloc are its own).
 * It starts at the ELF entry with rdi = argc and rsi = argv, the words of
 * the module's command line, which sit at the top of the stack.
 */
#include "core.h"
#include "disk.h"
#include "elf.h"
#include "env.h"
#include "kern.h"
#include "pmem.h"
#include "x86.h"

#define ELF_MAXPHDRS 64
#define ENV_MAXARGS  32
/* What user code may keep in rflags: the status flags, TF, DF, AC, ID. */
#define FL_USER (0x8d5 | FL_TF | FL_DF | FL_AC | FL_ID)

#define FPU_FCW_INIT   0x037f /* x87: all exceptions masked */
#define FPU_MXCSR_INIT 0x1f80 /* SSE: all exceptions masked */

struct env envs[NENV];
struct env *curenv;
static uint32_t next_env_id = 1;
static struct env *fpu_env; /* whose FPU state the FPU holds */
static struct env *cpu_env; /* whom the processor works for (run_ns) */
static uint64_t cpu_since;  /* since when */

static int elf_check(const struct elf64_ehdr *eh, uint64_t size)
{
	if (size < sizeof(*eh) || memcmp(eh->e_ident, ELF_MAGIC, 4) ||
	    eh->e_ident[4] != ELFCLASS64 || eh->e_ident[5] != ELFDATA2LSB ||
	    eh->e_type != ET_EXEC || eh->e_machine != EM_X86_64 ||
	    eh->e_phentsize != sizeof(struct elf64_phdr) ||
	    eh->e_phnum > ELF_MAXPHDRS || eh->e_phoff > size ||
	    (uint64_t)eh->e_phnum * sizeof(struct elf64_phdr) >
		    size - eh->e_phoff)
		return EXO_EINVAL;
	return 0;
}

static int seg_check(const struct elf64_phdr *ph, uint64_t size)
{
	uint64_t top = USTACKTOP - USTACKPAGES * PAGE_SIZE;

	if (ph->p_filesz > ph->p_memsz || ph->p_offset > size ||
	    ph->p_filesz > size - ph->p_offset || ph->p_vaddr < PAGE_SIZE ||
	    ph->p_vaddr >= top || ph->p_memsz > top - ph->p_vaddr)
		return EXO_EINVAL;
	return 0;
}

/* The page at va, mapped with at least perm (writable or executable wins
 * when two segments share a page). */
static void *seg_page(struct aspace *as, uint64_t va, uint64_t perm)
{
	uint64_t *pte = as_pte(as, va, 1);
	void *p;

	if (!pte)
		return NULL;
	if (*pte & PTE_P) {
		*pte |= perm & PTE_W;
		if (!(perm & PTE_NX))
			*pte &= ~PTE_NX;
		return P2V(*pte & PTE_ADDR);
	}
	p = kalloc();
	if (p)
		*pte = V2P(p) | perm | PTE_P;
	return p;
}

static int seg_load(struct aspace *as, const struct elf64_phdr *ph,
		    const uint8_t *file)
{
	uint64_t perm = PTE_U | (ph->p_flags & PF_W ? PTE_W : 0) |
			(ph->p_flags & PF_X ? 0 : pte_nx);
	uint64_t fend = ph->p_vaddr + ph->p_filesz;

	for (uint64_t va = PGROUNDDOWN(ph->p_vaddr);
	     va < ph->p_vaddr + ph->p_memsz; va += PAGE_SIZE) {
		uint8_t *page = seg_page(as, va, perm);
		uint64_t lo = va < ph->p_vaddr ? ph->p_vaddr : va;
		uint64_t hi = va + PAGE_SIZE < fend ? va + PAGE_SIZE : fend;

		if (!page)
			return EXO_ENOMEM;
		if (lo < hi)
			memcpy(page + (lo - va),
			       file + ph->p_offset + (lo - ph->p_vaddr),
			       hi - lo);
	}
	return 0;
}

static int elf_load(struct env *e, const struct boot_module *m)
{
	const uint8_t *file = P2V(m->start);
	const struct elf64_ehdr *eh = (const void *)file;
	uint64_t size = m->end - m->start;
	int r = elf_check(eh, size);

	for (int i = 0; r == 0 && i < eh->e_phnum; i++) {
		const struct elf64_phdr *ph =
			(const struct elf64_phdr *)(file + eh->e_phoff) + i;

		if (ph->p_type != PT_LOAD)
			continue;
		r = seg_check(ph, size);
		if (r == 0)
			r = seg_load(&e->as, ph, file);
	}
	e->tf.rip = eh->e_entry;
	return r;
}

/* Map the stack and copy argc/argv onto it: strings at the top, then the
 * argv array, 16-byte aligned, where rsp starts. */
static int stack_init(struct env *e)
{
	char buf[BOOT_CMDLINE];
	uint64_t argv[ENV_MAXARGS + 1], sp = USTACKTOP, len;
	int argc = 0, r = 0;

	for (int i = 1; r == 0 && i <= USTACKPAGES; i++) {
		void *p = kalloc();

		r = p ? as_map(&e->as, USTACKTOP - i * PAGE_SIZE, V2P(p),
			       PTE_U | PTE_W | pte_nx)
		      : EXO_ENOMEM;
		if (r && p)
			kfree(p);
	}
	if (r)
		return r;
	len = strlcpy(buf, e->name, sizeof(buf)) + 1;
	sp -= len;
	for (char *s = buf; *s && argc < ENV_MAXARGS;) {
		while (*s == ' ')
			*s++ = '\0';
		if (*s)
			argv[argc++] = sp + (uint64_t)(s - buf);
		while (*s && *s != ' ')
			s++;
	}
	argv[argc] = 0;
	as_copyout(&e->as, sp, buf, len);
	sp = (sp - (argc + 1) * sizeof(uint64_t)) & ~15ull;
	as_copyout(&e->as, sp, argv, (argc + 1) * sizeof(uint64_t));
	e->tf.rdi = (uint64_t)argc;
	e->tf.rsi = sp;
	e->tf.rsp = sp;
	return 0;
}

static int info_init(struct env *e)
{
	struct exo_info *in = kalloc();
	int r;

	if (!in)
		return EXO_ENOMEM;
	r = as_map(&e->as, UINFO, V2P(in), PTE_U | pte_nx);
	if (r) {
		kfree(in);
		return r;
	}
	in->magic = EXO_INFO_MAGIC;
	in->version = EXO_INFO_VERSION;
	in->env_id = e->id;
	in->slice_ns = SLICE_NS;
	in->tsc_base = boot_tsc;
	in->tsc_ns_mult = clock_ns_mult();
	in->realtime_base_ns = clock_realtime_base();
	e->info = in;
	return 0;
}

int env_create(const struct boot_module *m)
{
	struct env *e = NULL;
	int r;

	for (int i = 0; i < NENV && !e; i++)
		if (envs[i].state == ENV_FREE)
			e = &envs[i];
	if (!e)
		return EXO_ENOMEM;
	memset(e, 0, sizeof(*e));
	strlcpy(e->name, m->cmdline, sizeof(e->name));
	e->id = next_env_id;
	r = as_init(&e->as);
	if (r)
		return r;
	r = elf_load(e, m);
	if (r == 0)
		r = stack_init(e);
	if (r == 0)
		r = info_init(e);
	if (r) {
		as_free(&e->as);
		return r;
	}
	*(uint16_t *)&e->fpu[0] = FPU_FCW_INIT;
	*(uint32_t *)&e->fpu[24] = FPU_MXCSR_INIT;
	e->tf.cs = SEL_UCODE | 3;
	e->tf.ss = SEL_UDATA | 3;
	e->tf.rflags = FL_IF;
	e->state = ENV_RUNNABLE;
	next_env_id++;
	return 0;
}

void env_cpu_switch(struct env *e)
{
	uint64_t now = clock_ns();

	if (cpu_env)
		cpu_env->run_ns += now - cpu_since;
	cpu_env = e;
	cpu_since = now;
}

/* The counters of the info page, refreshed whenever e is about to run. */
static void env_info_refresh(struct env *e)
{
	struct exo_info *in = e->info;

	in->time_ns = clock_ns();
	in->pages_total = pages.npages;
	in->pages_free = pages.nfree;
	in->pages_owned = e->npages;
	in->slices = e->slices;
	in->syscalls = e->syscalls;
	in->run_ns = e->run_ns;
	disk_info_refresh(e);
}

noreturn void env_run(struct env *e)
{
	curenv = e;
	vm_switch(&e->as);
	if (fpu_env != e) {
		if (fpu_env)
			fxsave(fpu_env->fpu);
		fxrstor(e->fpu);
		fpu_env = e;
	}
	env_cpu_switch(e);
	env_info_refresh(e);
	e->tf.rflags = (e->tf.rflags & FL_USER) | FL_IF;
	if (e->tf.trapno == T_SYSCALL && e->tf.rip < USERLIM)
		env_pop_tf_sysret(&e->tf);
	env_pop_tf(&e->tf);
}

/* Give back every page e owns through core, in runs. */
static void env_free_pages(struct env *e)
{
	uint64_t freed = 0;

	for (uint64_t p = 0; p < pages.npages;) {
		uint64_t q = p;

		while (q < pages.npages && pages.owner[q] == e->id)
			q++;
		if (q > p && core_page_free(&pages, e->id, p, q - p) == 0)
			freed += q - p;
		p = q + 1;
	}
	if (freed != e->npages)
		panic("env_free_pages: env %u owned %lu pages, counted %lu",
		      e->id, freed, e->npages);
}

noreturn void env_exit(struct env *e, const char *why, int64_t status)
{
	kprintf("exokern: env %u [%s]: %s %ld\n", e->id, e->name, why,
		status);
	disk_env_exit(e); /* no DMA may reach its pages after this */
	as_free(&e->as);
	env_free_pages(e);
	e->info = NULL;
	e->state = ENV_FREE;
	if (fpu_env == e)
		fpu_env = NULL;
	if (cpu_env == e)
		env_cpu_switch(NULL);
	if (curenv == e)
		curenv = NULL;
	sched();
}
