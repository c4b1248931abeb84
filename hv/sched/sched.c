/* SPDX-License-Identifier: MIT */
/*
 * Several vCPUs on one physical CPU.  The running vCPU's registers are the
 * frame on the stack (struct regs); each other vCPU keeps its own in its
 * hv_vcpu.  We switch when the guest yields or takes a vCPU down, and on
 * the timer (pc_timer_start: 1 kHz at vector 0x20), started when a second
 * vCPU comes up and taken only while the guest runs (hv itself runs with
 * interrupts off).  With "timer=off" on hv's command line there is no
 * timer: vCPUs switch only when they yield, go down or a hypercall
 * continues, so a run depends on nothing but the guest (a fuzzing seed
 * replays exactly).  The switch happens on the way out (hv_exit), after the
 * running vCPU's result is in its frame.
 *
 * Every switch loads the next vCPU's root, even the same one, and so
 * flushes the TLB (no global pages): whatever the hardware caches belongs to
 * the running vCPU, so a flush of a vCPU that is not running has nothing to
 * do (env_flush_tlb, env_invlpg) and needs no IPI.  MSR TSC_AUX holds the
 * running vCPU's own value, as on Xen: what the guest wrote (pv/emul_priv.c),
 * 0 until it does.
 *
 * sched_op: yield, and shutdown (the domain ends after the hypercall).
 */
#include "../hv.h"

void sched_start(struct vcpu *v)
{
	pc_set_tsc_aux(hv_vcpu(v)->tsc_aux);
}

bool sched_no_timer;

void sched_tick_start(void)
{
	struct pcpu *c = this_cpu();
	if (!c->ticking && !sched_no_timer)
		pc_timer_start();
	c->ticking = true;
}

/* Run (next) instead of the running vCPU, whose registers are (r). */
static void switch_to(struct regs *r, struct vcpu *next)
{
	struct pcpu *c = this_cpu();
	hv_vcpu(c->cur)->regs = *r;
	*r = hv_vcpu(next)->regs;
	c->cur = next;
	pc_set_tsc_aux(hv_vcpu(next)->tsc_aux);
	mem_load_root(next->kernel_root);
}

struct vcpu *sched_next_up(void)
{
	struct vcpu *cur = this_vcpu();
	struct domain *d = cur->d;
	for (unsigned k = 1; k < d->nr_vcpus; k++) {
		struct vcpu *v = &d->vcpus[(cur->id + k) % d->nr_vcpus];
		if (hv_vcpu(v)->up)
			return v;
	}
	return NULL;
}

void sched_yield(void)
{
	this_cpu()->resched = true;
}

void sched_interrupt(void)
{
	pc_timer_eoi();
	this_cpu()->resched = true;
}

void sched_run(struct regs *r)
{
	struct pcpu *c = this_cpu();
	if (!c->resched)
		return;
	c->resched = false;
	struct vcpu *next = sched_next_up();
	if (next)
		switch_to(r, next);
}

/* sched_op(cmd, arg): yield to the next vCPU up, if any; shutdown, which
 * ends the domain once the hypercall is over (hv_syscall). */
long do_sched_op(struct vcpu *v, const uint64_t a[6])
{
	struct sched_shutdown s;
	switch ((uint32_t)a[0]) {
	case SCHEDOP_yield:
		sched_yield();
		return 0;
	case SCHEDOP_shutdown:
		if (env_copy_from_guest(v, &s, a[1], sizeof(s)))
			return -XEN_EFAULT;
		hv_domain(v->d)->shutting_down = true;
		hv_domain(v->d)->shutdown_reason = (uint8_t)s.reason;
		return 0;
	default:
		return -XEN_ENOSYS;
	}
}
