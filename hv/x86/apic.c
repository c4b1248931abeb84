/* SPDX-License-Identifier: MIT */
/*
 * Each CPU's local APIC, in xAPIC mode through the direct map (the
 * machine's APIC page lies in the low 4 GiB it covers): software enable
 * with the spurious vector, inter-processor interrupts through the ICR,
 * end of interrupt, and the timer.
 *
 * The timer is one-shot at PC_TIMER_VECTOR, set by each CPU for its next
 * event (sched.c).  Its rate is the APIC's bus clock over 16, measured
 * once against the TSC (whose rate pc/tsc.c measured against the PIT):
 * count down from the top for 10 ms of TSC and see how far it got.
 * hv uses no PIC: both stay masked (cpu.c).  The I/O APICs only say how
 * many GSIs the machine has, which Xen's count of a domain's pirqs starts
 * from (pv/physdev.c).
 */
#include "../../pc/acpi.h"
#include "../hv.h"

#define LAPIC_TPR       0x080u
#define LAPIC_EOI       0x0b0u
#define LAPIC_SVR       0x0f0u
#define LAPIC_LVT_TIMER 0x320u
#define LAPIC_TIMER_ICR 0x380u
#define LAPIC_TIMER_CCR 0x390u
#define LAPIC_TIMER_DCR 0x3e0u
#define SVR_ENABLE      (1u << 8)
#define LVT_MASKED      (1u << 16)
#define DCR_DIV16       0x3u
#define TIMER_MAX_NS    (60ull * 1000000000ull)

static uint32_t timer_per_ms;       /* APIC timer counts per ms: the same clock on every CPU */

static volatile uint32_t *reg(unsigned r)
{
	return (volatile uint32_t *)maddr_virt(pc_lapic_base() + r);
}

struct pc_lapic apic_this(void)
{
	return (struct pc_lapic){ reg(0), time_tsc_khz() };
}

void apic_delay_us(uint64_t us)
{
	struct pc_lapic l = apic_this();
	pc_delay_us(&l, us);
}

uint32_t apic_id(void)
{
	struct pc_lapic l = apic_this();
	return pc_lapic_id(&l);
}

void apic_send(uint32_t apic_id, uint32_t icr)
{
	struct pc_lapic l = apic_this();
	pc_lapic_send(&l, apic_id, icr);
}

void apic_eoi(void)
{
	*reg(LAPIC_EOI) = 0;
}

/* The timer's counts per ms: those in 10 ms of TSC, over 10. */
static uint32_t calibrate(void)
{
	*reg(LAPIC_TIMER_DCR) = DCR_DIV16;
	*reg(LAPIC_LVT_TIMER) = LVT_MASKED;
	*reg(LAPIC_TIMER_ICR) = ~0u;
	uint32_t from = *reg(LAPIC_TIMER_CCR);
	apic_delay_us(10000);
	uint32_t to = *reg(LAPIC_TIMER_CCR);
	*reg(LAPIC_TIMER_ICR) = 0;
	uint32_t per = (from - to) / 10u;
	return per ? per : 1;
}

void apic_init_cpu(void)
{
	*reg(LAPIC_TPR) = 0;
	*reg(LAPIC_SVR) = SVR_ENABLE | APIC_SPURIOUS_VECTOR;
	*reg(LAPIC_LVT_TIMER) = LVT_MASKED;
	if (!timer_per_ms) {
		timer_per_ms = calibrate();
		printk("hv: local APIC timer %u kHz\n", timer_per_ms);
	}
	*reg(LAPIC_TIMER_DCR) = DCR_DIV16;
	*reg(LAPIC_LVT_TIMER) = PC_TIMER_VECTOR;        /* one-shot, stopped until set */
}

void apic_timer_in(uint64_t ns)
{
	uint64_t counts = 0;
	if (ns) {
		ns = ns < TIMER_MAX_NS ? ns : TIMER_MAX_NS;
		counts = ns * timer_per_ms / 1000000u;
		counts = counts ? counts : 1;
		counts = counts < UINT32_MAX ? counts : UINT32_MAX;
	}
	*reg(LAPIC_TIMER_ICR) = (uint32_t)counts;
}

unsigned irq_gsis;

unsigned ioapic_gsis(const uint8_t *madt, uint32_t len)
{
	struct acpi_ioapic io[ACPI_MAX_IOAPICS];
	unsigned n = madt ? acpi_madt_ioapics(madt, len, io) : 0, sum = 0, top = 0;
	for (unsigned i = 0; i < n && i < ACPI_MAX_IOAPICS; i++) {
		volatile uint32_t *r = (volatile uint32_t *)maddr_virt(io[i].addr);
		r[0] = 1;                               /* IOREGSEL: the version register */
		unsigned pins = ((r[4] >> 16) & 0xff) + 1;      /* IOWIN: its highest entry */
		sum += pins;
		top = top > io[i].gsi_base + pins ? top : io[i].gsi_base + pins;
	}
	sum = sum > top ? sum : top;
	return sum < 16 ? 16 : sum;                     /* Xen's nr_irqs_gsi */
}
