/* SPDX-License-Identifier: MIT */
/*
 * mmu_update: a batch of checked writes.  MMU_NORMAL_PT_UPDATE and its
 * PRESERVE_AD / NO_TRANSLATE forms write one pagetable entry, validated as
 * pt_update does; aimed at a frame that is no live pagetable, the write is a
 * plain store that needs the frame to take the writable type.
 * MMU_MACHPHYS_UPDATE sets one m2p entry of a frame the domain owns.
 *
 * A batch usually updates many entries of one table, so the type reference
 * that keeps the table live during an update is taken once and kept while
 * the requests stay on that table.
 *
 * After a slice that changed an L2, L3 or L4 entry, every vCPU of the
 * domain is flushed before the hypercall returns or continues, as Xen does
 * since XSA-286: a guest may count on the old upper-level translations
 * being gone without an invlpg of its own.
 */
#include "frame.h"
#include "hypercall.h"
#include "m2p.h"
#include "pt.h"
#include "tlb.h"

struct table_hold {
	mfn_t mfn;
	unsigned level;
	bool upper_changed;         /* an L2-L4 entry was updated */
};

static void hold_release(struct vcpu *v, struct table_hold *h)
{
	if (!mfn_eq(h->mfn, INVALID_MFN))
		frame_put_type(v, h->mfn, false);
	h->mfn = INVALID_MFN;
}

static long plain_write(struct vcpu *v, mfn_t mfn, unsigned slot, uint64_t val)
{
	if (frame_get_type(v, mfn, FT_WRITABLE, false))
		return refuse(v, XEN_EINVAL, "frame is neither a live pagetable nor writable");
	atomic_store(&pt_entries(vcpu_machine(v), mfn)[slot], val);
	frame_put_type(v, mfn, false);
	return 0;
}

/* Inlined into one_request: a batch runs it once per request. */
static inline __attribute__((always_inline)) long update_entry(struct vcpu *v, struct table_hold *h,
							       uint64_t ptr, uint64_t val, bool preserve_ad)
{
	mfn_t mfn = _mfn(ptr >> PAGE_SHIFT);
	unsigned slot = (unsigned)(ptr & (PAGE_SIZE - 1)) >> 3;

	if (!mfn_eq(h->mfn, mfn)) {
		hold_release(v, h);
		if (frame_get_live_table(v, mfn, &h->level) == 0)
			h->mfn = mfn;
	}
	if (mfn_eq(h->mfn, INVALID_MFN))
		return plain_write(v, mfn, slot, val);
	long rc = pt_update(v, mfn, h->level, slot, val, preserve_ad, NULL);
	if (h->level > 1 && !rc)
		h->upper_changed = true;
	return rc;
}

static long machphys_update(struct vcpu *v, uint64_t ptr, uint64_t pfn)
{
	struct machine *m = vcpu_machine(v);
	mfn_t mfn = _mfn(ptr >> PAGE_SHIFT);

	if (!frame_valid(m, mfn) || fw_owner(frame_word(m, mfn)) != v->d->owner)
		return refuse(v, XEN_EINVAL, "m2p update of a frame the domain does not own");
	m2p_set(m, mfn, pfn);
	return 0;
}

static long one_request(struct vcpu *v, const void *req, void *ctx)
{
	const struct mmu_update *u = req;
	uint64_t ptr = u->ptr & ~MMU_UPDATE_CMD_MASK;

	switch (u->ptr & MMU_UPDATE_CMD_MASK) {
	case MMU_NORMAL_PT_UPDATE:
	case MMU_PT_UPDATE_NO_TRANSLATE:
		return update_entry(v, ctx, ptr, u->val, false);
	case MMU_PT_UPDATE_PRESERVE_AD:
		return update_entry(v, ctx, ptr, u->val, true);
	case MMU_MACHPHYS_UPDATE:
		return machphys_update(v, ptr, u->val);
	default:
		return refuse(v, XEN_ENOSYS, "unknown mmu_update command");
	}
}

long do_mmu_update(struct vcpu *v, uint64_t reqs, unsigned count, uint64_t done,
		   unsigned foreigndom)
{
	unsigned pt_owner = foreigndom >> 16;
	long rc = hc_foreign(v, foreigndom & 0xffff);

	if (!rc && pt_owner)
		rc = hc_foreign(v, pt_owner - 1);
	if (rc)
		return rc;
	struct table_hold h = { INVALID_MFN, 0, false };
	struct batch b = { HYPERVISOR_mmu_update, reqs, count, sizeof(struct mmu_update), done, foreigndom };
	rc = hc_batch(v, &b, one_request, &h);
	hold_release(v, &h);
	if (h.upper_changed)
		tlb_flush_mask(v, tlb_all(v->d));
	return rc;
}
