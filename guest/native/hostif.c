/* SPDX-License-Identifier: MIT */
/*
 * hostif without a hypervisor: the kernel in ring 0 owns the CPU.  cr3
 * loads, invlpg and TLB flushes are its own instructions (no global pages
 * are used, so a cr3 reload flushes everything, as hv's guests get it); the
 * console is COM1; exceptions come to native_trap through its own IDT, on a
 * GDT of its own, so neither depends on the PVH boot tables.
 */
#include "native.h"

long hostif_hypercall(uint64_t nr, const uint64_t a[6])
{
	(void)nr, (void)a;
	hostif_panic("the native kernel has no hypervisor to call");
}

void hostif_native_load_cr3(mfn_t root)
{
	native_load_cr3(mfn_x(root) << PAGE_SHIFT);
}

void hostif_native_invlpg(uint64_t va)
{
	invlpg(va);
}

void hostif_native_flush(void)
{
	write_cr3(read_cr3());
}

/* No event channels to wake a vCPU with (on its own CPU or a context): the waits spin. */
void hostif_kick(unsigned vcpu)
{
	(void)vcpu;
}

void hostif_wait_kick(void)
{
	__builtin_ia32_pause();
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

bool x86_hv_counts(uint64_t v[6], unsigned n)
{
	(void)n;
	for (unsigned i = 0; i < 6; i++)
		v[i] = 0;
	return false;
}

uint64_t native_trap(unsigned vec, uint64_t *frame, uint64_t rsp)
{
	if (vec == PC_TIMER_VECTOR)
		return native_tick(rsp);
	if (vec > PC_TIMER_VECTOR)
		return rsp;                     /* the PIC's spurious IRQ7 */
	if (vec == 14 && x86_fixup(&frame[1]))
		return rsp;
	printk("native: unexpected exception vector %u error %lx rip %lx cr2 %lx rsp %lx\n", vec,
	       frame[0], frame[1], read_cr2(), frame[4]);
	pc_exit(1);
}

/* The GDT (flat ring-0 code and data) and the IDT (vectors 0-47, each an
 * interrupt gate to its stub in entry.S, 16 bytes apart), one for every CPU. */
static const uint64_t gdt[3] = { 0, 0x00af9a000000ffffull, 0x00cf92000000ffffull };
static struct idt_gate idt[48] __attribute__((aligned(16)));

void native_cpu_load(void)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) i = { sizeof(idt) - 1, (uint64_t)(uintptr_t)idt };
	pc_load_gdt(gdt, sizeof(gdt), KERNEL_CS, KERNEL_DS);
	__asm__ volatile("lidt %0" :: "m"(i) : "memory");
}

void native_cpu_init(void)
{
	extern const char native_stubs[];
	for (unsigned v = 0; v < 48; v++)
		idt[v] = pc_idt_gate((uint64_t)(uintptr_t)native_stubs + 16 * v, KERNEL_CS, 0, 0);
	native_cpu_load();
}
