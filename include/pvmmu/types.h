/* SPDX-License-Identifier: MIT */
/*
 * Distinct types for the kinds of numbers a PV MMU juggles.
 *
 * A machine frame number (mfn), a pseudo-physical frame number (pfn), a
 * machine address (maddr) and a guest virtual address (gva) are all 64-bit
 * integers, and mixing them up is the classic PV bug.  Each is a one-member
 * struct, so passing a pfn where an mfn is wanted is a compile error.
 * Conversions are explicit: _mfn(x) builds one, mfn_x(m) reads it back.
 */
#ifndef PVMMU_TYPES_H
#define PVMMU_TYPES_H

#include <stdbool.h>
#include <stdint.h>

#define PAGE_SHIFT 12
#define PAGE_SIZE  (1ull << PAGE_SHIFT)
#define PT_ENTRIES 512u

#define TYPE_SAFE(name, field)                                              \
	typedef struct { uint64_t field; } name##_t;                        \
	static inline name##_t _##name(uint64_t v) { return (name##_t){ v }; } \
	static inline uint64_t name##_x(name##_t t) { return t.field; }      \
	static inline bool name##_eq(name##_t a, name##_t b) { return a.field == b.field; }

TYPE_SAFE(mfn, m)
TYPE_SAFE(pfn, p)
TYPE_SAFE(maddr, a)
TYPE_SAFE(gva, v)

#undef TYPE_SAFE

#define INVALID_MFN _mfn(~0ull)

static inline maddr_t mfn_to_maddr(mfn_t m) { return _maddr(mfn_x(m) << PAGE_SHIFT); }
static inline mfn_t maddr_to_mfn(maddr_t a) { return _mfn(maddr_x(a) >> PAGE_SHIFT); }

#endif
