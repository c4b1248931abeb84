/* SPDX-License-Identifier: MIT */
/*
 * Address spaces: building tables, faults, mmap/munmap/mprotect, teardown
 * (the invariants are in kernel.h).  Upper-level entries are issued at once
 * (something may read them next); L1 work is batched in lazy mode, and
 * frames unmapped by a batch are freed by a callback once it has landed.
 */
#include "kernel.h"

#define MAX_FREE 32768

static gva_t slot_va(pfn_t table, unsigned idx)
{
	return _gva(gva_x(pfn_to_virt(table)) + idx * 8);
}

/* Share the kernel's L4 slot (slot) with (mm)'s new, unpinned root. */
static void share_kernel_slot(struct mm *mm, unsigned slot)
{
	uint64_t e;
	if (hostif_load(slot_va(kernel_mm.pgd, slot), &e) || hostif_store(slot_va(mm->pgd, slot), e))
		hostif_panic("cannot build a new L4");
}

void vm_create(struct mm *mm)
{
	mm->pgd = palloc();
	mm->pinned = mm->readonly = false;
	mm->nr_tables = 0;
	atomic_store(&mm->active, 0);
	if (hostif_zero_page(pfn_to_virt(mm->pgd)))
		hostif_panic("cannot zero a new L4");
	share_kernel_slot(mm, KERNEL_L4_SLOT);
	/* the m2p: the hypervisor fills its slot when it validates the root,
	 * a native kernel keeps it itself */
	share_kernel_slot(mm, HV_L4_FIRST_SLOT);
}

/* A fresh, zeroed table for (mm), hooked in at (entry) of a table of
 * (level + 1). */
static pfn_t new_table(struct mm *mm, gva_t entry)
{
	pfn_t t = palloc();
	if (hostif_zero_page(pfn_to_virt(t)))
		hostif_panic("cannot zero a new table");
	mm_add_table(mm, t, entry);
	if (mm->pinned)
		make_page_readonly(t);
	set_pmd(mm, entry, (pfn_x(t) << PAGE_SHIFT) | TABLE_FLAGS);
	if (mm->pinned)
		lazy_mmu_flush();
	return t;
}

gva_t vm_entry(struct mm *mm, uint64_t va, bool alloc)
{
	pfn_t t = mm->pgd;
	for (unsigned level = 4; level > 1; level--) {
		gva_t entry = slot_va(t, pt_index(va, level));
		uint64_t e = read_entry(entry);
		if (pte_present(e))
			t = _pfn((e & PTE_ADDR_MASK) >> PAGE_SHIFT);
		else if (alloc)
			t = new_table(mm, entry);
		else
			return _gva(0);
	}
	return slot_va(t, pt_index(va, 1));
}

/* One level of vm_for_each_pte, written once for every level. */
static void each_level(struct mm *mm, pfn_t table, unsigned level, uint64_t base, uint64_t start,
		       uint64_t end,
		       void (*fn)(struct mm *, uint64_t, gva_t, uint64_t, void *), void *arg)
{
	uint64_t span = 1ull << (PAGE_SHIFT + 9 * (level - 1));
	for (unsigned i = 0; i < PT_ENTRIES; i++) {
		uint64_t va = base + i * span;
		if (va + span <= start || va >= end)
			continue;
		gva_t entry = slot_va(table, i);
		uint64_t e = read_entry(entry);
		if (!pte_present(e))
			continue;
		if (level == 1)
			fn(mm, va, entry, e, arg);
		else
			each_level(mm, _pfn((e & PTE_ADDR_MASK) >> PAGE_SHIFT), level - 1, va, start, end,
				   fn, arg);
	}
}

void vm_for_each_pte(struct mm *mm, uint64_t start, uint64_t end,
		     void (*fn)(struct mm *, uint64_t, gva_t, uint64_t, void *), void *arg)
{
	each_level(mm, mm->pgd, 4, 0, start, end < USER_LIMIT ? end : USER_LIMIT, fn, arg);
}

static struct vma *find_vma(struct proc *p, uint64_t va)
{
	for (unsigned i = 0; i < p->nvma; i++)
		if (va >= p->vma[i].start && va < p->vma[i].end)
			return &p->vma[i];
	return NULL;
}

/* Map a fresh zeroed page at (va). */
static void map_zero_page(struct proc *p, uint64_t va, bool write)
{
	pfn_t f = palloc();
	if (hostif_zero_page(pfn_to_virt(f)))
		hostif_panic("cannot zero a page");
	set_pte_at(&p->mm, va, vm_entry(&p->mm, va, true),
		   (pfn_x(f) << PAGE_SHIFT) | USER_FLAGS | PTE_D | (write ? PTE_RW : 0));
}

int vm_mmap(struct proc *p, uint64_t start, uint64_t len, bool write, bool populate)
{
	if (p->nvma == MAX_VMAS)
		return -1;
	p->vma[p->nvma++] = (struct vma){ start, start + len, write };
	if (!populate)
		return 0;
	lazy_mmu_enter();
	for (uint64_t va = start; va < start + len; va += PAGE_SIZE)
		map_zero_page(p, va, write);
	lazy_mmu_leave();
	return 0;
}

/* Frames waiting for the batch that unmapped them. */
struct free_list {
	unsigned n;
	uint32_t pfn[MAX_FREE];
};
static struct free_list free_lists[MAX_GUEST_VCPUS];

static void free_after_flush(void *arg)
{
	struct free_list *l = arg;
	for (unsigned i = 0; i < l->n; i++)
		pput(_pfn(l->pfn[i]));
	l->n = 0;
}

static void unmap_one(struct mm *mm, uint64_t va, gva_t entry, uint64_t pte, void *arg)
{
	struct free_list *l = arg;
	(void)va;
	pte_clear(mm, entry);
	if (l->n == MAX_FREE) {
		mmu_ops->flush_all();
		lazy_mmu_callback(free_after_flush, l);
		lazy_mmu_flush();
	}
	l->pfn[l->n++] = (uint32_t)((pte & PTE_ADDR_MASK) >> PAGE_SHIFT);
}

void vm_munmap(struct proc *p, uint64_t start, uint64_t len)
{
	struct free_list *l = &free_lists[hostif_vcpu()];
	lazy_mmu_enter();
	vm_for_each_pte(&p->mm, start, start + len, unmap_one, l);
	mmu_ops->flush_all();
	lazy_mmu_callback(free_after_flush, l);
	lazy_mmu_leave();
	for (unsigned i = 0; i < p->nvma; i++)
		if (p->vma[i].start == start && p->vma[i].end == start + len)
			p->vma[i] = p->vma[--p->nvma];
}

static void protect_one(struct mm *mm, uint64_t va, gva_t entry, uint64_t pte, void *arg)
{
	bool write = *(bool *)arg;
	(void)va;
	/* a shared (COW) page stays read-only; its write fault copies it */
	pfn_t f = _pfn((pte & PTE_ADDR_MASK) >> PAGE_SHIFT);
	uint64_t want = write && pcount(f) == 1 ? pte | PTE_RW : pte & ~PTE_RW;
	if (want != pte)
		set_pte(mm, entry, want);
}

void vm_mprotect(struct proc *p, uint64_t start, uint64_t len, bool write)
{
	lazy_mmu_enter();
	vm_for_each_pte(&p->mm, start, start + len, protect_one, &write);
	mmu_ops->flush_all();
	lazy_mmu_leave();
	for (unsigned i = 0; i < p->nvma; i++)
		if (p->vma[i].start >= start && p->vma[i].end <= start + len)
			p->vma[i].write = write;
}

int vm_fault(struct proc *p, uint64_t va, bool write)
{
	struct vma *v = find_vma(p, va);
	va &= ~(PAGE_SIZE - 1);
	if (!v || (write && !v->write))
		return -1;
	mmu_stats[hostif_vcpu()].faults++;
	gva_t entry = vm_entry(&p->mm, va, true);
	uint64_t pte = read_entry(entry);
	if (!pte_present(pte)) {
		map_zero_page(p, va, v->write);
		return 0;
	}
	if (!write || (pte & PTE_RW)) {
		/* a stale translation: the entry already allows it */
		mmu_ops->flush_one(va);
		return 0;
	}
	pfn_t old = _pfn((pte & PTE_ADDR_MASK) >> PAGE_SHIFT);
	if (pcount(old) == 1) {
		set_pte_at(&p->mm, va, entry, pte | PTE_RW | PTE_D);
	} else {
		pfn_t copy = palloc();
		if (hostif_copy_page(pfn_to_virt(copy), pfn_to_virt(old)))
			hostif_panic("cannot copy a page");
		set_pte_at(&p->mm, va, entry, (pfn_x(copy) << PAGE_SHIFT) | USER_FLAGS | PTE_D | PTE_RW);
		pput(old);
	}
	mmu_ops->flush_one(va);
	return 0;
}

int vm_touch(struct proc *p, uint64_t va, uint64_t val, bool write)
{
	for (int tries = 0; tries < 4; tries++) {
		uint64_t got;
		if (!(write ? hostif_store(_gva(va), val) : hostif_load(_gva(va), &got)))
			return 0;
		if (vm_fault(p, va, write))
			return -1;
	}
	return -1;
}

static void put_page(struct mm *mm, uint64_t va, gva_t entry, uint64_t pte, void *arg)
{
	(void)mm;
	(void)va;
	(void)entry;
	(void)arg;
	pput(_pfn((pte & PTE_ADDR_MASK) >> PAGE_SHIFT));
}

static void put_table(pfn_t pfn)
{
	pput(pfn);
}

void vm_destroy(struct mm *mm)
{
	mmu_unpin(mm);
	vm_for_each_pte(mm, 0, USER_LIMIT, put_page, NULL);
	mmu_free_tables(mm, put_table);
}
