/* SPDX-License-Identifier: MIT */
/*
 * Pagetables: the per-level rules, and what "validated" means.
 *
 * A frame validated as an Ln table satisfies, for every entry it holds now
 * (slots 256..271 of an L4 excepted, which always equal the machine's
 * template):
 *  - a not-present entry carries no frame address below the L1TF-safe limit;
 *  - a present entry has only the flags its level allows (allow masks in
 *    pt.c), and holds references on the frame it points at:
 *      L1: a general reference, plus a writable type reference if RW is set;
 *          the frame must be the domain's (so free, foreign and hypervisor
 *          frames are refused) and, if RW, must be able to take the
 *          writable type (so a pagetable is only ever mapped read-only);
 *      L2..L4: a general and an L(n-1) type reference (validating the
 *          child first if needed); or, for a read-only entry pointing at an
 *          Ln table, a linear (recursive) reference under Xen's XSA-240
 *          rules: the target is itself (no reference), or an already
 *          validated Ln table of the domain that has no linear entries of
 *          its own, in a table that is not itself a linear target.
 * Stored entries are adjusted as Xen does for 64-bit PV kernels, which run
 * in ring 3: L1 kernel mappings gain US and the guest-kernel bit, L2/L3
 * entries gain US, L4 entries gain US and A.
 */
#ifndef CORE_PT_H
#define CORE_PT_H

#include "machine.h"

/* An address a guest may name (Xen's __addr_ok): canonical and outside
 * the hypervisor's slots. */
static inline bool va_guest(uint64_t va)
{
	return va_canonical(va) && !(va >= HV_VIRT_START && va < HV_VIRT_END);
}

static inline bool l4_slot_is_hv(unsigned slot)
{
	return slot >= HV_L4_FIRST_SLOT && slot <= HV_L4_LAST_SLOT;
}

/* The entries of frame (mfn), as the hypervisor sees them. */
_Atomic uint64_t *pt_entries(struct machine *m, mfn_t mfn);

/* An entry (e) for a table of (level), its own bits checked: 0, or
 * refused (disallowed flags -XEN_EINVAL; a not-present entry that is
 * L1TF-unsafe crashes the domain, as Xen without shadow paging does). */
long pt_check_entry(struct vcpu *v, unsigned level, uint64_t e);

/* Take (get) or drop (put) the references present entry (e) of (table) at
 * (level) holds; get returns 0 or a refusal, having taken nothing. */
long pt_get_entry_refs(struct vcpu *v, mfn_t table, unsigned level, uint64_t e);
void pt_put_entry_refs(struct vcpu *v, mfn_t table, unsigned level, uint64_t e);

/* Promote (mfn) to a validated table of (level): check every entry from
 * (start) on and take the references it holds, adjusting stored entries
 * (entries below (start) hold theirs already).  Returns 0; or -XEN_ERESTART
 * when the budget runs out, with m->progress[mfn] the entries that hold
 * references; or, on a refusal, drops everything the entries took and
 * returns a negative errno.  The caller has claimed the table (its type
 * count taken, not validated, core/frame.c). */
long pt_promote(struct vcpu *v, mfn_t mfn, unsigned level, unsigned start);

/* Queue table (mfn), whose word already says demoting, on (v)'s queue for
 * devalidation of its first (entries) entries. */
void pt_demote_queue(struct vcpu *v, mfn_t mfn, unsigned entries);

/* Devalidate the tables on (v)'s queue while the budget lasts (a solo
 * domain's in exclusive mode).  Returns true if the queue is empty. */
bool pt_demote_run(struct vcpu *v);
/* Is there queued devalidation work (a hint: pt_demote_run decides)? */
static inline bool pt_demote_pending(const struct vcpu *v)
{
	return v->demoting != 0;
}
/* pt_demote_run, the empty queue (the usual case between a batch's
 * requests) answered without a call. */
static inline bool pt_demote_done(struct vcpu *v)
{
	return !pt_demote_pending(v) || pt_demote_run(v);
}

/* Replace entry (slot) of the live table (table) of (level) by (val), as
 * mmu_update does: check it, take the new entry's references, swap it in
 * atomically, drop the old entry's.  Changes of A, D, G, US, NX and
 * software bits alone keep the frame and skip revalidation (the fast path);
 * an L1 entry that keeps its frame and gains or loses RW takes or drops the
 * writable type alone, its general reference kept (mprotect's case).
 * With (preserve_ad) the entry's A and D bits survive.  With (expect), the
 * swap is a compare-and-exchange against *expect, as an emulated
 * instruction's own: if the entry holds anything else, -XEN_EAGAIN.  The
 * caller holds a type reference on (table).  Returns 0 or a negative errno
 * with nothing changed. */
long pt_update(struct vcpu *v, mfn_t table, unsigned level, unsigned slot,
	       uint64_t val, bool preserve_ad, const uint64_t *expect);

/* Would the not-present entry (e) of a table of (level) expose memory to
 * L1TF speculation (Xen's pv_l1tf_check_pte): an address below the safe
 * boundary, or above L1 the PSE bit, which makes the CPU read the entry as
 * a superpage?  (Inline, as the rest of this group: whole-table walks,
 * core/pt_table.c, call them for every entry.) */
static inline bool pt_l1tf_unsafe(const struct machine *m, unsigned level, uint64_t e)
{
	uint64_t addr = e & PTE_ADDR_MASK;
	return m->l1tf_safe_maddr &&
	       ((level > 1 && (e & PTE_PSE)) || (addr && addr < m->l1tf_safe_maddr));
}

/* Flags a present entry of a table of (level), 1 to 4, may carry: G only at
 * L1 (global kernel mappings).  Everything else (PWT, PCD and PAT/PSE,
 * which need I/O privilege this design never grants, PSE superpages at
 * L2/L3, G above L1) is refused with -EINVAL. */
#define PT_ALLOW_COMMON (PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D | PTE_AVAIL | PTE_AVAIL_HIGH | PTE_NX)
static inline uint64_t pt_allow_mask(unsigned level)
{
	return level == 1 ? PT_ALLOW_COMMON | PTE_G : PT_ALLOW_COMMON;
}

/* Check present entry (e) against the flags level (level) allows. */
static inline bool pt_flags_allowed(unsigned level, uint64_t e)
{
	return (pte_flags(e) & ~pt_allow_mask(level)) == 0;
}

/* Present entry (e) as stored after Xen's adjustment for a ring-3 PV
 * kernel (adjust_guest_l<level>e): a kernel L1 mapping becomes user and
 * GUEST_KERNEL, a user one global; upper entries become user, an L4 entry
 * accessed too. */
static inline uint64_t pt_adjust(unsigned level, uint64_t e)
{
	if (level == 1) {
		if (!(e & PTE_US))
			e |= PTE_US | PTE_GUEST_KERNEL;
		return (e & PTE_GUEST_KERNEL) ? e : e | PTE_G;
	}
	if (level == 4)
		return e | PTE_US | PTE_A;
	return e | PTE_US;
}

/* Find the L1 table that maps (va) in vCPU (v)'s kernel pagetables: every
 * entry on the way present, no superpage.  Returns 0 and the L1 frame, or
 * -XEN_EINVAL.  The L1 found is not referenced: take a type reference
 * (frame_get_live_table) before relying on it. */
long pt_walk_l1(struct vcpu *v, uint64_t va, mfn_t *l1);

#endif
