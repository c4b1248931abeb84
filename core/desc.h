/* SPDX-License-Identifier: MIT */
/*
 * Descriptor tables: the guest's GDT frames and the descriptors in them,
 * as Xen keeps them for a 64-bit PV guest (pv/descriptor-tables.c).
 *
 * A frame in use as (part of) a GDT or an LDT has the descriptor-page type
 * (FT_SEG_DESC): taking its first type reference checks all 512
 * descriptors in it (desc_check, fixing them up in place) and refuses the
 * type if one is unsafe; while it has the type no writable mapping of it
 * can exist, so it changes only through update_descriptor, which checks
 * the new descriptor first.  A vCPU's GDT (up to 14 frames, 7168 entries)
 * holds a general and a type reference on each of its frames.
 *
 * An LDT is only an address and a size until the CPU uses it, as in Xen
 * (pv/mm.c, pv_map_ldt_shadow_page): the host maps its pages one at a
 * time, as a descriptor load faults on them, each taking a reference and a
 * descriptor-page type reference that last until the LDT changes, the
 * vCPU loads a new kernel root, or the domain dies.  A page the guest has
 * mapped writable cannot take the type, and the load faults in the guest.
 *
 * desc_check is pure (host-tested).  A descriptor is safe if it is not
 * present; or a code or data segment (its DPL raised to 3, the guest
 * kernel's ring); or type 0 (the upper half of a call gate); or a 64-bit
 * call gate to a guest selector or to FLAT_KERNEL_CS, whose DPL is moved
 * into the target selector's RPL and cleared so that using it faults (Xen
 * emulates the call; hv does not), with its reserved bits clear.
 * Everything else (TSS, LDT, interrupt and trap gates) is unsafe.
 */
#ifndef CORE_DESC_H
#define CORE_DESC_H

#include "machine.h"

#define GDT_MAX_FRAMES   14u                       /* Xen's FIRST_RESERVED_GDT_PAGE */
#define GDT_MAX_ENTRIES  (GDT_MAX_FRAMES * 512u)   /* FIRST_RESERVED_GDT_ENTRY */
#define LDT_MAX_ENTRIES  8192u
#define LDT_MAX_FRAMES   16u

/* The frames a GDT or an LDT of (entries) descriptors spans. */
static inline uint64_t desc_frames(uint64_t entries)
{
	return (entries + 511) / 512;
}

/* Is descriptor (*d) safe for a 64-bit PV guest?  If so, (*d) becomes what
 * Xen stores (DPL fixed up); if not, (*d) is unchanged. */
bool desc_check(uint64_t *d);

/* Check and fix up every descriptor of frame (mfn): 0, or -XEN_EINVAL with
 * v->reason (the frame is then as it was up to the first unsafe one). */
long desc_validate_page(struct vcpu *v, mfn_t mfn);

/* set_gdt: (entries) descriptors in (frames) (ceil(entries / 512) of them)
 * become (v)'s GDT, each frame taking a reference and a descriptor-page
 * type reference, the old GDT's dropped; the work done as vCPU (by) of the
 * same domain (v itself, or one initialising it).  0, or -XEN_EINVAL (more
 * than GDT_MAX_ENTRIES, a frame not the domain's or not descriptors) with
 * nothing changed. */
long desc_set_gdt(struct vcpu *by, struct vcpu *v, const mfn_t frames[], unsigned entries);

/* Drop (v)'s GDT, the work done as vCPU (by) of the same domain (itself,
 * or whoever tears the domain down). */
void desc_destroy_gdt(struct vcpu *by, struct vcpu *v);

/* MMUEXT_SET_LDT on (v): (ents) descriptors at guest address (base), 0
 * for none.  0, or -XEN_EINVAL (over LDT_MAX_ENTRIES, or with entries an
 * address not page-aligned or not the guest's) with nothing changed.  A
 * different LDT drops the frames mapped for the old one. */
long desc_set_ldt(struct vcpu *v, uint64_t base, unsigned ents);

/* The host maps page (page) of (v)'s LDT, found at frame (mfn) by walking
 * v's kernel tables: take a reference and a descriptor-page type reference
 * on it.  0, or -XEN_EINVAL (a page beyond the LDT, one mapped already, a
 * frame not the domain's or that cannot be descriptors) with nothing
 * changed. */
long desc_map_ldt(struct vcpu *v, unsigned page, mfn_t mfn);

/* Drop the frames mapped for (v)'s LDT (keeping its address and size),
 * the work done as vCPU (by) of the same domain. */
void desc_destroy_ldt(struct vcpu *by, struct vcpu *v);

/* update_descriptor: write descriptor (d) at machine address (maddr), a
 * frame of (v)'s domain that is a descriptor page or may be writable.  0, or
 * -XEN_EINVAL (misaligned, unsafe, not the domain's, in use otherwise). */
long desc_update(struct vcpu *v, uint64_t maddr, uint64_t d);

#endif
