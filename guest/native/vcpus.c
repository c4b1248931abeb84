/* SPDX-License-Identifier: MIT */
/*
 * More vCPUs without a hypervisor.  Where the firmware lists a CPU for each
 * (QEMU's -smp), each vCPU gets one: the CPUs are started at boot, while the
 * boot tables still map the local APIC and the ACPI tables, and each parks
 * (spinning) until x86_start_vcpus lets its vCPU go on the kernel's root,
 * with our GDT and IDT, interrupts off, its number in TSC_AUX.  A kernel
 * on several CPUs flushes only its own TLB: the workloads never change a
 * space while another CPU runs in it (a process runs on one vCPU at a time,
 * and a switch to it reloads cr3), as hv's guests do not need either.
 *
 * Otherwise contexts on the one CPU, run the way hv
 * runs its vCPUs (hv/sched.c), so that PV and native compare alike.  Each
 * context has a stack of its own; one not running is its stack pointer, at
 * a frame entry.S saved (registers, vector, error code, the CPU's frame).
 * The timer (1 kHz) switches round robin among those up, loading the next
 * one's cr3 (a full flush: as if each had a TLB of its own) and TSC_AUX
 * (its number, for hostif_vcpu).  Interrupts are on once a second context
 * starts; one preempted inside a spinlock leaves the others spinning until
 * the next tick, which is slow but correct.
 */
#include "../../pc/acpi.h"
#include "native.h"

#define STACK 32768

struct context {
	uint64_t rsp, cr3;
	bool up;
};

static struct context ctx[MAX_GUEST_VCPUS];
static uint8_t stacks[MAX_GUEST_VCPUS][STACK] __attribute__((aligned(16)));
static unsigned nr = 1, cur;

/* A CPU per vCPU: those parked, and what lets each go. */
static bool smp;
uint64_t ap_boot_stack;                 /* read by pc/ap.S */
static unsigned ap_next;
static _Atomic unsigned ap_arrived;
static _Atomic uint64_t ap_root[MAX_GUEST_VCPUS];    /* 0 while parked */

void native_load_cr3(uint64_t cr3)
{
	if (!smp)
		ctx[cur].cr3 = cr3;
	write_cr3(cr3);
}

static const uint8_t *identity(uint64_t pa, size_t len)
{
	return pa && pa + len <= (4ull << 30) && pa + len > pa ? (const uint8_t *)(uintptr_t)pa : NULL;
}

void native_smp_boot(uint64_t rsdp, unsigned vcpus)
{
	static uint32_t ids[ACPI_MAX_CPUS];
	unsigned n = vcpus > 1 ? acpi_find_cpus(rsdp, identity, ids) : 0;
	if (n < vcpus || !pc_has_rdtscp())
		return;                         /* contexts on the one CPU */
	struct pc_lapic l = { (volatile uint32_t *)(uintptr_t)pc_lapic_base(), pc_tsc_khz() };
	uint32_t self = pc_lapic_id(&l);
	memcpy((void *)(uintptr_t)PC_AP_TRAMPOLINE, (const void *)(uintptr_t)ap_real_where[0], ap_real_where[1]);
	unsigned up = 1;
	for (unsigned i = 0; i < n && up < vcpus; i++) {
		if (ids[i] == self)
			continue;
		ap_boot_stack = (uint64_t)(uintptr_t)(stacks[up] + STACK);
		ap_next = up;
		if (!pc_start_cpu(&l, ids[i], &ap_arrived))
			break;
		up++;
	}
	smp = up == vcpus;
	printk("native: %u CPU%s for %u vCPUs%s\n", up, up == 1 ? "" : "s", vcpus,
	       smp ? ", one each" : "; they take turns on the first");
}

_Noreturn void ap_start64(void)
{
	unsigned k = ap_next;
	atomic_fetch_add(&ap_arrived, 1);
	uint64_t root;
	while (!(root = atomic_load(&ap_root[k])))
		__asm__ volatile("pause");
	native_cpu_load();
	pc_set_tsc_aux(k);
	write_cr3(root);
	x86_secondary();
}

/* A new context's stack: what trap_common pops (15 registers, vector,
 * error code) above iretq's frame into native_secondary_entry. */
static uint64_t first_frame(unsigned k)
{
	extern const char native_secondary_entry[];
	uint64_t top = (uint64_t)(uintptr_t)(stacks[k] + STACK);
	uint64_t *sp = (uint64_t *)(uintptr_t)top;
	const uint64_t iret[5] = { (uint64_t)(uintptr_t)native_secondary_entry, KERNEL_CS, 0x202, top,
				   KERNEL_DS };
	for (unsigned i = 5; i-- > 0;)
		*--sp = iret[i];
	for (unsigned i = 0; i < 17; i++)
		*--sp = 0;
	return (uint64_t)(uintptr_t)sp;
}

void x86_kicks_start(unsigned n)
{
	(void)n;        /* contexts switched by the timer are not woken: no kicks */
}

void x86_start_vcpus(unsigned n, mfn_t root)
{
	if (smp) {
		for (unsigned k = 1; k < n; k++)
			atomic_store(&ap_root[k], mfn_x(root) << PAGE_SHIFT);
		return;
	}
	if (!pc_has_rdtscp())
		hostif_panic("more vCPUs need rdtscp, to tell them apart");
	ctx[0] = (struct context){ 0, read_cr3(), true };
	for (unsigned k = 1; k < n; k++)
		ctx[k] = (struct context){ first_frame(k), mfn_x(root) << PAGE_SHIFT, true };
	nr = n;
	pc_timer_start();
	__asm__ volatile("sti");
}

uint64_t native_tick(uint64_t rsp)
{
	pc_timer_eoi();
	ctx[cur].rsp = rsp;
	for (unsigned k = 1; k <= nr; k++) {
		unsigned next = (cur + k) % nr;
		if (ctx[next].up) {
			cur = next;
			break;
		}
	}
	pc_set_tsc_aux(cur);
	write_cr3(ctx[cur].cr3);
	return ctx[cur].rsp;
}

_Noreturn void x86_vcpu_down(void)
{
	if (smp)
		for (;;)
			__asm__ volatile("cli; hlt");
	ctx[cur].up = false;
	for (;;)
		__asm__ volatile("hlt");        /* the tick takes us away */
}
