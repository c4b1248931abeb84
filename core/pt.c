/* SPDX-License-Identifier: MIT */
/*
 * Per-level entry rules, the references entries hold, and single-entry
 * updates (theory in pt.h; whole tables: pt_table.c).
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

long pt_get_entry_refs(struct vcpu *v, mfn_t table, unsigned level, uint64_t e)
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

void pt_put_entry_refs(struct vcpu *v, mfn_t table, unsigned level, uint64_t e)
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

long pt_check_entry(struct vcpu *v, unsigned level, uint64_t e)
{
	if (pte_present(e))
		return pt_flags_allowed(level, e) ? 0 : refuse(v, XEN_EINVAL, bad_flags[level]);
	if (!pt_l1tf_unsafe(vcpu_machine(v), level, e))
		return 0;
	domain_crash(v->d, "not-present entry that is L1TF-unsafe");  /* as Xen without shadow paging */
	return refuse(v, XEN_EINVAL, "not-present entry that is L1TF-unsafe");
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
	long rc = pt_check_entry(v, level, val);
	if (rc)
		return rc;
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
				pt_put_entry_refs(v, table, level, new);
			return 0;
		}
		if (level == 1 && !have_refs && rw_only(old, new)) {
			rc = l1_rw_update(v, p, &old, new);
			if (rc == 1 && !expect)
				continue;
			return rc == 1 ? -XEN_EAGAIN : rc;
		}
		if (pte_present(new) && !have_refs) {
			rc = pt_get_entry_refs(v, table, level, new);
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
			pt_put_entry_refs(v, table, level, old);
		return 0;
	}
	if (have_refs)                  /* the entry was not *expect: undo */
		pt_put_entry_refs(v, table, level, new);
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
