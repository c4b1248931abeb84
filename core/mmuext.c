/* SPDX-License-Identifier: MIT */
/*
 * mmuext_op: pinning, the base pointers, TLB maintenance and page
 * clear/copy, one function per command, dispatched by table.
 *
 * A pin owns a reference and a type reference; so does each vCPU root
 * (kernel and user L4).  Loading a root does not need a pin: it takes its
 * own type reference, validating the table if nothing held it.
 */
#include "desc.h"
#include "env.h"
#include "frame.h"
#include "hypercall.h"
#include "pt.h"
#include "tlb.h"

typedef long (*mmuext_fn)(struct vcpu *v, const struct mmuext_op *op);

static long op_pin(struct vcpu *v, const struct mmuext_op *op)
{
	return frame_pin(v, _mfn(op->arg1.mfn), FT_L1 + (op->cmd - MMUEXT_PIN_L1_TABLE));
}

static long op_unpin(struct vcpu *v, const struct mmuext_op *op)
{
	return frame_unpin(v, _mfn(op->arg1.mfn));
}

static long op_new_baseptr(struct vcpu *v, const struct mmuext_op *op)
{
	mfn_t mfn = _mfn(op->arg1.mfn);

	if (mfn_eq(mfn, INVALID_MFN))
		return refuse(v, XEN_EINVAL, "no frame for a root");
	if (!mfn_eq(mfn, v->kernel_root)) {
		long rc = hc_set_root(v, &v->kernel_root, mfn);
		if (rc)
			return rc;
		desc_destroy_ldt(v, v);         /* as Xen's new_guest_cr3 */
	}
	tlb_flush_for(v, v);
	return 0;
}

/* Only 0 means no user root; ~0 is no frame, as for NEW_BASEPTR. */
static long op_new_user_baseptr(struct vcpu *v, const struct mmuext_op *op)
{
	mfn_t mfn = op->arg1.mfn ? _mfn(op->arg1.mfn) : INVALID_MFN;

	if (op->arg1.mfn == mfn_x(INVALID_MFN))
		return refuse(v, XEN_EINVAL, "no frame for a root");
	if (mfn_eq(mfn, v->user_root))
		return 0;
	return hc_set_root(v, &v->user_root, mfn);
}

/* The vCPUs a flush command names. */
static long op_mask(struct vcpu *v, const struct mmuext_op *op, uint64_t *mask)
{
	switch (op->cmd) {
	case MMUEXT_TLB_FLUSH_MULTI:
	case MMUEXT_INVLPG_MULTI:
		return hc_vcpu_mask(v, op->arg2.vcpumask, mask) ? -XEN_EINVAL : 0;
	case MMUEXT_TLB_FLUSH_ALL:
	case MMUEXT_INVLPG_ALL:
		*mask = tlb_all(v->d);
		return 0;
	default:
		*mask = 1ull << v->id;
		return 0;
	}
}

static long op_flush(struct vcpu *v, const struct mmuext_op *op)
{
	uint64_t mask;
	long rc = op_mask(v, op, &mask);
	if (!rc)
		tlb_flush_mask(v, mask);
	return rc;
}

static long op_invlpg(struct vcpu *v, const struct mmuext_op *op)
{
	uint64_t mask;
	long rc = op_mask(v, op, &mask);
	/* Xen skips non-canonical and hypervisor addresses (XSA-279). */
	if (!rc && va_guest(op->arg1.linear_addr))
		tlb_invlpg_mask(v->d, mask, op->arg1.linear_addr);
	return rc;
}

static long op_clear_page(struct vcpu *v, const struct mmuext_op *op)
{
	mfn_t mfn = _mfn(op->arg1.mfn);

	if (frame_get_type(v, mfn, FT_WRITABLE, false))
		return refuse(v, XEN_EINVAL, "page to clear cannot be writable");
	_Atomic uint64_t *p = pt_entries(vcpu_machine(v), mfn);
	for (unsigned i = 0; i < PT_ENTRIES; i++)
		atomic_store_explicit(&p[i], 0, memory_order_relaxed);
	frame_put_access(v, mfn);
	return 0;
}

static long op_copy_page(struct vcpu *v, const struct mmuext_op *op)
{
	mfn_t dst = _mfn(op->arg1.mfn), src = _mfn(op->arg2.src_mfn);

	if (frame_get(v, src))
		return refuse(v, XEN_EINVAL, "source page is not the domain's");
	if (frame_get_type(v, dst, FT_WRITABLE, false)) {
		frame_put(v, src);
		return refuse(v, XEN_EINVAL, "destination page cannot be writable");
	}
	_Atomic uint64_t *d = pt_entries(vcpu_machine(v), dst);
	_Atomic uint64_t *s = pt_entries(vcpu_machine(v), src);
	for (unsigned i = 0; i < PT_ENTRIES; i++)
		atomic_store_explicit(&d[i], atomic_load_explicit(&s[i], memory_order_relaxed),
				      memory_order_relaxed);
	frame_put_access(v, dst);
	frame_put(v, src);
	return 0;
}

static long op_flush_cache(struct vcpu *v, const struct mmuext_op *op)
{
	(void)op;
	return refuse(v, XEN_EACCES, "cache flushes need I/O privilege");
}

/* Xen's checks (the address counts only with entries), then core/desc.c. */
static long op_set_ldt(struct vcpu *v, const struct mmuext_op *op)
{
	return desc_set_ldt(v, op->arg1.linear_addr, op->arg2.nr_ents);
}

static long op_obsolete(struct vcpu *v, const struct mmuext_op *op)
{
	(void)op;
	return refuse(v, XEN_EOPNOTSUPP, "superpage marking is obsolete");
}

static const mmuext_fn mmuext_table[MMUEXT_NR] = {
	[MMUEXT_PIN_L1_TABLE] = op_pin,
	[MMUEXT_PIN_L2_TABLE] = op_pin,
	[MMUEXT_PIN_L3_TABLE] = op_pin,
	[MMUEXT_PIN_L4_TABLE] = op_pin,
	[MMUEXT_UNPIN_TABLE] = op_unpin,
	[MMUEXT_NEW_BASEPTR] = op_new_baseptr,
	[MMUEXT_TLB_FLUSH_LOCAL] = op_flush,
	[MMUEXT_INVLPG_LOCAL] = op_invlpg,
	[MMUEXT_TLB_FLUSH_MULTI] = op_flush,
	[MMUEXT_INVLPG_MULTI] = op_invlpg,
	[MMUEXT_TLB_FLUSH_ALL] = op_flush,
	[MMUEXT_INVLPG_ALL] = op_invlpg,
	[MMUEXT_FLUSH_CACHE] = op_flush_cache,
	[MMUEXT_SET_LDT] = op_set_ldt,
	[MMUEXT_NEW_USER_BASEPTR] = op_new_user_baseptr,
	[MMUEXT_CLEAR_PAGE] = op_clear_page,
	[MMUEXT_COPY_PAGE] = op_copy_page,
	[MMUEXT_FLUSH_CACHE_GLOBAL] = op_flush_cache,
	[MMUEXT_MARK_SUPER] = op_obsolete,
	[MMUEXT_UNMARK_SUPER] = op_obsolete,
};

static long one_op(struct vcpu *v, const void *req, void *ctx)
{
	const struct mmuext_op *op = req;
	(void)ctx;
	if (op->cmd >= MMUEXT_NR || !mmuext_table[op->cmd])
		return refuse(v, XEN_ENOSYS, "unknown mmuext command");
	return mmuext_table[op->cmd](v, op);
}

long do_mmuext_op(struct vcpu *v, uint64_t ops, unsigned count, uint64_t done,
		  unsigned foreigndom)
{
	long rc = hc_foreign(v, foreigndom);
	if (rc)
		return rc;
	struct batch b = { HYPERVISOR_mmuext_op, ops, count, sizeof(struct mmuext_op), done, foreigndom };
	return hc_batch(v, &b, one_op, NULL);
}
