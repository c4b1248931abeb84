/* SPDX-License-Identifier: MIT */
/*
 * hostif on hv: hypercalls by syscall, the console by console_io, the
 * hypervisor's counts by its pvmmu_stats hypercall, and exceptions bounced
 * to us by hv (entry.S), where a fault of a guarded access goes to its fixup
 * (../x86/access.c).
 */
#include "../mmu/mmu.h"
#include "xen.h"

/* Our handlers, ended by a zero address: set_trap_table's list, and every
 * vCPU's virtual IDT. */
struct trap_info xen_trap_table[14];
struct xen_recover xen_recover[MAX_GUEST_VCPUS];
uint64_t xen_upcalls[MAX_GUEST_VCPUS];
uint64_t xen_failsafe_segs[4];

long xen_hypercall(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4)
{
	register uint64_t r10 __asm__("r10") = a3;
	register uint64_t r8 __asm__("r8") = a4;
	register uint64_t r9 __asm__("r9") = 0;
	__asm__ volatile("syscall"
			 : "+a"(nr), "+D"(a0), "+S"(a1), "+d"(a2), "+r"(r10), "+r"(r8), "+r"(r9)
			 : : "rcx", "r11", "memory");
	return (long)nr;
}

long hostif_hypercall(uint64_t nr, const uint64_t a[6])
{
	return xen_hypercall(nr, a[0], a[1], a[2], a[3], a[4]);
}

void hostif_native_load_cr3(mfn_t root)
{
	(void)root;
	hostif_panic("a PV guest cannot load cr3");
}

void hostif_native_invlpg(uint64_t va)
{
	(void)va;
	hostif_panic("a PV guest cannot invlpg");
}

void hostif_native_flush(void)
{
	hostif_panic("a PV guest cannot flush its TLB itself");
}

_Noreturn void hostif_panic(const char *why)
{
	x86_puts("guest panic: ");
	x86_puts(why);
	x86_puts("\n");
	xen_shutdown(SHUTDOWN_crash);
}

/* --- console, shutdown, counts --------------------------------------------- */

void x86_puts(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	xen_hypercall(HYPERVISOR_console_io, CONSOLEIO_write, n, (uint64_t)(uintptr_t)s, 0, 0);
}

_Noreturn void xen_shutdown(unsigned reason)
{
	struct sched_shutdown s = { reason };
	for (;;)
		xen_hypercall(HYPERVISOR_sched_op, SCHEDOP_shutdown, (uint64_t)(uintptr_t)&s, 0, 0, 0);
}

bool x86_hv_counts(uint64_t v[6], unsigned n)
{
	static struct pvmmu_stats s[MAX_GUEST_VCPUS];
	long rc = xen_hypercall(HYPERVISOR_pvmmu_stats, (uint64_t)(uintptr_t)s, n, 0, 0, 0);
	for (unsigned i = 0; i < 6; i++)
		v[i] = 0;
	if (rc == -XEN_ENOSYS)
		return false;           /* Xen: the counts are pvmmu's own */
	if (rc != n)
		hostif_panic("pvmmu_stats refused");
	for (unsigned k = 0; k < n; k++) {
		uint64_t c[6] = { s[k].validated, s[k].pins, s[k].unpins, s[k].flushes, s[k].emulated,
				  s[k].flush_ipis };
		for (unsigned i = 0; i < 6; i++)
			v[i] += c[i];
	}
	return true;
}

/* --- kicks: an IPI port per vCPU (hostif.h) -------------------------------- */

static uint32_t kick_port[MAX_GUEST_VCPUS];     /* 0: none set up */

long xen_evtchn_op(unsigned cmd, void *arg)
{
	return xen_hypercall(HYPERVISOR_event_channel_op, cmd, (uint64_t)(uintptr_t)arg, 0, 0, 0);
}

long xen_register_callback(unsigned type, void (*fn)(void))
{
	struct callback_register cb = { (uint16_t)type, 0, 0, (uint64_t)(uintptr_t)fn };
	return xen_hypercall(HYPERVISOR_callback_op, CALLBACKOP_register, (uint64_t)(uintptr_t)&cb, 0, 0, 0);
}

void x86_kicks_start(unsigned n)
{
	static uint32_t ipi[2], unmask[1];      /* evtchn_bind_ipi, evtchn_unmask */
	if (xen_register_callback(CALLBACKTYPE_event, xen_upcall))      /* vCPU 0's */
		hostif_panic("the event callback was refused");
	for (unsigned k = 0; k < n; k++) {
		ipi[0] = k;
		if (xen_evtchn_op(EVTCHNOP_bind_ipi, ipi))
			hostif_panic("bind_ipi refused");
		unmask[0] = ipi[1];
		if (xen_evtchn_op(EVTCHNOP_unmask, unmask))
			hostif_panic("unmask of an IPI port refused");
		kick_port[k] = ipi[1];
	}
}

void hostif_kick(unsigned vcpu)
{
	static uint32_t send[MAX_GUEST_VCPUS][1];
	uint32_t *s = send[hostif_vcpu()];
	if (!kick_port[vcpu])
		return;
	s[0] = kick_port[vcpu];
	if (xen_evtchn_op(EVTCHNOP_send, s))
		hostif_panic("a kick was refused");
}

/* Events stay masked but here: unmasked by SCHEDOP_block, which returns
 * once one is pending, its upcall taken on the way out. */
void hostif_wait_kick(void)
{
	if (!kick_port[hostif_vcpu()]) {
		__builtin_ia32_pause();
		return;
	}
	xen_hypercall(HYPERVISOR_sched_op, SCHEDOP_block, 0, 0, 0, 0);
	xen_shared_info()->vcpu_info[hostif_vcpu()].evtchn_upcall_mask = 1;
}

void xen_upcall_taken(void)
{
	unsigned me = hostif_vcpu();
	volatile struct shared_info *s = xen_shared_info();
	xen_upcalls[me]++;
	s->vcpu_info[me].evtchn_upcall_pending = 0;
	__atomic_store_n(&s->vcpu_info[me].evtchn_pending_sel, 0, __ATOMIC_SEQ_CST);
	uint32_t p = kick_port[me];
	if (p)
		__atomic_fetch_and(&s->evtchn_pending[p / 64], ~(1ull << (p % 64)), __ATOMIC_SEQ_CST);
}

/* --- more vCPUs ----------------------------------------------------------- */

#define VCPU_STACK 32768
static uint8_t vcpu_stacks[MAX_GUEST_VCPUS][VCPU_STACK] __attribute__((aligned(16)));

void xen_start_vcpu(unsigned k, mfn_t root)
{
	extern void xen_secondary_entry(void);
	static struct vcpu_guest_context c;     /* zero but for what we set */
	c.user_regs.rip = (uint64_t)(uintptr_t)xen_secondary_entry;
	c.user_regs.rsp = (uint64_t)(uintptr_t)vcpu_stacks[k] + VCPU_STACK;
	c.user_regs.rdi = k;            /* its number, for TSC_AUX (entry.S) */
	c.user_regs.cs = FLAT_KERNEL_CS64;
	c.user_regs.ss = FLAT_KERNEL_SS64;
	c.user_regs.rflags = 0x202;     /* IF */
	for (unsigned i = 0; xen_trap_table[i].address; i++)
		c.trap_ctxt[xen_trap_table[i].vector] = xen_trap_table[i];
	c.ctrlreg[3] = mfn_x(root) << PAGE_SHIFT;
	c.event_callback_eip = (uint64_t)(uintptr_t)xen_upcall;    /* masked until it waits for a kick */
	c.flags = VGCF_in_kernel;
	if (xen_hypercall(HYPERVISOR_vcpu_op, VCPUOP_initialise, k, (uint64_t)(uintptr_t)&c, 0, 0) ||
	    xen_hypercall(HYPERVISOR_vcpu_op, VCPUOP_up, k, 0, 0, 0))
		hostif_panic("a vCPU did not come up");
}

void x86_start_vcpus(unsigned n, mfn_t root)
{
	for (unsigned k = 1; k < n; k++)
		xen_start_vcpu(k, root);
}

_Noreturn void x86_vcpu_down(void)
{
	for (;;)
		xen_hypercall(HYPERVISOR_vcpu_op, VCPUOP_down, hostif_vcpu(), 0, 0, 0);
}

/* --- exceptions --------------------------------------------------------- */

static uint8_t shared_page[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));

extern void xen_trap_0(void), xen_trap_1(void), xen_trap_3(void), xen_trap_4(void);
extern void xen_trap_5(void), xen_trap_6(void), xen_trap_7(void), xen_trap_13(void);
extern void xen_trap_14(void), xen_trap_16(void), xen_trap_17(void), xen_trap_19(void);
extern void xen_trap_128(void);

void xen_traps_init(uint64_t shared_info_maddr)
{
	static const struct { uint8_t vec; void (*fn)(void); } handlers[] = {
		{ 0, xen_trap_0 }, { 1, xen_trap_1 }, { 3, xen_trap_3 }, { 4, xen_trap_4 },
		{ 5, xen_trap_5 }, { 6, xen_trap_6 }, { 7, xen_trap_7 }, { 13, xen_trap_13 },
		{ 14, xen_trap_14 }, { 16, xen_trap_16 }, { 17, xen_trap_17 }, { 19, xen_trap_19 },
		{ 128, xen_trap_128 },      /* int $0x80, for the guest kernel only (DPL 1) */
	};
	for (unsigned i = 0; i < sizeof(handlers) / sizeof(handlers[0]); i++)
		xen_trap_table[i] = (struct trap_info){ handlers[i].vec, handlers[i].vec == 128 ? 1 : 0,
							FLAT_KERNEL_CS64, (uint64_t)(uintptr_t)handlers[i].fn };
	if (xen_hypercall(HYPERVISOR_set_trap_table, (uint64_t)(uintptr_t)xen_trap_table, 0, 0, 0, 0))
		hostif_panic("set_trap_table refused");
	uint64_t e = shared_info_maddr | PTE_P | PTE_RW | PTE_A | PTE_D | PTE_NX;
	if (xen_hypercall(HYPERVISOR_update_va_mapping, (uint64_t)(uintptr_t)shared_page, e, UVMF_INVLPG, 0, 0))
		hostif_panic("cannot map the shared info page");
}

volatile struct shared_info *xen_shared_info(void)
{
	return (volatile struct shared_info *)shared_page;
}

uint64_t xen_last_cr2(void)
{
	uint64_t v;
	__builtin_memcpy(&v, shared_page + hostif_vcpu() * XEN_VCPU_INFO_SIZE + XEN_VCPU_INFO_CR2, 8);
	return v;
}

void xen_trap(unsigned vec, uint64_t *frame);

/* frame: error code, rip, cs, rflags, rsp, ss. */
void xen_trap(unsigned vec, uint64_t *frame)
{
	struct xen_recover *r = &xen_recover[hostif_vcpu()];
	if (vec == XEN_UPCALL) {
		xen_upcall_taken();
		return;
	}
	if (r->rip) {
		r->traps++;
		r->vector = vec;
		r->error = frame[0];
		for (unsigned i = 0; i < 5; i++)
			r->frame[i] = frame[1 + i];
		frame[1] = r->rip;
		frame[2] = FLAT_KERNEL_CS64 & ~3u;
		frame[3] &= ~0x100ull;          /* TF: no single step into the recovery */
		if (r->rsp)
			frame[4] = r->rsp;
		frame[5] = FLAT_KERNEL_SS64;
		r->rip = r->rsp = 0;
		x86_fixups[hostif_vcpu()]++;
		return;
	}
	if (vec == 14 && x86_fixup(&frame[1]))
		return;
	x86_puts("guest: unexpected exception ");
	x86_put_kv("vector", vec);
	x86_put_kv("error", frame[0]);
	x86_put_kv("rip", frame[1]);
	x86_put_kv("cr2", xen_last_cr2());
	x86_puts("\n");
	xen_shutdown(SHUTDOWN_crash);
}
