/* SPDX-License-Identifier: MIT */
/*
 * Several vCPUs on one physical CPU.  The running vCPU's registers are the
 * frame on the stack (struct regs); each other vCPU keeps its own in its
 * hv_vcpu.  We switch when the guest yields or takes a vCPU down, and on
 * the timer (pc_timer_start: 1 kHz at vector 0x20), started when a second
 * vCPU comes up and taken only while the guest runs (hv itself runs with
 * interrupts off).
 *
 * Every switch loads the next vCPU's root, even the same one, and so
 * flushes the TLB (no global pages): whatever the hardware caches belongs to
 * the running vCPU, so a flush of a vCPU that is not running has nothing to
 * do (env_flush_tlb, env_invlpg) and needs no IPI.  MSR TSC_AUX holds the
 * running vCPU's id for rdtscp, the guest's way to know which vCPU it is.
 *
 * VCPUOP_initialise sets a vCPU's registers, trap table and root from a
 * vcpu_guest_context; VCPUOP_up makes it runnable; VCPUOP_down takes the
 * calling vCPU off the CPU; VCPUOP_is_up asks.
 */
#include "hv.h"

static bool ticking, resched;

void sched_start(struct vcpu *v)
{
	pc_set_tsc_aux(v->id);
}

/* Run (next) instead of the running vCPU, whose registers are (r). */
static void switch_to(struct regs *r, struct vcpu *next)
{
	struct vcpu *cur = pcpu0.cur;
	struct hv_vcpu *h = cur->host, *n = next->host;
	h->regs = *r;
	*r = n->regs;
	pcpu0.cur = next;
	pc_set_tsc_aux(next->id);
	mem_load_root(next->kernel_root);
}

/* The next runnable vCPU after the running one, or NULL (the running one
 * may have just gone down). */
static struct vcpu *next_up(void)
{
	struct vcpu *cur = pcpu0.cur;
	struct domain *d = cur->d;
	for (unsigned k = 1; k < d->nr_vcpus; k++) {
		struct vcpu *v = &d->vcpus[(cur->id + k) % d->nr_vcpus];
		if (((struct hv_vcpu *)v->host)->up)
			return v;
	}
	return NULL;
}

void sched_yield(void)
{
	resched = true;
}

void sched_interrupt(void)
{
	pc_timer_eoi();
	resched = true;
}

void sched_run(struct regs *r)
{
	if (!resched)
		return;
	resched = false;
	struct vcpu *next = next_up();
	if (next)
		switch_to(r, next);
}

/* VCPUOP_initialise: a vCPU that is not up takes the context's registers
 * (in ring 3, interrupts on), traps and root (validated, as new_baseptr
 * would). */
static long initialise(struct vcpu *v, struct vcpu *t, uint64_t arg)
{
	static struct vcpu_guest_context c;
	struct hv_vcpu *h = t->host;
	if (h->up)
		return -XEN_EEXIST;
	if (env_copy_from_guest(v, &c, arg, sizeof(c)))
		return -XEN_EFAULT;
	const struct cpu_user_regs *u = &c.user_regs;
	if (!canonical(u->rip) || !canonical(u->rsp))
		return -XEN_EINVAL;
	long rc = vcpu_take_root(t, _mfn(c.ctrlreg[3] >> PAGE_SHIFT), false);
	if (rc)
		return rc;
	for (unsigned i = 0; i < 256; i++)
		h->traps[i] = (struct trap_entry){ c.trap_ctxt[i].address, c.trap_ctxt[i].flags };
	h->regs = (struct regs){ .r15 = u->r15, .r14 = u->r14, .r13 = u->r13, .r12 = u->r12,
				 .rbp = u->rbp, .rbx = u->rbx, .r11 = u->r11, .r10 = u->r10,
				 .r9 = u->r9, .r8 = u->r8, .rax = u->rax, .rcx = u->rcx,
				 .rdx = u->rdx, .rsi = u->rsi, .rdi = u->rdi, .rip = u->rip,
				 .cs = GUEST_CS, .ss = GUEST_SS, .rsp = u->rsp,
				 .rflags = (u->rflags & ~(RFLAGS_IOPL | RFLAGS_VM | RFLAGS_NT)) |
					   RFLAGS_IF | 2 };
	h->initialised = true;
	return 0;
}

long hc_vcpu_op(struct vcpu *v, struct regs *r)
{
	struct domain *d = v->d;
	if (r->rsi >= d->nr_vcpus)
		return -XEN_ENOENT;
	struct vcpu *t = &d->vcpus[r->rsi];
	struct hv_vcpu *h = t->host;
	switch (r->rdi) {
	case VCPUOP_initialise:
		return initialise(v, t, r->rdx);
	case VCPUOP_up:
		if (!h->initialised)
			return -XEN_EINVAL;
		if (!pc_has_rdtscp())
			return -XEN_EOPNOTSUPP;     /* the guest could not tell its vCPUs apart */
		h->up = true;
		if (!ticking)
			pc_timer_start();
		ticking = true;
		return 0;
	case VCPUOP_down:
		if (t != v || !next_up())
			return -XEN_EINVAL;     /* only itself, and never the last */
		h->up = false;
		sched_yield();
		return 0;
	case VCPUOP_is_up:
		return h->up;
	default:
		return -XEN_ENOSYS;
	}
}
