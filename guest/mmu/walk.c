/* SPDX-License-Identifier: MIT */
/*
 * The pagetable walker, written once for every level: visit a table, then
 * each present entry's table one level down, as long as the addresses it
 * maps start below the limit.  Level 1 tables are visited but not entered.
 */
#include "mmu.h"

static void walk_level(pfn_t table, unsigned level, uint64_t base, uint64_t limit,
		       void (*fn)(unsigned, pfn_t, void *), void *arg)
{
	fn(level, table, arg);
	if (level == 1)
		return;
	uint64_t span = 1ull << (PAGE_SHIFT + 9 * (level - 1));
	for (unsigned i = 0; i < PT_ENTRIES; i++) {
		uint64_t va = base + i * span;
		if (va >= limit)
			break;
		uint64_t e = read_entry(_gva(gva_x(pfn_to_virt(table)) + i * 8));
		if (pte_present(e))
			walk_level(_pfn((e & PTE_ADDR_MASK) >> PAGE_SHIFT), level - 1, va, limit, fn, arg);
	}
}

void pt_walk(pfn_t pgd, uint64_t limit, void (*fn)(unsigned level, pfn_t pfn, void *arg), void *arg)
{
	walk_level(pgd, 4, 0, limit, fn, arg);
}
