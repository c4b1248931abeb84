/* SPDX-License-Identifier: MIT */
/*
 * Writable-pagetable emulation.  A guest kernel may store straight into one
 * of its own live pagetables through a read-only mapping of it: the store
 * faults, and the host hands it here.  The store is merged into the entry
 * it lands in and applied as a single-entry update, with every check
 * mmu_update makes; a refused update is a fault the guest sees.  No TLB is
 * flushed, as for an L1 mmu_update: that is the guest's duty.
 *
 * As in Xen, only stores into L1 tables are emulated: a store into a live
 * L2, L3 or L4 is a fault the guest sees (it updates those through
 * mmu_update, which also flushes).
 *
 * Atomic as the instruction would be, against other CPUs and the MMU's own
 * A and D updates: the entry is replaced by a compare-and-exchange against
 * the value the store was merged into, and a read-modify-write (cmpxchg,
 * xchg, a locked and/or/bts) first checks that the entry still holds what
 * the instruction read.  If either changed meanwhile, nothing is stored
 * and the host runs the instruction again, which reads the entry afresh.
 */
#include "domain.h"
#include "frame.h"
#include "preempt.h"
#include "ptwr.h"
#include "pt.h"

/* Apply a store of (bytes) bytes of (value) at byte (offset) of live table
 * (mfn), or fail; a read-modify-write read (*read) there. */
static long store_into_table(struct vcpu *v, mfn_t mfn, unsigned offset, uint64_t value,
			     unsigned bytes, const uint64_t *read)
{
	unsigned level;
	long rc = frame_get_live_table(v, mfn, &level);
	if (rc)
		return rc;
	if (level != 1) {
		frame_put_type(v, mfn, false);
		return refuse(v, XEN_EFAULT, "store into a live L2, L3 or L4 table");
	}
	unsigned slot = offset >> 3, shift = (offset & 7) * 8;
	uint64_t mask = bytes == 8 ? ~0ull : ((1ull << (bytes * 8)) - 1) << shift;
	uint64_t old = atomic_load(&pt_entries(vcpu_machine(v), mfn)[slot]);
	uint64_t new = (old & ~mask) | ((value << shift) & mask);
	if (read && (old & mask) >> shift != *read)
		rc = -XEN_EAGAIN;       /* not what the instruction read: run it again */
	else
		rc = pt_update(v, mfn, level, slot, new, false, bytes < 8 || read ? &old : NULL);
	frame_put_type(v, mfn, false);
	v->stats.emulated += rc == 0;
	return rc;
}

long ptwr_emulate(struct vcpu *v, uint64_t va, uint64_t value, unsigned bytes, const uint64_t *read)
{
	mfn_t l1;
	long rc;

	if ((bytes != 1 && bytes != 2 && bytes != 4 && bytes != 8) || (va & (bytes - 1)))
		return refuse(v, XEN_EFAULT, "store is not a naturally aligned 1, 2, 4 or 8 bytes");
	preempt_start(v);
	dom_shared_enter(v);
	rc = pt_demote_run(v) ? pt_walk_l1(v, va, &l1) : -XEN_ERESTART;
	if (!rc) {
		uint64_t e = atomic_load(&pt_entries(vcpu_machine(v), l1)[pt_index(va, 1)]);
		if (!pte_present(e) || (e & PTE_RW))
			rc = refuse(v, XEN_EFAULT, "store is not through a read-only mapping");
		else
			rc = store_into_table(v, pte_mfn(e), (unsigned)(va & (PAGE_SIZE - 1)),
					      value, bytes, read);
	}
	pt_demote_run(v);
	dom_shared_exit(v);
	return rc;
}

long ptwr_write_frame(struct vcpu *v, mfn_t mfn, unsigned slot, uint64_t value)
{
	struct machine *m = vcpu_machine(v);
	long rc;

	if (slot >= PT_ENTRIES || !frame_valid(m, mfn) ||
	    fw_owner(frame_word(m, mfn)) != v->d->owner)
		return refuse(v, XEN_EFAULT, "frame is not the domain's");
	preempt_start(v);
	dom_shared_enter(v);
	if (!pt_demote_run(v)) {
		rc = -XEN_ERESTART;
	} else if (fw_live_table(frame_word(m, mfn))) {
		rc = store_into_table(v, mfn, slot * 8, value, 8, NULL);
	} else if (frame_get_type(v, mfn, FT_WRITABLE, false) == 0) {
		atomic_store(&pt_entries(m, mfn)[slot], value);
		frame_put_type(v, mfn, false);
		rc = 0;
	} else {
		rc = refuse(v, XEN_EFAULT, "frame can be neither written nor emulated");
	}
	pt_demote_run(v);
	dom_shared_exit(v);
	return rc;
}
