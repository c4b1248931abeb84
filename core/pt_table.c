/* SPDX-License-Identifier: MIT */
/*
 * Whole tables: promotion (validating every entry of a table), the
 * devalidation queue that demotes tables a bounded chunk at a time, and the
 * bulk path that settles plain L1 entries at memory speed: with plain
 * stores in exclusive mode, with one compare-and-swap each in shared mode
 * (theory in pt.h and frame.h; the per-entry rules: pt.c).
 */
#include "domain.h"
#include "env.h"
#include "frame.h"
#include "preempt.h"
#include "pt.h"
#include "tlb.h"

/* Whole-table walks touch the frame word of every frame the table points
 * at, in an order only the guest knows: fetch them a few entries ahead so
 * the misses overlap instead of queueing. */
#define PREFETCH_AHEAD 16
static void prefetch_target(const struct machine *m, _Atomic uint64_t *t, unsigned i)
{
	uint64_t f = mfn_x(pte_mfn(atomic_load_explicit(&t[i & (PT_ENTRIES - 1)],
							memory_order_relaxed)));
	/* clamp instead of branching: a prefetch never faults, the index
	 * must only stay inside the table */
	__builtin_prefetch(&m->ft[f < m->nr_frames ? f : 0], 1);
}

/* Whole-table walks over sparse tables (a new process's have a handful of
 * entries among 512): the eight entries from (i), i a multiple of eight,
 * are all empty, in one test; a full table pays one look at the first. */
static inline __attribute__((always_inline)) bool group_empty(_Atomic uint64_t *t, unsigned i)
{
	uint64_t any = atomic_load_explicit(&t[i], memory_order_relaxed);
	if (any)
		return false;
#pragma GCC unroll 8
	for (unsigned k = 1; k < 8; k++)
		any |= atomic_load_explicit(&t[i + k], memory_order_relaxed);
	return any == 0;
}

/* (w) from (x) to (n): a plain store in exclusive mode, where no one else
 * changes frame words; else a compare-and-swap, false if the word changed
 * meanwhile (the general path then decides on the new word). */
static inline __attribute__((always_inline)) bool bulk_update(_Atomic uint64_t *w, uint64_t x, uint64_t n,
								bool excl)
{
	if (excl) {
		atomic_store_explicit(w, n, memory_order_relaxed);
		return true;
	}
	return atomic_compare_exchange_strong_explicit(w, &x, n, memory_order_acq_rel, memory_order_relaxed);
}

/* The bulk fast path: the references of an L1 entry whose frame needs no
 * decision (the domain's own, no type change, no overflow) are one load
 * and one update of its word.  Every other case returns false and takes
 * the general path, which decides and refuses.  Used only by whole-table
 * promote and demote. */
static bool l1_get_fast(const struct machine *m, unsigned owner, uint64_t e, bool excl)
{
	mfn_t f = pte_mfn(e);
	if (!frame_valid(m, f))
		return false;
	_Atomic uint64_t *w = &m->ft[mfn_x(f)];
	uint64_t x = atomic_load_explicit(w, memory_order_relaxed);
	uint64_t rw = (e & PTE_RW) ? 1 : 0;
	/* owner, and for a writable entry the writable type, in one compare */
	uint64_t mask = FW_OWNER_MASK | (rw ? FW_TYPE_MASK : 0);
	uint64_t want = ((uint64_t)owner << FW_OWNER_SHIFT) |
			(rw ? (uint64_t)FT_WRITABLE << FW_TYPE_SHIFT : 0);
	if ((x & mask) != want || fw_count(x) == 0 || fw_count(x) == FW_COUNT_MAX ||
	    fw_tc(x) == FW_TC_MASK)
		return false;
	return bulk_update(w, x, x + FW_COUNT_ONE + rw, excl);
}

/* The demote twin: drop an L1 entry's references when no pagetable
 * devalidation can follow (a writable frame, or a general reference),
 * noting a writable reference's drop for the TLB rule; false, having done
 * nothing, for a frame given back, whose last reference frees it (the
 * general path's work). */
static bool l1_put_fast(const struct vcpu *v, uint64_t e)
{
	struct machine *m = vcpu_machine(v);
	_Atomic uint64_t *w = &m->ft[mfn_x(pte_mfn(e))];
	uint64_t x = atomic_load_explicit(w, memory_order_relaxed);
	if (x & FW_GIVEN_BACK)
		return false;
	ASSERT(fw_count(x) >= 2 && (!(e & PTE_RW) || (fw_type(x) == FT_WRITABLE && fw_tc(x))));
	if ((e & PTE_RW) && fw_tc(x) == 1)
		tlb_note_drop(m, pte_mfn(e));
	else if ((e & PTE_RW) && !dom_alone_in_core(v))
		tlb_note_early_drop(m, pte_mfn(e));
	return bulk_update(w, x, x - FW_COUNT_ONE - ((e & PTE_RW) ? 1 : 0), v->excl);
}

/* Settle L1 entries from (i) on with the bulk fast path, until one needs
 * the general path (or (end)); return its index and add the present
 * entries settled to (*present).  Groups of eight empty entries are passed
 * over whole; the entries of any other group one by one. */
static unsigned l1_bulk_get(const struct machine *m, unsigned owner, _Atomic uint64_t *t, unsigned i,
			    unsigned end, uint64_t *present, bool excl)
{
	while (i < end) {
		if ((i & 7) == 0 && i + 8 <= end && group_empty(t, i)) {
			i += 8;
			continue;
		}
		unsigned group_end = (i | 7) + 1 < end ? (i | 7) + 1 : end;
		for (; i < group_end; i++) {
			prefetch_target(m, t, i + PREFETCH_AHEAD);
			uint64_t e = atomic_load_explicit(&t[i], memory_order_relaxed);
			if (!pte_present(e)) {
				if (pt_l1tf_unsafe(m, 1, e))
					return i;
				continue;
			}
			uint64_t adjusted = pt_adjust(1, e);
			if (!pt_flags_allowed(1, e) || !l1_get_fast(m, owner, adjusted, excl))
				return i;
			if (adjusted != e)
				atomic_store_explicit(&t[i], adjusted, memory_order_relaxed);
			(*present)++;
		}
	}
	return i;
}

long pt_promote(struct vcpu *v, mfn_t mfn, unsigned level, unsigned start)
{
	struct machine *m = vcpu_machine(v);
	_Atomic uint64_t *t = pt_entries(m, mfn);
	uint64_t present = 0;           /* entries validated, for the statistics */
	unsigned i;
	long rc = 0;

	for (i = start; i < PT_ENTRIES; i++) {
		/* at least one entry per call: the deepest table of a resumed
		 * tree gets what the levels above left, maybe nothing */
		if (i > start && preempt_due(v)) {
			rc = -XEN_ERESTART;
			break;
		}
		if (level == 1) {
			int64_t room = v->budget > 0 ? v->budget : 1;
			unsigned end = i + (unsigned)(room < PT_ENTRIES - i ? room : PT_ENTRIES - i);
			unsigned j = l1_bulk_get(m, v->d->owner, t, i, end, &present, v->excl);
			preempt_spend(v, j - i);
			i = j;
			if (i == PT_ENTRIES)
				break;
			if (i == end) {
				i--;
				continue;
			}
		}
		preempt_spend(v, 1);
		if ((i & 7) == 0 && group_empty(t, i)) {
			i += 7;
			continue;
		}
		if (level == 4 && l4_slot_is_hv(i))
			continue;
		uint64_t e = atomic_load_explicit(&t[i], memory_order_relaxed);
		if (!e)
			continue;
		rc = pt_check_entry(v, level, e);
		if (rc)
			break;
		if (!pte_present(e))
			continue;
		uint64_t adjusted = pt_adjust(level, e);
		rc = pt_get_entry_refs(v, mfn, level, adjusted);
		if (rc)
			break;
		if (adjusted != e)
			atomic_store_explicit(&t[i], adjusted, memory_order_relaxed);
		present++;
	}
	if (rc == -XEN_ERESTART) {
		/* entry i holds nothing; a partial child holds its own */
		m->progress[mfn_x(mfn)] = (uint16_t)i;
		v->stats.validated += present;
		return rc;
	}
	if (rc) {
		while (i-- > 0) {
			uint64_t e = atomic_load_explicit(&t[i], memory_order_relaxed);
			if (!(level == 4 && l4_slot_is_hv(i)) && pte_present(e))
				pt_put_entry_refs(v, mfn, level, e);
		}
		return rc;
	}
	v->stats.validated += present;
	if (level == 4)
		for (unsigned s = 0; s < HV_L4_NR_SLOTS; s++)
			atomic_store_explicit(&t[HV_L4_FIRST_SLOT + s], m->l4_template[s],
					      memory_order_relaxed);
	return 0;
}

/* The devalidation queue, one per vCPU (only its vCPU touches it): a stack
 * of tables threaded through m->queue_next, each holding the type reference
 * of the table, each with m->progress saying how many of its entries still
 * hold references. */
static void queue_push(struct vcpu *v, mfn_t mfn)
{
	vcpu_machine(v)->queue_next[mfn_x(mfn)] = (uint32_t)v->demoting;
	v->demoting = mfn_x(mfn) + 1;
}

static mfn_t queue_pop(struct vcpu *v)
{
	mfn_t mfn = _mfn(v->demoting - 1);
	v->demoting = vcpu_machine(v)->queue_next[mfn_x(mfn)];
	return mfn;
}

void pt_demote_queue(struct vcpu *v, mfn_t mfn, unsigned entries)
{
	vcpu_machine(v)->progress[mfn_x(mfn)] = (uint16_t)entries;
	queue_push(v, mfn);
}

/* Drop the references of entries [0, progress) of (mfn), last first, until
 * the budget runs out; returns true when none is left. */
static bool demote_some(struct vcpu *v, mfn_t mfn, unsigned level)
{
	struct machine *m = vcpu_machine(v);
	_Atomic uint64_t *t = pt_entries(m, mfn);
	unsigned i = m->progress[mfn_x(mfn)];
	bool bulk = level == 1;

	bool first = true;
	while (i > 0) {
		if (!first && preempt_due(v)) {
			m->progress[mfn_x(mfn)] = (uint16_t)i;
			return false;
		}
		/* a chunk the budget covers (at least one entry), last first */
		int64_t room = v->budget > 0 ? v->budget : 1;
		unsigned stop = room < i ? i - (unsigned)room : 0;
		first = false;
		preempt_spend(v, i - stop);
		while (i > stop) {
			if ((i & 7) == 0 && i >= stop + 8 && group_empty(t, i - 8)) {
				i -= 8;
				continue;
			}
			i--;
			prefetch_target(m, t, i - PREFETCH_AHEAD); /* walking down: look below */
			if (level == 4 && l4_slot_is_hv(i))
				continue;
			uint64_t e = atomic_load_explicit(&t[i], memory_order_relaxed);
			if (!pte_present(e))
				continue;
			if (!bulk || !l1_put_fast(v, e))
				pt_put_entry_refs(v, mfn, level, e);
		}
	}
	m->progress[mfn_x(mfn)] = 0;
	return true;
}

bool pt_demote_run(struct vcpu *v)
{
	struct machine *m = vcpu_machine(v);
	bool began;

	if (!v->demoting)
		return true;
	began = dom_excl_enter(v);
	while (v->demoting) {
		mfn_t mfn = queue_pop(v);
		uint64_t x = frame_word(m, mfn);
		ASSERT((x & FW_DEMOTING) && fw_tc(x) == 1);
		if (!demote_some(v, mfn, fw_type(x))) {
			queue_push(v, mfn);
			break;
		}
		/* the queue's type reference goes last */
		tlb_note_drop(m, mfn);
		frame_put_demoted(v, mfn);
	}
	bool empty = !v->demoting;
	if (began)
		dom_excl_end(v);
	return empty;
}
