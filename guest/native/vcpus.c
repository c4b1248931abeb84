/* SPDX-License-Identifier: MIT */
/*
 * More vCPUs without a hypervisor: contexts on the one CPU, run the way hv
 * runs its vCPUs (hv/sched.c), so that PV and native compare alike.  Each
 * context has a stack of its own; one not running is its stack pointer, at
 * a frame entry.S saved (registers, vector, error code, the CPU's frame).
 * The timer (1 kHz) switches round robin among those up, loading the next
 * one's cr3 (a full flush: as if each had a TLB of its own) and TSC_AUX
 * (its number, for hostif_vcpu).  Interrupts are on once a second context
 * starts; one preempted inside a spinlock leaves the others spinning until
 * the next tick, which is slow but correct.
 */
#include "native.h"

#define STACK 32768

struct context {
	uint64_t rsp, cr3;
	bool up;
};

static struct context ctx[MAX_GUEST_VCPUS];
static uint8_t stacks[MAX_GUEST_VCPUS][STACK] __attribute__((aligned(16)));
static unsigned nr = 1, cur;

void native_load_cr3(uint64_t cr3)
{
	ctx[cur].cr3 = cr3;
	write_cr3(cr3);
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
	ctx[cur].up = false;
	for (;;)
		__asm__ volatile("hlt");
}
