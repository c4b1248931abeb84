/* SPDX-License-Identifier: MIT */
/*
 * Reference and type counting on the frame table (theory in frame.h).
 *
 * Every change is a read of the frame word, a decision on the snapshot, and
 * an update that succeeds only if the word is still the snapshot (shared
 * mode: CAS, retried on contention) or is known to be (exclusive mode).  A
 * transition that needs exclusive mode (first type reference of a pagetable,
 * a type change, last type reference of a pagetable) switches to it, reloads
 * the word and decides again, so no decision is ever made on a stale word.
 */
#include "desc.h"
#include "frame.h"
#include "domain.h"
#include "preempt.h"
#include "pt.h"
#include "tlb.h"

static _Atomic uint64_t *word(struct vcpu *v, mfn_t mfn)
{
	return &vcpu_machine(v)->ft[mfn_x(mfn)];
}

/* The word of (mfn) and a snapshot of it in (*x), or NULL (with the reason
 * set) if (mfn) is beyond memory. */
static _Atomic uint64_t *lookup(struct vcpu *v, mfn_t mfn, uint64_t *x)
{
	if (!frame_valid(vcpu_machine(v), mfn)) {
		refuse(v, XEN_EINVAL, "frame beyond machine memory");
		return NULL;
	}
	_Atomic uint64_t *w = word(v, mfn);
	*x = atomic_load_explicit(w, memory_order_acquire);
	return w;
}

/* Replace (*x) by (n) in (w): unconditional in exclusive mode, a CAS in
 * shared mode (on failure *x is the fresh word). */
static bool fw_update(struct vcpu *v, _Atomic uint64_t *w, uint64_t *x, uint64_t n)
{
	if (v->excl && !vcpu_machine(v)->locked_counts) {
		atomic_store_explicit(w, n, memory_order_relaxed);
		return true;
	}
	return atomic_compare_exchange_weak_explicit(w, x, n, memory_order_acq_rel,
						     memory_order_acquire);
}

static long check_owned(struct vcpu *v, uint64_t x, bool ref)
{
	if (fw_owner(x) != v->d->owner || fw_count(x) == 0)
		return refuse(v, XEN_EINVAL, "frame is not the domain's own");
	if (ref && fw_count(x) == FW_COUNT_MAX)
		return refuse(v, XEN_EINVAL, "frame reference count would overflow");
	return 0;
}

long frame_get(struct vcpu *v, mfn_t mfn)
{
	uint64_t x;
	_Atomic uint64_t *w = lookup(v, mfn, &x);
	if (!w)
		return -XEN_EINVAL;
	for (;;) {
		long rc = check_owned(v, x, true);
		if (rc)
			return rc;
		if (fw_update(v, w, &x, x + FW_COUNT_ONE))
			return 0;
	}
}

void frame_put(struct vcpu *v, mfn_t mfn)
{
	_Atomic uint64_t *w = word(v, mfn);
	uint64_t x = atomic_load_explicit(w, memory_order_acquire);
	do {
		ASSERT(fw_count(x) >= 2);
	} while (!fw_update(v, w, &x, x - FW_COUNT_ONE));
}

/* After pt_promote returned (rc): validated, partial, or undone.  With
 * (took_over), the caller's general reference comes on top of the partial
 * state's own, and one of the two goes. */
static long finish_validation(struct vcpu *v, mfn_t mfn, long rc, bool took_over)
{
	_Atomic uint64_t *w = word(v, mfn);
	/* promotion may have taken references on this very frame (an L1
	 * mapping itself read-only), so reload */
	uint64_t x = atomic_load_explicit(w, memory_order_relaxed);
	uint64_t extra = took_over ? FW_COUNT_ONE : 0;

	if (rc == 0)
		x = (x | FW_VALIDATED) - extra;
	else if (rc == -XEN_ERESTART)
		x = (x | FW_PARTIAL) - extra;
	else
		x = x - 1 - FW_COUNT_ONE - extra;
	atomic_store_explicit(w, x, memory_order_release);
	return rc;
}

/* First type reference, in exclusive mode: set the type, flush translations
 * a type change could leave stale, validate a pagetable.  An interrupted
 * validation leaves the frame partial, holding the references taken here. */
static long get_type_first(struct vcpu *v, mfn_t mfn, uint64_t x, unsigned type, bool ref)
{
	_Atomic uint64_t *w = word(v, mfn);
	uint64_t refs = 1 + (ref ? FW_COUNT_ONE : 0);
	uint64_t n = (x & ~(FW_TYPE_MASK | FW_VALIDATED)) + refs;

	n |= (uint64_t)type << FW_TYPE_SHIFT;
	if (!type_is_pt(type))
		n |= FW_VALIDATED;
	atomic_store_explicit(w, n, memory_order_relaxed);
	if (fw_type(x) != type)
		tlb_before_type_change(v, mfn);
	if (type == FT_SEG_DESC && desc_validate_page(v, mfn)) {
		atomic_store_explicit(w, x, memory_order_relaxed);
		return -XEN_EINVAL;
	}
	if (!type_is_pt(type))
		return 0;
	ASSERT(ref);
	return finish_validation(v, mfn, pt_promote(v, mfn, type, 0), false);
}

/* Take over an interrupted validation, in exclusive mode: the caller's type
 * reference is the one the partial state held. */
static long take_over(struct vcpu *v, mfn_t mfn, uint64_t x, bool ref)
{
	ASSERT(ref && fw_tc(x) == 1);
	atomic_store_explicit(word(v, mfn), (x & ~FW_PARTIAL) + FW_COUNT_ONE, memory_order_relaxed);
	unsigned start = vcpu_machine(v)->progress[mfn_x(mfn)];
	return finish_validation(v, mfn, pt_promote(v, mfn, fw_type(x), start), true);
}

long frame_get_type(struct vcpu *v, mfn_t mfn, unsigned type, bool ref)
{
	uint64_t x;
	_Atomic uint64_t *w = lookup(v, mfn, &x);
	if (!w)
		return -XEN_EINVAL;
	bool began = false;
	long rc;

	for (;;) {
		rc = check_owned(v, x, ref);
		if (rc)
			break;
		uint64_t tc = fw_tc(x);
		if ((x & FW_PARTIAL) && fw_type(x) == type) {
			if (!v->excl) {
				began = dom_excl_begin(v);
				x = atomic_load_explicit(w, memory_order_acquire);
				continue;
			}
			rc = take_over(v, mfn, x, ref);
			break;
		}
		if (x & FW_DEMOTING) {
			rc = refuse(v, XEN_EINVAL, "frame is being devalidated");
			break;
		}
		if (tc == 0 && (type_is_pt(type) || fw_type(x) != type)) {
			if (!v->excl) {
				began = dom_excl_begin(v);
				x = atomic_load_explicit(w, memory_order_acquire);
				continue;
			}
			rc = get_type_first(v, mfn, x, type, ref);
			break;
		}
		if (tc && fw_type(x) != type) {
			rc = refuse(v, XEN_EINVAL, "frame is in use with another type");
			break;
		}
		if (tc && !(x & FW_VALIDATED)) {
			rc = refuse(v, XEN_EINVAL, "frame is being validated");
			break;
		}
		if (tc == FW_TC_MASK) {
			rc = refuse(v, XEN_EINVAL, "frame type count would overflow");
			break;
		}
		uint64_t n = x + 1 + (ref ? FW_COUNT_ONE : 0);
		if (fw_update(v, w, &x, n))
			break;
	}
	if (began)
		dom_excl_end(v);
	return rc;
}

/* Last type reference of a pagetable, in exclusive mode: the devalidation
 * queue takes it over, and runs as far as the budget allows. */
static void put_type_last(struct vcpu *v, mfn_t mfn, uint64_t x, bool ref)
{
	ASSERT(!(x & FW_PINNED) && (x & FW_VALIDATED));
	atomic_store_explicit(word(v, mfn), ((x & ~FW_VALIDATED) | FW_DEMOTING) - (ref ? FW_COUNT_ONE : 0),
			      memory_order_relaxed);
	pt_demote_queue(v, mfn, PT_ENTRIES);
	pt_demote_run(v);
}

void frame_put_type(struct vcpu *v, mfn_t mfn, bool ref)
{
	_Atomic uint64_t *w = word(v, mfn);
	uint64_t x = atomic_load_explicit(w, memory_order_acquire);
	bool began = false;

	for (;;) {
		ASSERT(fw_tc(x) > 0 && (!ref || fw_count(x) >= 2));
		if (fw_tc(x) == 1) {
			if (type_is_pt(fw_type(x)) && !v->excl) {
				began = dom_excl_begin(v);
				x = atomic_load_explicit(w, memory_order_acquire);
				continue;
			}
			if (type_is_pt(fw_type(x))) {
				put_type_last(v, mfn, x, ref);
				break;
			}
			tlb_note_drop(vcpu_machine(v), mfn);
		}
		if (fw_update(v, w, &x, x - 1 - (ref ? FW_COUNT_ONE : 0)))
			break;
	}
	if (began)
		dom_excl_end(v);
}

long frame_get_live_table(struct vcpu *v, mfn_t mfn, unsigned *level)
{
	uint64_t x;
	_Atomic uint64_t *w = lookup(v, mfn, &x);
	if (!w)
		return -XEN_EINVAL;
	do {
		long rc = check_owned(v, x, false);
		if (rc)
			return rc;
		if (!fw_live_table(x))
			return refuse(v, XEN_EINVAL, "frame is not a validated pagetable");
		if (fw_tc(x) == FW_TC_MASK)
			return refuse(v, XEN_EINVAL, "frame type count would overflow");
	} while (!fw_update(v, w, &x, x + 1));
	*level = fw_type(x);
	return 0;
}

long frame_pin(struct vcpu *v, mfn_t mfn, unsigned type)
{
	long rc = frame_get_type(v, mfn, type, true);
	if (rc)
		return rc;
	_Atomic uint64_t *w = word(v, mfn);
	uint64_t x = atomic_load_explicit(w, memory_order_acquire);
	do {
		if (x & FW_PINNED) {
			frame_put_type(v, mfn, true);
			return refuse(v, XEN_EINVAL, "table is already pinned");
		}
	} while (!fw_update(v, w, &x, x | FW_PINNED));
	v->stats.pins++;
	return 0;
}

long frame_unpin(struct vcpu *v, mfn_t mfn)
{
	uint64_t x;
	_Atomic uint64_t *w = lookup(v, mfn, &x);
	if (!w)
		return -XEN_EINVAL;
	do {
		long rc = check_owned(v, x, false);
		if (rc)
			return rc;
		if (!(x & FW_PINNED))
			return refuse(v, XEN_EINVAL, "table is not pinned");
	} while (!fw_update(v, w, &x, x & ~FW_PINNED));
	frame_put_type(v, mfn, true);
	v->stats.unpins++;
	return 0;
}

bool frame_assign(struct machine *m, mfn_t mfn, unsigned owner)
{
	uint64_t x = 0;
	uint64_t n = FW_COUNT_ONE | ((uint64_t)owner << FW_OWNER_SHIFT);
	return atomic_compare_exchange_strong(&m->ft[mfn_x(mfn)], &x, n);
}

void frame_release(struct machine *m, mfn_t mfn)
{
	uint64_t x = frame_word(m, mfn);
	ASSERT(fw_count(x) == 1 && fw_tc(x) == 0 && !(x & FW_PINNED));
	atomic_store_explicit(&m->ft[mfn_x(mfn)], 0, memory_order_release);
	atomic_store_explicit(&m->linear[mfn_x(mfn)], 0, memory_order_relaxed);
}
