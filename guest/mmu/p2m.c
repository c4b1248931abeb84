/* SPDX-License-Identifier: MIT */
/*
 * pfn <-> mfn.  The p2m is the guest's own table, handed over at start of
 * day; the m2p is the hypervisor's, read through its read-only mapping at
 * MACH2PHYS_VIRT_START.  Only present entries carry a frame to convert.
 */
#include "mmu.h"

static uint64_t *p2m;
static uint64_t nr_pages;
static pfn_t kernel_root;

void p2m_init(const struct start_info *si)
{
	p2m = si->p2m;
	nr_pages = si->nr_pages;
	kernel_root = _pfn(si->pt_base_pfn);
}

mfn_t pfn_to_mfn(pfn_t pfn)
{
	if (pfn_x(pfn) >= nr_pages)
		hostif_panic("pfn beyond the guest's memory");
	return _mfn(p2m[pfn_x(pfn)]);
}

void p2m_set(pfn_t pfn, mfn_t mfn)
{
	if (pfn_x(pfn) >= nr_pages)
		hostif_panic("pfn beyond the guest's memory");
	p2m[pfn_x(pfn)] = mfn_x(mfn);
}

pfn_t mfn_to_pfn(mfn_t mfn)
{
	uint64_t pfn;
	if (hostif_load(_gva(MACH2PHYS_VIRT_START + mfn_x(mfn) * 8), &pfn))
		hostif_panic("m2p not readable");
	return _pfn(pfn);
}

uint64_t make_pte(uint64_t e)
{
	if (!pte_present(e))
		return e;
	return pte_make(pfn_to_mfn(_pfn((e & PTE_ADDR_MASK) >> PAGE_SHIFT)), pte_flags(e));
}

uint64_t pte_val(uint64_t e)
{
	if (!pte_present(e))
		return e;
	return (pfn_x(mfn_to_pfn(pte_mfn(e))) << PAGE_SHIFT) | pte_flags(e);
}

/* Any other kernel address the guest maps itself: walk its own tables. */
static maddr_t walk_to_machine(uint64_t v)
{
	pfn_t t = kernel_root;
	for (unsigned level = 4; level >= 1; level--) {
		uint64_t e = read_entry(_gva(gva_x(pfn_to_virt(t)) + pt_index(v, level) * 8));
		t = _pfn((e & PTE_ADDR_MASK) >> PAGE_SHIFT);
		/* not mapped, or through frames that are not the guest's own
		 * (the hypervisor's area) */
		if (!pte_present(e) || pfn_x(t) >= nr_pages)
			return _maddr(0);
	}
	return _maddr((mfn_x(pfn_to_mfn(t)) << PAGE_SHIFT) | (v & (PAGE_SIZE - 1)));
}

maddr_t virt_to_machine(gva_t va)
{
	uint64_t v = gva_x(va);
	if (v >= DIRECT_BASE && v < DIRECT_BASE + (nr_pages << PAGE_SHIFT))
		return _maddr((mfn_x(pfn_to_mfn(_pfn((v - DIRECT_BASE) >> PAGE_SHIFT))) << PAGE_SHIFT) |
			      (v & (PAGE_SIZE - 1)));
	return walk_to_machine(v);
}
