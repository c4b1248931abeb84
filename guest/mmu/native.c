/* SPDX-License-Identifier: MIT */
/*
 * The "native" backend: the kernel owns the MMU.  Entries are plain stores,
 * the root is loaded into cr3, tables stay writable, and pinning means
 * nothing.  The same kernel, without a hypervisor: the baseline.
 */
#include "mmu.h"

static void native_set_entry(gva_t entry, uint64_t val, bool pinned)
{
	(void)pinned;
	if (hostif_store(entry, val))
		hostif_panic("native pagetable store faulted");
}

static void native_set_pte_current(uint64_t va, gva_t entry, uint64_t val)
{
	(void)va;
	native_set_entry(entry, val, true);
}

static void native_set_pte_other(gva_t entry, uint64_t val)
{
	native_set_entry(entry, val, true);
}

static void native_load_root(pfn_t pgd)
{
	hostif_native_load_cr3(pfn_to_mfn(pgd));
}

static void native_pin(struct mm *mm)
{
	(void)mm;
}

static void native_protect_kernel_page(pfn_t pfn, bool readonly)
{
	(void)pfn;
	(void)readonly;
}

const struct mmu_ops native_mmu_ops = {
	.name = "native",
	.readonly_tables = false,
	.set_entry = native_set_entry,
	.set_pte_current = native_set_pte_current,
	.set_pte_other = native_set_pte_other,
	.load_root = native_load_root,
	.flush_all = hostif_native_flush,
	.flush_one = hostif_native_invlpg,
	.pin = native_pin,
	.unpin = native_pin,
	.protect_kernel_page = native_protect_kernel_page,
};
