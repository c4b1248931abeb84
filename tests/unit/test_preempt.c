/* SPDX-License-Identifier: MIT */
/*
 * Preemption: long work is split into bounded slices (continuations) and
 * ends in the same state as unsplit work; partial states in between hold up
 * under the audit, can be taken over by another vCPU, refuse every other
 * use, and are cleaned up by domain destruction.
 */
#include <stdlib.h>
#include <string.h>
#include "../../core/frame.h"
#include "../../core/hypercall.h"
#include "check.h"

#define L1S 64 /* 32768 entries */

/* Two L3s under one L4, L1S L1s below, every entry mapping a data frame. */
static struct sim *big_tree(uint64_t budget, struct sim_domain **sd)
{
	struct sim *s = test_machine(8192 + L1S * 512 + 2048, 16 + L1S + L1S * 512, 2, sd);
	mfn_t *p = (*sd)->p2m;
	s->m->preempt_budget = budget;
	raw_write(p[0], 0, pte_make(p[1], PTE_P | PTE_RW | PTE_US));
	raw_write(p[0], 1, pte_make(p[2], PTE_P | PTE_RW | PTE_US));
	raw_write(p[1], 0, pte_make(p[3], PTE_P | PTE_RW | PTE_US));
	raw_write(p[2], 0, pte_make(p[4], PTE_P | PTE_RW | PTE_US));
	for (unsigned i = 0; i < L1S; i++) {
		raw_write(p[3 + (i & 1)], i / 2, pte_make(p[16 + i], PTE_P | PTE_RW | PTE_US));
		for (unsigned j = 0; j < 512; j++)
			raw_write(p[16 + i], j, pte_make(p[16 + L1S + i * 512 + j],
							 (j & 1) ? PTE_P | PTE_US : PTE_P | PTE_RW | PTE_US));
	}
	return s;
}

static struct mmuext_op op;

static long ext_once(struct vcpu *v, unsigned cmd, mfn_t m)
{
	sim_guest_region(&op, sizeof(op));
	op = (struct mmuext_op){ .cmd = cmd, .arg1.mfn = mfn_x(m) };
	return hypercall(v, HYPERVISOR_mmuext_op, (uint64_t[6]){ (uintptr_t)&op, 1, 0, DOMID_SELF });
}

/* Issue (cmd) and its continuations, auditing between slices; the number of
 * slices it took. */
static unsigned sliced(struct sim *s, struct vcpu *v, unsigned cmd, mfn_t m, long *rc)
{
	unsigned slices = 1;
	*rc = ext_once(v, cmd, m);
	while (*rc == -XEN_ERESTART) {
		check_audit(s, "between slices");
		slices++;
		*rc = hypercall(v, v->cont.nr, v->cont.a);
	}
	return slices;
}

/* A pin of the tree in slices of 1000 entries ends where one unsplit pin
 * ends; so does the unpin. */
static void pin_split_equals_unsplit(void)
{
	struct sim_domain *a, *b;
	struct sim *whole = big_tree(1ull << 30, &a), *split;
	long rc;
	CHECK(sliced(whole, a->vcpus[0].v, MMUEXT_PIN_L4_TABLE, a->p2m[0], &rc) == 1 && rc == 0);
	mfn_t root = a->p2m[0];
	/* the machines are built alike, so their frame numbers are too */
	uint64_t *words = malloc(whole->m->nr_frames * 8);
	for (uint64_t i = 0; i < whole->m->nr_frames; i++)
		words[i] = frame_word(whole->m, _mfn(i));
	CHECK(sliced(whole, a->vcpus[0].v, MMUEXT_UNPIN_TABLE, root, &rc) == 1 && rc == 0);
	sim_destroy(whole);

	split = big_tree(1000, &b);
	CHECK(mfn_eq(b->p2m[0], root));
	unsigned n = sliced(split, b->vcpus[0].v, MMUEXT_PIN_L4_TABLE, b->p2m[0], &rc);
	CHECK(rc == 0);
	CHECK(n >= L1S * 512 / 1000);
	bool same = true;
	for (uint64_t i = 0; i < split->m->nr_frames; i++)
		same = same && words[i] == frame_word(split->m, _mfn(i));
	CHECK(same);
	n = sliced(split, b->vcpus[0].v, MMUEXT_UNPIN_TABLE, b->p2m[0], &rc);
	CHECK(rc == 0);
	/* the unpin queued the rest; the next hypercalls finish it first */
	unsigned more = sliced(split, b->vcpus[0].v, MMUEXT_TLB_FLUSH_LOCAL, _mfn(0), &rc);
	CHECK(rc == 0 && n + more >= L1S * 512 / 1000);
	CHECK(fw_tc(frame_word(split->m, b->p2m[16])) == 0 && fw_tc(frame_word(split->m, b->p2m[0])) == 0);
	check_audit(split, __func__);
	free(words);
	sim_destroy(split);
}

/* A partial table refuses every other use; another vCPU loading it as its
 * root takes the validation over; the pin's continuation then pins it. */
static void partial_states(void)
{
	struct sim_domain *a;
	struct sim *s = big_tree(3000, &a);
	struct vcpu *v0 = a->vcpus[0].v, *v1 = a->vcpus[1].v;
	mfn_t root = a->p2m[0];
	CHECK(ext_once(v0, MMUEXT_PIN_L4_TABLE, root) == -XEN_ERESTART);
	CHECK(frame_word(s->m, root) & FW_PARTIAL);
	check_audit(s, "partial");
	/* no writes into it, no other type, no pinning as something else */
	CHECK(hc_update(v1, root, 5, 0) == -XEN_EINVAL);
	CHECK(hc_ext(v1, MMUEXT_PIN_L3_TABLE, mfn_x(root)) == -XEN_EINVAL);
	CHECK(hc_ext(v1, MMUEXT_CLEAR_PAGE, mfn_x(root)) == -XEN_EINVAL);
	check_audit(s, "partial, after refusals");
	/* vCPU 1 loads it: takes the validation over, to the end */
	CHECK(hc_ext(v1, MMUEXT_NEW_BASEPTR, mfn_x(root)) == 0);
	CHECK(fw_live_table(frame_word(s->m, root)));
	/* vCPU 0's pin continues and finds it validated */
	CHECK(hypercall(v0, v0->cont.nr, v0->cont.a) == 0);
	CHECK((frame_word(s->m, root) & FW_PINNED) && fw_tc(frame_word(s->m, root)) == 2);
	check_audit(s, __func__);
	sim_destroy(s);
}

/* A bad entry near the end of the tree: the sliced pin fails after several
 * slices and leaves every count as it was. */
static void sliced_failure_undoes_everything(void)
{
	struct sim_domain *a;
	struct sim *s = big_tree(2000, &a);
	mfn_t *p = a->p2m;
	long rc;
	raw_write(p[16 + L1S - 1], 511, pte_make(p[0], PTE_P | PTE_RW | PTE_US));
	uint64_t *before = malloc(s->m->nr_frames * 8);
	for (uint64_t i = 0; i < s->m->nr_frames; i++)
		before[i] = frame_word(s->m, _mfn(i));
	unsigned n = sliced(s, a->vcpus[0].v, MMUEXT_PIN_L4_TABLE, p[0], &rc);
	CHECK(rc == -XEN_EBUSY && n > 10);
	sliced(s, a->vcpus[0].v, MMUEXT_TLB_FLUSH_LOCAL, _mfn(0), &rc);
	bool same = true;
	for (uint64_t i = 0; i < s->m->nr_frames; i++)
		same = same && fw_count(before[i]) == fw_count(frame_word(s->m, _mfn(i))) &&
		       fw_tc(before[i]) == fw_tc(frame_word(s->m, _mfn(i)));
	CHECK(same);
	check_audit(s, __func__);
	free(before);
	sim_destroy(s);
}

/* Destroying a domain with a partial table and queued devalidation frees
 * every frame. */
static void destroy_with_partial_state(void)
{
	struct sim_domain *a;
	struct sim *s = big_tree(5000, &a);
	uint64_t frames = a->nr_frames, free0 = 0, free1 = 0;
	CHECK(ext_once(a->vcpus[0].v, MMUEXT_PIN_L4_TABLE, a->p2m[0]) == -XEN_ERESTART);
	for (uint64_t i = 0; i < s->m->nr_frames; i++)
		free0 += fw_owner(frame_word(s->m, _mfn(i))) == OWNER_NOBODY;
	sim_domain_destroy(s, a);
	for (uint64_t i = 0; i < s->m->nr_frames; i++)
		free1 += fw_owner(frame_word(s->m, _mfn(i))) == OWNER_NOBODY;
	CHECK(free1 == free0 + frames);
	check_audit(s, __func__);
	sim_destroy(s);
}

/* A long mmu_update batch is split too; the done count adds up across
 * continuations. */
static void long_batch_split(void)
{
	struct sim_domain *a;
	struct sim *s = big_tree(700, &a);
	static struct mmu_update u[4096];
	static uint32_t done;
	long rc;
	unsigned slices = 1;
	sim_guest_region(u, sizeof(u));
	sim_guest_region(&done, sizeof(done));
	for (unsigned i = 0; i < 4096; i++)
		u[i] = (struct mmu_update){ (mfn_x(a->p2m[5 + i % 8]) << PAGE_SHIFT) + (i / 8) * 8,
					    (uint64_t)i };
	rc = hypercall(a->vcpus[0].v, HYPERVISOR_mmu_update, (uint64_t[6]){ (uintptr_t)u, 4096, (uintptr_t)&done, DOMID_SELF });
	while (rc == -XEN_ERESTART) {
		slices++;
		rc = hypercall(a->vcpus[0].v, a->vcpus[0].v->cont.nr, a->vcpus[0].v->cont.a);
	}
	CHECK(rc == 0 && done == 4096 && slices >= 5);
	CHECK(((uint64_t *)env_frame(a->p2m[5 + 4095 % 8]))[4095 / 8] == 4095);
	check_audit(s, __func__);
	sim_destroy(s);
}

/* A budget of one entry still makes progress every slice: the deepest
 * table of a resumed tree always gets at least one entry. */
static void budget_of_one_progresses(void)
{
	struct sim_domain *a;
	struct sim *s = big_tree(1, &a);
	sim_guest_region(&op, sizeof(op));
	op = (struct mmuext_op){ .cmd = MMUEXT_PIN_L4_TABLE, .arg1.mfn = mfn_x(a->p2m[0]) };
	CHECK(sim_hypercall(a->vcpus[0].v, HYPERVISOR_mmuext_op,
			    (uint64_t[6]){ (uintptr_t)&op, 1, 0, DOMID_SELF }) == 0);
	op.cmd = MMUEXT_UNPIN_TABLE;
	CHECK(sim_hypercall(a->vcpus[0].v, HYPERVISOR_mmuext_op,
			    (uint64_t[6]){ (uintptr_t)&op, 1, 0, DOMID_SELF }) == 0);
	CHECK(hc_ext(a->vcpus[0].v, MMUEXT_TLB_FLUSH_LOCAL, 0) == 0);
	CHECK(fw_tc(frame_word(s->m, a->p2m[16])) == 0);
	check_audit(s, __func__);
	sim_destroy(s);
}

void test_preempt(void)
{
	budget_of_one_progresses();
	pin_split_equals_unsplit();
	partial_states();
	sliced_failure_undoes_everything();
	destroy_with_partial_state();
	long_batch_split();
}
