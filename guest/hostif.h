/* SPDX-License-Identifier: MIT */
/*
 * What a guest kernel needs from where it runs: the sim host (guest code as
 * host threads, memory through the software MMU) or a real machine (plain
 * memory accesses, hypercalls by syscall, cr3 loads in ring 0).  guest/ is
 * freestanding and calls nothing else.
 *
 * Guest memory holding page contents (pagetables, user pages, the m2p) is
 * reached only through hostif_load / hostif_store and the page helpers, at
 * guest virtual addresses, so its protection is the MMU's: a store through a
 * read-only mapping of a pagetable is emulated by the hypervisor or faults.
 */
#ifndef GUEST_HOSTIF_H
#define GUEST_HOSTIF_H

#include <stddef.h>
#include <stdint.h>
#include <pvmmu/abi.h>
#include <pvmmu/pte.h>
#include <pvmmu/types.h>

#define MAX_GUEST_VCPUS 16

/* What the domain builder hands the guest at start of day (in the spirit of
 * Xen's start_info). */
struct start_info {
	uint64_t nr_pages;          /* pfns 0 .. nr_pages-1 */
	uint64_t *p2m;              /* pfn -> mfn, nr_pages entries, ours to change */
	uint64_t pt_base_pfn;       /* the initial L4 */
	uint64_t nr_pt_frames;      /* initial tables: pfns pt_base_pfn .. + nr_pt_frames-1 */
	uint64_t first_free_pfn;    /* pfns below are the builder's */
	uint64_t mapped_pfns;       /* pfns 0 .. mapped_pfns-1 are mapped at the direct map */
	unsigned nr_vcpus;
};

/* The vCPU this code runs on. */
unsigned hostif_vcpu(void);

/* Issue hypercall (nr) with arguments (a); returns its result. */
long hostif_hypercall(uint64_t nr, const uint64_t a[6]);

/* Declare memory the guest passes to hypercalls (a no-op where all guest
 * memory is addressable by the hypervisor). */
void hostif_guest_buffer(const void *p, size_t len);

/* 64-bit guest-kernel access at (va), 8-byte aligned.  0, or non-zero if
 * the access faults (the guest's page-fault path decides what next). */
int hostif_load(gva_t va, uint64_t *val);
int hostif_store(gva_t va, uint64_t val);

/* Zero, or copy, a whole page through the guest's mappings; 0 or a fault. */
int hostif_zero_page(gva_t va);
int hostif_copy_page(gva_t dst, gva_t src);

/* The native backend's privileged operations (ring 0, no hypervisor). */
void hostif_native_load_cr3(mfn_t root);
void hostif_native_invlpg(uint64_t va);
void hostif_native_flush(void);

/* Cross-vCPU calls (the kernel's drop of a dying address space, os/proc.c).
 * hostif_kick: wake vCPU (vcpu) if it waits in hostif_wait_kick, or make
 * its next wait return at once (a kick is never lost).  hostif_wait_kick:
 * wait until this vCPU is kicked (or spuriously); where vCPUs cannot be
 * woken (the sim's threads, the native kernel's vCPUs, a run that has
 * not set kicks up), the kick does nothing and the wait is a pause, so the
 * caller's loop spins. */
void hostif_kick(unsigned vcpu);
void hostif_wait_kick(void);

/* A monotonic clock, for rates. */
uint64_t hostif_now_ns(void);

/* Stop the guest with a message: a broken invariant of the guest's own. */
_Noreturn void hostif_panic(const char *why);

#endif
