/* SPDX-License-Identifier: MIT */
/*
 * Pinning, and the address-space life cycle as the MMU sees it: activate,
 * pin the tables of a new child, and make sure nobody still has a space
 * loaded before it is unpinned (Linux's drop_mm_ref).  An address space
 * lists its tables as they are made, so pinning needs no walk (Linux walks
 * the pgd for it, reading every entry of every upper table).
 */
#include "mmu.h"

void mm_add_table(struct mm *mm, pfn_t pfn, gva_t hook)
{
	if (mm->nr_tables == MM_MAX_TABLES)
		hostif_panic("address space has too many tables");
	mm->hooks[mm->nr_tables] = (uint32_t)((gva_x(hook) - DIRECT_BASE) / 8);
	mm->tables[mm->nr_tables++] = (uint32_t)pfn_x(pfn);
}

void mm_for_each_table(struct mm *mm, void (*fn)(pfn_t pfn))
{
	for (unsigned i = 0; i < mm_frames(mm); i++)
		fn(mm_frame(mm, i));
}

void make_page_readonly(pfn_t pfn)
{
	mmu_ops->protect_kernel_page(pfn, true);
}

void make_page_readwrite(pfn_t pfn)
{
	mmu_ops->protect_kernel_page(pfn, false);
}

void mmu_pin(struct mm *mm)
{
	if (mm->pinned)
		return;
	lazy_mmu_enter();
	mmu_ops->pin(mm);
	lazy_mmu_leave();
	mm->pinned = true;
}

void mmu_unpin(struct mm *mm)
{
	if (!mm->pinned)
		return;
	lazy_mmu_enter();
	mmu_ops->unpin(mm);
	lazy_mmu_leave();
	mm->pinned = false;
	mm->readonly = mmu_ops->readonly_tables;
}

void activate_mm(struct mm *prev, struct mm *next)
{
	uint32_t me = 1u << hostif_vcpu();
	if (prev == next)
		return;
	mmu_ops->load_root(next->pgd);
	atomic_fetch_or(&next->active, me);
	if (prev)
		atomic_fetch_and(&prev->active, ~me);
}

void dup_mmap_pin(struct mm *child)
{
	mmu_pin(child);
}

void exit_mmap_drop(struct mm *mm, struct mm *kernel, void (*ask)(unsigned vcpu, struct mm *mm))
{
	unsigned me = hostif_vcpu();
	/* a queued new_baseptr of this space must land before we look */
	lazy_mmu_flush();
	if (atomic_load(&mm->active) & (1u << me)) {
		activate_mm(mm, kernel);
		lazy_mmu_flush();
	}
	for (unsigned k = 0; k < MAX_GUEST_VCPUS; k++)
		if (atomic_load(&mm->active) & (1u << k))
			ask(k, mm);
	if (atomic_load(&mm->active))
		hostif_panic("address space still loaded after exit_mmap_drop");
}
