/* SPDX-License-Identifier: MIT */
/*
 * Attack patterns from Xen's advisories that a scenario file cannot say,
 * because they need two vCPUs interleaved at a chosen point.  Each test
 * opens with what the bug was and what the guest tries.
 */
#include "../../core/domain.h"
#include "../../core/frame.h"
#include "../../core/hypercall.h"
#include "../../core/pt.h"
#include "../../sim/sim.h"
#include "check.h"

/* XSA-242: page_unlock() could drop the last type reference of a table that
 * another vCPU unpinned during an mmu_update, skipping devalidation.
 * vCPU 0 is inside an update of L2 X (holding X live) when vCPU 1 unpins X;
 * when vCPU 0 finishes, X and everything below it must be devalidated. */
static void xsa_242_unpin_during_update(void)
{
	struct sim_domain *a;
	struct sim *s = test_tree(64, &a);
	struct vcpu *v0 = a->vcpus[0].v, *v1 = a->vcpus[1].v;
	mfn_t x = a->p2m[20], l1 = a->p2m[21];
	unsigned level;
	raw_write(x, 0, pte_make(l1, PTE_P | PTE_RW | PTE_US));
	CHECK(hc_ext(v1, MMUEXT_PIN_L2_TABLE, mfn_x(x)) == 0);
	dom_shared_enter(v0);
	CHECK(frame_get_live_table(v0, x, &level) == 0 && level == 2);  /* the update begins */
	dom_shared_exit(v0);
	CHECK(hc_ext(v1, MMUEXT_UNPIN_TABLE, mfn_x(x)) == 0);          /* meanwhile: unpin */
	CHECK(fw_tc(frame_word(s->m, x)) == 1);
	dom_shared_enter(v0);
	CHECK(pt_update(v0, x, 2, 1, 0, false, NULL) == 0);                   /* the update ends */
	frame_put_type(v0, x, false);
	dom_shared_exit(v0);
	CHECK(fw_tc(frame_word(s->m, x)) == 0 && fw_tc(frame_word(s->m, l1)) == 0);
	check_audit(s, __func__);
	sim_domain_destroy(s, a);
	check_audit(s, __func__);
	sim_destroy(s);
}

/* XSA-401: a CPU flushed TLBs before it committed a type change, so another
 * CPU could take, use and drop a writable mapping in between and keep the
 * translation.  vCPU 1 holds a writable translation of P that vCPU 0 has
 * unmapped without a flush; vCPU 0 then makes P an L1: vCPU 1's translation
 * must be gone, whatever order the two arrived in. */
static void xsa_401_stale_writable_translation(void)
{
	struct sim_domain *a;
	struct sim *s = test_tree(64, &a);
	uint64_t x;
	CHECK(sim_store(s, &a->vcpus[1], 0x400000, 0) == SIM_OK);        /* vCPU 1 caches RW */
	CHECK(hc_update(a->vcpus[0].v, a->p2m[3], 0, 0) == 0);           /* unmapped, no flush */
	CHECK(sim_store(s, &a->vcpus[1], 0x400000, 0) == SIM_OK);        /* still writable: stale */
	CHECK(hc_ext(a->vcpus[0].v, MMUEXT_PIN_L1_TABLE, mfn_x(a->p2m[8])) == 0);
	CHECK(sim_store(s, &a->vcpus[1], 0x400000, 0x1007) != SIM_OK);   /* no more */
	CHECK(sim_load(s, &a->vcpus[1], 0x400000, &x) != SIM_OK);
	check_audit(s, __func__);
	sim_destroy(s);
}

/* XSA-241: the flush timestamp of a dropped page could be recorded stale, so
 * a page became a pagetable while a CPU kept a writable translation.  Here:
 * both vCPUs drop writable mappings of P on their own (each noting its
 * drop), one re-maps and drops again; the type change must flush both. */
static void xsa_241_drops_on_two_vcpus(void)
{
	struct sim_domain *a;
	struct sim *s = test_tree(64, &a);
	struct vcpu *v0 = a->vcpus[0].v, *v1 = a->vcpus[1].v;
	CHECK(sim_store(s, &a->vcpus[0], 0x400000, 0) == SIM_OK);
	CHECK(sim_store(s, &a->vcpus[1], 0x400000, 0) == SIM_OK);
	CHECK(hc_update(v1, a->p2m[3], 0, 0) == 0);                      /* vCPU 1 drops */
	CHECK(hc_update(v0, a->p2m[3], 1, pte_make(a->p2m[8], PTE_P | PTE_RW | PTE_US)) == 0);
	CHECK(hc_update(v0, a->p2m[3], 1, 0) == 0);                      /* vCPU 0 drops */
	CHECK(hc_ext(v1, MMUEXT_PIN_L1_TABLE, mfn_x(a->p2m[8])) == 0);
	CHECK(sim_store(s, &a->vcpus[0], 0x400000, 0x1007) != SIM_OK);
	CHECK(sim_store(s, &a->vcpus[1], 0x400000, 0x1007) != SIM_OK);
	check_audit(s, __func__);
	sim_destroy(s);
}

/* The same danger in a domain's first moments: every new vCPU was
 * recorded as flushed one tick in the future, so until the first flush of
 * the machine a drop compared older and no flush followed it.  A domain
 * whose root was loaded by its builder (no flush), as hv's are: the guest
 * writes a frame, unmaps it without a flush and pins it as an L1; the
 * stale writable translation must be gone.  Found by hv's fuzzer. */
static void stale_translation_before_the_first_flush(void)
{
	struct sim_domain *a;
	struct sim *s = test_machine(4096, 64, 2, &a);
	struct vcpu *v0 = a->vcpus[0].v;
	mfn_t *p = a->p2m;
	raw_write(p[0], 0, pte_make(p[1], PTE_P | PTE_RW | PTE_US));
	raw_write(p[1], 0, pte_make(p[2], PTE_P | PTE_RW | PTE_US));
	raw_write(p[2], 2, pte_make(p[3], PTE_P | PTE_RW | PTE_US));
	raw_write(p[3], 0, pte_make(p[8], PTE_P | PTE_RW | PTE_US));
	dom_shared_enter(v0);
	CHECK(hc_set_root(v0, &v0->kernel_root, p[0]) == 0);             /* the builder's root */
	dom_shared_exit(v0);
	CHECK(sim_store(s, &a->vcpus[0], 0x400000, 0) == SIM_OK);        /* caches RW */
	CHECK(hc_update(v0, p[3], 0, 0) == 0);                           /* unmapped, no flush */
	CHECK(hc_ext(v0, MMUEXT_PIN_L1_TABLE, mfn_x(p[8])) == 0);
	CHECK(sim_store(s, &a->vcpus[0], 0x400000, 0x1007) != SIM_OK);
	check_audit(s, __func__);
	sim_domain_destroy(s, a);
	check_audit(s, __func__);
	sim_destroy(s);
}

void test_attacks(void)
{
	stale_translation_before_the_first_flush();
	xsa_242_unpin_during_update();
	xsa_401_stale_writable_translation();
	xsa_241_drops_on_two_vcpus();
}
