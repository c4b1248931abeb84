/* SPDX-License-Identifier: MIT */
/*
 * Hypercalls: syscall from the guest with Xen's 64-bit convention (number
 * in rax, arguments in rdi, rsi, rdx, r10, r8, r9, result in rax).  There is
 * one table, core's hypercalls and hv's side by side in core's signature;
 * the machine uses it for every hypercall, so multicall carries each of
 * them too.  hv's own reach the caller's registers through its frame
 * (hv_vcpu(v)->frame): iret replaces them, and stops a multicall.
 *
 * A hypercall that stops for a continuation (v->cont.pending) goes back to
 * the guest with the continuation in the registers and rip on the syscall
 * again, as Xen's continuations do, so the next slice starts as a fresh
 * hypercall.  A hypercall cannot end the domain from inside the table:
 * shutdown and crash are recorded there and acted on here, after core has
 * left its count modes.
 */
#include "../../core/audit.h"
#include "../../core/domain.h"
#include "../../core/hypercall.h"
#include "../hv.h"

/* pvmmu_stats(buf, nr): this domain's counters, one struct per vCPU. */
static long do_pvmmu_stats(struct vcpu *v, const uint64_t a[6])
{
	unsigned n = a[1] < v->d->nr_vcpus ? (unsigned)a[1] : v->d->nr_vcpus;
	for (unsigned i = 0; i < n; i++) {
		const struct vcpu_stats *s = &v->d->vcpus[i].stats;
		struct pvmmu_stats out = { s->hypercalls, s->validated, s->pins, s->unpins,
					   s->flushes, s->emulated, s->flush_ipis };
		if (env_copy_to_guest(v, a[0] + i * sizeof(out), &out, sizeof(out)))
			return -XEN_EFAULT;
	}
	return n;
}

/* hv's hypercalls that touch its state of the domain (event channels,
 * timers, other vCPUs, memory, the grant table, the console, vm_assist)
 * run under the domain's lock: a vCPU on another CPU may be in the same
 * family at once.  core's keep their own rules (core/machine.h); the
 * others touch only the caller's vCPU.  A holder of the lock may wait in
 * core (a solo domain's vCPU for exclusive count mode, another's for a frame
 * a vCPU validates in shared mode), so the lock is waited for outside shared
 * mode, where no one waits for the waiter (a multicall's entries run in
 * shared mode). */
static long locked(struct vcpu *v, hypercall_fn fn, const uint64_t a[6])
{
	struct spinlock *l = &hv_domain(v->d)->lock;
	bool shared = atomic_load(&v->shared);
	if (shared)
		dom_shared_exit(v);
	spin_lock(l);
	if (shared)
		dom_shared_enter(v);
	long rc = fn(v, a);
	spin_unlock(l);
	return rc;
}

#define LOCKED(fn) \
	static long locked_##fn(struct vcpu *v, const uint64_t a[6]) { return locked(v, fn, a); }
LOCKED(do_memory_op)
LOCKED(do_set_timer_op)
LOCKED(do_console_io)
LOCKED(do_grant_table_op)
LOCKED(do_vm_assist)
LOCKED(do_vcpu_op)
LOCKED(do_event_channel_op)
LOCKED(do_physdev_op)

static const hypercall_fn hv_hypercalls[HYPERVISOR_NR] = {
	[HYPERVISOR_set_trap_table] = do_set_trap_table,
	[HYPERVISOR_mmu_update] = hc_mmu_update,
	[HYPERVISOR_set_gdt] = do_set_gdt,
	[HYPERVISOR_stack_switch] = do_stack_switch,
	[HYPERVISOR_fpu_taskswitch] = do_fpu_taskswitch,
	[HYPERVISOR_set_debugreg] = do_set_debugreg,
	[HYPERVISOR_get_debugreg] = do_get_debugreg,
	[HYPERVISOR_update_descriptor] = do_update_descriptor,
	[HYPERVISOR_memory_op] = locked_do_memory_op,
	[HYPERVISOR_multicall] = hc_multicall,
	[HYPERVISOR_set_callbacks] = do_set_callbacks,
	[HYPERVISOR_update_va_mapping] = hc_update_va_mapping,
	[HYPERVISOR_set_timer_op] = locked_do_set_timer_op,
	[HYPERVISOR_xen_version] = do_xen_version,
	[HYPERVISOR_console_io] = locked_do_console_io,
	[HYPERVISOR_grant_table_op] = locked_do_grant_table_op,
	[HYPERVISOR_vm_assist] = locked_do_vm_assist,
	[HYPERVISOR_update_va_mapping_otherdomain] = hc_update_va_mapping_otherdomain,
	[HYPERVISOR_iret] = do_iret,
	[HYPERVISOR_vcpu_op] = locked_do_vcpu_op,
	[HYPERVISOR_set_segment_base] = do_set_segment_base,
	[HYPERVISOR_mmuext_op] = hc_mmuext_op,
	[HYPERVISOR_sched_op] = do_sched_op,
	[HYPERVISOR_callback_op] = do_callback_op,
	[HYPERVISOR_event_channel_op] = locked_do_event_channel_op,
	[HYPERVISOR_physdev_op] = locked_do_physdev_op,
	[HYPERVISOR_xenpmu_op] = do_xenpmu_op,
	[HYPERVISOR_pvmmu_stats] = do_pvmmu_stats,
};

void hv_hypercalls_init(void)
{
	machine.hypercalls = hv_hypercalls;
}

void hv_report(struct vcpu *v, const char *what, uint64_t which, long rc)
{
	unsigned n = atomic_fetch_add(&hv_domain(v->d)->reports, 1);
	if (n < 64)
		printk("hv: d%uv%u %s %lx refused (%ld): %s\n", v->d->domid, v->id, what, which, rc,
		       v->reason ? v->reason : "not a pagetable of this domain");
	else if (n == 64)
		printk("hv: d%u: further refusals not shown\n", v->d->domid);
}

/* A syscall of guest user space: to the kernel's syscall callback, in
 * kernel mode on its kernel stack, DF clear and events masked if it asked
 * for that; with no callback, the guest's #UD (as Xen). */
static void user_syscall(struct vcpu *v, struct regs *r)
{
	const struct hv_vcpu *h = hv_vcpu(v);
	int rc = h->syscall_callback ? pv_bounce_to(v, r, h->syscall_callback, h->syscall_masks, false, 0)
				     : pv_bounce(v, r, 6, false, 0);
	if (rc)
		hv_crash_guest(v, "a syscall from user space its kernel cannot take");
	r->rflags &= ~RFLAGS_DF;
}

void hv_syscall(struct regs *r)
{
	pv_entry_check(r);
	smp_guest_tlb_off();
	struct vcpu *v = this_vcpu();
	hv_vcpu(v)->frame = r;
	if (pv_in_user_mode(v)) {
		user_syscall(v, r);
		return;
	}
	uint64_t nr = r->rax, a[6] = { r->rdi, r->rsi, r->rdx, r->r10, r->r8, r->r9 };
	long rc = hypercall(v, nr, a);
	if (v->cont.pending) {
		r->rax = v->cont.nr;
		uint64_t *args[6] = { &r->rdi, &r->rsi, &r->rdx, &r->r10, &r->r8, &r->r9 };
		for (unsigned i = 0; i < 6; i++)
			*args[i] = v->cont.a[i];
		r->rip -= 2;
		if (sched_no_timer)
			sched_yield();  /* where the timer would have let others in */
	} else {
		if (rc < 0 && v->reason)
			hv_report(v, "hypercall", nr, rc);
		r->rax = (uint64_t)rc;
	}
	if (v->d->crashed | hv_domain(v->d)->shutting_down) {
		if (v->d->crashed)
			hv_crash_guest(v, v->d->crash_reason);
		hv_shutdown(v->d, hv_domain(v->d)->shutdown_reason);
	}
}

void hv_audit_or_stop(void)
{
	char msg[256];
	smp_hold_others();      /* no hypercall in flight on another CPU */
	if (!audit_run(&machine, audit_scratch, msg, sizeof(msg))) {
		printk("hv: audit after the last hypercall or exception: %s\n", msg);
		hv_backtrace((uint64_t)(uintptr_t)__builtin_frame_address(0));
		pc_exit(EXIT_HV);
	}
	smp_release_others();
}

/* audit=periodic: when the next audit is due (a machine-wide deadline any
 * CPU's tick may meet; ~0 while one CPU audits) and how many ran. */
static _Atomic uint64_t audit_due;
static _Atomic uint64_t audits_periodic;

void hv_audit_point(unsigned vector)
{
	if (hv_audit_when == AUDIT_EACH) {
		if (vector < 32 || vector == VEC_SYSCALL)
			hv_audit_or_stop();     /* not after a tick or an IPI: they would never end */
		return;
	}
	uint64_t now = time_now(), due = atomic_load(&audit_due);
	if (vector != PC_TIMER_VECTOR || now < due || !atomic_compare_exchange_strong(&audit_due, &due, ~0ull))
		return;
	hv_audit_or_stop();
	atomic_fetch_add(&audits_periodic, 1);
	atomic_store(&audit_due, time_now() + AUDIT_PERIOD_MS * 1000000ull);
}

bool hv_audit(const char *when)
{
	char msg[256];
	bool ok = audit_run(&machine, audit_scratch, msg, sizeof(msg));
	printk("hv: audit %s: %s\n", when, ok ? "ok" : msg);
	return ok;
}

_Noreturn void hv_shutdown(struct domain *d, unsigned reason)
{
	static const char *const why[] = { "poweroff", "reboot", "suspend", "crash" };
	smp_hold_others();      /* for good: the domain's other vCPUs stop where they are */
	printk("hv: d%u shut down: %s\n", d->domid, reason < 4 ? why[reason] : "unknown reason");
	if (hv_audit_when == AUDIT_PERIODIC)
		printk("hv: audits while the domain ran, every %u ms at a quiescent point: %lu, all ok\n",
		       AUDIT_PERIOD_MS, (unsigned long)atomic_load(&audits_periodic));
	bool ok = hv_audit("at shutdown");
	mem_load_root(hv_l4);
	cpu_load_guest_gdt(NULL, 0);
	this_cpu()->cur = NULL;
	domain_destroy(d);
	ok = hv_audit("after the domain was destroyed") && ok;
	printk("pvmmu-hv: exit %s\n", ok && reason == SHUTDOWN_poweroff ? "ok" : "failed");
	pc_exit(!ok ? EXIT_HV : reason == SHUTDOWN_poweroff ? EXIT_OK : reason == SHUTDOWN_reboot ? EXIT_REBOOT
											   : EXIT_GUEST);
}

_Noreturn void hv_crash_guest(struct vcpu *v, const char *why)
{
	if (!atomic_exchange(&hv_domain(v->d)->crash_told, true))
		printk("hv: d%u crashed: %s\n", v->d->domid, why ? why : "no reason given");
	domain_crash(v->d, why);
	hv_shutdown(v->d, SHUTDOWN_crash);
}
