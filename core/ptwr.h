/* SPDX-License-Identifier: MIT */
/* Writable-pagetable emulation (theory in ptwr.c). */
#ifndef CORE_PTWR_H
#define CORE_PTWR_H

#include "machine.h"

/* A guest-kernel store of (bytes) (1, 2, 4 or 8, naturally aligned) of
 * (value) at (va) on vCPU (v) faulted on a present read-only mapping; if
 * it is a read-modify-write, (read) points at what the instruction read
 * there (NULL: a plain store).  If the mapping is of one of the domain's
 * live pagetables, validate and apply the store as an update of the entry
 * it lands in, atomically (ptwr.c).  Returns 0 (emulated), -XEN_ERESTART
 * (the work is bounded: run the store again, it resumes), -XEN_EAGAIN (the
 * entry changed since it was read: run the instruction again), or another
 * negative errno: the guest takes the fault. */
long ptwr_emulate(struct vcpu *v, uint64_t va, uint64_t value, unsigned bytes, const uint64_t *read);

/* A guest-kernel store of (value) into 64-bit slot (slot) of frame (mfn),
 * through some mapping of it: an emulated update if the frame is a live
 * pagetable, else a plain store if the frame can be writable.  Returns 0 or
 * -XEN_EFAULT (not the domain's frame), -XEN_ERESTART (run it again), or
 * the refused update's errno. */
long ptwr_write_frame(struct vcpu *v, mfn_t mfn, unsigned slot, uint64_t value);

#endif
