/* SPDX-License-Identifier: MIT */
/*
 * Hypercalls: syscall from the guest with Xen's 64-bit convention (number
 * in rax, arguments in rdi, rsi, rdx, r10, r8, r9, result in rax).  The
 * pagetable hypercalls are core's; the few that are about running a guest
 * are here, one function each, found by table.  A hypercall core preempts
 * (-ERESTART) goes back to the guest with its continuation in the
 * registers and rip on the syscall again, as Xen's continuations do, so
 * the next slice starts as a fresh hypercall.
 */
#include "../core/audit.h"
#include "../core/domain.h"
#include "../core/hypercall.h"
#include "hv.h"

typedef long (*hv_call_fn)(struct vcpu *v, struct regs *r);

/* console_io(cmd, count, buffer): write the guest's bytes to the console,
 * each line after "(dN) " as Xen does. */
static long hc_console_io(struct vcpu *v, struct regs *r)
{
	static bool line_start = true;
	if (r->rdi == CONSOLEIO_read)
		return 0;
	if (r->rdi != CONSOLEIO_write)
		return -XEN_ENOSYS;
	uint64_t count = (uint32_t)r->rsi, at = r->rdx;
	if (count > (1u << 20))
		return -XEN_EINVAL;
	while (count) {
		char buf[128];
		size_t n = count < sizeof(buf) ? count : sizeof(buf);
		if (env_copy_from_guest(v, buf, at, n))
			return -XEN_EFAULT;
		for (size_t i = 0; i < n; i++) {
			if (line_start)
				printk("(d%u) ", v->d->domid);
			console_write(&buf[i], 1);
			line_start = buf[i] == '\n';
		}
		at += n;
		count -= n;
	}
	return 0;
}

/* sched_op(cmd, arg): yield (to the next vCPU up, if any) and shutdown. */
static long hc_sched_op(struct vcpu *v, struct regs *r)
{
	struct sched_shutdown s;
	switch (r->rdi) {
	case SCHEDOP_yield:
		sched_yield();
		return 0;
	case SCHEDOP_shutdown:
		if (env_copy_from_guest(v, &s, r->rsi, sizeof(s)))
			return -XEN_EFAULT;
		hv_shutdown(v->d, s.reason);
	default:
		return -XEN_ENOSYS;
	}
}

/* set_trap_table(traps): install handlers until a zero address; NULL
 * clears them all. */
static long hc_set_trap_table(struct vcpu *v, struct regs *r)
{
	struct hv_vcpu *h = v->host;
	if (!r->rdi) {
		memset(h->traps, 0, sizeof(h->traps));
		return 0;
	}
	for (unsigned i = 0; i < 256; i++) {
		struct trap_info t;
		if (env_copy_from_guest(v, &t, r->rdi + i * sizeof(t), sizeof(t)))
			return -XEN_EFAULT;
		if (!t.address)
			return 0;
		if (!canonical(t.address))
			return -XEN_EINVAL;
		h->traps[t.vector] = (struct trap_entry){ t.address, t.flags };
	}
	return -XEN_EINVAL;
}

/* iret: return from an exception frame on the guest's stack (struct
 * iret_context), into ring 3 whatever it asks. */
static long hc_iret(struct vcpu *v, struct regs *r)
{
	struct iret_context c;
	if (env_copy_from_guest(v, &c, r->rsp, sizeof(c)))
		hv_crash_guest(v, "iret with an unreadable frame");
	if (!canonical(c.rip) || !canonical(c.rsp))
		hv_crash_guest(v, "iret to a non-canonical address");
	r->rip = c.rip;
	r->rsp = c.rsp;
	r->vector = 0;          /* every register as the frame says: back by iretq */
	r->rflags = (c.rflags & ~(RFLAGS_IOPL | RFLAGS_VM | RFLAGS_NT)) | RFLAGS_IF | 2;
	if (!(c.flags & VGCF_in_syscall)) {
		r->r11 = c.r11;
		r->rcx = c.rcx;
	}
	return (long)c.rax;
}

/* pvmmu_stats(buf, nr): this domain's counters, one struct per vCPU. */
static long hc_pvmmu_stats(struct vcpu *v, struct regs *r)
{
	unsigned n = r->rsi < v->d->nr_vcpus ? (unsigned)r->rsi : v->d->nr_vcpus;
	for (unsigned i = 0; i < n; i++) {
		const struct vcpu_stats *s = &v->d->vcpus[i].stats;
		struct pvmmu_stats out = { s->hypercalls, s->validated, s->pins, s->unpins,
					   s->flushes, s->emulated };
		if (env_copy_to_guest(v, r->rdi + i * sizeof(out), &out, sizeof(out)))
			return -XEN_EFAULT;
	}
	return n;
}

static const hv_call_fn hv_calls[HYPERVISOR_NR] = {
	[HYPERVISOR_set_trap_table] = hc_set_trap_table,
	[HYPERVISOR_console_io] = hc_console_io,
	[HYPERVISOR_iret] = hc_iret,
	[HYPERVISOR_vcpu_op] = hc_vcpu_op,
	[HYPERVISOR_sched_op] = hc_sched_op,
	[HYPERVISOR_pvmmu_stats] = hc_pvmmu_stats,
};

void hv_report(struct vcpu *v, const char *what, uint64_t which, long rc)
{
	static unsigned shown;
	if (shown++ < 64)
		printk("hv: d%uv%u %s %lx refused (%ld): %s\n", v->d->domid, v->id, what, which, rc,
		       v->reason ? v->reason : "not a pagetable of this domain");
	else if (shown == 65)
		printk("hv: further refusals not shown\n");
}

void hv_syscall(struct regs *r)
{
	struct vcpu *v = pcpu0.cur;
	uint64_t nr = r->rax, a[6] = { r->rdi, r->rsi, r->rdx, r->r10, r->r8, r->r9 };
	long rc;
	bool ours = nr < HYPERVISOR_NR && hv_calls[nr];
	if (ours) {
		v->stats.hypercalls++;
		rc = hv_calls[nr](v, r);
	} else {
		rc = hypercall(v, nr, a);
	}
	if (rc == -XEN_ERESTART) {
		r->rax = v->cont.nr;
		uint64_t *args[6] = { &r->rdi, &r->rsi, &r->rdx, &r->r10, &r->r8, &r->r9 };
		for (unsigned i = 0; i < 6; i++)
			*args[i] = v->cont.a[i];
		r->rip -= 2;
	} else {
		if (!ours && rc < 0 && v->reason)
			hv_report(v, "hypercall", nr, rc);
		r->rax = (uint64_t)rc;
	}
	if (v->d->crashed)
		hv_crash_guest(v, v->d->crash_reason);
	/* a syscall from the last bytes below the canonical hole leaves rcx
	 * beyond it: returning there would fault in ring 0, so the guest gets
	 * the #GP instead, as Xen gives it, and comes back by iretq */
	if (!canonical(r->rip)) {
		if (bounce_exception(v, r, 13, 0))
			hv_crash_guest(v, "hypercall return to a non-canonical address");
		r->vector = 13;
	}
	sched_run(r);
	return_to_guest(pcpu0.cur);
}

void return_to_guest(struct vcpu *v)
{
	if (mfn_eq(v->kernel_root, INVALID_MFN))
		hv_crash_guest(v, "no pagetable loaded");
	if (read_cr3() >> PAGE_SHIFT != mfn_x(v->kernel_root))
		mem_load_root(v->kernel_root);
}

static bool audit(const char *when)
{
	char msg[256];
	bool ok = audit_run(&machine, audit_scratch, msg, sizeof(msg));
	printk("hv: audit %s: %s\n", when, ok ? "ok" : msg);
	return ok;
}

_Noreturn void hv_shutdown(struct domain *d, unsigned reason)
{
	static const char *const why[] = { "poweroff", "reboot", "suspend", "crash" };
	printk("hv: d%u shut down: %s\n", d->domid, reason < 4 ? why[reason] : "unknown reason");
	bool ok = audit("at shutdown");
	mem_load_root(hv_l4);
	pcpu0.cur = NULL;
	domain_destroy(d);
	ok = audit("after the domain was destroyed") && ok;
	printk("pvmmu-hv: exit %s\n", ok && reason == SHUTDOWN_poweroff ? "ok" : "failed");
	pc_exit(!ok ? EXIT_HV : reason == SHUTDOWN_poweroff ? EXIT_OK : EXIT_GUEST);
}

_Noreturn void hv_crash_guest(struct vcpu *v, const char *why)
{
	printk("hv: d%u crashed: %s\n", v->d->domid, why ? why : "no reason given");
	if (!v->d->crashed)
		domain_crash(v->d, why);
	hv_shutdown(v->d, SHUTDOWN_crash);
}
