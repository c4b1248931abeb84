/* SPDX-License-Identifier: MIT */
/* TLB flushes and the flush clock (theory in tlb.h). */
#include "env.h"
#include "tlb.h"

void tlb_flush_vcpu(struct vcpu *u)
{
	/* Tick before flushing: a drop that reads the clock before the tick
	 * is covered by this flush, one that reads it after compares equal
	 * and is flushed again, conservatively. */
	uint64_t t = atomic_fetch_add(&vcpu_machine(u)->tlb_clock, 1) + 1;
	env_flush_tlb(u);
	atomic_store(&u->flush_time, t);
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

void tlb_note_drop(struct vcpu *v)
{
	/* A release store is enough: the count update that follows (a CAS in
	 * shared mode, the release of exclusive mode) publishes it before
	 * anyone can see the count at zero. */
	uint64_t t = atomic_load_explicit(&vcpu_machine(v)->tlb_clock, memory_order_acquire);
	if (atomic_load_explicit(&v->last_drop, memory_order_relaxed) != t)
		atomic_store_explicit(&v->last_drop, t, memory_order_release);
}

void tlb_before_type_change(struct vcpu *v)
{
	struct domain *d = v->d;
	uint64_t need = 0;

	for (unsigned k = 0; k < d->nr_vcpus; k++) {
		uint64_t t = atomic_load(&d->vcpus[k].last_drop);
		need = t > need ? t : need;
	}
	for (unsigned k = 0; k < d->nr_vcpus; k++)
		if (atomic_load(&d->vcpus[k].flush_time) <= need)
			tlb_flush_for(v, &d->vcpus[k]);
}
