/* SPDX-License-Identifier: MIT */
/* Descriptor tables (desc.h). */
#include "desc.h"
#include "env.h"
#include "frame.h"
#include "pt.h"

#define SEG_TYPE  (15u << 8)
#define SEG_S     (1u << 12)
#define SEG_DPL   (3u << 13)
#define SEG_P     (1u << 15)
#define TYPE_CALL_GATE (12u << 8)
#define GUEST_RPL 3u

static bool gate_selector_ok(unsigned sel)
{
	return (sel >> 3) < GDT_MAX_ENTRIES || sel == FLAT_KERNEL_CS64 || (sel & 4);
}

bool desc_check(uint64_t *d)
{
	uint32_t a = (uint32_t)*d, b = (uint32_t)(*d >> 32);
	if (!(b & SEG_P))
		return true;
	unsigned dpl = GUEST_RPL;       /* the guest kernel's ring is 3: any DPL below is raised */
	if (((b >> 13) & 3) > dpl)
		dpl = (b >> 13) & 3;
	b = (b & ~SEG_DPL) | dpl << 13;
	if (!(b & SEG_S)) {
		if ((b & SEG_TYPE) == 0)
			return true;
		if ((b & SEG_TYPE) != TYPE_CALL_GATE)
			return false;
		unsigned cs = a >> 16;
		if (!gate_selector_ok(cs))
			return false;
		b &= ~SEG_DPL;          /* using it faults; the DPL rides in the RPL */
		cs = (cs & ~3u) | dpl;
		a = (a & 0xffffu) | cs << 16;
		if (b & 0xffu)
			return false;
	}
	*d = a | (uint64_t)b << 32;
	return true;
}

long desc_validate_page(struct vcpu *v, mfn_t mfn)
{
	uint64_t *page = env_frame(mfn);
	for (unsigned i = 0; i < 512; i++) {
		uint64_t d = page[i];
		if (!desc_check(&d))
			return refuse(v, XEN_EINVAL, "a descriptor page holds an unsafe descriptor");
		page[i] = d;
	}
	return 0;
}

long desc_set_gdt(struct vcpu *by, struct vcpu *v, const mfn_t frames[], unsigned entries)
{
	if (entries > GDT_MAX_ENTRIES)
		return refuse(by, XEN_EINVAL, "a GDT of more entries than a guest may have");
	unsigned n = (unsigned)desc_frames(entries), i;
	for (i = 0; i < n; i++)
		if (frame_get_type(by, frames[i], FT_SEG_DESC, true))
			break;
	if (i < n) {
		while (i--)
			frame_put_type(by, frames[i], true);
		return -XEN_EINVAL;
	}
	desc_destroy_gdt(by, v);
	for (i = 0; i < n; i++)
		v->gdt_frames[i] = frames[i];
	v->gdt_ents = entries;
	return 0;
}

void desc_destroy_gdt(struct vcpu *by, struct vcpu *v)
{
	unsigned n = (unsigned)desc_frames(v->gdt_ents);
	v->gdt_ents = 0;
	for (unsigned i = 0; i < n; i++)
		frame_put_type(by, v->gdt_frames[i], true);
}

long desc_set_ldt(struct vcpu *v, uint64_t base, unsigned ents)
{
	if (!ents)
		base = 0;
	if (ents > LDT_MAX_ENTRIES || base % PAGE_SIZE || !va_guest(base))
		return refuse(v, XEN_EINVAL, "LDT not page-aligned, not the guest's, or over 8192 entries");
	if (base == v->ldt_base && ents == v->ldt_ents)
		return 0;
	desc_destroy_ldt(v, v);
	v->ldt_base = base;
	v->ldt_ents = ents;
	env_ldt_changed(v);
	return 0;
}

long desc_map_ldt(struct vcpu *v, unsigned page, mfn_t mfn)
{
	if (page >= desc_frames(v->ldt_ents) || !mfn_eq(v->ldt_frames[page], INVALID_MFN))
		return refuse(v, XEN_EINVAL, "no such LDT page, or mapped already");
	if (!frame_valid(vcpu_machine(v), mfn) || frame_get_type(v, mfn, FT_SEG_DESC, true))
		return refuse(v, XEN_EINVAL, "an LDT page that cannot be descriptors");
	v->ldt_frames[page] = mfn;
	v->ldt_mapped++;
	return 0;
}

void desc_destroy_ldt(struct vcpu *by, struct vcpu *v)
{
	if (!v->ldt_mapped)
		return;                 /* every root switch comes here */
	for (unsigned i = 0; i < LDT_MAX_FRAMES; i++) {
		if (mfn_eq(v->ldt_frames[i], INVALID_MFN))
			continue;
		frame_put_type(by, v->ldt_frames[i], true);
		v->ldt_frames[i] = INVALID_MFN;
	}
	v->ldt_mapped = 0;
	env_ldt_changed(v);
}

long desc_update(struct vcpu *v, uint64_t maddr, uint64_t d)
{
	mfn_t mfn = _mfn(maddr >> PAGE_SHIFT);
	if (maddr % 8 || !desc_check(&d))
		return refuse(v, XEN_EINVAL, "a misaligned or unsafe descriptor");
	if (!frame_valid(vcpu_machine(v), mfn) || frame_get(v, mfn))
		return refuse(v, XEN_EINVAL, "a descriptor in a frame not the domain's");
	unsigned type = fw_type(frame_word(vcpu_machine(v), mfn)) == FT_SEG_DESC ? FT_SEG_DESC : FT_WRITABLE;
	long rc = frame_get_type(v, mfn, type, false);
	if (!rc) {
		__atomic_store_n((uint64_t *)env_frame(mfn) + (maddr % PAGE_SIZE) / 8, d, __ATOMIC_RELAXED);
		frame_put_type(v, mfn, false);
	}
	frame_put(v, mfn);
	return rc ? -XEN_EINVAL : 0;
}
