/* SPDX-License-Identifier: MIT */
/*
 * Reference and type counting on the frame table (theory in frame.h).
 *
 * Every change is a read of the frame word, a decision on the snapshot, and
 * an update that succeeds only if the word is still the snapshot (shared
 * mode: CAS, retried on contention) or is known to be (exclusive mode), so
 * no decision is ever made on a stale word.  In a solo domain a transition
 * that validates or devalidates (first type reference of a pagetable, a type
 * change, last type reference of a pagetable) switches to exclusive mode
 * first, reloads the word and decides again.  In a domain of several vCPUs
 * it happens in shared mode: the word that starts a validation is the claim
 * (its type count is taken, not yet validated), and a vCPU that wants the
 * same type of that frame waits for the outcome; one that wants another
 * type is refused, as it would be once the table is live.
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
	if (v->excl) {
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

/* A put left (mfn)'s word at (n).  If that was the last reference of a
 * frame given back, nobody can take one now (check_owned refuses a zero
 * count): it is freed (core/domain.c). */
static void after_put(struct vcpu *v, mfn_t mfn, uint64_t n)
{
	if ((n & FW_GIVEN_BACK) && !fw_count(n) && !fw_tc(n))
		domain_free_given_back(v, mfn);
}

/* A put of a general reference may take the last of a frame given back
 * (no allocation reference), never an allocated frame's last. */
static bool put_allowed(uint64_t x, uint64_t refs)
{
	return fw_count(x) > refs || ((x & FW_GIVEN_BACK) && fw_count(x) == refs);
}

void frame_put(struct vcpu *v, mfn_t mfn)
{
	_Atomic uint64_t *w = word(v, mfn);
	uint64_t x = atomic_load_explicit(w, memory_order_acquire);
	do {
		ASSERT(put_allowed(x, 1));
	} while (!fw_update(v, w, &x, x - FW_COUNT_ONE));
	after_put(v, mfn, x - FW_COUNT_ONE);
}

/* After pt_promote returned (rc): validated, partial, or undone.  With
 * (took_over), the caller's general reference comes on top of the partial
 * state's own, and one of the two goes.  Others may have changed the
 * general count meanwhile (shared mode), and promotion may have taken
 * references on this very frame (an L1 mapping itself read-only): the
 * change is applied to the word as it is now. */
static long finish_validation(struct vcpu *v, mfn_t mfn, long rc, bool took_over)
{
	_Atomic uint64_t *w = word(v, mfn);
	uint64_t x = atomic_load_explicit(w, memory_order_acquire), n;
	uint64_t extra = took_over ? FW_COUNT_ONE : 0;

	do {
		if (rc == 0)
			n = (x | FW_VALIDATED) - extra;
		else if (rc == -XEN_ERESTART)
			n = (x | FW_PARTIAL) - extra;
		else
			n = x - 1 - FW_COUNT_ONE - extra;
	} while (!fw_update(v, w, &x, n));
	after_put(v, mfn, n);
	return rc;
}

/* The word a first type reference of (type) makes of (x): the type set,
 * one type reference (and with (ref) a general one), validated at once
 * unless the contents are to be checked first (a pagetable, a descriptor
 * page): until then a vCPU that wants the same type waits. */
static uint64_t first_word(uint64_t x, unsigned type, bool ref)
{
	uint64_t n = (x & ~(FW_TYPE_MASK | FW_VALIDATED)) + 1 + (ref ? FW_COUNT_ONE : 0);
	n |= (uint64_t)type << FW_TYPE_SHIFT;
	return type_is_pt(type) || type == FT_SEG_DESC ? n : n | FW_VALIDATED;
}

/* A descriptor page's contents, checked after its first type reference
 * (taken from (old)): validated, or the reference given back and the old
 * type restored. */
static long validate_desc(struct vcpu *v, mfn_t mfn, uint64_t old, bool ref)
{
	_Atomic uint64_t *w = word(v, mfn);
	long rc = desc_validate_page(v, mfn);
	uint64_t x = atomic_load_explicit(w, memory_order_acquire), n;
	uint64_t keep = FW_TYPE_MASK | FW_VALIDATED;

	do {
		n = rc ? ((x & ~keep) | (old & keep)) - 1 - (ref ? FW_COUNT_ONE : 0) : x | FW_VALIDATED;
	} while (!fw_update(v, w, &x, n));
	after_put(v, mfn, n);
	return rc ? -XEN_EINVAL : 0;
}

/* After the first type reference of (type) went into the word, which was
 * (old): flush translations a type change could leave stale (the type is
 * in the word first, so no writable reference can be taken after the
 * flush), then check the contents. */
static long after_first(struct vcpu *v, mfn_t mfn, uint64_t old, unsigned type, bool ref)
{
	if (fw_type(old) != type)
		tlb_before_type_change(v, mfn);
	if (type == FT_SEG_DESC)
		return validate_desc(v, mfn, old, ref);
	if (!type_is_pt(type))
		return 0;
	ASSERT(ref);
	return finish_validation(v, mfn, pt_promote(v, mfn, type, 0), false);
}

/* Take over an interrupted validation, whose partial state this vCPU has
 * just claimed: the caller's type reference is the one the state held. */
static long take_over(struct vcpu *v, mfn_t mfn, unsigned type)
{
	unsigned start = vcpu_machine(v)->progress[mfn_x(mfn)];
	return finish_validation(v, mfn, pt_promote(v, mfn, type, start), true);
}

/* The word needs a decision that validates or devalidates: try exclusive
 * mode for it (dom_excl_enter), and if this vCPU took it (*began), have the
 * caller reload the word. */
static bool go_exclusive(struct vcpu *v, bool *began)
{
	if (!dom_excl_enter(v))
		return false;
	*began = true;
	return true;
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
			if (go_exclusive(v, &began)) {
				x = atomic_load_explicit(w, memory_order_acquire);
				continue;
			}
			ASSERT(ref && tc == 1);
			if (!fw_update(v, w, &x, (x & ~FW_PARTIAL) + FW_COUNT_ONE))
				continue;
			v->claims++;
			rc = take_over(v, mfn, type);
			v->claims--;
			break;
		}
		if (x & FW_DEMOTING) {
			rc = refuse(v, XEN_EINVAL, "frame is being devalidated");
			break;
		}
		if (tc == 0 && (type_is_pt(type) || fw_type(x) != type)) {
			if (go_exclusive(v, &began)) {
				x = atomic_load_explicit(w, memory_order_acquire);
				continue;
			}
			uint64_t old = x;
			if (!fw_update(v, w, &x, first_word(x, type, ref)))
				continue;
			v->claims++;
			rc = after_first(v, mfn, old, type, ref);
			v->claims--;
			break;
		}
		if (tc && fw_type(x) != type) {
			rc = refuse(v, XEN_EINVAL, "frame is in use with another type");
			break;
		}
		if (tc && !(x & FW_VALIDATED)) {
			/* another vCPU validates it (this one cannot be: what a
			 * validation asks for is of a lower level, or a live
			 * table): wait for the outcome, as Xen does */
			if (v->excl) {
				rc = refuse(v, XEN_EINVAL, "frame is being validated");
				break;
			}
			env_relax();
			x = atomic_load_explicit(w, memory_order_acquire);
			continue;
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

/* The word that hands a pagetable's last type reference, in (x), to the
 * devalidation queue (with (ref) the caller's general reference goes). */
static uint64_t demoting_word(uint64_t x, bool ref)
{
	ASSERT(!(x & FW_PINNED) && (x & FW_VALIDATED));
	return ((x & ~FW_VALIDATED) | FW_DEMOTING) - (ref ? FW_COUNT_ONE : 0);
}

/* frame_put_type; (own): the reference was hv's own access. */
static inline __attribute__((always_inline)) void put_type(struct vcpu *v, mfn_t mfn, bool ref, bool own)
{
	_Atomic uint64_t *w = word(v, mfn);
	uint64_t x = atomic_load_explicit(w, memory_order_acquire);
	bool began = false;

	for (;;) {
		ASSERT(fw_tc(x) > 0 && (!ref || put_allowed(x, 1)));
		if (fw_tc(x) == 1 && type_is_pt(fw_type(x))) {
			if (go_exclusive(v, &began)) {
				x = atomic_load_explicit(w, memory_order_acquire);
				continue;
			}
			if (!fw_update(v, w, &x, demoting_word(x, ref)))
				continue;
			/* the queue holds the type reference, and runs as
			 * far as the budget allows */
			pt_demote_queue(v, mfn, PT_ENTRIES);
			pt_demote_run(v);
			break;
		}
		if (!own && fw_tc(x) == 1)
			tlb_note_drop(vcpu_machine(v), mfn);
		else if (!own && fw_type(x) == FT_WRITABLE && !dom_alone_in_core(v))
			tlb_note_early_drop(vcpu_machine(v), mfn);
		if (fw_update(v, w, &x, x - 1 - (ref ? FW_COUNT_ONE : 0))) {
			after_put(v, mfn, x - 1 - (ref ? FW_COUNT_ONE : 0));
			break;
		}
	}
	if (began)
		dom_excl_end(v);
}

void frame_put_type(struct vcpu *v, mfn_t mfn, bool ref)
{
	put_type(v, mfn, ref, false);
}

void frame_put_access(struct vcpu *v, mfn_t mfn)
{
	ASSERT(fw_type(frame_word(vcpu_machine(v), mfn)) == FT_WRITABLE);
	put_type(v, mfn, false, true);
}

/* A type reference (with (ref) a general one too) on (mfn) if it is a live
 * table of (v)'s domain, of level (want) unless that is 0; its level in
 * (*level).  Never a validation, so it can be taken anywhere. */
static long get_live(struct vcpu *v, mfn_t mfn, unsigned want, bool ref, unsigned *level)
{
	uint64_t x;
	_Atomic uint64_t *w = lookup(v, mfn, &x);
	if (!w)
		return -XEN_EINVAL;
	do {
		long rc = check_owned(v, x, ref);
		if (rc)
			return rc;
		if (!fw_live_table(x) || (want && fw_type(x) != want))
			return refuse(v, XEN_EINVAL, "frame is not a validated pagetable");
		if (fw_tc(x) == FW_TC_MASK)
			return refuse(v, XEN_EINVAL, "frame type count would overflow");
	} while (!fw_update(v, w, &x, x + 1 + (ref ? FW_COUNT_ONE : 0)));
	*level = fw_type(x);
	return 0;
}

long frame_get_live_table(struct vcpu *v, mfn_t mfn, unsigned *level)
{
	return get_live(v, mfn, 0, false, level);
}

long frame_get_live(struct vcpu *v, mfn_t mfn, unsigned level)
{
	unsigned got;
	return get_live(v, mfn, level, true, &got);
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

void frame_put_demoted(struct vcpu *v, mfn_t mfn)
{
	_Atomic uint64_t *w = word(v, mfn);
	uint64_t x = atomic_load_explicit(w, memory_order_acquire);
	do {
		ASSERT((x & FW_DEMOTING) && fw_tc(x) == 1);
	} while (!fw_update(v, w, &x, (x & ~FW_DEMOTING) - 1));
	after_put(v, mfn, (x & ~FW_DEMOTING) - 1);
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
