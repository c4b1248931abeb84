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
 * The LDT: core/desc.c keeps its address and size (MMUEXT_SET_LDT) and
 * the frames mapped for it.  The CPU's LDT is a window of 16 pages
 * (x86/cpu.c), empty until a descriptor load faults on a page: the page
 * of the guest's LDT there is found through its kernel tables, takes the
 * descriptor-page type and is mapped, and the load runs again.  A page
 * that cannot be had is the guest's page fault at its own LDT address
 * (or #GP if that address is not canonical), as in Xen; a load of ours
 * (a selector on the way back to the guest) takes its fixup instead.
 */
#include "../../core/desc.h"
#include "../../core/domain.h"
#include "../hv.h"

void pv_desc_load(const struct vcpu *v)
{
	cpu_load_guest_gdt(v->gdt_frames, (unsigned)desc_frames(v->gdt_ents));
	cpu_load_guest_ldt(v->ldt_frames, v->ldt_ents);
}

void env_ldt_changed(struct vcpu *v)
{
	if (this_vcpu() == v)
		cpu_load_guest_ldt(v->ldt_frames, v->ldt_ents);
}

int pv_ldt_fault(struct vcpu *v, uint64_t cr2, uint64_t *guest_va)
{
	unsigned offset;
	if (!cpu_ldt_offset(cr2, &offset))
		return 0;
	uint64_t va = v->ldt_base + offset, pa;
	*guest_va = va;
	if (offset / 8 >= v->ldt_ents || mem_translate(v, va, false, &pa))
		return -1;
	/* counts change only in a count mode; a fault of hv's own may come
	 * inside a hypercall, in shared mode already */
	bool shared = atomic_load(&v->shared);
	if (!shared)
		dom_shared_enter(v);
	long rc = desc_map_ldt(v, offset / PAGE_SIZE, _mfn(pa >> PAGE_SHIFT));
	if (!shared)
		dom_shared_exit(v);
	if (rc)
		return -1;
	cpu_load_guest_ldt(v->ldt_frames, v->ldt_ents);
	return 1;
}

long do_set_gdt(struct vcpu *v, const uint64_t a[6])
{
	uint64_t entries = (uint32_t)a[1], list[GDT_MAX_FRAMES];
	mfn_t frames[GDT_MAX_FRAMES];
	if (entries > GDT_MAX_ENTRIES)
		return -XEN_EINVAL;
	unsigned n = (unsigned)desc_frames(entries);
	if (env_copy_from_guest(v, list, a[0], n * sizeof(list[0])))
		return -XEN_EFAULT;
	for (unsigned i = 0; i < n; i++)
		frames[i] = _mfn(list[i]);
	long rc = desc_set_gdt(v, v, frames, (unsigned)entries);
	if (!rc && this_vcpu() == v)
		pv_desc_load(v);
	return rc;
}

long do_update_descriptor(struct vcpu *v, const uint64_t a[6])
{
	return desc_update(v, a[0], a[1]);
}
