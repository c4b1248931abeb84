/* SPDX-License-Identifier: MIT */
/*
 * Each CPU's local APIC, in xAPIC mode through the direct map (the
 * machine's APIC page lies in the low 4 GiB it covers): software enable
 * with the spurious vector, inter-processor interrupts through the ICR,
 * end of interrupt, and the timer.
 *
 * The timer ticks at APIC_HZ in periodic mode at PC_TIMER_VECTOR, on each
 * CPU that starts it (sched.c).  Its rate is the APIC's bus clock over 16,
 * measured once against the TSC (whose rate pc/tsc.c measured against the
 * PIT): count down from the top for 10 ms of TSC and see how far it got.
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
#define LVT_PERIODIC    (1u << 17)
#define DCR_DIV16       0x3u
#define APIC_HZ         1000u

static uint32_t timer_per_tick;     /* APIC timer counts per tick: the same clock on every CPU */

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

/* The timer's counts per tick: those in 10 ms of TSC, times 100, over APIC_HZ. */
static uint32_t calibrate(void)
{
	*reg(LAPIC_TIMER_DCR) = DCR_DIV16;
	*reg(LAPIC_LVT_TIMER) = LVT_MASKED;
	*reg(LAPIC_TIMER_ICR) = ~0u;
	uint32_t from = *reg(LAPIC_TIMER_CCR);
	apic_delay_us(10000);
	uint32_t to = *reg(LAPIC_TIMER_CCR);
	*reg(LAPIC_TIMER_ICR) = 0;
	uint32_t per = (uint32_t)((uint64_t)(from - to) * 100u / APIC_HZ);
	return per ? per : 1;
}

void apic_init_cpu(void)
{
	*reg(LAPIC_TPR) = 0;
	*reg(LAPIC_SVR) = SVR_ENABLE | APIC_SPURIOUS_VECTOR;
	*reg(LAPIC_LVT_TIMER) = LVT_MASKED;
	if (!timer_per_tick) {
		timer_per_tick = calibrate();
		printk("hv: local APIC timer %u kHz\n", timer_per_tick * APIC_HZ / 1000u);
	}
}

void apic_timer_start(void)
{
	*reg(LAPIC_TIMER_DCR) = DCR_DIV16;
	*reg(LAPIC_LVT_TIMER) = LVT_PERIODIC | PC_TIMER_VECTOR;
	*reg(LAPIC_TIMER_ICR) = timer_per_tick;
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
