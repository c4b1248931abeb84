/* SPDX-License-Identifier: MIT */
/*
 * hostif without a hypervisor: the kernel in ring 0 owns the CPU.  cr3
 * loads, invlpg and TLB flushes are its own instructions (no global pages
 * are used, so a cr3 reload flushes everything, as hv's guests get it); the
 * console is COM1; exceptions come to native_trap through its own IDT, on a
 * GDT of its own, so neither depends on the PVH boot tables.
 */
#include "native.h"

#define KERNEL_CS 0x08u
#define KERNEL_DS 0x10u

struct idt_gate {
	uint16_t off0, sel;
	uint8_t ist, type;
	uint16_t off1;
	uint32_t off2, reserved;
};

struct table_reg {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

long hostif_hypercall(uint64_t nr, const uint64_t a[6])
{
	(void)nr, (void)a;
	hostif_panic("the native kernel has no hypervisor to call");
}

void hostif_native_load_cr3(mfn_t root)
{
	write_cr3(mfn_x(root) << PAGE_SHIFT);
}

void hostif_native_invlpg(uint64_t va)
{
	invlpg(va);
}

void hostif_native_flush(void)
{
	write_cr3(read_cr3());
}

_Noreturn void hostif_panic(const char *why)
{
	printk("guest panic: %s\n", why);
	pc_exit(1);
}

void x86_puts(const char *s)
{
	console_write(s, strlen(s));
}

void x86_hv_counts(uint64_t v[5])
{
	for (unsigned i = 0; i < 5; i++)
		v[i] = 0;
}

void native_trap(unsigned vec, uint64_t *frame)
{
	if (vec == 14 && x86_fixup(&frame[1]))
		return;
	printk("native: unexpected exception vector %u error %lx rip %lx cr2 %lx rsp %lx\n", vec,
	       frame[0], frame[1], read_cr2(), frame[4]);
	pc_exit(1);
}

/* The GDT (flat ring-0 code and data) and the IDT (vectors 0-31, each an
 * interrupt gate to its stub in entry.S, 16 bytes apart). */
void native_cpu_init(void)
{
	static const uint64_t gdt[3] = { 0, 0x00af9a000000ffffull, 0x00cf92000000ffffull };
	static struct idt_gate idt[32] __attribute__((aligned(16)));
	extern const char native_stubs[];
	for (unsigned v = 0; v < 32; v++) {
		uint64_t a = (uint64_t)(uintptr_t)native_stubs + 16 * v;
		idt[v] = (struct idt_gate){ (uint16_t)a, KERNEL_CS, 0, 0x8e, (uint16_t)(a >> 16),
					    (uint32_t)(a >> 32), 0 };
	}
	struct table_reg g = { sizeof(gdt) - 1, (uint64_t)(uintptr_t)gdt };
	struct table_reg i = { sizeof(idt) - 1, (uint64_t)(uintptr_t)idt };
	__asm__ volatile("lgdt %0\n\t"
			 "pushq %1\n\t"
			 "leaq 1f(%%rip), %%rax\n\t"
			 "pushq %%rax\n\t"
			 "lretq\n"
			 "1:\n\t"
			 "mov %2, %%ds\n\t"
			 "mov %2, %%es\n\t"
			 "mov %2, %%ss\n\t"
			 "lidt %3"
			 :: "m"(g), "i"(KERNEL_CS), "r"(KERNEL_DS), "m"(i) : "rax", "memory");
}
