/* SPDX-License-Identifier: MIT */
/*
 * XENMEM_exchange for a PV domain, as Xen 4.17's memory_exchange
 * (common/memory.c): the domain gives in-extents of 2^in.extent_order
 * frames and gets out-extents of 2^out.extent_order frames for them, the
 * same number of frames, in chunks: a chunk is one out-extent and the
 * in-extents it takes (a larger out-order), or one in-extent and the
 * out-extents it gives.  Each chunk is all or nothing: its in-frames are
 * checked first (the domain's, used by nothing but their allocation, as a
 * frame given back by decrease_reservation), its out-frames allocated
 * (one aligned run, below the address bits out.mem_flags asks for; Xen
 * may give separate runs), then its in-frames taken (all, or none and
 * each back as it was) and freed after one flush of the vCPUs that need it
 * (core/domain.h: scrubbed, m2p invalid), and the out-frames handed over
 * (m2p set to the pfns the out list held, their mfns written there).
 * nr_exchanged (in-extents done) is written back on every way out once the
 * struct has been read, and carries a preempted call on.  Errors, in Xen's order: -EFAULT (the struct), -EPERM
 * (an order above 9), -EINVAL (counts that do not match, overflow, other
 * domid in out), -EFAULT (a list that starts in hv's area), -EINVAL (an
 * exact NUMA node), -ESRCH (another domain), then per chunk -EFAULT,
 * -EINVAL, -ENOMEM.
 */
#include "../../core/domain.h"
#include "../../core/frame.h"
#include "../../core/m2p.h"
#include "../../core/preempt.h"
#include "../hv.h"

#define CHUNK_MAX (1u << DOMU_MAX_ORDER)      /* frames, and in-extents, of a chunk */

/* One chunk's in-extents and their frames, per CPU: a chunk is done
 * within one call on one CPU. */
static struct {
	uint64_t gmfn[CHUNK_MAX];
	mfn_t taken[CHUNK_MAX];
} chunk_scratch[SMP_MAX_CPUS];

struct exchange {
	struct xen_memory_exchange x;
	unsigned in_chunk, out_chunk;    /* log2 of the in- and out-extents of a chunk */
	uint64_t limit;                  /* out-frames lie below this */
};

/* Xen's checks, in its order, before any work: 0 or an error. */
static long check_exchange(const struct xen_memory_exchange *x)
{
	const struct xen_memory_reservation *in = &x->in, *out = &x->out;
	if (in->extent_order > DOMU_MAX_ORDER || out->extent_order > DOMU_MAX_ORDER)
		return -XEN_EPERM;
	if (x->nr_exchanged > in->nr_extents || in->domid != out->domid ||
	    (~0ull >> in->extent_order) < in->nr_extents || (~0ull >> out->extent_order) < out->nr_extents ||
	    in->nr_extents << in->extent_order != out->nr_extents << out->extent_order)
		return -XEN_EINVAL;
	return 0;
}

/* Xen's guest_handle_subrange_okay for entries (first) to (last) of a list
 * of 8-byte entries at (list): where the range starts (its length is not
 * looked at, but for overflow). */
static bool subrange_ok(uint64_t list, uint64_t first, uint64_t last)
{
	return last - first + 1 < ~0ull / 8 && guest_addr_ok(list + first * 8);
}

/* The checks Xen makes once it knows there is work: 0 or an error. */
static long check_work(struct vcpu *v, const struct exchange *e)
{
	const struct xen_memory_exchange *x = &e->x;
	uint64_t done = x->nr_exchanged, out_first = e->in_chunk ? done >> e->in_chunk : done << e->out_chunk;
	if (!subrange_ok(x->in.extent_start, done, x->in.nr_extents - 1) ||
	    !subrange_ok(x->out.extent_start, out_first, x->out.nr_extents - 1))
		return -XEN_EFAULT;
	if (((x->out.mem_flags >> 8) & 0xff) && (x->out.mem_flags & XENMEMF_exact_node_request))
		return -XEN_EINVAL;     /* an exact NUMA node: a domU may not ask for one */
	if (x->in.domid != DOMID_SELF && x->in.domid != v->d->domid)
		return -XEN_ESRCH;
	return 0;
}

/* Copy chunk (i)'s in-extents and check every frame of them can go: 0, or
 * -EFAULT, or -EINVAL (not ours, or in use). */
static long take_in_list(struct vcpu *v, const struct exchange *e, uint64_t i, uint64_t *gmfn)
{
	uint64_t n = 1ull << e->in_chunk, per = 1ull << e->x.in.extent_order;
	for (uint64_t j = 0; j < n; j++) {
		if (env_copy_from_guest(v, &gmfn[j], e->x.in.extent_start + ((i << e->in_chunk) + j) * 8, 8))
			return -XEN_EFAULT;
		for (uint64_t k = 0; k < per; k++)
			if (gmfn[j] + k < gmfn[j] || !domain_check_take(v->d, _mfn(gmfn[j] + k)))
				return -XEN_EINVAL;
	}
	return 0;
}

/* Give back the (n) frames of run (m), allocated for a chunk that failed. */
static void free_run(struct vcpu *v, mfn_t m, uint64_t n)
{
	for (uint64_t j = 0; j < n; j++)
		frame_release(&machine, _mfn(mfn_x(m) + j));
	hv_domain(v->d)->nr_pages -= n;
}

/* Take chunk (i)'s in-frames (listed in gmfn) from the domain into
 * (taken) and free them: 0, or -EINVAL with every one given back to the
 * domain as it was (another vCPU mapped one since take_in_list looked). */
static long take_in(struct vcpu *v, const struct exchange *e, const uint64_t *gmfn, mfn_t *taken)
{
	uint64_t n = 1ull << e->in_chunk, per = 1ull << e->x.in.extent_order, f = 0;
	for (uint64_t j = 0; j < n; j++)
		for (uint64_t k = 0; k < per; k++, f++) {
			taken[f] = _mfn(gmfn[j] + k);
			if (!domain_take(v, taken[f]))
				continue;
			while (f--)
				domain_untake(v, taken[f]);
			return -XEN_EINVAL;
		}
	domain_free_taken(v, taken, (unsigned)(n * per));
	hv_domain(v->d)->nr_pages -= n * per;
	return 0;
}

/* Hand the out-extents of run (m) to the guest at their places in the out
 * list, the m2p set to the pfns the list held: 0 or -EFAULT (the frames
 * stay the domain's, as on Xen). */
static long give_out(struct vcpu *v, const struct exchange *e, uint64_t i, mfn_t m)
{
	uint64_t n = 1ull << e->out_chunk, per = 1ull << e->x.out.extent_order;
	long rc = 0;
	for (uint64_t j = 0; j < n; j++) {
		uint64_t slot = e->x.out.extent_start + ((i << e->out_chunk) + j) * 8, gpfn, mfn = mfn_x(m) + j * per;
		if (env_copy_from_guest(v, &gpfn, slot, 8)) {
			rc = -XEN_EFAULT;
			continue;
		}
		for (uint64_t k = 0; k < per; k++)
			m2p_set(&machine, _mfn(mfn + k), gpfn + k);
		if (env_copy_to_guest(v, slot, &mfn, 8))
			rc = -XEN_EFAULT;
	}
	return rc;
}

/* Chunk (i): its in-frames taken, its out-frames given.  The out-frames of
 * a chunk are one aligned run (Xen may give separate ones). */
static long exchange_chunk(struct vcpu *v, const struct exchange *e, uint64_t i)
{
	uint64_t *gmfn = chunk_scratch[this_cpu()->id].gmfn;
	mfn_t *taken = chunk_scratch[this_cpu()->id].taken;
	unsigned order = e->x.in.extent_order + e->in_chunk;
	long rc = take_in_list(v, e, i, gmfn);
	if (rc)
		return rc;
	mfn_t m = mem_alloc_run(v, order, e->limit, 1ull << order);
	if (mfn_eq(m, INVALID_MFN))
		return -XEN_ENOMEM;
	rc = take_in(v, e, gmfn, taken);
	if (rc) {
		free_run(v, m, 1ull << order);
		return rc;
	}
	return give_out(v, e, i, m);
}

/* Write nr_exchanged back, as Xen does on every way out once it has read
 * the struct: (rc), or -EFAULT if it cannot. */
static long put_exchanged(struct vcpu *v, uint64_t arg, uint64_t n, long rc)
{
	return env_copy_to_guest(v, arg + offsetof(struct xen_memory_exchange, nr_exchanged), &n, 8) ? -XEN_EFAULT
												       : rc;
}

long mem_exchange(struct vcpu *v, uint64_t arg)
{
	struct exchange e;
	if (env_copy_from_guest(v, &e.x, arg, sizeof(e.x)))
		return -XEN_EFAULT;
	long rc = check_exchange(&e.x);
	if (rc)
		return put_exchanged(v, arg, e.x.nr_exchanged, rc);
	if (e.x.nr_exchanged == e.x.in.nr_extents)
		return 0;
	bool grow = e.x.in.extent_order <= e.x.out.extent_order;
	e.in_chunk = grow ? e.x.out.extent_order - e.x.in.extent_order : 0;
	e.out_chunk = grow ? 0 : e.x.in.extent_order - e.x.out.extent_order;
	e.limit = mem_frame_limit(e.x.out.mem_flags, machine.nr_frames);
	rc = check_work(v, &e);
	if (rc)
		return put_exchanged(v, arg, e.x.nr_exchanged, rc);
	uint64_t first = e.x.nr_exchanged >> e.in_chunk;
	for (uint64_t i = first; i < e.x.in.nr_extents >> e.in_chunk; i++) {
		if (i != first && preempt_due(v)) {
			rc = put_exchanged(v, arg, i << e.in_chunk, 0);
			return rc ? rc : preempt_continue(v, HYPERVISOR_memory_op, XENMEM_exchange, arg, 0, 0);
		}
		rc = exchange_chunk(v, &e, i);
		if (rc)
			return put_exchanged(v, arg, i << e.in_chunk, rc);
		preempt_spend(v, 1ull << (e.x.in.extent_order + e.in_chunk));
	}
	return put_exchanged(v, arg, e.x.in.nr_extents, 0);
}
