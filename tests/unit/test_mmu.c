/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the software MMU and TLB (sim/mmu.c), writable-pagetable
 * emulation (core/ptwr.c) and the formatter (core/fmt.c).
 */
#include <string.h>
#include "../../core/fmt.h"
#include "../../core/frame.h"
#include "../../core/hypercall.h"
#include "../../core/pt.h"
#include "../../core/ptwr.h"
#include "check.h"

#define VA 0x400000ull

/* The walk sets A on every level and D on the leaf of a write. */
static void walk_sets_accessed_and_dirty(void)
{
	struct sim_domain *a;
	struct sim *s = test_tree(32, &a);
	uint64_t *l1 = env_frame(a->p2m[3]), *l4 = env_frame(a->p2m[0]);
	CHECK(sim_store(s, &a->vcpus[0], VA, 42) == SIM_OK);
	CHECK((l1[0] & (PTE_A | PTE_D)) == (PTE_A | PTE_D));
	CHECK(l4[0] & PTE_A);
	check_audit(s, __func__);
	sim_destroy(s);
}

/* A cached translation survives an entry change until it is flushed. */
static void tlb_stays_stale_until_flushed(void)
{
	struct sim_domain *a;
	struct sim *s = test_tree(32, &a);
	struct vcpu *v = a->vcpus[0].v;
	uint64_t x;
	((uint64_t *)env_frame(a->p2m[8]))[0] = 111;
	((uint64_t *)env_frame(a->p2m[9]))[0] = 222;
	CHECK(sim_load(s, &a->vcpus[0], VA, &x) == SIM_OK && x == 111);
	CHECK(hc_update(v, a->p2m[3], 0, pte_make(a->p2m[9], PTE_P | PTE_US)) == 0);
	CHECK(sim_load(s, &a->vcpus[0], VA, &x) == SIM_OK && x == 111);
	CHECK(hc_ext(v, MMUEXT_INVLPG_LOCAL, VA) == 0);
	CHECK(sim_load(s, &a->vcpus[0], VA, &x) == SIM_OK && x == 222);
	check_audit(s, __func__);
	sim_destroy(s);
}

/* Faults: not present, supervisor-only (the hypervisor's area), and a
 * write through a read-only mapping of data. */
static void faults_as_hardware(void)
{
	struct sim_domain *a;
	struct sim *s = test_tree(32, &a);
	uint64_t x;
	CHECK(sim_load(s, &a->vcpus[0], 0x800000, &x) == SIM_FAULT_NP);
	CHECK(sim_load(s, &a->vcpus[0], HV_VIRT_START + (1ull << 39), &x) == SIM_FAULT_PROT);
	CHECK(sim_load(s, &a->vcpus[0], MACH2PHYS_VIRT_START + 8 * mfn_x(a->p2m[5]), &x) == SIM_OK &&
	      x == 5);
	CHECK(sim_store(s, &a->vcpus[0], MACH2PHYS_VIRT_START, 1) == SIM_FAULT_RO);
	check_audit(s, __func__);
	sim_destroy(s);
}

/* A store into the L1 through its read-only self-mapping is emulated and
 * validated: a good entry lands, a writable mapping of a table faults. */
static void ptwr_validates_stores(void)
{
	struct sim_domain *a;
	struct sim *s = test_tree(32, &a);
	uint64_t *l1 = env_frame(a->p2m[3]);
	uint64_t self = VA + PAGE_SIZE;
	CHECK(sim_store(s, &a->vcpus[0], self + 2 * 8, pte_make(a->p2m[10], PTE_P | PTE_RW)) == SIM_OK);
	CHECK(pte_mfn(l1[2]).m == a->p2m[10].m && (l1[2] & PTE_US));
	CHECK(fw_type(frame_word(s->m, a->p2m[10])) == FT_WRITABLE);
	CHECK(sim_store(s, &a->vcpus[0], self + 3 * 8, pte_make(a->p2m[0], PTE_P | PTE_RW)) == SIM_FAULT_RO);
	CHECK(l1[3] == 0);
	check_audit(s, __func__);
	sim_destroy(s);
}

/* An emulated read-modify-write lands only on the entry it read: if the
 * entry changed since (another CPU, the MMU's A bit), nothing is stored
 * and the instruction runs again; so does a compare-and-exchange update
 * whose entry moved, its new references given back. */
static void ptwr_stores_only_on_what_it_read(void)
{
	struct sim_domain *a;
	struct sim *s = test_tree(32, &a);
	struct vcpu *v = a->vcpus[0].v;
	uint64_t *l1 = env_frame(a->p2m[3]);
	uint64_t slot = VA + PAGE_SIZE + 2 * 8, stale = 0;
	uint64_t e = pte_make(a->p2m[10], PTE_P | PTE_US), other = pte_make(a->p2m[11], PTE_P | PTE_US);
	CHECK(ptwr_emulate(v, slot, e, 8, &stale) == 0);             /* it read 0, and 0 is there */
	uint64_t stored = l1[2];
	CHECK(pte_mfn(stored).m == a->p2m[10].m);
	CHECK(ptwr_emulate(v, slot, other, 8, &stale) == -XEN_EAGAIN); /* it read 0: no longer */
	CHECK(l1[2] == stored);
	CHECK(ptwr_emulate(v, slot, (uint32_t)other, 4, &(uint64_t){ (uint32_t)stored }) == 0);
	CHECK(pte_mfn(l1[2]).m == a->p2m[11].m);                     /* the half with the frame */
	uint64_t now = l1[2], word = frame_word(s->m, a->p2m[12]);
	uint64_t count = fw_count(word), tc = fw_tc(word);
	CHECK(ptwr_emulate(v, slot, 0, 8, &stored) == -XEN_EAGAIN);  /* read before that half changed */
	CHECK(l1[2] == now);
	CHECK(pt_update(v, a->p2m[3], 1, 4, pte_make(a->p2m[12], PTE_P | PTE_RW), false, &stored) == -XEN_EAGAIN);
	word = frame_word(s->m, a->p2m[12]);
	CHECK(l1[4] == 0 && fw_count(word) == count && fw_tc(word) == tc);  /* its references given back */
	check_audit(s, __func__);
	sim_destroy(s);
}

/* An instruction fetch through an NX mapping faults; a read does not. */
static void nx_forbids_fetch(void)
{
	struct sim_domain *a;
	struct sim *s = test_tree(32, &a);
	mfn_t m;
	CHECK(sim_translate(&a->vcpus[0], VA, SIM_FETCH, &m) == SIM_OK);
	CHECK(hc_update(a->vcpus[0].v, a->p2m[3], 0, pte_make(a->p2m[8], PTE_P | PTE_RW | PTE_US | PTE_NX)) == 0);
	CHECK(hc_ext(a->vcpus[0].v, MMUEXT_INVLPG_LOCAL, VA) == 0);
	CHECK(sim_translate(&a->vcpus[0], VA, SIM_READ, &m) == SIM_OK);
	CHECK(sim_translate(&a->vcpus[0], VA, SIM_FETCH, &m) == SIM_FAULT_PROT);
	check_audit(s, __func__);
	sim_destroy(s);
}

/* UVMF_MULTI and TLB_FLUSH_MULTI flush exactly the vCPUs in the bitmap. */
static void multi_flushes_only_the_mask(void)
{
	struct sim_domain *a;
	struct sim *s = test_tree(32, &a);
	static uint64_t mask;
	static struct mmuext_op op;
	uint64_t x;
	sim_guest_region(&mask, sizeof(mask));
	sim_guest_region(&op, sizeof(op));
	((uint64_t *)env_frame(a->p2m[8]))[0] = 111;
	((uint64_t *)env_frame(a->p2m[9]))[0] = 222;
	for (unsigned k = 0; k < 2; k++)
		CHECK(sim_load(s, &a->vcpus[k], VA, &x) == SIM_OK && x == 111);
	mask = 1u << 1;
	CHECK(sim_hypercall(a->vcpus[0].v, HYPERVISOR_update_va_mapping,
			(uint64_t[6]){ VA, pte_make(a->p2m[9], PTE_P | PTE_US), UVMF_INVLPG | (uintptr_t)&mask }) == 0);
	CHECK(sim_load(s, &a->vcpus[0], VA, &x) == SIM_OK && x == 111); /* not in the mask: stale */
	CHECK(sim_load(s, &a->vcpus[1], VA, &x) == SIM_OK && x == 222);
	mask = 1u << 0;
	op = (struct mmuext_op){ .cmd = MMUEXT_TLB_FLUSH_MULTI, .arg2.vcpumask = (uintptr_t)&mask };
	CHECK(sim_hypercall(a->vcpus[1].v, HYPERVISOR_mmuext_op,
			(uint64_t[6]){ (uintptr_t)&op, 1, 0, DOMID_SELF }) == 0);
	CHECK(sim_load(s, &a->vcpus[0], VA, &x) == SIM_OK && x == 222);
	check_audit(s, __func__);
	sim_destroy(s);
}

/* A type change flushes only the vCPUs that have not flushed since the
 * last drop: a vCPU that reloaded its root afterwards is left alone. */
static void type_change_flushes_only_whom_it_must(void)
{
	struct sim_domain *a;
	struct sim *s = test_tree(32, &a);
	struct vcpu *v0 = a->vcpus[0].v, *v1 = a->vcpus[1].v;
	uint64_t x;
	CHECK(sim_load(s, &a->vcpus[0], VA, &x) == SIM_OK);
	CHECK(hc_update(v0, a->p2m[3], 0, 0) == 0);        /* drop: A:8 writable count 0 */
	CHECK(hc_ext(v1, MMUEXT_NEW_BASEPTR, mfn_x(a->p2m[0])) == 0); /* v1 flushes after it */
	uint64_t t0 = atomic_load(&v0->flush_time), t1 = atomic_load(&v1->flush_time);
	CHECK(hc_ext(v0, MMUEXT_PIN_L1_TABLE, mfn_x(a->p2m[8])) == 0); /* type change */
	CHECK(atomic_load(&v0->flush_time) > t0);
	CHECK(atomic_load(&v1->flush_time) == t1);
	check_audit(s, __func__);
	sim_destroy(s);
}

/* The flush clock is kept per frame, as Xen's page timestamps: a type
 * change flushes a vCPU only for its own frame's last drop, not for a later
 * drop of another frame. */
static void type_change_flushes_only_for_its_frame(void)
{
	struct sim_domain *a;
	struct sim *s = test_tree(32, &a);
	struct vcpu *v0 = a->vcpus[0].v, *v1 = a->vcpus[1].v;
	CHECK(hc_update(v1, a->p2m[3], 2, pte_make(a->p2m[9], PTE_P | PTE_RW | PTE_US)) == 0);
	CHECK(hc_update(v0, a->p2m[3], 0, 0) == 0);        /* drop: frame 8's writable count 0 */
	CHECK(hc_ext(v1, MMUEXT_NEW_BASEPTR, mfn_x(a->p2m[0])) == 0); /* v1 flushes after it */
	CHECK(hc_update(v0, a->p2m[3], 2, 0) == 0);        /* a later drop, of frame 9 */
	uint64_t t1 = atomic_load(&v1->flush_time);
	CHECK(hc_ext(v0, MMUEXT_PIN_L1_TABLE, mfn_x(a->p2m[8])) == 0); /* frame 8 changes type */
	CHECK(atomic_load(&v1->flush_time) == t1);
	CHECK(hc_ext(v0, MMUEXT_PIN_L1_TABLE, mfn_x(a->p2m[9])) == 0); /* frame 9 does */
	CHECK(atomic_load(&v1->flush_time) > t1);
	check_audit(s, __func__);
	sim_destroy(s);
}

static void fmt_formats(void)
{
	char buf[64];
	fmt(buf, sizeof(buf), "%s %u %lu %lx %%", "x", 7u, (uint64_t)12345678901ull, (uint64_t)0xabcull);
	CHECK(!strcmp(buf, "x 7 12345678901 0xabc %"));
	fmt(buf, 5, "%s", "truncated");
	CHECK(!strcmp(buf, "trun"));
}

void test_mmu(void)
{
	walk_sets_accessed_and_dirty();
	tlb_stays_stale_until_flushed();
	faults_as_hardware();
	ptwr_validates_stores();
	ptwr_stores_only_on_what_it_read();
	nx_forbids_fetch();
	multi_flushes_only_the_mask();
	type_change_flushes_only_whom_it_must();
	type_change_flushes_only_for_its_frame();
	fmt_formats();
}
