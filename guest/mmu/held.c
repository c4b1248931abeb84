/* SPDX-License-Identifier: MIT */
/*
 * Tables between two lives: the frames of unpinned spaces, held read-only.
 *
 * Why.  A frame changes type (a table made writable, a writable frame made
 * a table) only after every vCPU that has not flushed its TLB since the
 * frame's last mapping went has flushed (the hypervisor's TLB clock, Xen's
 * page timestamps): right after an unpin, or right after a fresh table was
 * written and made read-only, that is every vCPU of the domain, a local
 * flush and an IPI to each other CPU running one.  Linux pays both, once to
 * make an exiting space's tables writable (xen_pgd_unpin) and once to pin a
 * new child's (xen_pgd_pin).  Here an unpinned space's tables wait on this
 * vCPU's list instead, read-only, in the order they came.  A new space's
 * tables are built in fresh writable frames as before, but pinned in held
 * frames (guest/mmu/pv.c, MMUEXT_COPY_PAGE): the oldest, once at least
 * HELD_RESERVE more wait behind them, so several operations have gone by
 * since their last mapping went and every vCPU has flushed for its own
 * reasons; their type changes then flush nobody.  A list that fills is
 * made writable in one batch and given back to the allocator.
 *
 * Invariants: each list holds frames that are unpinned, read-only in the
 * kernel's mapping and owned by no space nor the allocator, each with the
 * (put) it came with (all of one list share it); only its vCPU changes a
 * list, but mmu_free_held, which runs with every vCPU quiescent.
 */
#include "mmu.h"

#define HELD_TABLES 32
#define HELD_RESERVE 8

static struct held {
	_Alignas(64) unsigned first, n; /* a ring: the oldest at first (each vCPU's list
				     * on cache lines of its own) */
	void (*put)(pfn_t pfn);
	uint32_t pfn[HELD_TABLES];
} held[MAX_GUEST_VCPUS];

static pfn_t nth(const struct held *h, unsigned i)
{
	return _pfn(h->pfn[(h->first + i) % HELD_TABLES]);
}

/* (h)'s frames writable, in one batch, then given back. */
static void free_held(struct held *h)
{
	lazy_mmu_enter();
	for (unsigned i = 0; i < h->n; i++)
		make_page_readwrite(nth(h, i));
	lazy_mmu_flush();
	for (unsigned i = 0; i < h->n; i++)
		h->put(nth(h, i));
	h->first = h->n = 0;
	lazy_mmu_leave();
}

static void hold(struct held *h, pfn_t pfn, void (*put)(pfn_t pfn))
{
	if (h->n == HELD_TABLES || (h->n && h->put != put))
		free_held(h);
	h->put = put;
	h->pfn[(h->first + h->n++) % HELD_TABLES] = (uint32_t)pfn_x(pfn);
}

void mmu_free_tables(struct mm *mm, void (*put)(pfn_t pfn))
{
	if (mm->pinned)
		hostif_panic("tables of a pinned space given back");
	if (!mm->readonly) {
		mm_for_each_table(mm, put);
	} else {
		struct held *h = &held[hostif_vcpu()];
		for (unsigned i = 0; i < mm_frames(mm); i++)
			hold(h, mm_frame(mm, i), put);
	}
	mm->readonly = false;
	mm->nr_tables = 0;
}

bool mmu_take_held(unsigned n, pfn_t out[], void (**put)(pfn_t pfn))
{
	struct held *h = &held[hostif_vcpu()];
	if (h->n < n + HELD_RESERVE)
		return false;
	for (unsigned i = 0; i < n; i++)
		out[i] = nth(h, i);
	h->first = (h->first + n) % HELD_TABLES;
	h->n -= n;
	*put = h->put;
	return true;
}

void mmu_free_held(void)
{
	for (unsigned k = 0; k < MAX_GUEST_VCPUS; k++)
		if (held[k].n)
			free_held(&held[k]);
}
