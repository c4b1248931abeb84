/* SPDX-License-Identifier: MIT */
/*
 * memory_op(cmd, arg) for a PV domain, as Xen 4.17 answers an unprivileged
 * one (common/memory.c, arch/x86/mm.c, x86_64/mm.c).  cmd's low 6 bits are
 * the operation, the rest a continuation's start extent.
 *
 *   machphys_mapping        where the read-only m2p is: 0xffff800000000000
 *                           to 0xffff804000000000, max_mfn 2^35 - 1
 *   current_reservation     pages the domain has
 *   maximum_reservation     pages it may have: those it was built with
 *                           (xl's maxmem is its memory unless set)
 *   maximum_gpfn            from shared_info.arch.max_pfn, as Xen has it
 *   maximum_ram_page        the machine's frame count
 *   (the three with a domain argument: DOMID_SELF or the domain's own id;
 *   any other -ESRCH; a start extent -EINVAL)
 *   memory_map              -ENOSYS: the domain has no memory map of its
 *                           own, as xl gives a PV domU none, so the guest
 *                           takes one RAM range of nr_pages
 *   get_vnumainfo           -EOPNOTSUPP (no virtual NUMA)
 *   increase_reservation    the balloon (struct xen_memory_reservation):
 *   decrease_reservation    extents of 2^order frames (order up to 9, Xen's
 *   populate_physmap        domU limit) given to the domain (their mfns
 *                           written to the list; populate_physmap also sets
 *                           the m2p to the pfns the list held) or taken back
 *                           (the list holds mfns), up to the maximum
 *                           reservation; the answer is the extents done,
 *                           never an error, as Xen's; cmd's upper bits carry
 *                           a continuation's start extent.  A frame given
 *                           back loses its pin and allocation reference
 *                           (core/domain.h); one still mapped is freed at
 *                           its last reference and counts in the
 *                           reservation until then, as Xen's tot_pages.
 *                           The unreferenced ones are freed in batches,
 *                           after one flush of the vCPUs that need it.
 *   exchange                dom/exchange.c
 * Everything else is -ENOSYS.
 */
#include "../../core/domain.h"
#include "../../core/frame.h"
#include "../../core/m2p.h"
#include "../../core/preempt.h"
#include "../../core/pt.h"
#include "../hv.h"

#define XENMEM_maximum_ram_page     2
#define XENMEM_maximum_reservation  4
#define XENMEM_memory_map           9
#define XENMEM_machphys_mapping     12
#define XENMEM_maximum_gpfn         14
#define XENMEM_get_vnumainfo        26
#define MEMOP_CMD_MASK              0x3f

#define MACH2PHYS_VIRT_START 0xffff800000000000ull
#define MACH2PHYS_VIRT_END   0xffff804000000000ull

/* The domain a struct xen_memory_domain at (arg) names: 0, or an error. */
static long own_domain(struct vcpu *v, uint64_t arg)
{
	uint16_t domid;
	if (env_copy_from_guest(v, &domid, arg, sizeof(domid)))
		return -XEN_EFAULT;
	return domid == DOMID_SELF || domid == v->d->domid ? 0 : -XEN_ESRCH;
}

/* The domain's pages as Xen counts them (tot_pages): its own, and those
 * given back while referenced and not yet freed. */
static uint64_t tot_pages(const struct domain *d)
{
	return hv_domain(d)->nr_pages + domain_given_back_live(d);
}

static long reservation(struct vcpu *v, unsigned op, uint64_t start, uint64_t arg)
{
	if (start)
		return -XEN_EINVAL;
	long rc = own_domain(v, arg);
	if (rc)
		return rc;
	const struct hv_domain *hd = hv_domain(v->d);
	if (op != XENMEM_maximum_gpfn)
		return (long)(op == XENMEM_current_reservation ? tot_pages(v->d) : hd->max_pages);
	uint64_t max_pfn = ((struct shared_info *)maddr_virt(hd->shared_info))->arch.max_pfn;
	return (long)((max_pfn ? max_pfn : 1) - 1);
}

#define FREE_BATCH 64

struct balloon {
	struct xen_memory_reservation r;
	unsigned op;
	uint64_t limit;             /* frames below this (address bits), or all */
	mfn_t freed[FREE_BATCH];    /* given back, unreferenced, to free */
	unsigned nr_freed;
};

/* The frames of (b) given back so far, freed after one flush. */
static void free_batch(struct vcpu *v, struct balloon *b)
{
	domain_free_taken(v, b->freed, b->nr_freed);
	b->nr_freed = 0;
}

mfn_t mem_alloc_run(struct vcpu *v, unsigned order, uint64_t top, uint64_t credit)
{
	struct hv_domain *hd = hv_domain(v->d);
	uint64_t n = 1ull << order;
	if (tot_pages(v->d) + n > hd->max_pages + credit)
		return INVALID_MFN;
	for (uint64_t k = 0, at = hd->alloc_hint & ~(n - 1); k < top; k += n, at += n) {
		if (at + n > top)
			at = 0;
		uint64_t j = 0;
		while (j < n && domain_add_frame(v->d, _mfn(at + j), _pfn(M2P_INVALID)))
			j++;
		if (j == n) {
			hd->alloc_hint = at + n;
			hd->nr_pages += n;
			return _mfn(at);
		}
		while (j--)
			frame_release(&machine, _mfn(at + j));
	}
	return INVALID_MFN;
}

/* Extent (i): true if done. */
static bool one_extent(struct vcpu *v, struct balloon *b, uint64_t i)
{
	uint64_t slot = b->r.extent_start + i * 8, n = 1ull << b->r.extent_order, e = 0;
	if (b->op != XENMEM_increase_reservation && env_copy_from_guest(v, &e, slot, 8))
		return false;
	if (b->op == XENMEM_decrease_reservation) {
		for (uint64_t j = 0; j < n; j++) {
			long rc = domain_give_back(v, _mfn(e + j));
			if (rc < 0)
				return false;
			if (rc != GAVE_BACK_AGAIN)
				hv_domain(v->d)->nr_pages--;
			if (rc == GAVE_BACK_NOW)
				b->freed[b->nr_freed++] = _mfn(e + j);
			if (b->nr_freed == FREE_BATCH)
				free_batch(v, b);
		}
		return true;
	}
	mfn_t m = mem_alloc_run(v, b->r.extent_order, b->limit, 0);
	if (mfn_eq(m, INVALID_MFN))
		return false;
	if (b->op == XENMEM_populate_physmap)
		for (uint64_t j = 0; j < n; j++)
			m2p_set(&machine, _mfn(mfn_x(m) + j), e + j);
	uint64_t mfn = mfn_x(m);
	return (b->op == XENMEM_increase_reservation && !b->r.extent_start) ||
	       !env_copy_to_guest(v, slot, &mfn, 8);
}

uint64_t mem_frame_limit(uint32_t mem_flags, uint64_t top)
{
	unsigned bits = mem_flags & 0xff;
	if (!bits || bits - PAGE_SHIFT >= 64)
		return top;
	uint64_t lim = bits > PAGE_SHIFT ? 1ull << (bits - PAGE_SHIFT) : 0;
	return lim < top ? lim : top;
}

/* The three balloon operations, as Xen's do_memory_op: the extents done. */
static long balloon(struct vcpu *v, unsigned op, uint64_t start, uint64_t arg)
{
	struct balloon b = { .op = op, .limit = machine.nr_frames };
	if (env_copy_from_guest(v, &b.r, arg, sizeof(b.r)) || b.r.nr_extents > (UINT32_MAX >> MEMOP_EXTENT_SHIFT) ||
	    start >= b.r.nr_extents || (b.r.domid != DOMID_SELF && b.r.domid != v->d->domid))
		return (long)start;
	unsigned bits = b.r.mem_flags & 0xff;
	if (bits && bits <= PAGE_SHIFT)
		return (long)start;
	b.limit = mem_frame_limit(b.r.mem_flags, b.limit);
	uint64_t last = b.r.extent_start + (b.r.nr_extents - 1) * 8 + 7;
	bool list_ok = va_guest(b.r.extent_start) && va_guest(last) && last > b.r.extent_start;
	if (b.r.extent_order > DOMU_MAX_ORDER || ((op != XENMEM_increase_reservation || b.r.extent_start) && !list_ok))
		return (long)start;
	long done = (long)b.r.nr_extents;
	for (uint64_t i = start; i < b.r.nr_extents; i++) {
		if (i != start && preempt_due(v)) {
			done = preempt_continue(v, HYPERVISOR_memory_op, op | i << MEMOP_EXTENT_SHIFT, arg, 0, 0);
			break;
		}
		if (!one_extent(v, &b, i)) {
			done = (long)i;
			break;
		}
		preempt_spend(v, 1ull << b.r.extent_order);
	}
	free_batch(v, &b);
	return done;
}

long do_memory_op(struct vcpu *v, const uint64_t a[6])
{
	unsigned op = (unsigned)(a[0] & MEMOP_CMD_MASK);
	uint64_t start = a[0] >> 6;
	switch (op) {
	case XENMEM_increase_reservation:
	case XENMEM_decrease_reservation:
	case XENMEM_populate_physmap:
		return balloon(v, op, start, a[1]);
	case XENMEM_maximum_ram_page:
		return (long)machine.nr_frames;
	case XENMEM_current_reservation:
	case XENMEM_maximum_reservation:
	case XENMEM_maximum_gpfn:
		return reservation(v, op, start, a[1]);
	case XENMEM_machphys_mapping: {
		const uint64_t map[3] = { MACH2PHYS_VIRT_START, MACH2PHYS_VIRT_END,
					  ((MACH2PHYS_VIRT_END - MACH2PHYS_VIRT_START) >> 3) - 1 };
		return env_copy_to_guest(v, a[1], map, sizeof(map)) ? -XEN_EFAULT : 0;
	}
	case XENMEM_get_vnumainfo:
		return -XEN_EOPNOTSUPP;
	case XENMEM_exchange:
		return start ? -XEN_EINVAL : mem_exchange(v, a[1]);
	default:
		return -XEN_ENOSYS;
	}
}
