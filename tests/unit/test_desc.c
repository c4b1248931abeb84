/* SPDX-License-Identifier: MIT */
/*
 * Descriptor tables (core/desc.c): which descriptors a 64-bit PV guest may
 * have, as Xen's check_descriptor decides, and the descriptor-page type:
 * set_gdt takes it on each frame after checking all 512 descriptors, a
 * frame of that type cannot be mapped writable, update_descriptor checks
 * what it writes, and the audit counts a GDT's references.  An LDT is an
 * address and a size until the host maps its pages, one at a time, each
 * a descriptor page while mapped; a new LDT or kernel root drops them.
 */
#include "../../core/desc.h"
#include "../../core/domain.h"
#include "../../core/frame.h"
#include "../../core/preempt.h"
#include "check.h"

#define CODE64_DPL0 0x00209a0000000000ull   /* present, S, code, L, DPL 0 */
#define CODE64_DPL3 0x0020fa0000000000ull
#define DATA_DPL0   0x00cf92000000ffffull
#define TSS64       0x0000890000000067ull   /* a system descriptor: never a guest's */
#define CALL_GATE   0x0000ec000000e033ull   /* DPL 3, to FLAT_KERNEL_CS */

static void check_pure(void)
{
	uint64_t d = 0x0000100000000000ull;             /* not present: anything goes */
	CHECK(desc_check(&d) && d == 0x0000100000000000ull);
	d = CODE64_DPL0;
	CHECK(desc_check(&d) && d == CODE64_DPL3);     /* DPL raised to the guest kernel's 3 */
	d = DATA_DPL0;
	CHECK(desc_check(&d) && ((d >> 45) & 3) == 3);
	d = TSS64;
	CHECK(!desc_check(&d) && d == TSS64);          /* refused, left alone */
	d = CALL_GATE;
	CHECK(desc_check(&d) && !((d >> 45) & 3) && ((d >> 16) & 3) == 3);    /* DPL 0, its DPL in the RPL */
	d = CALL_GATE | 0x0000000100000000ull;          /* reserved bits of a gate */
	CHECK(!desc_check(&d));
	d = (CALL_GATE & ~0xffff0000ull) | (0xe008ull << 16);   /* to hv's own code segment */
	CHECK(!desc_check(&d));
}

/* core's call (fn) on (v) as a hypercall would make it. */
#define AS_HYPERCALL(v, expr) ({ preempt_start(v); dom_shared_enter(v); long rc_ = (expr); dom_shared_exit(v); rc_; })

/* A domain's tree of 64 frames; a frame holding a DPL 0 code segment at
 * (slot), to become a descriptor page, and one holding a TSS there, never. */
static struct sim *desc_tree(unsigned slot, struct sim_domain **sd, mfn_t *good, mfn_t *bad)
{
	struct sim *s = test_tree(64, sd);
	*good = (*sd)->p2m[20];
	*bad = (*sd)->p2m[21];
	raw_write(*good, slot, CODE64_DPL0);
	raw_write(*bad, slot, TSS64);
	return s;
}

static void check_gdt_frames(void)
{
	struct sim_domain *sd;
	mfn_t f, bad;
	struct sim *s = desc_tree(6, &sd, &f, &bad);
	struct vcpu *v = sd->vcpus[0].v;
	CHECK(AS_HYPERCALL(v, desc_set_gdt(v, v, &bad, 16)) == -XEN_EINVAL);
	CHECK(fw_tc(frame_word(s->m, bad)) == 0 && v->gdt_ents == 0);
	CHECK(AS_HYPERCALL(v, desc_set_gdt(v, v, &f, 16)) == 0);
	uint64_t x = frame_word(s->m, f);
	CHECK(fw_type(x) == FT_SEG_DESC && fw_tc(x) == 1 && v->gdt_ents == 16);
	CHECK(((uint64_t *)env_frame(f))[6] == CODE64_DPL3);        /* fixed up in place */
	check_audit(s, "a GDT of one frame");
	/* no writable mapping of a descriptor page (Xen's -EBUSY at L1) */
	CHECK(hc_update(v, sd->p2m[3], 5, (mfn_x(f) << PAGE_SHIFT) | PTE_P | PTE_RW | PTE_US) == -XEN_EBUSY);
	CHECK(hc_update(v, sd->p2m[3], 5, (mfn_x(f) << PAGE_SHIFT) | PTE_P | PTE_US) == 0);
	uint64_t at = (mfn_x(f) << PAGE_SHIFT) + 7 * 8;
	CHECK(AS_HYPERCALL(v, desc_update(v, at, TSS64)) == -XEN_EINVAL);
	CHECK(AS_HYPERCALL(v, desc_update(v, at + 1, DATA_DPL0)) == -XEN_EINVAL);
	CHECK(AS_HYPERCALL(v, desc_update(v, at, DATA_DPL0)) == 0);
	CHECK(((uint64_t *)env_frame(f))[7] == (DATA_DPL0 | 3ull << 45));
	CHECK(AS_HYPERCALL(v, desc_set_gdt(v, v, NULL, 0)) == 0);
	CHECK(fw_tc(frame_word(s->m, f)) == 0 && v->gdt_ents == 0);
	CHECK(AS_HYPERCALL(v, desc_set_gdt(v, v, &f, GDT_MAX_ENTRIES + 1)) == -XEN_EINVAL);
	check_audit(s, "GDT dropped");
	sim_destroy(s);
}

static void check_ldt_frames(void)
{
	struct sim_domain *sd;
	mfn_t f, bad;
	struct sim *s = desc_tree(1, &sd, &f, &bad);
	struct vcpu *v = sd->vcpus[0].v;
	CHECK(AS_HYPERCALL(v, desc_set_ldt(v, 0x1008, 1)) == -XEN_EINVAL);     /* not page-aligned */
	CHECK(AS_HYPERCALL(v, desc_set_ldt(v, 0x1000, LDT_MAX_ENTRIES + 1)) == -XEN_EINVAL);
	CHECK(AS_HYPERCALL(v, desc_set_ldt(v, HV_VIRT_START, 1)) == -XEN_EINVAL);
	CHECK(AS_HYPERCALL(v, desc_set_ldt(v, 0x10000, 1024)) == 0);    /* two pages */
	CHECK(v->ldt_base == 0x10000 && v->ldt_ents == 1024 && mfn_eq(v->ldt_frames[0], INVALID_MFN));
	CHECK(AS_HYPERCALL(v, desc_map_ldt(v, 0, bad)) == -XEN_EINVAL);        /* a TSS in it */
	CHECK(fw_tc(frame_word(s->m, bad)) == 0 && mfn_eq(v->ldt_frames[0], INVALID_MFN));
	CHECK(AS_HYPERCALL(v, desc_map_ldt(v, 2, f)) == -XEN_EINVAL);          /* beyond the LDT */
	CHECK(AS_HYPERCALL(v, desc_map_ldt(v, 1, f)) == 0);
	CHECK(AS_HYPERCALL(v, desc_map_ldt(v, 1, f)) == -XEN_EINVAL);          /* mapped already */
	uint64_t x = frame_word(s->m, f);
	CHECK(fw_type(x) == FT_SEG_DESC && fw_tc(x) == 1 && ((uint64_t *)env_frame(f))[1] == CODE64_DPL3);
	check_audit(s, "an LDT page mapped");
	CHECK(hc_update(v, sd->p2m[3], 5, (mfn_x(f) << PAGE_SHIFT) | PTE_P | PTE_RW | PTE_US) == -XEN_EBUSY);
	CHECK(AS_HYPERCALL(v, desc_set_ldt(v, 0x10000, 1024)) == 0);    /* the same LDT: kept */
	CHECK(mfn_eq(v->ldt_frames[1], f));
	CHECK(AS_HYPERCALL(v, desc_set_ldt(v, 0x20000, 16)) == 0);      /* another: dropped */
	CHECK(fw_tc(frame_word(s->m, f)) == 0 && mfn_eq(v->ldt_frames[1], INVALID_MFN));
	CHECK(AS_HYPERCALL(v, desc_map_ldt(v, 0, f)) == 0);
	CHECK(hc_ext(v, MMUEXT_NEW_BASEPTR, mfn_x(sd->p2m[0])) == 0);  /* the same root: kept */
	CHECK(mfn_eq(v->ldt_frames[0], f));
	CHECK(hc_ext(v, MMUEXT_NEW_BASEPTR, mfn_x(sd->p2m[30])) == 0);  /* another: dropped */
	CHECK(fw_tc(frame_word(s->m, f)) == 0 && mfn_eq(v->ldt_frames[0], INVALID_MFN) && v->ldt_ents == 16);
	CHECK(AS_HYPERCALL(v, desc_map_ldt(v, 0, f)) == 0);
	check_audit(s, "an LDT page mapped on a new root");
	sim_destroy(s);
}

void test_desc(void)
{
	check_pure();
	check_gdt_frames();
	check_ldt_frames();
}
