/* SPDX-License-Identifier: MIT */
/*
 * The frame allocator: a stack of free pfns and a reference count per pfn
 * (a shared copy-on-write page has several), under one spinlock.
 */
#include <stdatomic.h>
#include "kernel.h"

#define MAX_PAGES (1u << 20)

static uint32_t free_stack[MAX_PAGES];
static uint32_t nfree;
static uint16_t refs[MAX_PAGES];
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
	refs[p] = 1;
	give();
	return _pfn(p);
}

void pget(pfn_t pfn)
{
	take();
	refs[pfn_x(pfn)]++;
	give();
}

void pput(pfn_t pfn)
{
	take();
	if (refs[pfn_x(pfn)] == 0)
		hostif_panic("frame freed twice");
	if (--refs[pfn_x(pfn)] == 0)
		free_stack[nfree++] = (uint32_t)pfn_x(pfn);
	give();
}

unsigned pcount(pfn_t pfn)
{
	return refs[pfn_x(pfn)];
}

uint64_t palloc_nr_free(void)
{
	take();
	uint64_t n = nfree;
	give();
	return n;
}
