/* SPDX-License-Identifier: MIT */
/*
 * TLB flushes, and the rule that keeps stale translations harmless.
 *
 * The danger: a vCPU's TLB may hold a translation after the entry that made
 * it is gone.  That is the guest's business as long as the frame keeps its
 * type; it becomes ours when the frame changes type, above all when a frame
 * once mapped writable becomes a pagetable.
 *
 * The rule (Xen's tlbflush clock and page timestamps): a global clock
 * ticks at every full flush; each vCPU records the tick of its last full
 * flush (flush_time), core's flushes and its host's own (a root loaded
 * into cr3).  Whoever drops a reference that a translation may have been
 * made from records the clock in the frame's drop_time (the latest tick
 * stays), after the mapping is gone and before the count drops: the last
 * type reference (a table's once its entries are gone), and a writable
 * mapping's type reference even when others are left, unless no other vCPU
 * of the domain can be in core (below).  Before a frame
 * changes type, every vCPU of the domain whose flush_time is not later than
 * that frame's drop_time is flushed.  A type changes only at type count
 * zero, so every mapping that held the old type is gone and noted; every
 * translation made from one was made before its drop, hence before
 * drop_time, hence is gone after the flush.  Only vCPUs that have not
 * flushed since the frame's latest such drop are flushed: drops of other
 * frames do not count.
 *
 * Where this is finer than Xen: Xen stamps a page at the last drop of its
 * type count, whoever held it.  hv's own brief writable references (to
 * clear or copy a frame, frame_put_access) make no translation and are not
 * noted, so a frame filled by MMUEXT_COPY_PAGE keeps the drop time of its
 * last mapping: once every vCPU has flushed since then it becomes a table
 * with no flush at all (the guest kernel pins new tables so: guest/mmu/
 * held.c).  A mapping's drop is noted even when it is not the last, or one
 * made and dropped while hv held the frame would go unnoticed; hv holds
 * such a reference only inside one operation, so a vCPU alone in core (in
 * exclusive mode, or of a domain of one vCPU) cannot meet one and notes
 * nothing (as Xen: a batch of mmu_update entries pays nothing for it).
 */
#ifndef CORE_TLB_H
#define CORE_TLB_H

#include "machine.h"

/* Flush every translation of vCPU (u) and advance its flush_time. */
void tlb_flush_vcpu(struct vcpu *u);

/* A flush of all of (u)'s TLB that its host makes on its own (hv loading a
 * root into cr3, with no global translations): tlb_tick before it, then
 * tlb_flushed with what tlb_tick gave once it is done, so that drops
 * before it need not flush (u) again. */
uint64_t tlb_tick(struct vcpu *u);
void tlb_flushed(struct vcpu *u, uint64_t tick);

/* The same, on behalf of vCPU (v), counted in v's statistics. */
void tlb_flush_for(struct vcpu *v, struct vcpu *u);

/* Flush every vCPU of v's domain whose bit is set in (mask) (bit k = vCPU
 * k), on behalf of (v). */
void tlb_flush_mask(struct vcpu *v, uint64_t mask);

/* Drop the translation of (va) on every vCPU of (d) in (mask). */
void tlb_invlpg_mask(struct domain *d, uint64_t mask, uint64_t va);

/* Record that frame (mfn)'s type count is about to drop to zero.  A
 * release store is enough: the count update that follows (a CAS in shared
 * mode, the release of exclusive mode) publishes it before anyone can see
 * the count at zero; every earlier drop of the frame was seen before this
 * one read the clock, so its tick is the latest.  Inline, as the next: it
 * runs for every entry a whole-table walk or a batch drops. */
static inline void tlb_note_drop(struct machine *m, mfn_t mfn)
{
	uint64_t t = atomic_load_explicit(&m->tlb_clock, memory_order_acquire);
	atomic_store_explicit(&m->drop_time[mfn_x(mfn)], t, memory_order_release);
}

/* Record that a writable mapping's type reference of (mfn) is about to drop
 * with others left.  Only a vCPU that may have company in core needs to:
 * the drop matters only if hv's own brief reference, which another vCPU
 * of the domain may hold meanwhile, is the last to go (a vCPU alone, in
 * exclusive mode or its domain's only one, skips it).  Such drops may
 * race; the latest tick stays. */
static inline void tlb_note_early_drop(struct machine *m, mfn_t mfn)
{
	uint64_t t = atomic_load_explicit(&m->tlb_clock, memory_order_acquire);
	_Atomic uint64_t *d = &m->drop_time[mfn_x(mfn)];
	uint64_t cur = atomic_load_explicit(d, memory_order_relaxed);
	while (cur < t && !atomic_compare_exchange_weak_explicit(d, &cur, t, memory_order_release,
								 memory_order_relaxed))
		;
}

/* Frame (mfn) of (v)'s domain is about to change type: flush every vCPU
 * that may still hold a translation from before the frame's last drop. */
void tlb_before_type_change(struct vcpu *v, mfn_t mfn);

/* All vCPUs of (d), as a mask. */
static inline uint64_t tlb_all(const struct domain *d)
{
	return (d->nr_vcpus >= 64) ? ~0ull : ((1ull << d->nr_vcpus) - 1);
}

#endif
