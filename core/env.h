/* SPDX-License-Identifier: MIT */
/*
 * The platform interface: everything core/ needs from the host it runs on,
 * implemented once by sim/ (user space) and once by hv/ (ring 0).  core/ is
 * freestanding and calls nothing else.
 */
#ifndef CORE_ENV_H
#define CORE_ENV_H

#include <stddef.h>
#include <pvmmu/types.h>

struct vcpu;

/* The contents of machine frame (mfn), which must be below the machine's
 * frame count.  The pointer is valid for the machine's lifetime. */
void *env_frame(mfn_t mfn);

/* Copy (len) bytes between guest memory at (gptr), as seen by vCPU (v), and
 * hypervisor memory.  Return 0, or -XEN_EFAULT if any byte is inaccessible;
 * on failure the destination may be partly written. */
int env_copy_from_guest(struct vcpu *v, void *dst, uint64_t gptr, size_t len);
int env_copy_to_guest(struct vcpu *v, uint64_t gptr, const void *src, size_t len);

/* Drop every translation vCPU (v) caches, so its next access walks the
 * tables of its current root.  May be called from any vCPU. */
void env_flush_tlb(struct vcpu *v);

/* Drop vCPU (v)'s cached translation of the page at (va), if any. */
void env_invlpg(struct vcpu *v, uint64_t va);

/* vCPU (v)'s LDT changed: its address, its size, or the frames mapped
 * for it (core/desc.h), some of which may no longer be descriptor pages.
 * A host that shows (v)'s LDT to a CPU stops showing the old one before
 * this returns.  Called on (v) itself, or on a vCPU that is not running. */
void env_ldt_changed(struct vcpu *v);

/* Report each cached translation of vCPU (v) to (fn), for the audit.  A host
 * without a software-visible TLB reports none. */
typedef void (*tlb_visit_fn)(void *arg, uint64_t va, mfn_t mfn, bool writable);
void env_tlb_for_each(struct vcpu *v, tlb_visit_fn fn, void *arg);

/* Pause briefly inside a spin loop. */
void env_relax(void);

/* A broken invariant of our own: print and stop.  Never reached from guest
 * input. */
_Noreturn void env_panic(const char *file, int line, const char *what);

#define ASSERT(c) do { if (!(c)) env_panic(__FILE__, __LINE__, #c); } while (0)

#endif
