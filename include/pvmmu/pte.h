/* SPDX-License-Identifier: MIT */
/*
 * x86-64 4-level pagetable entries, as the hardware and Xen's PV ABI define
 * them.  An entry is a plain uint64_t: frame bits 12..51, flags in bits 0..11
 * and 52..63.  Level 1 maps 4 KiB, level 4 is the root (cr3).
 */
#ifndef PVMMU_PTE_H
#define PVMMU_PTE_H

#include <pvmmu/types.h>

#define PTE_P          (1ull << 0)   /* present */
#define PTE_RW         (1ull << 1)   /* writable */
#define PTE_US         (1ull << 2)   /* user-accessible */
#define PTE_PWT        (1ull << 3)   /* write-through */
#define PTE_PCD        (1ull << 4)   /* cache disable */
#define PTE_A          (1ull << 5)   /* accessed (set by the MMU) */
#define PTE_D          (1ull << 6)   /* dirty (set by the MMU, L1 only) */
#define PTE_PSE        (1ull << 7)   /* superpage at L2/L3, PAT at L1 */
#define PTE_G          (1ull << 8)   /* global */
#define PTE_AVAIL      (7ull << 9)   /* software bits 9-11 */
#define PTE_AVAIL_HIGH (0x7ffull << 52) /* software bits 52-62 */
#define PTE_NX         (1ull << 63)  /* no execute */

/* Xen marks a 64-bit PV kernel's own L1 mappings with this software bit. */
#define PTE_GUEST_KERNEL (1ull << 52)

#define PTE_ADDR_MASK  0x000ffffffffff000ull
#define PTE_FLAGS_MASK (~PTE_ADDR_MASK)

static inline mfn_t pte_mfn(uint64_t e) { return _mfn((e & PTE_ADDR_MASK) >> PAGE_SHIFT); }
static inline uint64_t pte_flags(uint64_t e) { return e & PTE_FLAGS_MASK; }
static inline uint64_t pte_make(mfn_t m, uint64_t flags)
{
	return ((mfn_x(m) << PAGE_SHIFT) & PTE_ADDR_MASK) | (flags & PTE_FLAGS_MASK);
}
static inline bool pte_present(uint64_t e) { return e & PTE_P; }

/* Index of va in the table of level (1..4). */
static inline unsigned pt_index(uint64_t va, unsigned level)
{
	return (unsigned)(va >> (PAGE_SHIFT + 9 * (level - 1))) & (PT_ENTRIES - 1);
}

/* Virtual addresses: 48 bits, sign-extended. */
static inline bool va_canonical(uint64_t va)
{
	uint64_t top = va >> 47;
	return top == 0 || top == 0x1ffff;
}

#endif
