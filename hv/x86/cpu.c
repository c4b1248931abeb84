/* SPDX-License-Identifier: MIT */
/*
 * Each CPU's tables (CPU 0 by cpu_init, the others by cpu_init_ap as
 * x86/smp.c starts them): a GDT, a TSS and exception stacks of its own; the
 * IDT is shared.  So is the LDT window, where the guest's LDT pages are
 * mapped.  The GDT puts our descriptors where Xen puts its own
 * (0xe008 up), so the selectors a PV guest sees in its frames and gives to
 * iret are Xen's: 0xe033 for 64-bit code, 0xe02b for its stack.  syscall
 * lands in entry.S with interrupts, traps and direction masked; every
 * exception vector goes to entry.S, the double fault and the debug trap on
 * stacks of their own.
 * Control registers: write protection in ring 0, NX; SMEP and SMAP where
 * the CPU has them (ring 0 never runs guest code, and touches guest memory
 * only inside a guest copy, between stac and clac); UMIP where the CPU has
 * it, so sgdt, sidt, sldt, smsw and str in ring 3 fault instead of showing
 * the guest where hv's tables are; and no global pages, so a cr3 load
 * flushes every translation, the guest's included, whatever bits the guest
 * sets.  The syscall mask clears IF, TF, NT, IOPL, DF and AC on entry;
 * exceptions and interrupts clear DF and AC in entry.S.
 */
#include "../hv.h"

/* Xen's layout: 16 pages, the guest's GDT in the first 14 (mapped onto its
 * frames while it runs), ours from entry 0x1c00 (selector 0xe000) on. */
#define GDT_PAGES       16u
#define GDT_GUEST_PAGES 14u
#define GDT_ENTRIES     (GDT_PAGES * 512u)

/* The LDT of the vCPU a CPU runs: a window of 16 pages, one per CPU, whose
 * entries map the frames pv/descriptor.c has mapped for it and are empty
 * elsewhere, so a descriptor load from a page not yet mapped faults to us.
 * Its system descriptor is where Xen keeps its own, after the TSS. */
#define LDT_SEL         0xe050u
#define LDT_PAGES       16u
static uint8_t ldt_window[SMP_MAX_CPUS][LDT_PAGES * 4096] __attribute__((aligned(4096)));

struct tss {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3, iomap;
} __attribute__((packed));

/* Each CPU's own: its GDT (the guest's frames mapped into its first pages
 * while a vCPU runs there), its TSS, and stacks of their own for what may
 * arrive while the stack is not ours: a double fault, and a debug trap a
 * guest defers into our entry with a MOV SS (the entry runs one
 * instruction on the guest's stack, XSA-260). */
#define IST_DF 1
#define IST_DB 2
struct cpu_tables {
	uint64_t gdt[GDT_ENTRIES] __attribute__((aligned(4096)));
	struct tss tss __attribute__((aligned(16)));
	uint8_t df_stack[16384] __attribute__((aligned(16)));
	uint8_t db_stack[16384] __attribute__((aligned(16)));
};
static struct cpu_tables tables[SMP_MAX_CPUS];
struct pcpu pcpus[SMP_MAX_CPUS];
bool cpu_smap, cpu_umip, cpu_spin_pause = true;

/* QEMU's TCG names itself in the hypervisor leaf.  There, pause leaves the
 * translated code for QEMU's CPU loop (and its global lock) each time, so
 * a waiting CPU delays the very interrupt it waits for: hv's spins do
 * without it (x86/smp.c). */
static void spin_init(void)
{
	uint32_t r[4];
	pc_cpuid(1, 0, r);
	if (!(r[2] & (1u << 31)))
		return;         /* no hypervisor */
	pc_cpuid(0x40000000, 0, r);
	if (r[1] == 0x54474354 && r[2] == 0x43544743 && r[3] == 0x47435447)     /* "TCGTCGTCGTCG" */
		cpu_spin_pause = false;
}
static struct idt_gate idt[256] __attribute__((aligned(16)));
extern uint8_t boot_stack_top[];
extern const uint64_t exc_stubs[35];     /* 0-31, then other vectors, the IPI, spurious */
extern void syscall_entry(void);

#define MSR_STAR         0xc0000081u
#define MSR_LSTAR        0xc0000082u
#define MSR_CSTAR        0xc0000083u
#define MSR_FMASK        0xc0000084u
#define EFER_SCE         1ull

/* Flat descriptors: access byte and flags (L for 64-bit code, D/B for 32). */
static uint64_t seg(uint8_t access, uint8_t flags)
{
	return 0xffffull | (uint64_t)access << 40 | (uint64_t)(flags | 0xf) << 48;
}

static void gdt_init(struct cpu_tables *t)
{
	uint64_t *gdt = t->gdt;
	gdt[HV_CS >> 3] = seg(0x9a, 0xa0);          /* ring 0, 64-bit code */
	gdt[HV_DS >> 3] = seg(0x92, 0xc0);          /* ring 0 data */
	gdt[GUEST_CS32 >> 3] = seg(0xfa, 0xc0);     /* ring 3, 32-bit code */
	gdt[GUEST_SS >> 3] = seg(0xf2, 0xc0);       /* ring 3 data */
	gdt[GUEST_CS >> 3] = seg(0xfa, 0xa0);       /* ring 3, 64-bit code */
	uint64_t base = (uintptr_t)&t->tss, limit = sizeof(t->tss) - 1;
	gdt[HV_TSS_SEL >> 3] = (limit & 0xffff) | (base & 0xffffff) << 16 | 0x89ull << 40 |
			       ((limit >> 16) & 0xf) << 48 | ((base >> 24) & 0xff) << 56;
	gdt[(HV_TSS_SEL >> 3) + 1] = base >> 32;

	pc_load_gdt(gdt, sizeof(t->gdt), HV_CS, HV_DS);
	__asm__ volatile("mov %0, %%fs\n\t"
			 "mov %0, %%gs\n\t"
			 "ltr %w1"
			 :: "r"(0), "r"(HV_TSS_SEL) : "memory");
}

static void idt_set(unsigned vec, uint64_t handler, uint8_t dpl, uint8_t ist)
{
	idt[vec] = pc_idt_gate(handler, HV_CS, dpl, ist);
}

static void idt_init(void)
{
	for (unsigned v = 0; v < 256; v++)
		idt_set(v, exc_stubs[v < 32 ? v : 32], 0, 0);
	idt_set(3, exc_stubs[3], 3, 0);      /* int3 and into from the guest, as Xen */
	idt_set(4, exc_stubs[4], 3, 0);
	idt_set(1, exc_stubs[1], 0, IST_DB);
	idt_set(8, exc_stubs[8], 0, IST_DF);
	idt_set(APIC_IPI_VECTOR, exc_stubs[33], 0, 0);
	idt_set(APIC_SPURIOUS_VECTOR, exc_stubs[34], 0, 0);
}

static void idt_load(void)
{
	struct { uint16_t limit; uint64_t base; } __attribute__((packed)) d = {
		sizeof(idt) - 1, (uintptr_t)idt };
	__asm__ volatile("lidt %0" :: "m"(d));
}

static void cr_init(void)
{
	uint32_t r[4];
	uint64_t cr4;
	__asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
	cr4 &= ~(1ull << 7);                 /* no global pages */
	pc_cpuid(0, 0, r);
	if (r[0] >= 7) {
		pc_cpuid(7, 0, r);
		if (r[1] & (1u << 7))
			cr4 |= 1ull << 20;   /* SMEP */
		if (r[1] & (1u << 20)) {
			cr4 |= 1ull << 21;   /* SMAP */
			cpu_smap = true;
		}
		if (r[2] & (1u << 2)) {
			cr4 |= 1ull << 11;   /* UMIP */
			cpu_umip = true;
		}
	}
	__asm__ volatile("mov %0, %%cr4" :: "r"(cr4));
}

/* The running CPU's GDT. */
static uint64_t *this_gdt(void)
{
	return tables[this_cpu()->id].gdt;
}

void cpu_load_guest_gdt(const mfn_t frames[], unsigned n)
{
	/* the frames of each CPU's GDT's first pages */
	static uint64_t own[SMP_MAX_CPUS][GDT_GUEST_PAGES];
	uint64_t *gdt = this_gdt(), *mine = own[this_cpu()->id];
	uint64_t *pte = mem_hv_pte((uintptr_t)gdt);
	for (unsigned i = 0; i < GDT_GUEST_PAGES; i++) {
		if (!mine[i])
			mine[i] = pte[i] & PTE_ADDR_MASK;
		uint64_t pa = i < n ? mfn_x(frames[i]) << PAGE_SHIFT : mine[i];
		uint64_t e = pa | PTE_P | PTE_RW | PTE_A | PTE_D | PTE_NX;
		if (pte[i] != e) {
			pte[i] = e;
			invlpg((uintptr_t)gdt + i * PAGE_SIZE);
		}
	}
}

void cpu_load_guest_ldt(const mfn_t frames[16], unsigned ents)
{
	uint8_t *window = ldt_window[this_cpu()->id];
	uint64_t *pte = mem_hv_pte((uintptr_t)window);
	for (unsigned i = 0; i < LDT_PAGES; i++) {
		uint64_t e = mfn_eq(frames[i], INVALID_MFN) ? 0 :
			     mfn_x(frames[i]) << PAGE_SHIFT | PTE_P | PTE_RW | PTE_A | PTE_D | PTE_NX;
		if (pte[i] != e) {
			pte[i] = e;
			invlpg((uintptr_t)window + i * PAGE_SIZE);
		}
	}
	if (!ents) {
		__asm__ volatile("lldt %w0" :: "r"(0));
		return;
	}
	uint64_t base = (uintptr_t)window, limit = ents * 8ull - 1;
	uint64_t *gdt = this_gdt();
	gdt[LDT_SEL >> 3] = (limit & 0xffff) | (base & 0xffffff) << 16 | 0x82ull << 40 |
			    ((limit >> 16) & 0xf) << 48 | ((base >> 24) & 0xff) << 56;
	gdt[(LDT_SEL >> 3) + 1] = base >> 32;
	__asm__ volatile("lldt %w0" :: "r"(LDT_SEL) : "memory");
}

void cpu_unload_guest_tables(void)
{
	mfn_t none[LDT_PAGES];
	for (unsigned i = 0; i < LDT_PAGES; i++)
		none[i] = INVALID_MFN;
	cpu_load_guest_ldt(none, 0);
	cpu_load_guest_gdt(NULL, 0);
}

bool cpu_ldt_offset(uint64_t va, unsigned *offset)
{
	uint64_t off = va - (uintptr_t)ldt_window[this_cpu()->id];
	if (off >= sizeof(ldt_window[0]))
		return false;
	*offset = (unsigned)off;
	return true;
}

/* Branch-free, on every way back to ring 3 (under TCG each branch ends a
 * block).  Code: ours (64- or 32-bit), or present, S, DPL 3, code with L or
 * D; stack: ours, or present, S, DPL 3, writable data with B (no 16-bit
 * stack: espfix); either with RPL 3 from the GDT. */
bool cpu_selectors_ok(uint64_t cs, uint64_t ss)
{
	const uint64_t P = 1ull << 47, S = 1ull << 44, DPL3 = 3ull << 45, CODE = 1ull << 43;
	const uint64_t W = 1ull << 41, L = 1ull << 53, D = 1ull << 54;
	const uint64_t *gdt = this_gdt();
	uint64_t c = gdt[(cs & 0xffff) >> 3], d = gdt[(ss & 0xffff) >> 3];
	bool cs_gdt = ((c & (P | S | DPL3 | CODE)) == (P | S | DPL3 | CODE)) & ((c & (L | D)) != 0) &
		      ((cs & 7) == 3) & (cs >= 8) & (cs <= 0xffff);
	bool ss_gdt = ((d & (P | S | DPL3 | CODE | W | D)) == (P | S | DPL3 | W | D)) & ((ss & 7) == 3) &
		      (ss >= 8) & (ss <= 0xffff);
	return ((cs == GUEST_CS) | (cs == GUEST_CS32) | cs_gdt) & ((ss == GUEST_SS) | ss_gdt);
}

/* Everything a CPU sets up for itself: CPU (id) on (stack) (where entries
 * from ring 3 land), its tables, control registers, FPU, syscall MSRs, and
 * gs on its struct pcpu. */
static void cpu_init_this(unsigned id, uint64_t stack)
{
	struct cpu_tables *t = &tables[id];
	struct pcpu *c = &pcpus[id];
	t->tss.rsp[0] = stack;
	t->tss.ist[IST_DF - 1] = (uintptr_t)t->df_stack + sizeof(t->df_stack);
	t->tss.ist[IST_DB - 1] = (uintptr_t)t->db_stack + sizeof(t->db_stack);
	t->tss.iomap = sizeof(t->tss);        /* no I/O bitmap: no port for ring 3 */
	gdt_init(t);
	idt_load();
	cr_init();
	spin_init();

	c->stack_top = stack;
	c->self = c;
	c->id = id;
	fpu_init_cpu(c);
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
	/* sysret would load cs 0xe033 and ss 0xe02b; syscall loads ours. */
	wrmsr(MSR_STAR, (uint64_t)GUEST_CS32 << 48 | (uint64_t)HV_CS << 32);
	wrmsr(MSR_LSTAR, (uintptr_t)syscall_entry);
	wrmsr(MSR_CSTAR, (uintptr_t)syscall_entry);
	wrmsr(MSR_FMASK, RFLAGS_IF | RFLAGS_TF | RFLAGS_NT | RFLAGS_IOPL | RFLAGS_DF | RFLAGS_AC);
	/* In ring 0 gs is ours; entering the guest swaps it for the guest's. */
	wrmsr(MSR_GS_BASE, (uintptr_t)c);
	wrmsr(MSR_KERNEL_GS, 0);
	wrmsr(MSR_FS_BASE, 0);
}

void cpu_init(void)
{
	/* No interrupts: mask both PICs. */
	outb(0x21, 0xff);
	outb(0xa1, 0xff);
	idt_init();
	cpu_init_this(0, (uintptr_t)boot_stack_top);
}

void cpu_init_ap(unsigned id, uint64_t stack)
{
	write_cr3(mfn_x(hv_l4) << PAGE_SHIFT);  /* off the boot tables */
	cpu_init_this(id, stack);
}

int cpu_rdmsr_safe(uint32_t msr, uint64_t *val)
{
	uint32_t lo = 0, hi = 0;
	int err = 0;
	__asm__ volatile("1: rdmsr\n"
			 "2:\n"
			 ".pushsection .text.fixup, \"ax\"\n"
			 "3: movl $-1, %[err]\n\t"
			 "jmp 2b\n"
			 ".popsection\n"
			 ".pushsection .extable, \"a\"\n"
			 ".quad 1b, 3b\n"
			 ".popsection"
			 : "+a"(lo), "+d"(hi), [err] "+r"(err) : "c"(msr));
	*val = (uint64_t)hi << 32 | lo;
	return err;
}
