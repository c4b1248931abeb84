/* SPDX-License-Identifier: MIT */
/* TLB flushes and the flush clock (theory in tlb.h). */
#include "env.h"
#include "tlb.h"

/* Tick before flushing: a drop that reads the clock before the tick is
 * covered by the flush, one that reads it after compares equal and is
 * flushed again, conservatively.  Two flushes of one vCPU that end in the
 * other order leave the earlier tick: conservative too. */
uint64_t tlb_tick(struct vcpu *u)
{
	return atomic_fetch_add(&vcpu_machine(u)->tlb_clock, 1) + 1;
}

void tlb_flushed(struct vcpu *u, uint64_t tick)
{
	atomic_store(&u->flush_time, tick);
}

void tlb_flush_vcpu(struct vcpu *u)
{
	uint64_t t = tlb_tick(u);
	env_flush_tlb(u);
	tlb_flushed(u, t);
}

void tlb_flush_for(struct vcpu *v, struct vcpu *u)
{
	tlb_flush_vcpu(u);
	v->stats.flushes++;
}

void tlb_flush_mask(struct vcpu *v, uint64_t mask)
{
	struct domain *d = v->d;
	for (unsigned k = 0; k < d->nr_vcpus; k++)
		if (mask & (1ull << k))
			tlb_flush_for(v, &d->vcpus[k]);
}

void tlb_invlpg_mask(struct domain *d, uint64_t mask, uint64_t va)
{
	for (unsigned k = 0; k < d->nr_vcpus; k++)
		if (mask & (1ull << k))
			env_invlpg(&d->vcpus[k], va);
}

void tlb_before_type_change(struct vcpu *v, mfn_t mfn)
{
	struct domain *d = v->d;
	uint64_t need = atomic_load_explicit(&vcpu_machine(v)->drop_time[mfn_x(mfn)], memory_order_acquire);

	for (unsigned k = 0; k < d->nr_vcpus; k++)
		if (atomic_load(&d->vcpus[k].flush_time) <= need)
			tlb_flush_for(v, &d->vcpus[k]);
}
