/* SPDX-License-Identifier: MIT */
/*
 * The guest's GDT, as Xen gives a 64-bit PV guest one (pv/descriptor-
 * tables.c).  core/ decides what a descriptor page may hold and counts the
 * references (core/desc.h); here the hypercalls, and the CPU's GDT: its
 * first 14 pages are mapped onto the running vCPU's GDT frames (writable
 * to ring 0 alone, so the CPU may set accessed bits; a guest can map a
 * descriptor page only read-only), hv's own descriptors follow from
 * selector 0xe000 (x86/cpu.c).  A selector the guest's GDT does not have
 * reads an empty descriptor and faults.
 *
 *   set_gdt(frame_list, entries)  up to 7168 entries in up to 14 frames
 *                                 (-EINVAL beyond, -EFAULT for the list)
 *   update_descriptor(maddr, d)   one descriptor, checked
 *
 * LDTs: MMUEXT_SET_LDT with entries is refused by core (-EOPNOTSUPP).
 */
#include "../../core/desc.h"
#include "../hv.h"

void pv_gdt_load(const struct vcpu *v)
{
	cpu_load_guest_gdt(v->gdt_frames, (v->gdt_ents + 511) / 512);
}

long do_set_gdt(struct vcpu *v, const uint64_t a[6])
{
	uint64_t entries = (uint32_t)a[1], list[GDT_MAX_FRAMES];
	mfn_t frames[GDT_MAX_FRAMES];
	if (entries > GDT_MAX_ENTRIES)
		return -XEN_EINVAL;
	unsigned n = (unsigned)(entries + 511) / 512;
	if (env_copy_from_guest(v, list, a[0], n * sizeof(list[0])))
		return -XEN_EFAULT;
	for (unsigned i = 0; i < n; i++)
		frames[i] = _mfn(list[i]);
	long rc = desc_set_gdt(v, v, frames, (unsigned)entries);
	if (!rc && this_vcpu() == v)
		pv_gdt_load(v);
	return rc;
}

long do_update_descriptor(struct vcpu *v, const uint64_t a[6])
{
	return desc_update(v, a[0], a[1]);
}
