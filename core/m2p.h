/* SPDX-License-Identifier: MIT */
/*
 * The machine-to-phys table: for every machine frame, the pseudo-physical
 * frame its owner calls it.  It lives in hypervisor frames (m->m2p_start,
 * contiguous), which guests see read-only at MACH2PHYS_VIRT_START and change
 * only through MMU_MACHPHYS_UPDATE.
 */
#ifndef CORE_M2P_H
#define CORE_M2P_H

#include "env.h"
#include "machine.h"

#define M2P_INVALID (~0ull)

static inline _Atomic uint64_t *m2p_slot(struct machine *m, mfn_t mfn)
{
	_Atomic uint64_t *base = env_frame(m->m2p_start);
	return &base[mfn_x(mfn)];
}

static inline void m2p_set(struct machine *m, mfn_t mfn, uint64_t pfn)
{
	atomic_store_explicit(m2p_slot(m, mfn), pfn, memory_order_relaxed);
}

static inline uint64_t m2p_get(struct machine *m, mfn_t mfn)
{
	return atomic_load_explicit(m2p_slot(m, mfn), memory_order_relaxed);
}

/* Frames needed to hold the m2p of a machine of (nr_frames) frames. */
static inline uint64_t m2p_frames_for(uint64_t nr_frames)
{
	return (nr_frames * 8 + PAGE_SIZE - 1) / PAGE_SIZE;
}

#endif
