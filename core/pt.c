/* SPDX-License-Identifier: MIT */
/*
 * Per-level entry rules, the references entries hold, promotion and
 * demotion of whole tables, and single-entry updates (theory in pt.h).
 *
 * One walk serves every level: the level is a parameter, and what differs
 * per level is data (the allow masks) or one branch (an L1 entry points at
 * data, an Ln entry at a table of level n-1 or, linearly, of level n).
 */
#include "domain.h"
#include "env.h"
#include "frame.h"
#include "preempt.h"
#include "pt.h"
#include "tlb.h"

/* Flags a present entry may carry, per level.  Everything else (PWT, PCD
 * and PAT/PSE, which need I/O privilege this design never grants, PSE
 * superpages at L2/L3, G above L1) is refused with -EINVAL. */
#define ALLOW_COMMON (PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D | PTE_AVAIL | \
		      PTE_AVAIL_HIGH | PTE_NX)
static const uint64_t allow_mask[5] = {
	[1] = ALLOW_COMMON | PTE_G, /* G: global kernel mappings */
	[2] = ALLOW_COMMON,         /* no PSE: no 2 MiB superpages */
	[3] = ALLOW_COMMON,         /* no PSE: no 1 GiB superpages */
	[4] = ALLOW_COMMON,
};

/* Bits an update may change while keeping the frame, without revalidation
 * (Xen's FASTPATH_FLAG_WHITELIST, the lesson of XSA-182): none of them
 * grants access a validated entry did not have.  RW, P, the cache bits and
 * PSE are not here: changing them always takes the full path. */
#define FASTPATH_ALLOW (PTE_NX | PTE_AVAIL_HIGH | PTE_AVAIL | PTE_G | PTE_D | \
			PTE_A | PTE_US)

static const char *const bad_flags[5] = {
	[1] = "L1 entry has disallowed flags",
	[2] = "L2 entry has disallowed flags (PSE, G or cache bits)",
	[3] = "L3 entry has disallowed flags (PSE, G or cache bits)",
	[4] = "L4 entry has disallowed flags (PSE, G or cache bits)",
};

_Atomic uint64_t *pt_entries(struct machine *m, mfn_t mfn)
{
	(void)m;
	return env_frame(mfn);
}

bool pt_flags_allowed(unsigned level, uint64_t e)
{
	return (pte_flags(e) & ~allow_mask[level]) == 0;
}

uint64_t pt_adjust(unsigned level, uint64_t e)
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

bool pt_l1tf_unsafe(const struct machine *m, unsigned level, uint64_t e)
{
	uint64_t addr = e & PTE_ADDR_MASK;
	return m->l1tf_safe_maddr &&
	       ((level > 1 && (e & PTE_PSE)) || (addr && addr < m->l1tf_safe_maddr));
}

/* The linear-pagetable counts (Xen's linear_pt_count): positive, the table
 * holds that many linear entries; negative, that many linear entries point
 * at it.  Never both, which keeps chains one level deep (XSA-240).
 * linear_take adds one link in direction (step) if the sign allows it;
 * linear_drop removes one taken before. */
static bool linear_take(_Atomic int32_t *c, int32_t step)
{
	int32_t x = atomic_load(c);
	do {
		if ((step > 0 && (x < 0 || x == INT16_MAX)) ||
		    (step < 0 && (x > 0 || x == INT16_MIN)))
			return false;
	} while (!atomic_compare_exchange_weak(c, &x, x + step));
	return true;
}

static void linear_drop(_Atomic int32_t *c, int32_t step)
{
	int32_t was = atomic_fetch_sub(c, step);
	ASSERT(step > 0 ? was > 0 : was < 0);
}

static long get_linear(struct vcpu *v, mfn_t table, mfn_t target, unsigned level, uint64_t e)
{
	struct machine *m = vcpu_machine(v);

	if (e & PTE_RW)
		return refuse(v, XEN_EINVAL, "linear pagetable entry must be read-only");
	if (mfn_eq(target, table))
		return 0;
	uint64_t x = frame_word(m, target);
	if (fw_type(x) != level || !fw_live_table(x))
		return refuse(v, XEN_EINVAL, "entry points at a frame of the wrong type");
	if (!linear_take(&m->linear[mfn_x(table)], 1))
		return refuse(v, XEN_EINVAL, "table is a linear target and cannot hold linear entries");
	if (!linear_take(&m->linear[mfn_x(target)], -1)) {
		linear_drop(&m->linear[mfn_x(table)], 1);
		return refuse(v, XEN_EINVAL, "linear target holds linear entries itself");
	}
	long rc = frame_get_live(v, target, level);
	if (rc) {
		linear_drop(&m->linear[mfn_x(target)], -1);
		linear_drop(&m->linear[mfn_x(table)], 1);
	}
	return rc;
}

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

/* The bulk fast path: in exclusive mode no one else changes frame words,
 * so the references of an L1 entry whose frame needs no decision (the
 * domain's own, no type change, no overflow) are one plain load and store.
 * Every other case returns false and takes the general path, which decides
 * and refuses.  Used only by whole-table promote and demote. */
static bool l1_get_excl(const struct machine *m, unsigned owner, uint64_t e)
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
	atomic_store_explicit(w, x + FW_COUNT_ONE + rw, memory_order_relaxed);
	return true;
}

/* The demote twin: drop an L1 entry's references when no pagetable
 * devalidation can follow (a writable frame, or a general reference),
 * noting a writable count's drop to zero for the TLB rule; false, having
 * done nothing, for a frame given back, whose last reference frees it
 * (the general path's work). */
static bool l1_put_excl(struct machine *m, uint64_t e)
{
	_Atomic uint64_t *w = &m->ft[mfn_x(pte_mfn(e))];
	uint64_t x = atomic_load_explicit(w, memory_order_relaxed);
	if (x & FW_GIVEN_BACK)
		return false;
	ASSERT(fw_count(x) >= 2 && (!(e & PTE_RW) || (fw_type(x) == FT_WRITABLE && fw_tc(x))));
	if ((e & PTE_RW) && fw_tc(x) == 1)
		tlb_note_drop(m, pte_mfn(e));
	atomic_store_explicit(w, x - FW_COUNT_ONE - ((e & PTE_RW) ? 1 : 0), memory_order_relaxed);
	return true;
}

/* Settle L1 entries from (i) on with the bulk fast path, in exclusive mode,
 * until one needs the general path (or (end)); return its index and add
 * the present entries settled to (*present).  Groups of eight empty
 * entries are passed over whole; the entries of any other group one by one. */
static unsigned l1_bulk_get(const struct machine *m, unsigned owner, _Atomic uint64_t *t, unsigned i,
			    unsigned end, uint64_t *present)
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
			if (!pt_flags_allowed(1, e) || !l1_get_excl(m, owner, adjusted))
				return i;
			if (adjusted != e)
				atomic_store_explicit(&t[i], adjusted, memory_order_relaxed);
			(*present)++;
		}
	}
	return i;
}

/* The references an L1 entry (e) holds on its frame (mfn): a general one,
 * and with RW the writable type.  With (ref) false, the writable type alone
 * (the entry keeps the general reference it had). */
static long get_l1_refs(struct vcpu *v, mfn_t mfn, uint64_t e, bool ref)
{
	struct machine *m = vcpu_machine(v);
	long rc = (e & PTE_RW) ? frame_get_type(v, mfn, FT_WRITABLE, ref) : frame_get(v, mfn);
	if (rc)
		v->reason = (e & PTE_RW) && fw_owner(frame_word(m, mfn)) == v->d->owner
				    ? "writable mapping of a frame in use as a pagetable"
				    : "mapping of a frame the domain does not own";
	return rc ? -XEN_EBUSY : 0;
}

/* Take the references present entry (e) of (table) at (level) holds. */
static long get_entry_refs(struct vcpu *v, mfn_t table, unsigned level, uint64_t e)
{
	struct machine *m = vcpu_machine(v);
	mfn_t mfn = pte_mfn(e);

	if (level == 1) {
		if (mfn_x(mfn) == PTE_ADDR_MASK >> PAGE_SHIFT)
			return refuse(v, XEN_EINVAL, "L1 entry maps the all-ones frame number");
		if (!frame_valid(m, mfn))
			return refuse(v, XEN_EPERM, "L1 entry maps I/O space beyond memory");
		return get_l1_refs(v, mfn, e, true);
	}
	if (!frame_valid(m, mfn))
		return refuse(v, XEN_EINVAL, "entry points beyond machine memory");
	/* A same-level target in use is a linear entry; one that stops being
	 * in use meanwhile (another vCPU's doing) is refused, as it would
	 * have been a moment later. */
	uint64_t x = frame_word(m, mfn);
	if (mfn_eq(mfn, table) || (fw_type(x) == level && fw_tc(x)))
		return get_linear(v, table, mfn, level, e);
	return frame_get_type(v, mfn, level - 1, true);
}

/* Drop the references present entry (e) of (table) at (level) holds. */
static void put_entry_refs(struct vcpu *v, mfn_t table, unsigned level, uint64_t e)
{
	struct machine *m = vcpu_machine(v);
	mfn_t mfn = pte_mfn(e);

	if (level == 1) {
		if (e & PTE_RW)
			frame_put_type(v, mfn, true);
		else
			frame_put(v, mfn);
		return;
	}
	if (mfn_eq(mfn, table))
		return;
	if (fw_type(frame_word(m, mfn)) == level) {
		linear_drop(&m->linear[mfn_x(mfn)], -1);
		linear_drop(&m->linear[mfn_x(table)], 1);
	}
	frame_put_type(v, mfn, true);
}

/* What is wrong with a new entry's own bits, if anything (pure). */
enum entry_verdict { ENTRY_OK, ENTRY_BAD_FLAGS, ENTRY_L1TF };

static enum entry_verdict check_new_entry(const struct machine *m, unsigned level, uint64_t e)
{
	if (pte_present(e))
		return pt_flags_allowed(level, e) ? ENTRY_OK : ENTRY_BAD_FLAGS;
	return pt_l1tf_unsafe(m, level, e) ? ENTRY_L1TF : ENTRY_OK;
}

/* Refuse an entry check_new_entry faulted.  An L1TF-unsafe one crashes the
 * domain, as Xen without shadow paging does. */
static long refuse_entry(struct vcpu *v, unsigned level, enum entry_verdict why)
{
	if (why == ENTRY_BAD_FLAGS)
		return refuse(v, XEN_EINVAL, bad_flags[level]);
	domain_crash(v->d, "not-present entry that is L1TF-unsafe");
	return refuse(v, XEN_EINVAL, "not-present entry that is L1TF-unsafe");
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
		if (level == 1 && v->excl) {
			int64_t room = v->budget > 0 ? v->budget : 1;
			unsigned end = i + (unsigned)(room < PT_ENTRIES - i ? room : PT_ENTRIES - i);
			unsigned j = l1_bulk_get(m, v->d->owner, t, i, end, &present);
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
		enum entry_verdict why = check_new_entry(m, level, e);
		if (why != ENTRY_OK) {
			rc = refuse_entry(v, level, why);
			break;
		}
		if (!pte_present(e))
			continue;
		uint64_t adjusted = pt_adjust(level, e);
		rc = get_entry_refs(v, mfn, level, adjusted);
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
				put_entry_refs(v, mfn, level, e);
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
	bool bulk = level == 1 && v->excl;

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
			if (!bulk || !l1_put_excl(m, e))
				put_entry_refs(v, mfn, level, e);
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

static bool fast_path(uint64_t old, uint64_t new)
{
	return pte_present(old) && pte_present(new) && ((old ^ new) & ~FASTPATH_ALLOW) == 0;
}

/* Only RW (and fast-path bits) differ between two present entries. */
static bool rw_only(uint64_t old, uint64_t new)
{
	return pte_present(old) && pte_present(new) && ((old ^ new) & ~(FASTPATH_ALLOW | PTE_RW)) == 0;
}

/* Swap (new) for the L1 entry at (p) that was (*old), the same frame with
 * RW changed: the general reference stays the old entry's; the writable
 * type is taken before the swap when RW comes, dropped after it when RW
 * goes.  Returns 0, a refusal, or 1 with (*old) reread when the entry
 * changed under the swap (nothing taken then). */
static long l1_rw_update(struct vcpu *v, _Atomic uint64_t *p, uint64_t *old, uint64_t new)
{
	mfn_t mfn = pte_mfn(new);
	if (new & PTE_RW) {
		long rc = get_l1_refs(v, mfn, new, false);
		if (rc)
			return rc;
	}
	if (!atomic_compare_exchange_strong(p, old, new)) {
		if (new & PTE_RW)
			frame_put_type(v, mfn, false);
		return 1;
	}
	if (*old & PTE_RW)
		frame_put_type(v, mfn, false);
	return 0;
}

long pt_update(struct vcpu *v, mfn_t table, unsigned level, unsigned slot,
	       uint64_t val, bool preserve_ad, const uint64_t *expect)
{
	_Atomic uint64_t *p = &pt_entries(vcpu_machine(v), table)[slot];
	bool have_refs = false;

	if (level == 4 && l4_slot_is_hv(slot))
		return refuse(v, XEN_EINVAL, "L4 update in the hypervisor's slots");
	enum entry_verdict why = check_new_entry(vcpu_machine(v), level, val);
	if (why != ENTRY_OK)
		return refuse_entry(v, level, why);
	long rc;
	if (pte_present(val))
		val = pt_adjust(level, val);

	uint64_t old = expect ? *expect : atomic_load_explicit(p, memory_order_acquire), new;
	for (;; ) {
		new = preserve_ad ? val | (old & (PTE_A | PTE_D)) : val;
		if (fast_path(old, new)) {
			if (!atomic_compare_exchange_strong(p, &old, new)) {
				if (expect)
					break;
				continue;
			}
			if (have_refs)
				put_entry_refs(v, table, level, new);
			return 0;
		}
		if (level == 1 && !have_refs && rw_only(old, new)) {
			rc = l1_rw_update(v, p, &old, new);
			if (rc == 1 && !expect)
				continue;
			return rc == 1 ? -XEN_EAGAIN : rc;
		}
		if (pte_present(new) && !have_refs) {
			rc = get_entry_refs(v, table, level, new);
			if (rc)
				return rc;
			have_refs = true;
		}
		if (!atomic_compare_exchange_strong(p, &old, new)) {
			if (expect)
				break;
			continue;
		}
		if (pte_present(old))
			put_entry_refs(v, table, level, old);
		return 0;
	}
	if (have_refs)                  /* the entry was not *expect: undo */
		put_entry_refs(v, table, level, new);
	return -XEN_EAGAIN;
}

long pt_walk_l1(struct vcpu *v, uint64_t va, mfn_t *l1)
{
	struct machine *m = vcpu_machine(v);
	mfn_t t = v->kernel_root;

	if (mfn_eq(t, INVALID_MFN))
		return refuse(v, XEN_EINVAL, "no pagetable loaded");
	for (unsigned level = 4; level > 1; level--) {
		uint64_t e = atomic_load(&pt_entries(m, t)[pt_index(va, level)]);
		if (!pte_present(e) || (e & PTE_PSE) || !frame_valid(m, pte_mfn(e)))
			return refuse(v, XEN_EINVAL, "address has no L1 table");
		t = pte_mfn(e);
	}
	*l1 = t;
	return 0;
}
