/* SPDX-License-Identifier: MIT */
/*
 * update_va_mapping: replace the L1 entry that maps one virtual address in
 * the caller's current (kernel) pagetables, then flush as the flags ask.
 * The flush happens only if the update succeeded (XSA-279).
 */
#include "env.h"
#include "frame.h"
#include "hypercall.h"
#include "pt.h"
#include "tlb.h"

static long flush_after(struct vcpu *v, uint64_t va, uint64_t flags)
{
	uint64_t kind = flags & UVMF_FLUSHTYPE_MASK;
	uint64_t mask;

	if (kind != UVMF_TLB_FLUSH && kind != UVMF_INVLPG)
		return 0;
	long rc = hc_vcpu_mask(v, flags & ~UVMF_FLUSHTYPE_MASK, &mask);
	if (rc)
		return rc;
	if (kind == UVMF_TLB_FLUSH)
		tlb_flush_mask(v, mask);
	else
		tlb_invlpg_mask(v->d, mask, va);
	return 0;
}

long do_update_va_mapping(struct vcpu *v, uint64_t va, uint64_t val, uint64_t flags)
{
	mfn_t l1;
	unsigned level;

	if (!va_guest(va))
		return refuse(v, XEN_EINVAL, "address is not canonical or is the hypervisor's");
	long rc = pt_walk_l1(v, va, &l1);
	if (rc)
		return rc;
	rc = frame_get_live_table(v, l1, &level);
	if (rc)
		return rc;
	if (level == FT_L1)
		rc = pt_update(v, l1, 1, pt_index(va, 1), val, false, NULL);
	else
		rc = refuse(v, XEN_EINVAL, "address is not mapped through an L1 table");
	frame_put_type(v, l1, false);
	return rc ? rc : flush_after(v, va, flags);
}

long do_update_va_mapping_otherdomain(struct vcpu *v, uint64_t va, uint64_t val,
				      uint64_t flags, unsigned domid)
{
	long rc = hc_foreign(v, domid);
	return rc ? rc : do_update_va_mapping(v, va, val, flags);
}
