/* SPDX-License-Identifier: MIT */
/*
 * Starting the other CPUs, for both ring-0 images (hv's x86/smp.c, the
 * native kernel's vcpus.c): INIT, then up to two start-up IPIs naming the
 * page where ap.S's 16-bit start was copied (PC_AP_TRAMPOLINE), then up to
 * 100 ms for the CPU to count itself in.  The ICR is written in xAPIC mode
 * through the caller's mapping of the local APIC's page; the delays are
 * the TSC's at the rate the caller measured.
 */
#include "pc.h"

#define ICR_LO   (0x300u / 4)
#define ICR_HI   (0x310u / 4)
#define ICR_BUSY (1u << 12)
#define ICR_INIT    0x00004500u         /* INIT, level assert */
#define ICR_STARTUP 0x00004600u         /* start-up, vector in bits 0-7 */

uint64_t pc_lapic_base(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(0x1bu));     /* IA32_APIC_BASE */
	return (((uint64_t)hi << 32) | lo) & 0x000ffffffffff000ull;
}

uint32_t pc_lapic_id(const struct pc_lapic *l)
{
	return l->regs[0x20 / 4] >> 24;
}

void pc_delay_us(const struct pc_lapic *l, uint64_t us)
{
	uint64_t end = rdtsc() + us * l->tsc_khz / 1000;
	while (rdtsc() < end)
		__asm__ volatile("pause");
}

void pc_lapic_send(const struct pc_lapic *l, uint32_t apic_id, uint32_t icr)
{
	l->regs[ICR_HI] = apic_id << 24;
	l->regs[ICR_LO] = icr;
	for (unsigned k = 0; k < 1000 && (l->regs[ICR_LO] & ICR_BUSY); k++)
		pc_delay_us(l, 1);
}

bool pc_start_cpu(const struct pc_lapic *l, uint32_t apic_id, _Atomic unsigned *arrived)
{
	unsigned before = atomic_load(arrived);
	pc_lapic_send(l, apic_id, ICR_INIT);
	pc_delay_us(l, 10000);
	for (unsigned k = 0; k < 2 && atomic_load(arrived) == before; k++) {
		pc_lapic_send(l, apic_id, ICR_STARTUP | (PC_AP_TRAMPOLINE >> 12));
		pc_delay_us(l, 200);
	}
	for (unsigned k = 0; k < 1000 && atomic_load(arrived) == before; k++)
		pc_delay_us(l, 100);
	return atomic_load(arrived) != before;
}
