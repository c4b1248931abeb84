/* SPDX-License-Identifier: MIT */
/*
 * The "pv" backend: every change to a live pagetable is a hypercall (queued
 * in lazy mode), and pinned tables are read-only in the kernel's mapping.
 */
#include "mmu.h"

static void pv_set_entry(gva_t entry, uint64_t val, bool pinned)
{
	if (!pinned) {
		if (hostif_store(entry, val))
			hostif_panic("store into an unpinned table faulted");
		return;
	}
	mc_mmu_update(maddr_x(virt_to_machine(entry)) | MMU_NORMAL_PT_UPDATE, val, "mmu_update of an entry");
}

static void pv_set_pte_current(uint64_t va, gva_t entry, uint64_t val)
{
	(void)entry;
	mc_update_va(va, val, UVMF_NONE, "update_va_mapping");
}

static void pv_set_pte_other(gva_t entry, uint64_t val)
{
	/* the store must not overtake what is queued before it */
	lazy_mmu_flush();
	mmu_stats[hostif_vcpu()].emulated_stores++;
	if (hostif_store(entry, val)) {
		struct mmu_failure f = { "emulated pagetable store", gva_x(entry), val, -XEN_EFAULT };
		mmu_report_failure(&f);
	}
}

static void pv_load_root(pfn_t pgd)
{
	mc_mmuext(MMUEXT_NEW_BASEPTR, mfn_x(pfn_to_mfn(pgd)), 0, "new_baseptr");
}

static void pv_flush_all(void)
{
	mc_mmuext(MMUEXT_TLB_FLUSH_LOCAL, 0, 0, "tlb_flush_local");
}

static void pv_flush_one(uint64_t va)
{
	mc_mmuext(MMUEXT_INVLPG_LOCAL, va, 0, "invlpg_local");
}

static void pv_protect_kernel_page(pfn_t pfn, bool readonly)
{
	uint64_t e = (pfn_x(pfn) << PAGE_SHIFT) | (readonly ? KERNEL_RO : KERNEL_RW);
	mc_update_va(gva_x(pfn_to_virt(pfn)), make_pte(e), UVMF_NONE,
		     readonly ? "make_page_readonly" : "make_page_readwrite");
}

static void make_ro(pfn_t pfn)
{
	pv_protect_kernel_page(pfn, true);
}

#define MOVE_MAX 8       /* the most tables a space pinned in held frames has */

static unsigned index_of(const pfn_t *pfns, unsigned n, uint64_t pfn)
{
	for (unsigned i = 0; i < n; i++)
		if (pfn_x(pfns[i]) == pfn)
			return i;
	hostif_panic("a table is linked from outside its space");
}

/* (mm)'s tables (the root first) move from (from) to (to): each table's
 * link in its parent, still writable, is pointed at its new frame. */
static void relink(struct mm *mm, const pfn_t *from, const pfn_t *to, unsigned n)
{
	for (unsigned i = 1; i < n; i++) {
		uint32_t hook = mm->hooks[i - 1];
		gva_t entry = _gva(DIRECT_BASE + (uint64_t)hook * 8);
		uint64_t e = read_entry(entry);
		set_pmd(mm, entry, (e & ~PTE_ADDR_MASK) | (pfn_x(to[i]) << PAGE_SHIFT));
		mm->hooks[i - 1] = (uint32_t)(pfn_x(to[index_of(from, n, hook >> 9)]) << 9 | (hook & 511));
		mm->tables[i - 1] = (uint32_t)pfn_x(to[i]);
	}
	mm->pgd = to[0];
}

/* Pin (mm) in frames held since an earlier space's end (held.c says why):
 * relinked, copied there by the hypervisor, pinned, and the frames it was
 * built in given back, still writable and never typed.  False, doing
 * nothing, without enough held frames. */
static bool pin_in_held(struct mm *mm)
{
	unsigned n = mm_frames(mm);
	pfn_t from[MOVE_MAX], to[MOVE_MAX];
	void (*put)(pfn_t pfn);
	if (n > MOVE_MAX || !mmu_take_held(n, to, &put))
		return false;
	for (unsigned i = 0; i < n; i++)
		from[i] = mm_frame(mm, i);
	relink(mm, from, to, n);
	for (unsigned i = 0; i < n; i++)
		mc_mmuext(MMUEXT_COPY_PAGE, mfn_x(pfn_to_mfn(to[i])), mfn_x(pfn_to_mfn(from[i])), "copy_page");
	mc_mmuext(MMUEXT_PIN_L4_TABLE, mfn_x(pfn_to_mfn(mm->pgd)), 0, "pin_l4_table");
	lazy_mmu_flush();
	for (unsigned i = 0; i < n; i++)
		put(from[i]);
	return true;
}

static void pv_pin(struct mm *mm)
{
	if (pin_in_held(mm))
		return;
	mm_for_each_table(mm, make_ro);
	mc_mmuext(MMUEXT_PIN_L4_TABLE, mfn_x(pfn_to_mfn(mm->pgd)), 0, "pin_l4_table");
}

static void pv_unpin(struct mm *mm)
{
	mc_mmuext(MMUEXT_UNPIN_TABLE, mfn_x(pfn_to_mfn(mm->pgd)), 0, "unpin_table");
}

const struct mmu_ops pv_mmu_ops = {
	.name = "pv",
	.readonly_tables = true,
	.set_entry = pv_set_entry,
	.set_pte_current = pv_set_pte_current,
	.set_pte_other = pv_set_pte_other,
	.load_root = pv_load_root,
	.flush_all = pv_flush_all,
	.flush_one = pv_flush_one,
	.pin = pv_pin,
	.unpin = pv_unpin,
	.protect_kernel_page = pv_protect_kernel_page,
};
