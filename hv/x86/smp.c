/* SPDX-License-Identifier: MIT */
/*
 * The physical CPUs QEMU gives hv (-smp N).  They are the enabled local
 * APICs the firmware's MADT lists (pc/acpi.c, read through the direct map).
 * Each other CPU is started by INIT-SIPI-SIPI through the local APIC, one
 * at a time: the 16-bit start of x86/ap.S is copied to AP_TRAMPOLINE (the
 * SIPI names its page), the CPU climbs to long mode on the boot tables and
 * enters ap_start64 on the stack left in ap_boot_stack, sets itself up as
 * cpu.c sets up the bootstrap CPU (its own GDT, TSS and stacks, gs on its
 * struct pcpu) and says it is up.  This revision stops there: the CPUs
 * that came up halt with interrupts off, and every vCPU runs on the
 * bootstrap CPU.
 */
#include "../../pc/acpi.h"
#include "../hv.h"

#define AP_TRAMPOLINE   0x8000u     /* below 1 MiB: the SIPI vector is its page */
#define LAPIC_BASE_MSR  0x1bu
#define LAPIC_ID        0x020u
#define LAPIC_ICR_LO    0x300u
#define LAPIC_ICR_HI    0x310u
#define ICR_INIT        0x00004500u /* INIT, level assert */
#define ICR_STARTUP     0x00004600u /* start-up, vector in bits 0-7 */
#define ICR_BUSY        (1u << 12)

extern const uint64_t ap_real_where[2];     /* ap.S: its physical address, its size */

static uint32_t cpu_apic_ids[ACPI_MAX_CPUS];
unsigned smp_cpus_found, smp_cpus_up = 1;
uint64_t ap_boot_stack;             /* read by ap.S: the next CPU's stack */
static unsigned ap_next;            /* and its number */
static _Atomic unsigned ap_arrived;
static uint8_t ap_stacks[SMP_MAX_CPUS][16384] __attribute__((aligned(16)));

/* (len) bytes at (pa) if the direct map covers them. */
static const uint8_t *direct(uint64_t pa, size_t len)
{
	uint64_t top = mem_direct_top();
	return pa < top && len <= top - pa ? maddr_virt(pa) : NULL;
}

static volatile uint32_t *lapic(unsigned reg)
{
	return (volatile uint32_t *)maddr_virt((rdmsr(LAPIC_BASE_MSR) & ~0xfffull & PTE_ADDR_MASK) + reg);
}

static void delay_us(uint64_t us)
{
	uint64_t end = rdtsc() + us * time_tsc_khz() / 1000;
	while (rdtsc() < end)
		__asm__ volatile("pause");
}

static void send_ipi(uint32_t apic_id, uint32_t icr)
{
	*lapic(LAPIC_ICR_HI) = apic_id << 24;
	*lapic(LAPIC_ICR_LO) = icr;
	for (unsigned k = 0; k < 1000 && (*lapic(LAPIC_ICR_LO) & ICR_BUSY); k++)
		delay_us(1);
}

/* Start the CPU with (apic_id) as CPU (id): true when it said it is up. */
static bool start_cpu(unsigned id, uint32_t apic_id)
{
	unsigned before = atomic_load(&ap_arrived);
	ap_boot_stack = (uintptr_t)ap_stacks[id] + sizeof(ap_stacks[id]);
	ap_next = id;
	send_ipi(apic_id, ICR_INIT);
	delay_us(10000);
	for (unsigned k = 0; k < 2 && atomic_load(&ap_arrived) == before; k++) {
		send_ipi(apic_id, ICR_STARTUP | (AP_TRAMPOLINE >> 12));
		delay_us(200);
	}
	for (unsigned k = 0; k < 1000 && atomic_load(&ap_arrived) == before; k++)
		delay_us(100);              /* up to 100 ms */
	return atomic_load(&ap_arrived) != before;
}

_Noreturn void ap_start64(void);
_Noreturn void ap_start64(void)
{
	cpu_init_ap(ap_next, (uintptr_t)ap_stacks[ap_next] + sizeof(ap_stacks[0]));
	atomic_fetch_add(&ap_arrived, 1);
	for (;;)
		__asm__ volatile("cli; hlt");
}

void smp_init(uint64_t rsdp)
{
	unsigned n = acpi_find_cpus(rsdp, direct, cpu_apic_ids);
	smp_cpus_found = n ? n : 1;         /* no MADT: the one we run on */
	printk("hv: %u CPU%s from the firmware's MADT%s\n", smp_cpus_found, smp_cpus_found == 1 ? "" : "s",
	       n ? "" : " (none listed: the bootstrap CPU alone)");
	if (smp_cpus_found > SMP_MAX_CPUS) {
		printk("hv: using the first %u\n", SMP_MAX_CPUS);
		smp_cpus_found = SMP_MAX_CPUS;
	}
	if (smp_cpus_found == 1)
		return;
	memcpy(maddr_virt(AP_TRAMPOLINE), maddr_virt(ap_real_where[0]), ap_real_where[1]);
	uint32_t self = *lapic(LAPIC_ID) >> 24;
	for (unsigned i = 0, id = 1; i < smp_cpus_found; i++) {
		if (cpu_apic_ids[i] == self)
			continue;
		if (start_cpu(id, cpu_apic_ids[i]))
			smp_cpus_up++, id++;
		else
			printk("hv: the CPU with APIC ID %u did not come up\n", cpu_apic_ids[i]);
	}
	printk("hv: %u CPUs up; every vCPU runs on the bootstrap CPU, the others halt\n", smp_cpus_up);
}
