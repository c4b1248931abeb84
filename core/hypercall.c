/* SPDX-License-Identifier: MIT */
/* The hypercall entry, the dispatch table, and helpers shared by the
 * hypercalls (theory in hypercall.h). */
#include "domain.h"
#include "env.h"
#include "frame.h"
#include "hypercall.h"
#include "preempt.h"
#include "pt.h"
#include "tlb.h"

long hc_mmu_update(struct vcpu *v, const uint64_t a[6])
{
	return do_mmu_update(v, a[0], (unsigned)a[1], a[2], (unsigned)a[3]);
}

long hc_mmuext_op(struct vcpu *v, const uint64_t a[6])
{
	return do_mmuext_op(v, a[0], (unsigned)a[1], a[2], (unsigned)a[3]);
}

long hc_update_va_mapping(struct vcpu *v, const uint64_t a[6])
{
	return do_update_va_mapping(v, a[0], a[1], a[2]);
}

long hc_update_va_mapping_otherdomain(struct vcpu *v, const uint64_t a[6])
{
	return do_update_va_mapping_otherdomain(v, a[0], a[1], a[2], (unsigned)a[3]);
}

long hc_multicall(struct vcpu *v, const uint64_t a[6])
{
	return do_multicall(v, a[0], a[1]);
}

const hypercall_fn core_hypercalls[HYPERVISOR_NR] = {
	[HYPERVISOR_mmu_update] = hc_mmu_update,
	[HYPERVISOR_multicall] = hc_multicall,
	[HYPERVISOR_update_va_mapping] = hc_update_va_mapping,
	[HYPERVISOR_update_va_mapping_otherdomain] = hc_update_va_mapping_otherdomain,
	[HYPERVISOR_mmuext_op] = hc_mmuext_op,
};

long hypercall_dispatch(struct vcpu *v, uint64_t nr, const uint64_t a[6])
{
	const hypercall_fn *table = vcpu_machine(v)->hypercalls;
	if (!table)
		table = core_hypercalls;
	if (nr >= HYPERVISOR_NR || !table[nr])
		return refuse(v, XEN_ENOSYS, "unknown hypercall");
	return table[nr](v, a);
}

long hypercall(struct vcpu *v, uint64_t nr, const uint64_t a[6])
{
	long rc;

	if (!v->d->live || v->d->crashed)
		return refuse(v, XEN_ESRCH, "domain is not running");
	v->reason = NULL;
	v->cont.pending = false;
	v->mc_stop = false;
	v->stats.hypercalls++;
	preempt_start(v);
	dom_shared_enter(v);
	/* devalidation queued earlier comes first: what follows may need it */
	if (pt_demote_pending(v) && !pt_demote_run(v))
		rc = preempt_continue(v, nr, a[0], a[1], a[2], a[3]);
	else
		rc = hypercall_dispatch(v, nr, a);
	if (!v->cont.pending && pt_demote_pending(v))
		pt_demote_run(v);
	dom_shared_exit(v);
	return rc;
}

long hc_foreign(struct vcpu *v, unsigned domid)
{
	if (domid == DOMID_SELF)
		return 0;
	if (domid == DOMID_IO || domid == DOMID_XEN)
		return refuse(v, XEN_EPERM, "no privilege over I/O or hypervisor frames");
	struct domain *d = domid < DOMID_FIRST_RESERVED ? domain_by_id(v->d->m, (domid_t)domid) : NULL;
	if (!d || d == v->d)
		return refuse(v, XEN_ESRCH, "no such foreign domain");
	return refuse(v, XEN_EPERM, "no privilege over another domain");
}

/* Requests are copied in chunks to spread the cost of a copy; a chunk that
 * is not wholly readable is copied one request at a time, so every request
 * before the first unreadable one still runs. */
#define BATCH_CHUNK_BYTES 512

long hc_batch(struct vcpu *v, const struct batch *b, batch_fn fn, void *ctx)
{
	uint64_t chunk[BATCH_CHUNK_BYTES / 8];
	unsigned per = (unsigned)(sizeof(chunk) / b->size), i = 0, count = b->count;
	uint32_t base = 0;
	long rc = 0;

	ASSERT(b->size % 8 == 0 && per >= 1);
	if ((count & MMU_UPDATE_PREEMPTED) && b->done)
		env_copy_from_guest(v, &base, b->done, sizeof(base));
	count &= ~MMU_UPDATE_PREEMPTED;
	while (i < count && !rc && !v->d->crashed) {
		unsigned n = count - i < per ? count - i : per;
		uint64_t at = b->reqs + (uint64_t)i * b->size;
		if (env_copy_from_guest(v, chunk, at, n * b->size)) {
			n = 1;
			if (env_copy_from_guest(v, chunk, at, b->size)) {
				rc = refuse(v, XEN_EFAULT, "request array is not readable");
				break;
			}
		}
		for (unsigned k = 0; k < n && !v->d->crashed; k++, i++) {
			/* between requests: what they queued, then the budget */
			if (i > 0 && (!pt_demote_done(v) || preempt_due(v))) {
				rc = -XEN_ERESTART;
				break;
			}
			preempt_spend(v, 1);
			rc = fn(v, (const uint8_t *)chunk + k * b->size, ctx);
			if (rc)
				break;
		}
	}
	uint32_t n = base + i;
	if (rc == -XEN_ERESTART) {
		if (b->done)
			env_copy_to_guest(v, b->done, &n, sizeof(n));
		return preempt_continue(v, b->nr, b->reqs + (uint64_t)i * b->size,
					(count - i) | MMU_UPDATE_PREEMPTED, b->done, b->foreigndom);
	}
	/* as Xen: done is written where it can be; the result is the requests' */
	if (b->done)
		env_copy_to_guest(v, b->done, &n, sizeof(n));
	return rc;
}

long hc_set_root(struct vcpu *v, mfn_t *root, mfn_t mfn)
{
	if (!mfn_eq(mfn, INVALID_MFN)) {
		long rc = frame_get_type(v, mfn, FT_L4, true);
		if (rc)
			return rc;
	}
	mfn_t old = *root;
	*root = mfn;
	if (!mfn_eq(old, INVALID_MFN))
		frame_put_type(v, old, true);
	return 0;
}

long hc_vcpu_mask(struct vcpu *v, uint64_t scope, uint64_t *mask)
{
	if (scope == 0) {
		*mask = 1ull << v->id;
		return 0;
	}
	if (scope == UVMF_ALL) {
		*mask = tlb_all(v->d);
		return 0;
	}
	if (env_copy_from_guest(v, mask, scope, sizeof(*mask)))
		return refuse(v, XEN_EFAULT, "vCPU mask is not readable");
	*mask &= tlb_all(v->d);
	return 0;
}

long do_multicall(struct vcpu *v, uint64_t list, uint64_t nr)
{
	struct multicall_entry e;
	long rc = 0;

	if (v->in_multicall)
		return refuse(v, XEN_EINVAL, "multicall inside a multicall");
	v->in_multicall = true;
	for (uint64_t i = 0; i < nr && !v->d->crashed; i++) {
		uint64_t at = list + i * sizeof(e);
		/* what earlier entries queued comes before this one */
		if (i > 0 && (!pt_demote_done(v) || preempt_due(v))) {
			rc = preempt_continue(v, HYPERVISOR_multicall, at, nr - i, 0, 0);
			break;
		}
		if (env_copy_from_guest(v, &e, at, sizeof(e))) {
			rc = refuse(v, XEN_EFAULT, "multicall list is not readable");
			break;
		}
		long r = hypercall_dispatch(v, e.op, e.args);
		if (v->cont.pending) {
			/* this entry continues where it stopped: rewrite it, and
			 * continue the multicall from it */
			v->cont.pending = false;
			e.op = v->cont.nr;
			for (unsigned k = 0; k < 6; k++)
				e.args[k] = v->cont.a[k];
			if (env_copy_to_guest(v, at, &e, sizeof(e))) {
				rc = refuse(v, XEN_EFAULT, "multicall list is not writable");
				break;
			}
			rc = preempt_continue(v, HYPERVISOR_multicall, at, nr - i, 0, 0);
			break;
		}
		e.result = (uint64_t)r;
		if (env_copy_to_guest(v, at + 8, &e.result, sizeof(e.result))) {
			rc = refuse(v, XEN_EFAULT, "multicall list is not writable");
			break;
		}
		if (v->mc_stop)
			break;          /* the entry replaced the vCPU's frame (iret) */
	}
	v->in_multicall = false;
	return rc;
}
