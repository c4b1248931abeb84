/* SPDX-License-Identifier: MIT */
/*
 * The frame table: per machine frame one 64-bit word that holds everything a
 * reference-counting decision needs, so that one compare-and-swap decides it.
 *
 *   bits  0-20  type count            how many type references are held
 *   bit  21     demoting              devalidation queued (the queue holds the type reference)
 *   bits 22-24  type                  none, L1..L4, descriptors, writable
 *   bit  25     validated             a pagetable type whose entries hold their references
 *                                     (a descriptor page: its descriptors checked); a type
 *                                     count without it, neither partial nor demoting: a
 *                                     validation in progress
 *   bit  26     pinned                the pin holds one reference and one type reference
 *   bit  27     partial               validation interrupted (it holds one of each reference)
 *   bits 28-34  owner                 nobody, the hypervisor, or a domain
 *   bit  35     given back            the domain gave it back while it was in use: no
 *                                     allocation reference; freed at its last reference
 *   bits 36-63  general count         references of any kind, including the allocation
 *
 * The two counts (the vocabulary of core/README.md):
 *  - get/put: the general count.  An owned frame holds one reference for
 *    being allocated; every present entry of a validated table that points
 *    at it holds one more; so do a pin and a vCPU root.  A frame the domain
 *    gives back while it is still referenced loses the allocation reference
 *    (Xen's PGC_allocated) and is freed, scrubbed, when its last reference
 *    goes, after every vCPU of the domain that may hold a translation of it
 *    has flushed.
 *  - get_type/put_type: the type count.  A frame's type may change only while
 *    its type count is zero.  Taking the first reference of a pagetable
 *    type validates the frame (core/pt_table.c promotes its entries);
 *    dropping the last queues it for devalidation (core/pt_table.c demotes
 *    its entries, a bounded chunk at a time).  A writable mapping holds a writable type
 *    reference, so a frame mapped writable can never be a pagetable and a
 *    pagetable can never be mapped writable.
 *
 * Count modes (core/machine.h): in shared mode each change is one CAS; in
 * exclusive mode a plain load and store.  A solo domain validates,
 * devalidates and changes types in exclusive mode, and the functions below
 * switch to it themselves when they need to, and back; a domain of several
 * vCPUs does all of it in shared mode.
 *
 * Long work is bounded (core/preempt.h): a validation that runs out of
 * budget leaves its table partial: entries below its progress hold their
 * references, and the partial state holds the table's one type reference
 * and one general reference, so the guest can neither write nor retype it.
 * Whoever takes the type next resumes the validation and inherits the type
 * reference.  A table whose last type reference goes is queued for
 * devalidation (demoting); the queue (the dropping vCPU's own) holds the
 * type reference until the table's entries have dropped theirs.
 */
#ifndef CORE_FRAME_H
#define CORE_FRAME_H

#include "machine.h"

enum frame_type {
	FT_NONE = 0,
	FT_L1 = 1,
	FT_L2 = 2,
	FT_L3 = 3,
	FT_L4 = 4,
	FT_SEG_DESC = 5,            /* a GDT frame: its descriptors checked (desc.h) */
	FT_WRITABLE = 7,
};

#define FW_TC_MASK     ((1ull << 21) - 1)
#define FW_DEMOTING    (1ull << 21)
#define FW_PARTIAL     (1ull << 27)
#define FW_TYPE_SHIFT  22
#define FW_TYPE_MASK   (7ull << FW_TYPE_SHIFT)
#define FW_VALIDATED   (1ull << 25)
#define FW_PINNED      (1ull << 26)
#define FW_OWNER_SHIFT 28
#define FW_OWNER_MASK  (0x7full << FW_OWNER_SHIFT)
#define FW_GIVEN_BACK  (1ull << 35)
#define FW_COUNT_SHIFT 36
#define FW_COUNT_ONE   (1ull << FW_COUNT_SHIFT)
#define FW_COUNT_MAX   ((1ull << 28) - 1)

static inline uint64_t fw_tc(uint64_t x) { return x & FW_TC_MASK; }
static inline unsigned fw_type(uint64_t x) { return (unsigned)((x & FW_TYPE_MASK) >> FW_TYPE_SHIFT); }
static inline unsigned fw_owner(uint64_t x) { return (unsigned)((x & FW_OWNER_MASK) >> FW_OWNER_SHIFT); }
static inline uint64_t fw_count(uint64_t x) { return x >> FW_COUNT_SHIFT; }
static inline bool type_is_pt(unsigned t) { return t >= FT_L1 && t <= FT_L4; }

/* A snapshot of frame (mfn)'s word; (mfn) must be below the frame count. */
static inline uint64_t frame_word(const struct machine *m, mfn_t mfn)
{
	return atomic_load_explicit(&m->ft[mfn_x(mfn)], memory_order_acquire);
}

/* Is (mfn) a frame of this machine? */
static inline bool frame_valid(const struct machine *m, mfn_t mfn)
{
	return mfn_x(mfn) < m->nr_frames;
}

/* A live pagetable: a pagetable type with references, validated. */
static inline bool fw_live_table(uint64_t x)
{
	return type_is_pt(fw_type(x)) && fw_tc(x) && (x & FW_VALIDATED);
}

/* Take a general reference on (mfn) for vCPU (v)'s domain.  Returns 0, or
 * -XEN_EINVAL if the frame is not the domain's (beyond memory, free, another
 * owner's) or its count would overflow. */
long frame_get(struct vcpu *v, mfn_t mfn);

/* Drop a general reference taken by frame_get or with a type reference.
 * Never drops the allocation reference; frees a frame given back at its
 * last. */
void frame_put(struct vcpu *v, mfn_t mfn);

/* Take a type reference of (type) on (mfn), and with (ref) a general
 * reference as well, in one step.  If the type count was zero the type may
 * change (after flushing stale translations, core/tlb.c) and a pagetable
 * type is validated, which takes references on everything its entries point
 * at and may fail; a partial table of that type is taken over and its
 * validation resumed.  Returns 0; -XEN_ERESTART if the validation ran out of
 * budget (the table is left partial: call again to resume); or a negative
 * errno, with v->reason set and nothing changed. */
long frame_get_type(struct vcpu *v, mfn_t mfn, unsigned type, bool ref);

/* Drop a type reference (and with (ref) a general one).  Dropping the last
 * type reference of a pagetable queues it for devalidation, which runs as
 * far as the budget allows (the rest comes first in the next hypercall).
 * The last type reference's drop is noted for the TLB rule, and a
 * writable one's before it too unless (v) is alone in core (core/tlb.h). */
void frame_put_type(struct vcpu *v, mfn_t mfn, bool ref);

/* Drop a writable type reference that was hv's own, taken only to write the
 * frame itself (clear or copy it), never mapped: no translation was made
 * from it, so the frame's drop time stays as the guest's mappings left it
 * (core/tlb.h). */
void frame_put_access(struct vcpu *v, mfn_t mfn);

/* Take a type reference on (mfn) of whatever pagetable type it has now, if
 * it is a live table of (v)'s domain, so it stays one while an entry is
 * updated.  Returns 0 and its level in (*level), or -XEN_EINVAL. */
long frame_get_live_table(struct vcpu *v, mfn_t mfn, unsigned *level);

/* Take a reference and a type reference on (mfn) if it is a live table of
 * (level) of (v)'s domain (a linear entry's target): 0, or -XEN_EINVAL.
 * Never validates. */
long frame_get_live(struct vcpu *v, mfn_t mfn, unsigned level);

/* Pin (mfn) as a table of (type): take a reference and a type reference
 * that the pin owns.  -XEN_EINVAL if it cannot take the type or is pinned;
 * -XEN_ERESTART if its validation is to be continued (call again). */
long frame_pin(struct vcpu *v, mfn_t mfn, unsigned type);

/* Unpin (mfn): drop the pin's references.  -XEN_EINVAL if not the domain's
 * or not pinned. */
long frame_unpin(struct vcpu *v, mfn_t mfn);

/* Give free frame (mfn) to (owner) with its allocation reference; machine
 * setup and domain building only.  Returns false if the frame is not free. */
bool frame_assign(struct machine *m, mfn_t mfn, unsigned owner);

/* Take back frame (mfn) whose only reference is its allocation; domain
 * teardown only. */
void frame_release(struct machine *m, mfn_t mfn);

/* The devalidation queue is done with demoting table (mfn): drop the type
 * reference it held (core/pt_table.c); frees a table given back. */
void frame_put_demoted(struct vcpu *v, mfn_t mfn);

#endif
