/* SPDX-License-Identifier: MIT */
/*
 * Entry updates, backend-independent: convert the pfn-based value, then let
 * the backend write it.  An entry of a table that is not pinned is plain
 * memory; one of a pinned table is the hypervisor's to check.
 */
#include "mmu.h"

const struct mmu_ops *mmu_ops = &pv_mmu_ops;

void mmu_init(const struct mmu_ops *ops, bool batching)
{
	mmu_ops = ops;
	lazy_set_batching(batching);
}

static void set_entry(struct mm *mm, gva_t entry, uint64_t pfn_entry)
{
	mmu_ops->set_entry(entry, make_pte(pfn_entry), mm->pinned);
}

void set_pte(struct mm *mm, gva_t entry, uint64_t e) { set_entry(mm, entry, e); }
void set_pmd(struct mm *mm, gva_t entry, uint64_t e) { set_entry(mm, entry, e); }
void set_pud(struct mm *mm, gva_t entry, uint64_t e) { set_entry(mm, entry, e); }
void set_pgd(struct mm *mm, gva_t entry, uint64_t e) { set_entry(mm, entry, e); }
void pte_clear(struct mm *mm, gva_t entry) { set_entry(mm, entry, 0); }

void set_pte_at(struct mm *mm, uint64_t va, gva_t entry, uint64_t e)
{
	bool current = atomic_load(&mm->active) & (1u << hostif_vcpu());
	if (!mm->pinned)
		set_entry(mm, entry, e);
	else if (current)
		mmu_ops->set_pte_current(va, entry, make_pte(e));
	else
		mmu_ops->set_pte_other(entry, make_pte(e));
}

uint64_t read_entry(gva_t entry)
{
	uint64_t e;
	if (hostif_load(entry, &e))
		hostif_panic("pagetable entry not readable");
	return pte_val(e);
}
