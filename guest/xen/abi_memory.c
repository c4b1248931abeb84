/* SPDX-License-Identifier: MIT */
/*
 * The memory_op rules (abi=memory), each with the answer Xen 4.17 gives:
 * the balloon (decrease_reservation, of frames unmapped and still mapped,
 * populate_physmap) and XENMEM_exchange,
 * as Linux's xen_create_contiguous_region uses it: frames of ours, their
 * mappings gone first, for new ones of another order, the m2p set to the
 * pfns we asked for; and what it refuses, before any work and per chunk.
 */
#include "attacks.h"

#define ADDRESS_BITS(n) (n)                 /* XENMEMF_address_bits */
#define EXACT_NODE(n)   (((n) + 1) << 8 | XENMEMF_exact_node_request)       /* XENMEMF_node */

static long memory_op(unsigned op, const void *arg)
{
	return xen_hypercall(HYPERVISOR_memory_op, op, (uintptr_t)arg, 0, 0, 0);
}

/* A frame given back and populated anew, as a balloon does: its direct
 * mapping gone first, then the reservation one less, then one more, the
 * new frame's m2p entry the pfn asked for. */
static void abi_balloon(void)
{
	static uint64_t list[1];
	struct xen_memory_reservation r = { (uintptr_t)list, 1, 0, 0, DOMID_SELF };
	uint16_t self = DOMID_SELF;
	long pages = memory_op(XENMEM_current_reservation, &self);
	pfn_t f = palloc();
	list[0] = mfn_of(f);
	r.extent_order = 19;
	expect("decrease_reservation of order 19 (a domU's limit is 9, dom0's 18): none done",
	       memory_op(XENMEM_decrease_reservation, &r), 0);
	r.extent_order = 0, r.domid = 7;
	expect("decrease_reservation of another domain: none done", memory_op(XENMEM_decrease_reservation, &r), 0);
	r.domid = DOMID_SELF, r.nr_extents = 0;
	expect("decrease_reservation of no extents", memory_op(XENMEM_decrease_reservation, &r), 0);
	r.nr_extents = 1, r.extent_start = HV_DMAP;
	expect("populate_physmap with a list in the hypervisor's area: none done", memory_op(XENMEM_populate_physmap, &r), 0);
	r.extent_start = (uintptr_t)list;
	expect("our frame unmapped", update_va(gva_x(pfn_to_virt(f)), 0), 0);
	expect("decrease_reservation of it", memory_op(XENMEM_decrease_reservation, &r), 1);
	expect("... the reservation one less", memory_op(XENMEM_current_reservation, &self), pages - 1);
	expect("decrease_reservation of it again: gone", memory_op(XENMEM_decrease_reservation, &r), 0);
	list[0] = pfn_x(f);
	expect("populate_physmap of its pfn", memory_op(XENMEM_populate_physmap, &r), 1);
	expect("... the reservation back", memory_op(XENMEM_current_reservation, &self), pages);
	expect("... the new frame's m2p entry is the pfn", pfn_x(mfn_to_pfn(_mfn(list[0]))) == pfn_x(f), 1);
	p2m_set(f, _mfn(list[0]));
	expect("mapped back", update_va(gva_x(pfn_to_virt(f)), make_pte((pfn_x(f) << PAGE_SHIFT) | KERNEL_RW)), 0);
	pput(f);
}

/* A frame given back while still mapped (Xen's guest_remove_page): done,
 * and counted in the reservation until its last mapping goes, which still
 * reaches it meanwhile; once unmapped it is gone for good. */
static void abi_balloon_mapped(void)
{
	static uint64_t list[1];
	struct xen_memory_reservation r = { (uintptr_t)list, 1, 0, 0, DOMID_SELF };
	uint16_t self = DOMID_SELF;
	long pages = memory_op(XENMEM_current_reservation, &self);
	pfn_t f = palloc();
	gva_t va = pfn_to_virt(f);
	volatile uint64_t *p = (volatile uint64_t *)gva_x(va);
	*p = 0x600dcafe;
	list[0] = mfn_of(f);
	expect("decrease_reservation of a frame still mapped (our direct map): done",
	       memory_op(XENMEM_decrease_reservation, &r), 1);
	expect("... the reservation as it was while it is mapped", memory_op(XENMEM_current_reservation, &self),
	       pages);
	expect("... the mapping still reaches it", *p == 0x600dcafe, 1);
	expect("... decrease_reservation of it again: done again (still ours until unmapped)",
	       memory_op(XENMEM_decrease_reservation, &r), 1);
	expect("... the reservation still as it was", memory_op(XENMEM_current_reservation, &self), pages);
	expect("... its mapping gone", update_va(gva_x(va), 0), 0);
	expect("... the reservation one less", memory_op(XENMEM_current_reservation, &self), pages - 1);
	expect("... mapping it again: not ours (-EBUSY)", update_va(gva_x(va), (list[0] << PAGE_SHIFT) | KERNEL_RW),
	       -XEN_EBUSY);
	list[0] = pfn_x(f);
	expect("populate_physmap of its pfn", memory_op(XENMEM_populate_physmap, &r), 1);
	p2m_set(f, _mfn(list[0]));
	expect("mapped back", update_va(gva_x(va), make_pte((pfn_x(f) << PAGE_SHIFT) | KERNEL_RW)), 0);
	pput(f);
}

static struct xen_memory_exchange x;
static uint64_t in_list[2], out_list[2];

/* Ask for an exchange of (n_in) extents of order (in_order) for (n_out) of
 * order (out_order), from in_list to out_list, nr_exchanged 0; change the
 * request in x before calling exchange() to ask for something else. */
static void prepare(uint64_t n_in, unsigned in_order, uint64_t n_out, unsigned out_order)
{
	x = (struct xen_memory_exchange){ { (uintptr_t)in_list, n_in, in_order, 0, DOMID_SELF },
			       { (uintptr_t)out_list, n_out, out_order, 0, DOMID_SELF }, 0 };
}

static long exchange(void)
{
	return memory_op(XENMEM_exchange, &x);
}

static long exchange_of(uint64_t n_in, unsigned in_order, uint64_t n_out, unsigned out_order)
{
	prepare(n_in, in_order, n_out, out_order);
	return exchange();
}

static void unmap(pfn_t f)
{
	if (update_va(gva_x(pfn_to_virt(f)), 0))
		hostif_panic("cannot unmap a frame to exchange");
}

/* (f) is frame (m) now, mapped again where it was. */
static void map_as(pfn_t f, uint64_t m)
{
	p2m_set(f, _mfn(m));
	if (update_va(gva_x(pfn_to_virt(f)), make_pte((pfn_x(f) << PAGE_SHIFT) | KERNEL_RW)))
		hostif_panic("cannot map an exchanged frame back");
}

/* What is refused before any work is done, and per chunk. */
static void exchange_refused(pfn_t f)
{
	in_list[0] = mfn_of(f), out_list[0] = pfn_x(f);
	expect_dom0("exchange of order 10 (a domU's limit is 9)", exchange_of(0, 10, 0, 10), -XEN_EPERM, 0,
		    "a dom0 may ask for larger orders");
	expect("exchange of 1 frame for an extent of 2: -EINVAL", exchange_of(1, 0, 1, 1), -XEN_EINVAL);
	prepare(1, 0, 1, 0);
	x.nr_exchanged = 2;
	expect("nr_exchanged past nr_extents: -EINVAL", exchange(), -XEN_EINVAL);
	prepare(1, 0, 1, 0);
	x.out.domid = 0;
	expect("in and out of different domains: -EINVAL", exchange(), -XEN_EINVAL);
	prepare(1, 0, 1, 0);
	x.nr_exchanged = 1;
	expect("nr_exchanged already nr_extents: nothing to do", exchange(), 0);
	prepare(1, 0, 1, 0);
	x.in.extent_start = HV_DMAP;
	expect("an in list in the hypervisor's area: -EFAULT", exchange(), -XEN_EFAULT);
	expect("... nr_exchanged written back", (long)x.nr_exchanged, 0);
	uint64_t skip = (HV_DMAP - (uintptr_t)in_list) / 8;        /* XSA-212 */
	prepare(skip + 1, 0, skip + 1, 0);
	x.nr_exchanged = skip;
	expect("an in list whose entry nr_exchanged is in the hypervisor's area (XSA-212): -EFAULT", exchange(),
	       -XEN_EFAULT);
	expect("... nr_exchanged written back as it was", x.nr_exchanged == skip, 1);
	prepare(1, 0, 1, 0);
	x.in.domid = x.out.domid = 7;
	expect("another domain's frames: -ESRCH", exchange(), -XEN_ESRCH);
	prepare(1, 0, 1, 0);
	x.out.mem_flags = EXACT_NODE(0);
	expect("exactly NUMA node 0 (a domU may not ask; a dom0's frame is in use): -EINVAL", exchange(),
	       -XEN_EINVAL);
	expect("a frame still mapped (our direct map): -EINVAL", exchange_of(1, 0, 1, 0), -XEN_EINVAL);
	expect("... none exchanged", (long)x.nr_exchanged, 0);
	in_list[0] = 0;
	expect("machine frame 0 (not ours): -EINVAL", exchange_of(1, 0, 1, 0), -XEN_EINVAL);
	uint64_t mark = 0x1234, got = 0;
	hostif_store(pfn_to_virt(f), mark);
	unmap(f);
	in_list[0] = mfn_of(f);
	prepare(1, 0, 1, 0);
	x.out.mem_flags = ADDRESS_BITS(13);
	expect("out-frames below 2^13 (none free): -ENOMEM", exchange(), -XEN_ENOMEM);
	expect("... none exchanged", (long)x.nr_exchanged, 0);
	map_as(f, in_list[0]);
	hostif_load(pfn_to_virt(f), &got);
	expect("... the in-frame still ours, as it was", got == mark, 1);
}

/* Frames of ours for new ones: 1 for 1, 2 for an extent of 2 (contiguous),
 * and that extent for 2 again; the reservation stays as it was. */
static void exchange_frames(pfn_t f, pfn_t g)
{
	uint16_t self = DOMID_SELF;
	long pages = memory_op(XENMEM_current_reservation, &self);
	uint64_t old = mfn_of(f);
	unmap(f);
	in_list[0] = old, out_list[0] = pfn_x(f);
	expect("exchange of 1 frame for 1", exchange_of(1, 0, 1, 0), 0);
	expect("... nr_exchanged 1", (long)x.nr_exchanged, 1);
	expect("... a new frame, its m2p entry our pfn",
	       out_list[0] != old && pfn_x(mfn_to_pfn(_mfn(out_list[0]))) == pfn_x(f), 1);
	expect("... the reservation as it was", memory_op(XENMEM_current_reservation, &self), pages);
	expect("the old frame again: not ours any more", exchange_of(1, 0, 1, 0), -XEN_EINVAL);
	map_as(f, out_list[0]);
	unmap(f), unmap(g);
	in_list[0] = mfn_of(f), in_list[1] = mfn_of(g), out_list[0] = pfn_x(f);
	expect("exchange of 2 frames for an extent of 2", exchange_of(2, 0, 1, 1), 0);
	uint64_t m = out_list[0];
	expect("... nr_exchanged 2, the extent aligned, its m2p our pfn and the next",
	       x.nr_exchanged == 2 && m % 2 == 0 && pfn_x(mfn_to_pfn(_mfn(m))) == pfn_x(f) &&
		       pfn_x(mfn_to_pfn(_mfn(m + 1))) == pfn_x(f) + 1, 1);
	in_list[0] = m, out_list[0] = pfn_x(f), out_list[1] = pfn_x(g);
	expect("that extent for 2 frames", exchange_of(1, 1, 2, 0), 0);
	expect("... nr_exchanged 1, m2p our two pfns",
	       x.nr_exchanged == 1 && pfn_x(mfn_to_pfn(_mfn(out_list[0]))) == pfn_x(f) &&
		       pfn_x(mfn_to_pfn(_mfn(out_list[1]))) == pfn_x(g), 1);
	map_as(f, out_list[0]);
	map_as(g, out_list[1]);
	expect("... the reservation as it was", memory_op(XENMEM_current_reservation, &self), pages);
}

void abi_memory(void)
{
	pfn_t f = palloc(), g = palloc();
	abi_balloon();
	abi_balloon_mapped();
	exchange_refused(f);
	exchange_frames(f, g);
	pput(f);
	pput(g);
}
