/* SPDX-License-Identifier: MIT */
/*
 * The physical CPUs QEMU gives hv (-smp N), and how they ask things of
 * each other.
 *
 * Starting them.  They are the enabled local APICs the firmware's MADT
 * lists (pc/acpi.c, read through the direct map).  Each other CPU is
 * started by INIT-SIPI-SIPI (pc/smp.c), one at a time: the 16-bit start
 * of pc/ap.S is copied to PC_AP_TRAMPOLINE (the SIPI names its page), the
 * CPU climbs to long mode on the boot tables and enters ap_start64 on the
 * stack left in ap_boot_stack, sets itself up as cpu.c sets up the
 * bootstrap CPU (its own GDT, TSS, stacks, local APIC, gs on its struct
 * pcpu), says it is up and idles until the scheduler gives it a vCPU.
 *
 * Asking.  One IPI vector; what is asked is in the target's struct pcpu.
 * A TLB flush: the asker counts up the target's flush_req.  A target that
 * cannot use the guest's translations now (it is in hv, not copying
 * through them: guest_tlb clear) does the flush before it next does
 * (smp_guest_tlb_on, on the way back to the guest and before a copy), so
 * the asker goes on at once.  Otherwise the asker sends the IPI and spins
 * until the target's flush_done reaches its count; the target reloads cr3
 * (no global pages: everything goes) and sets flush_done, in the IPI's
 * handler if it ran the guest, or in any spin loop of its own (smp_relax:
 * core's waits for a count mode, hv's locks) if it was copying, so a CPU
 * that waits for another never keeps a third from answering.  The flag is
 * set before flush_req is looked at, and flush_req counted up before the
 * flag is, each with a full fence between: one of the two sees the
 * other.  Holding the others still (an audit needs no hypercall in
 * flight; shutdown needs them stopped for good): one CPU at a time becomes
 * the holder, tells each other CPU to choose again and sends it the IPI,
 * and waits until each is parked at a quiescent point (on its way back to
 * the guest, or idle: never inside core or holding a lock), where it spins
 * on hv's own tables, still answering flushes, until the holder lets go.
 *
 * A watchdog: a CPU that spins in hv (smp_relax) for SPIN_LIMIT_S seconds
 * without once leaving for the guest or halting waits for what will not
 * come, a deadlock of hv's own; it stops hv with its backtrace rather than
 * hang the machine (a parked CPU waits by design and is exempt).
 */
#include "../../pc/acpi.h"
#include "../hv.h"

#define ICR_FIXED       0x00004000u /* fixed delivery, level assert, vector in bits 0-7 */

static uint32_t cpu_apic_ids[ACPI_MAX_CPUS];
unsigned smp_cpus_found, smp_cpus_up = 1;
uint64_t ap_boot_stack;             /* read by pc/ap.S: the next CPU's stack */
static unsigned ap_next;            /* and its number */
static _Atomic unsigned ap_arrived;
static uint8_t ap_stacks[SMP_MAX_CPUS][16384] __attribute__((aligned(16)));

/* (len) bytes at (pa) if the direct map covers them. */
static const uint8_t *direct(uint64_t pa, size_t len)
{
	uint64_t top = mem_direct_top();
	return pa < top && len <= top - pa ? maddr_virt(pa) : NULL;
}

/* Start the CPU with (apic_id) as CPU (id): true when it said it is up. */
static bool start_cpu(unsigned id, uint32_t apic_id)
{
	struct pc_lapic l = apic_this();
	ap_boot_stack = (uintptr_t)ap_stacks[id] + sizeof(ap_stacks[id]);
	ap_next = id;
	return pc_start_cpu(&l, apic_id, &ap_arrived);
}

/* This CPU is up as CPU (id). */
static void cpu_up(unsigned id)
{
	apic_init_cpu();
	pcpus[id].apic_id = apic_id();
	pcpus[id].up = true;
}

_Noreturn void ap_start64(void)
{
	unsigned id = ap_next;
	cpu_init_ap(id, (uintptr_t)ap_stacks[id] + sizeof(ap_stacks[0]));
	cpu_up(id);
	atomic_fetch_add(&ap_arrived, 1);
	sched_idle_start();
}

void smp_init(uint64_t rsdp)
{
	cpu_up(0);
	uint32_t len = 0;
	const uint8_t *madt = acpi_find_madt(rsdp, direct, &len);
	unsigned n = madt ? acpi_madt_cpus(madt, len, cpu_apic_ids) : 0;
	irq_gsis = ioapic_gsis(madt, len);
	smp_cpus_found = n ? n : 1;         /* no MADT: the one we run on */
	printk("hv: %u CPU%s from the firmware's MADT%s\n", smp_cpus_found, smp_cpus_found == 1 ? "" : "s",
	       n ? "" : " (none listed: the bootstrap CPU alone)");
	if (smp_cpus_found > SMP_MAX_CPUS) {
		printk("hv: using the first %u\n", SMP_MAX_CPUS);
		smp_cpus_found = SMP_MAX_CPUS;
	}
	if (smp_cpus_found == 1)
		return;
	memcpy(maddr_virt(PC_AP_TRAMPOLINE), maddr_virt(ap_real_where[0]), ap_real_where[1]);
	uint32_t self = pcpus[0].apic_id;
	for (unsigned i = 0, id = 1; i < smp_cpus_found; i++) {
		if (cpu_apic_ids[i] == self)
			continue;
		if (start_cpu(id, cpu_apic_ids[i]))
			smp_cpus_up++, id++;
		else
			printk("hv: the CPU with APIC ID %u did not come up\n", cpu_apic_ids[i]);
	}
	printk("hv: %u CPUs up\n", smp_cpus_up);
}

/* --- asking other CPUs ---------------------------------------------------- */

static _Atomic unsigned holder;     /* the CPU holding the others still, + 1; 0: none */


void spin_lock(struct spinlock *l)
{
	while (atomic_exchange_explicit(&l->held, 1, memory_order_acquire))
		while (atomic_load_explicit(&l->held, memory_order_relaxed))
			smp_relax();
}

void spin_unlock(struct spinlock *l)
{
	atomic_store_explicit(&l->held, 0, memory_order_release);
}

void smp_kick(unsigned cpu)
{
	if (cpu != this_cpu()->id)
		apic_send(pcpus[cpu].apic_id, ICR_FIXED | APIC_IPI_VECTOR);
}

/* The flushes asked of this CPU, done. */
static void serve_flush(struct pcpu *c)
{
	uint64_t asked = atomic_load(&c->flush_req);
	if (atomic_load_explicit(&c->flush_done, memory_order_relaxed) != asked) {
		write_cr3(read_cr3());
		atomic_store(&c->flush_done, asked);
	}
}

/* A CPU that spins in hv for this long waits for something that will not
 * come: a deadlock of hv's own, stopped with a message. */
#define SPIN_LIMIT_S 20u

static _Noreturn void spun_too_long(struct pcpu *c)
{
	printk("hv: CPU %u has spun in hv for %u s (flushes asked %lu, done %lu; holder %u)\n", c->id,
	       SPIN_LIMIT_S, atomic_load(&c->flush_req), atomic_load(&c->flush_done), atomic_load(&holder));
	hv_backtrace((uint64_t)(uintptr_t)__builtin_frame_address(0));
	pc_exit(EXIT_HV);
}

void smp_relax(void)
{
	struct pcpu *c = this_cpu();
	if (cpu_spin_pause)
		__asm__ volatile("pause");
	serve_flush(c);
	uint64_t now = rdtsc();
	if (!c->spin_since || atomic_load(&c->parked))
		c->spin_since = now;
	else if (now - c->spin_since > SPIN_LIMIT_S * time_tsc_khz() * 1000)
		spun_too_long(c);
}


void smp_interrupt(void)
{
	serve_flush(this_cpu());
}

void smp_guest_tlb_mark(void)
{
	struct pcpu *c = this_cpu();
	atomic_store(&c->guest_tlb, true);  /* then look: an asker adds, then looks at it */
	serve_flush(c);
}

bool smp_flush(unsigned cpu)
{
	struct pcpu *t = &pcpus[cpu];
	uint64_t mine = atomic_fetch_add(&t->flush_req, 1) + 1;
	if (!atomic_load(&t->guest_tlb))
		return false;           /* in hv: it flushes before it uses them again */
	smp_kick(cpu);
	while (atomic_load(&t->flush_done) < mine)
		smp_relax();
	return true;
}

/* Is another CPU than (c) holding the others still? */
static bool held(const struct pcpu *c)
{
	unsigned h = atomic_load(&holder);
	return h && h != c->id + 1;
}

void smp_quiescent(void)
{
	struct pcpu *c = this_cpu();
	if (!held(c))
		return;
	mem_load_root(hv_l4);   /* the holder may take the guest's tables apart */
	atomic_store(&c->parked, true);
	while (held(c))
		smp_relax();
	atomic_store(&c->parked, false);
}

void smp_hold_others(void)
{
	struct pcpu *c = this_cpu();
	unsigned none = 0;
	while (!atomic_compare_exchange_strong(&holder, &none, c->id + 1)) {
		none = 0;
		smp_quiescent();        /* another holds: be held, then try again */
	}
	for (unsigned k = 0; k < smp_cpus_up; k++)
		if (k != c->id) {
			atomic_store(&pcpus[k].resched, true);
			smp_kick(k);
		}
	for (unsigned k = 0; k < smp_cpus_up; k++)
		while (k != c->id && !atomic_load(&pcpus[k].parked))
			smp_relax();
}

void smp_release_others(void)
{
	atomic_store(&holder, 0);
}
