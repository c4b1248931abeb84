/* SPDX-License-Identifier: MIT */
/*
 * Start of day.  The domain builder left us an L4 whose slot 272 maps the
 * first mapped_pfns frames at DIRECT_BASE, its tables among them read-only,
 * pinned and loaded on every vCPU.  We extend the direct map to every frame:
 * each new L1 is filled while it is still an ordinary (writable) page, made
 * read-only, then hooked into the L2, which the hypervisor validates.
 */
#include "kernel.h"

struct mm kernel_mm;

/* The kernel L2 that maps the direct map's first GiB. */
static pfn_t kernel_l2(void)
{
	uint64_t l4e = read_entry(_gva(gva_x(pfn_to_virt(kernel_mm.pgd)) + KERNEL_L4_SLOT * 8));
	uint64_t l3e = read_entry(pfn_to_virt(_pfn((l4e & PTE_ADDR_MASK) >> PAGE_SHIFT)));
	return _pfn((l3e & PTE_ADDR_MASK) >> PAGE_SHIFT);
}

static void map_chunk(pfn_t l2, uint64_t first, uint64_t nr_pages)
{
	pfn_t l1 = palloc();
	gva_t va = pfn_to_virt(l1);
	for (unsigned j = 0; j < PT_ENTRIES; j++) {
		uint64_t pfn = first + j;
		uint64_t e = pfn < nr_pages ? make_pte((pfn << PAGE_SHIFT) | KERNEL_RW) : 0;
		if (hostif_store(_gva(gva_x(va) + j * 8), e))
			hostif_panic("cannot fill a new direct-map table");
	}
	make_page_readonly(l1);
	set_pmd(&kernel_mm, _gva(gva_x(pfn_to_virt(l2)) + (first / PT_ENTRIES) * 8),
		(pfn_x(l1) << PAGE_SHIFT) | TABLE_FLAGS);
}

void kernel_boot(const struct start_info *si, const struct mmu_ops *ops, bool batching)
{
	p2m_init(si);
	mmu_init(ops, batching);
	kernel_mm.pgd = _pfn(si->pt_base_pfn);
	kernel_mm.pinned = true;
	atomic_store(&kernel_mm.active, (1u << si->nr_vcpus) - 1);
	palloc_init(si);
	proc_init();
	if (si->nr_pages > PT_ENTRIES * PT_ENTRIES)
		hostif_panic("the direct map covers 1 GiB");
	pfn_t l2 = kernel_l2();
	lazy_mmu_enter();
	for (uint64_t first = si->mapped_pfns; first < si->nr_pages; first += PT_ENTRIES)
		map_chunk(l2, first, si->nr_pages);
	lazy_mmu_leave();
}
