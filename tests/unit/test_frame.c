/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the counting rules (core/frame.c, core/pt.c), each stated
 * as the rule it checks, each ending with the audit.
 */
#include <stdlib.h>
#include <string.h>
#include "../../core/domain.h"
#include "../../core/frame.h"
#include "../../core/hypercall.h"
#include "../../core/m2p.h"
#include "check.h"

static uint64_t word(struct sim *s, mfn_t m)
{
	return frame_word(s->m, m);
}

/* get takes a general reference only on the domain's own frames; a refused
 * get changes nothing. */
static void get_only_own_frames(void)
{
	struct sim_domain *a;
	struct sim *s = test_machine(4096, 16, 1, &a);
	struct sim_domain *b = sim_domain_create(s, 4, 1);
	struct vcpu *v = a->vcpus[0].v;
	struct {
		const char *what;
		mfn_t mfn;
		long rc;
	} cases[] = {
		{ "own frame", a->p2m[3], 0 },
		{ "other domain's frame", b->p2m[0], -XEN_EINVAL },
		{ "hypervisor frame", _mfn(0), -XEN_EINVAL },
		{ "free frame", sim_free_frame(s, 0), -XEN_EINVAL },
		{ "beyond memory", _mfn(1ull << 40), -XEN_EINVAL },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t before = frame_valid(s->m, cases[i].mfn) ? word(s, cases[i].mfn) : 0;
		dom_shared_enter(v);
		long rc = frame_get(v, cases[i].mfn);
		dom_shared_exit(v);
		if (rc != cases[i].rc)
			printf("  case: %s\n", cases[i].what);
		CHECK(rc == cases[i].rc);
		if (rc == 0) {
			CHECK(fw_count(word(s, cases[i].mfn)) == fw_count(before) + 1);
			dom_shared_enter(v);
			frame_put(v, cases[i].mfn);
			dom_shared_exit(v);
		}
		if (frame_valid(s->m, cases[i].mfn))
			CHECK(word(s, cases[i].mfn) == before);
	}
	check_audit(s, __func__);
	sim_destroy(s);
}

/* A type can change only at type count zero: writable and L1 exclude each
 * other until the other's count is back to zero. */
static void type_changes_only_at_zero(void)
{
	struct sim_domain *a;
	struct sim *s = test_machine(4096, 16, 1, &a);
	struct vcpu *v = a->vcpus[0].v;
	mfn_t f = a->p2m[5];

	dom_shared_enter(v);
	CHECK(frame_get_type(v, f, FT_WRITABLE, true) == 0);
	CHECK(fw_type(word(s, f)) == FT_WRITABLE && fw_tc(word(s, f)) == 1);
	CHECK(frame_get_type(v, f, FT_L1, true) == -XEN_EINVAL);
	frame_put_type(v, f, true);
	CHECK(frame_get_type(v, f, FT_L1, true) == 0);
	CHECK(fw_type(word(s, f)) == FT_L1 && (word(s, f) & FW_VALIDATED));
	CHECK(frame_get_type(v, f, FT_WRITABLE, true) == -XEN_EINVAL);
	frame_put_type(v, f, true);
	CHECK(fw_tc(word(s, f)) == 0 && !(word(s, f) & FW_VALIDATED));
	dom_shared_exit(v);
	check_audit(s, __func__);
	sim_destroy(s);
}

/* A table whose last entry is bad fails to pin and leaves every count as it
 * was (the unwind path; Xen's XSA-58 was a bug there). */
static void failed_pin_unwinds_everything(void)
{
	struct sim_domain *a;
	struct sim *s = test_machine(4096, 600, 1, &a);
	struct sim_domain *b = sim_domain_create(s, 4, 1);
	struct vcpu *v = a->vcpus[0].v;
	mfn_t *p = a->p2m;

	raw_write(p[0], 0, pte_make(p[1], PTE_P | PTE_RW | PTE_US));
	raw_write(p[1], 0, pte_make(p[2], PTE_P | PTE_RW | PTE_US));
	raw_write(p[2], 0, pte_make(p[4], PTE_P | PTE_RW | PTE_US));
	raw_write(p[2], 1, pte_make(p[3], PTE_P | PTE_RW | PTE_US));
	for (unsigned i = 0; i < 512; i++)
		raw_write(p[3], i, pte_make(p[10 + i], PTE_P | PTE_RW | PTE_US));
	raw_write(p[3], 511, pte_make(b->p2m[0], PTE_P | PTE_US));
	uint64_t *before = malloc(s->m->nr_frames * 8);
	for (uint64_t i = 0; i < s->m->nr_frames; i++)
		before[i] = word(s, _mfn(i));
	CHECK(hc_ext(v, MMUEXT_PIN_L4_TABLE, mfn_x(p[0])) == -XEN_EBUSY);
	bool same = true;
	for (uint64_t i = 0; i < s->m->nr_frames; i++)
		same = same && (fw_count(before[i]) == fw_count(word(s, _mfn(i))) &&
				fw_tc(before[i]) == fw_tc(word(s, _mfn(i))));
	CHECK(same);
	free(before);
	check_audit(s, __func__);
	sim_destroy(s);
}

/* Pinning twice and unpinning what is not pinned are refused. */
static void pin_is_a_flag(void)
{
	struct sim_domain *a;
	struct sim *s = test_machine(4096, 16, 1, &a);
	struct vcpu *v = a->vcpus[0].v;
	mfn_t t = a->p2m[2];

	CHECK(hc_ext(v, MMUEXT_UNPIN_TABLE, mfn_x(t)) == -XEN_EINVAL);
	CHECK(hc_ext(v, MMUEXT_PIN_L1_TABLE, mfn_x(t)) == 0);
	CHECK(hc_ext(v, MMUEXT_PIN_L1_TABLE, mfn_x(t)) == -XEN_EINVAL);
	CHECK(fw_tc(word(s, t)) == 1 && (word(s, t) & FW_PINNED));
	CHECK(hc_ext(v, MMUEXT_UNPIN_TABLE, mfn_x(t)) == 0);
	CHECK(hc_ext(v, MMUEXT_UNPIN_TABLE, mfn_x(t)) == -XEN_EINVAL);
	CHECK(fw_tc(word(s, t)) == 0);
	check_audit(s, __func__);
	sim_destroy(s);
}

/* Counts refuse to overflow instead of wrapping. */
static void counts_do_not_overflow(void)
{
	struct sim_domain *a;
	struct sim *s = test_machine(4096, 16, 1, &a);
	struct vcpu *v = a->vcpus[0].v;
	mfn_t f = a->p2m[4];
	uint64_t saved = word(s, f);

	atomic_store(&s->m->ft[mfn_x(f)], saved | ((FW_COUNT_MAX - 1) << FW_COUNT_SHIFT));
	dom_shared_enter(v);
	CHECK(frame_get(v, f) == -XEN_EINVAL);
	dom_shared_exit(v);
	atomic_store(&s->m->ft[mfn_x(f)], saved);
	check_audit(s, __func__);
	sim_destroy(s);
}

/* Destroying a domain devalidates everything and frees every frame. */
static void destroy_reclaims_every_frame(void)
{
	struct sim_domain *a;
	struct sim *s = test_machine(4096, 64, 2, &a);
	struct vcpu *v = a->vcpus[0].v;
	mfn_t *p = a->p2m;
	uint64_t free_before = 0, free_after = 0;

	raw_write(p[0], 0, pte_make(p[1], PTE_P | PTE_RW | PTE_US));
	raw_write(p[1], 0, pte_make(p[2], PTE_P | PTE_RW | PTE_US));
	raw_write(p[2], 0, pte_make(p[3], PTE_P | PTE_RW | PTE_US));
	raw_write(p[3], 0, pte_make(p[8], PTE_P | PTE_RW | PTE_US));
	raw_write(p[3], 1, pte_make(p[3], PTE_P | PTE_US));
	CHECK(hc_ext(v, MMUEXT_PIN_L4_TABLE, mfn_x(p[0])) == 0);
	CHECK(hc_ext(v, MMUEXT_NEW_BASEPTR, mfn_x(p[0])) == 0);
	CHECK(hc_ext(a->vcpus[1].v, MMUEXT_NEW_BASEPTR, mfn_x(p[0])) == 0);
	check_audit(s, __func__);
	for (uint64_t i = 0; i < s->m->nr_frames; i++)
		free_before += fw_owner(word(s, _mfn(i))) == OWNER_NOBODY;
	sim_domain_destroy(s, a);
	for (uint64_t i = 0; i < s->m->nr_frames; i++)
		free_after += fw_owner(word(s, _mfn(i))) == OWNER_NOBODY;
	CHECK(free_after == free_before + 64);
	check_audit(s, __func__);
	sim_destroy(s);
}

/* A frame given back (decrease_reservation) that nothing but its
 * allocation holds is the giver's to free: scrubbed, its m2p entry invalid,
 * free; frames not the domain's, or given back already, stay as they are. */
static void unused_frame_goes_back_at_once(void)
{
	struct sim_domain *a;
	struct sim *s = test_tree(64, &a);
	struct vcpu *v = a->vcpus[0].v;
	mfn_t *p = a->p2m;
	raw_write(p[20], 3, 0x1234);
	CHECK(domain_give_back(v, _mfn(0)) == -XEN_EINVAL);    /* the hypervisor's */
	CHECK(domain_give_back(v, _mfn(1ull << 40)) == -XEN_EINVAL);
	CHECK(domain_give_back(v, p[20]) == GAVE_BACK_NOW);
	CHECK(fw_count(word(s, p[20])) == 0 && (word(s, p[20]) & FW_GIVEN_BACK));
	CHECK(domain_give_back(v, p[20]) == -XEN_EINVAL);      /* given back already */
	domain_free_taken(v, &p[20], 1);
	CHECK(word(s, p[20]) == 0 && m2p_get(s->m, p[20]) == M2P_INVALID);
	CHECK(((uint64_t *)env_frame(p[20]))[3] == 0);          /* scrubbed */
	CHECK(domain_give_back(v, p[20]) == -XEN_EINVAL);      /* gone */
	check_audit(s, __func__);
	sim_destroy(s);
}

/* A frame is freed only after every vCPU that may still translate it has
 * flushed: vCPU 1 maps one, uses it and unmaps it without a flush (its TLB
 * keeps the translation), then vCPU 0 gives it back; once freed, no vCPU
 * caches it (the audit looks at every vCPU's TLB). */
static void given_back_frame_leaves_no_translation(void)
{
	struct sim_domain *a;
	struct sim *s = test_tree(64, &a);
	struct vcpu *v0 = a->vcpus[0].v, *v1 = a->vcpus[1].v;
	mfn_t *p = a->p2m;

	CHECK(hc_update(v1, p[3], 5, pte_make(p[20], PTE_P | PTE_RW | PTE_US)) == 0);
	CHECK(sim_store(s, &a->vcpus[1], 0x405000, 0x42) == SIM_OK);
	CHECK(hc_update(v1, p[3], 5, 0) == 0);
	CHECK(domain_give_back(v0, p[20]) == GAVE_BACK_NOW);
	domain_free_taken(v0, &p[20], 1);
	CHECK(word(s, p[20]) == 0);
	check_audit(s, __func__);
	sim_destroy(s);
}

/* A writable mapping's drop is noted for the TLB rule even when it is not
 * the frame's last type reference: vCPU 1 maps a frame writable and writes
 * through it while hv holds a writable reference of its own (as to copy
 * into it), then unmaps it without a flush; hv lets go, noting nothing of
 * its own; when the frame becomes a pagetable, vCPU 1 is flushed (the
 * audit looks at every vCPU's TLB). */
static void mapping_dropped_beside_hv_access_is_noted(void)
{
	struct sim_domain *a;
	struct sim *s = test_tree(64, &a);
	struct vcpu *v0 = a->vcpus[0].v, *v1 = a->vcpus[1].v;
	mfn_t *p = a->p2m;

	dom_shared_enter(v0);
	CHECK(frame_get_type(v0, p[20], FT_WRITABLE, false) == 0);
	dom_shared_exit(v0);
	CHECK(hc_update(v1, p[3], 5, pte_make(p[20], PTE_P | PTE_RW | PTE_US)) == 0);
	CHECK(sim_store(s, &a->vcpus[1], 0x405000, 0x42) == SIM_OK);
	CHECK(hc_update(v1, p[3], 5, 0) == 0);
	dom_shared_enter(v0);
	frame_put_access(v0, p[20]);
	dom_shared_exit(v0);
	uint64_t flushes = v0->stats.flushes;
	CHECK(hc_ext(v0, MMUEXT_PIN_L1_TABLE, mfn_x(p[20])) == 0);
	CHECK(v0->stats.flushes > flushes);
	check_audit(s, __func__);
	sim_destroy(s);
}

/* A frame given back while mapped (Xen's guest_remove_page) stays mapped,
 * counted in the domain's pages, until its last mapping goes; then every
 * vCPU that may translate it flushes and it is freed, scrubbed, though the
 * guest asked for no flush (the audit checks every vCPU's TLB). */
static void mapped_frame_goes_at_its_last_reference(void)
{
	struct sim_domain *a;
	struct sim *s = test_tree(64, &a);
	struct vcpu *v = a->vcpus[0].v;
	mfn_t *p = a->p2m;
	uint64_t val;

	CHECK(sim_store(s, &a->vcpus[1], 0x400000, 0x5678) == SIM_OK);     /* cached on vCPU 1 */
	dom_shared_enter(v);
	CHECK(domain_give_back(v, p[8]) == GAVE_BACK_LATER);
	dom_shared_exit(v);
	CHECK((word(s, p[8]) & FW_GIVEN_BACK) && fw_count(word(s, p[8])) == 1);
	CHECK(m2p_get(s->m, p[8]) == M2P_INVALID && domain_given_back_live(a->d) == 1);
	CHECK(domain_give_back(v, p[8]) == GAVE_BACK_AGAIN && domain_given_back_live(a->d) == 1);
	CHECK(sim_load(s, &a->vcpus[0], 0x400000, &val) == SIM_OK && val == 0x5678);
	check_audit(s, "a frame given back, still mapped");
	CHECK(hc_update(v, p[3], 0, 0) == 0);
	CHECK(word(s, p[8]) == 0 && domain_given_back_live(a->d) == 0);
	CHECK(((uint64_t *)env_frame(p[8]))[0] == 0);           /* scrubbed */
	check_audit(s, __func__);
	sim_destroy(s);
}

/* A pinned table given back is unpinned first (as Xen does), and freed
 * when the last table that links it drops it. */
static void pinned_table_goes_back_unpinned(void)
{
	struct sim_domain *a;
	struct sim *s = test_tree(64, &a);
	struct vcpu *v = a->vcpus[0].v;
	mfn_t *p = a->p2m;

	CHECK(hc_ext(v, MMUEXT_PIN_L1_TABLE, mfn_x(p[3])) == 0);
	dom_shared_enter(v);
	CHECK(domain_give_back(v, p[3]) == GAVE_BACK_LATER);
	dom_shared_exit(v);
	CHECK(!(word(s, p[3]) & FW_PINNED) && fw_live_table(word(s, p[3])));
	check_audit(s, "a table given back, still linked");
	CHECK(hc_update(v, p[2], 2, 0) == 0);
	CHECK(word(s, p[3]) == 0 && domain_given_back_live(a->d) == 0);
	check_audit(s, __func__);
	sim_destroy(s);
}

void test_frame(void)
{
	unused_frame_goes_back_at_once();
	given_back_frame_leaves_no_translation();
	mapping_dropped_beside_hv_access_is_noted();
	mapped_frame_goes_at_its_last_reference();
	pinned_table_goes_back_unpinned();
	get_only_own_frames();
	type_changes_only_at_zero();
	failed_pin_unwinds_everything();
	pin_is_a_flag();
	counts_do_not_overflow();
	destroy_reclaims_every_frame();
}
