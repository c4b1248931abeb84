/* SPDX-License-Identifier: MIT */
/*
 * The frame allocator: a stack of free pfns under one spinlock, and a
 * reference count per pfn (a shared copy-on-write page has several),
 * changed atomically without the lock: fork and exit take and drop one per
 * shared page, hundreds per operation, and vCPUs forking side by side would
 * otherwise queue for the one lock for each.  A frame is on the stack
 * exactly when its count is zero: it is pushed by the put that brings the
 * count to zero and popped, count set to one, by palloc.
 */
#include <stdatomic.h>
#include "kernel.h"

#define MAX_PAGES (1u << 20)

static uint32_t free_stack[MAX_PAGES];
static uint32_t nfree;
static _Atomic uint16_t refs[MAX_PAGES];
static uint64_t nr_pages;
static atomic_flag lock = ATOMIC_FLAG_INIT;

static void take(void)
{
	/* held for a few instructions, never while waiting for anything */
	while (atomic_flag_test_and_set_explicit(&lock, memory_order_acquire))
		;
}

static void give(void)
{
	atomic_flag_clear_explicit(&lock, memory_order_release);
}

void palloc_init(const struct start_info *si)
{
	if (si->nr_pages > MAX_PAGES)
		hostif_panic("more memory than the allocator can track");
	nr_pages = si->nr_pages;
	nfree = 0;
	/* pushed high to low, so the lowest (already mapped) come out first */
	for (uint64_t p = si->nr_pages; p-- > si->first_free_pfn;)
		free_stack[nfree++] = (uint32_t)p;
}

pfn_t palloc(void)
{
	take();
	if (!nfree)
		hostif_panic("out of memory");
	uint32_t p = free_stack[--nfree];
	give();
	atomic_store_explicit(&refs[p], 1, memory_order_relaxed);
	return _pfn(p);
}

void pget(pfn_t pfn)
{
	if (atomic_fetch_add_explicit(&refs[pfn_x(pfn)], 1, memory_order_relaxed) == UINT16_MAX)
		hostif_panic("frame referenced too often");
}

void pput(pfn_t pfn)
{
	uint16_t was = atomic_fetch_sub_explicit(&refs[pfn_x(pfn)], 1, memory_order_acq_rel);
	if (was == 0)
		hostif_panic("frame freed twice");
	if (was == 1) {
		take();
		free_stack[nfree++] = (uint32_t)pfn_x(pfn);
		give();
	}
}

unsigned pcount(pfn_t pfn)
{
	return atomic_load_explicit(&refs[pfn_x(pfn)], memory_order_relaxed);
}

uint64_t palloc_nr_free(void)
{
	take();
	uint64_t n = nfree;
	give();
	return n;
}
