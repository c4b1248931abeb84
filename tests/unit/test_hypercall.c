/* SPDX-License-Identifier: MIT */
/*
 * Bad input at the hypercall boundary: every case gets Xen's error code,
 * batches report what they completed, and nothing else changes (the frame
 * table is compared word for word, then the audit runs).
 */
#include <stdlib.h>
#include <string.h>
#include "../../core/domain.h"
#include "../../core/frame.h"
#include "../../core/hypercall.h"
#include "check.h"

struct fixture {
	struct sim *s;
	struct sim_domain *a, *b;
	struct vcpu *v;
	uint64_t *before;
};

static void setup(struct fixture *f)
{
	f->s = test_tree(64, &f->a);
	f->b = sim_domain_create(f->s, 8, 1);
	f->v = f->a->vcpus[0].v;
	f->before = malloc(f->s->m->nr_frames * 8);
}

static void snapshot(struct fixture *f)
{
	for (uint64_t i = 0; i < f->s->m->nr_frames; i++)
		f->before[i] = frame_word(f->s->m, _mfn(i));
}

static bool unchanged(struct fixture *f)
{
	for (uint64_t i = 0; i < f->s->m->nr_frames; i++)
		if (f->before[i] != frame_word(f->s->m, _mfn(i)))
			return false;
	return true;
}

static void teardown(struct fixture *f, const char *where)
{
	check_audit(f->s, where);
	free(f->before);
	sim_destroy(f->s);
}

static long call(struct vcpu *v, uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3)
{
	return sim_hypercall(v, nr, (uint64_t[6]){ a0, a1, a2, a3, 0, 0 });
}

/* Refused requests: Xen's code, and the frame table untouched. */
static void refusals_change_nothing(void)
{
	struct fixture f;
	static struct mmu_update u[1];
	static struct mmuext_op op[1];
	setup(&f);
	sim_guest_region(u, sizeof(u));
	sim_guest_region(op, sizeof(op));
	uint64_t l1 = mfn_x(f.a->p2m[3]) << PAGE_SHIFT;
	struct {
		const char *what;
		uint64_t nr, a0, a1, a2, a3;
		struct mmu_update req;
		struct mmuext_op ext;
		long rc;
	} cases[] = {
		{ "unknown hypercall", 63, 0, 0, 0, 0, { 0, 0 }, { 0 }, -XEN_ENOSYS },
		{ "hypercall number past the table", 1u << 20, 0, 0, 0, 0, { 0, 0 }, { 0 }, -XEN_ENOSYS },
		{ "mmu_update command 4..7", HYPERVISOR_mmu_update, (uintptr_t)u, 1, 0, DOMID_SELF, { l1 | 5, 0 }, { 0 }, -XEN_ENOSYS },
		{ "mmu_update from a NULL array", HYPERVISOR_mmu_update, 0, 1, 0, DOMID_SELF, { 0, 0 }, { 0 }, -XEN_EFAULT },
		{ "mmu_update from an unmapped array", HYPERVISOR_mmu_update, 0x1000, 1, 0, DOMID_SELF, { 0, 0 }, { 0 }, -XEN_EFAULT },
		{ "mmu_update foreigndom own numeric id", HYPERVISOR_mmu_update, (uintptr_t)u, 1, 0, 1, { l1, 0 }, { 0 }, -XEN_ESRCH },
		{ "mmu_update foreigndom another domain", HYPERVISOR_mmu_update, (uintptr_t)u, 1, 0, 2, { l1, 0 }, { 0 }, -XEN_EPERM },
		{ "mmu_update foreigndom DOMID_XEN", HYPERVISOR_mmu_update, (uintptr_t)u, 1, 0, DOMID_XEN, { l1, 0 }, { 0 }, -XEN_EPERM },
		{ "mmu_update foreigndom unknown", HYPERVISOR_mmu_update, (uintptr_t)u, 1, 0, 40, { l1, 0 }, { 0 }, -XEN_ESRCH },
		{ "mmu_update pt owner unknown", HYPERVISOR_mmu_update, (uintptr_t)u, 1, 0, (41u << 16) | DOMID_SELF, { l1, 0 }, { 0 }, -XEN_ESRCH },
		{ "mmu_update beyond memory", HYPERVISOR_mmu_update, (uintptr_t)u, 1, 0, DOMID_SELF, { 1ull << 51, 0 }, { 0 }, -XEN_EINVAL },
		{ "mmuext unknown command", HYPERVISOR_mmuext_op, (uintptr_t)op, 1, 0, DOMID_SELF, { 0, 0 }, { .cmd = 99 }, -XEN_ENOSYS },
		{ "mmuext command 14", HYPERVISOR_mmuext_op, (uintptr_t)op, 1, 0, DOMID_SELF, { 0, 0 }, { .cmd = 14 }, -XEN_ENOSYS },
		{ "XSA-167: MARK_SUPER of a wild frame", HYPERVISOR_mmuext_op, (uintptr_t)op, 1, 0, DOMID_SELF, { 0, 0 }, { .cmd = MMUEXT_MARK_SUPER, .arg1.mfn = 0xffffffffffe00000ull }, -XEN_EOPNOTSUPP },
		{ "UNMARK_SUPER", HYPERVISOR_mmuext_op, (uintptr_t)op, 1, 0, DOMID_SELF, { 0, 0 }, { .cmd = MMUEXT_UNMARK_SUPER }, -XEN_EOPNOTSUPP },
		{ "FLUSH_CACHE without I/O privilege", HYPERVISOR_mmuext_op, (uintptr_t)op, 1, 0, DOMID_SELF, { 0, 0 }, { .cmd = MMUEXT_FLUSH_CACHE }, -XEN_EACCES },
		{ "SET_LDT not page-aligned", HYPERVISOR_mmuext_op, (uintptr_t)op, 1, 0, DOMID_SELF, { 0, 0 }, { .cmd = MMUEXT_SET_LDT, .arg1.linear_addr = 0x1008, .arg2.nr_ents = 1 }, -XEN_EINVAL },
		{ "SET_LDT of 8193 entries", HYPERVISOR_mmuext_op, (uintptr_t)op, 1, 0, DOMID_SELF, { 0, 0 }, { .cmd = MMUEXT_SET_LDT, .arg1.linear_addr = 0x1000, .arg2.nr_ents = 8193 }, -XEN_EINVAL },
		{ "SET_LDT in the hypervisor's area", HYPERVISOR_mmuext_op, (uintptr_t)op, 1, 0, DOMID_SELF, { 0, 0 }, { .cmd = MMUEXT_SET_LDT, .arg1.linear_addr = HV_VIRT_START, .arg2.nr_ents = 1 }, -XEN_EINVAL },
		{ "TLB_FLUSH_MULTI with an unreadable mask", HYPERVISOR_mmuext_op, (uintptr_t)op, 1, 0, DOMID_SELF, { 0, 0 }, { .cmd = MMUEXT_TLB_FLUSH_MULTI, .arg2.vcpumask = 8 }, -XEN_EINVAL },
		{ "CLEAR_PAGE of a pagetable", HYPERVISOR_mmuext_op, (uintptr_t)op, 1, 0, DOMID_SELF, { 0, 0 }, { .cmd = MMUEXT_CLEAR_PAGE, .arg1.mfn = mfn_x(f.a->p2m[3]) }, -XEN_EINVAL },
		{ "CLEAR_PAGE of another domain's page", HYPERVISOR_mmuext_op, (uintptr_t)op, 1, 0, DOMID_SELF, { 0, 0 }, { .cmd = MMUEXT_CLEAR_PAGE, .arg1.mfn = mfn_x(f.b->p2m[0]) }, -XEN_EINVAL },
		{ "COPY_PAGE onto a pagetable", HYPERVISOR_mmuext_op, (uintptr_t)op, 1, 0, DOMID_SELF, { 0, 0 }, { .cmd = MMUEXT_COPY_PAGE, .arg1.mfn = mfn_x(f.a->p2m[0]), .arg2.src_mfn = mfn_x(f.a->p2m[9]) }, -XEN_EINVAL },
		{ "COPY_PAGE from another domain", HYPERVISOR_mmuext_op, (uintptr_t)op, 1, 0, DOMID_SELF, { 0, 0 }, { .cmd = MMUEXT_COPY_PAGE, .arg1.mfn = mfn_x(f.a->p2m[9]), .arg2.src_mfn = mfn_x(f.b->p2m[0]) }, -XEN_EINVAL },
		{ "XSA-279: uva of a non-canonical address", HYPERVISOR_update_va_mapping, 1ull << 63, 0, UVMF_INVLPG | UVMF_ALL, 0, { 0, 0 }, { 0 }, -XEN_EINVAL },
		{ "uva_otherdomain to another domain", HYPERVISOR_update_va_mapping_otherdomain, 0x400000, 0, 0, 2, { 0, 0 }, { 0 }, -XEN_EPERM },
		{ "multicall from an unmapped list", HYPERVISOR_multicall, 0x2000, 1, 0, 0, { 0, 0 }, { 0 }, -XEN_EFAULT },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		u[0] = cases[i].req;
		op[0] = cases[i].ext;
		snapshot(&f);
		long rc = call(f.v, cases[i].nr, cases[i].a0, cases[i].a1, cases[i].a2, cases[i].a3);
		if (rc != cases[i].rc || !unchanged(&f))
			printf("  case: %s: rc %ld\n", cases[i].what, rc);
		CHECK(rc == cases[i].rc);
		CHECK(unchanged(&f));
	}
	teardown(&f, __func__);
}

/* A batch stops at the first failing request, reports how many completed,
 * and keeps them; a count beyond the readable array ends in -EFAULT. */
static void batches_report_what_they_did(void)
{
	struct fixture f;
	static struct mmu_update u[41]; /* u[40] is never guest memory */
	static uint32_t done;
	setup(&f);
	sim_guest_region(u, 40 * sizeof(u[0]));
	sim_guest_region(&done, sizeof(done));
	uint64_t l1 = mfn_x(f.a->p2m[3]) << PAGE_SHIFT;
	for (unsigned i = 0; i < 40; i++)
		u[i] = (struct mmu_update){ l1 + (8 + i) * 8, pte_make(f.a->p2m[10 + i % 20], PTE_P | PTE_US) };
	u[35].val = pte_make(f.a->p2m[0], PTE_P | PTE_RW | PTE_US);
	CHECK(call(f.v, HYPERVISOR_mmu_update, (uintptr_t)u, 40, (uintptr_t)&done, DOMID_SELF) == -XEN_EBUSY);
	CHECK(done == 35);
	CHECK(fw_count(frame_word(f.s->m, f.a->p2m[10])) == 3);
	/* a count past the end of the array: all readable requests run */
	u[35].val = 0;
	CHECK(call(f.v, HYPERVISOR_mmu_update, (uintptr_t)u, 41, (uintptr_t)&done, DOMID_SELF) == -XEN_EFAULT);
	CHECK(done == 40);
	/* count 0 does nothing and reports 0 */
	CHECK(call(f.v, HYPERVISOR_mmu_update, (uintptr_t)u, 0, (uintptr_t)&done, DOMID_SELF) == 0);
	CHECK(done == 0);
	/* an unwritable done pointer: as on Xen, the work is done and the
	 * result is the requests' */
	uint64_t before = fw_count(frame_word(f.s->m, f.a->p2m[40]));
	u[0].val = pte_make(f.a->p2m[40], PTE_P | PTE_US);
	CHECK(call(f.v, HYPERVISOR_mmu_update, (uintptr_t)u, 1, 0x3000, DOMID_SELF) == 0);
	CHECK(fw_count(frame_word(f.s->m, f.a->p2m[40])) == before + 1);
	/* a huge count with the preempted bit: treated as the count without it */
	CHECK(call(f.v, HYPERVISOR_mmu_update, (uintptr_t)u, MMU_UPDATE_PREEMPTED | 2, (uintptr_t)&done, DOMID_SELF) == 0);
	CHECK(done == 2);
	teardown(&f, __func__);
}

/* update_va_mapping with an unreadable vCPU mask: the entry is updated, the
 * flush is not, and -EFAULT says so (as Xen does). */
static void uva_bad_mask_updates_then_faults(void)
{
	struct fixture f;
	setup(&f);
	uint64_t *l1 = env_frame(f.a->p2m[3]);
	long rc = call(f.v, HYPERVISOR_update_va_mapping, 0x400000,
		       pte_make(f.a->p2m[9], PTE_P | PTE_US), UVMF_INVLPG | 0x5000, 0);
	CHECK(rc == -XEN_EFAULT);
	CHECK(pte_mfn(l1[0]).m == f.a->p2m[9].m);
	teardown(&f, __func__);
}

/* Multicall: every entry runs, each result lands in its entry, nesting is
 * refused, and a crashed domain's hypercalls are refused. */
static void multicall_results(void)
{
	struct fixture f;
	static struct multicall_entry mc[3];
	static struct mmuext_op op;
	setup(&f);
	sim_guest_region(mc, sizeof(mc));
	sim_guest_region(&op, sizeof(op));
	op = (struct mmuext_op){ .cmd = MMUEXT_PIN_L1_TABLE, .arg1.mfn = mfn_x(f.a->p2m[20]) };
	mc[0] = (struct multicall_entry){ .op = HYPERVISOR_mmuext_op, .args = { (uintptr_t)&op, 1, 0, DOMID_SELF } };
	mc[1] = (struct multicall_entry){ .op = HYPERVISOR_multicall, .args = { (uintptr_t)mc, 1 } };
	mc[2] = (struct multicall_entry){ .op = 60 };
	CHECK(call(f.v, HYPERVISOR_multicall, (uintptr_t)mc, 3, 0, 0) == 0);
	CHECK(mc[0].result == 0);
	CHECK((long)mc[1].result == -XEN_EINVAL);
	CHECK((long)mc[2].result == -XEN_ENOSYS);
	CHECK(frame_word(f.s->m, f.a->p2m[20]) & FW_PINNED);
	domain_crash(f.a->d, "test");
	CHECK(hc_ext(f.v, MMUEXT_TLB_FLUSH_LOCAL, 0) == -XEN_ESRCH);
	f.a->d->crashed = false;
	teardown(&f, __func__);
}

/* CLEAR_PAGE and COPY_PAGE work on the domain's own data pages. */
static void clear_and_copy(void)
{
	struct fixture f;
	setup(&f);
	uint64_t *src = env_frame(f.a->p2m[30]), *dst = env_frame(f.a->p2m[31]);
	src[7] = 0x77;
	dst[9] = 0x99;
	static struct mmuext_op op;
	sim_guest_region(&op, sizeof(op));
	op = (struct mmuext_op){ .cmd = MMUEXT_COPY_PAGE, .arg1.mfn = mfn_x(f.a->p2m[31]),
				 .arg2.src_mfn = mfn_x(f.a->p2m[30]) };
	CHECK(call(f.v, HYPERVISOR_mmuext_op, (uintptr_t)&op, 1, 0, DOMID_SELF) == 0);
	CHECK(dst[7] == 0x77 && dst[9] == 0);
	CHECK(hc_ext(f.v, MMUEXT_CLEAR_PAGE, mfn_x(f.a->p2m[30])) == 0);
	CHECK(src[7] == 0);
	teardown(&f, __func__);
}

/* Guest arrays need no alignment (as in Xen): requests and the done word
 * at odd addresses work as they would aligned.  (The UVMF_MULTI bitmap
 * pointer shares its low bits with the flush type, so the ABI has it
 * aligned.) */
static void misaligned_buffers(void)
{
	struct fixture f;
	static uint8_t raw[3 + 2 * sizeof(struct mmu_update) + 1 + 4];
	static uint64_t mask = 3;
	setup(&f);
	sim_guest_region(raw, sizeof(raw));
	uint64_t l1 = mfn_x(f.a->p2m[3]) << PAGE_SHIFT;
	struct mmu_update req[2] = {
		{ l1 + 5 * 8, pte_make(f.a->p2m[12], PTE_P | PTE_RW | PTE_US) },
		{ l1 + 6 * 8, pte_make(f.a->p2m[13], PTE_P | PTE_US) },
	};
	uint8_t *reqs = raw + 3, *done = reqs + sizeof(req) + 1;
	memcpy(reqs, req, sizeof(req));
	sim_guest_region(&mask, sizeof(mask));
	CHECK(call(f.v, HYPERVISOR_mmu_update, (uintptr_t)reqs, 2, (uintptr_t)done, DOMID_SELF) == 0);
	uint32_t n;
	memcpy(&n, done, sizeof(n));
	CHECK(n == 2);
	uint64_t *l1e = env_frame(f.a->p2m[3]);
	CHECK(pte_mfn(l1e[5]).m == f.a->p2m[12].m && pte_mfn(l1e[6]).m == f.a->p2m[13].m);
	CHECK(fw_tc(frame_word(f.s->m, f.a->p2m[12])) == 1);
	CHECK(call(f.v, HYPERVISOR_update_va_mapping, 0x405000, 0, UVMF_INVLPG | (uintptr_t)&mask, 0) == 0);
	CHECK(l1e[5] == 0 && fw_tc(frame_word(f.s->m, f.a->p2m[12])) == 0);
	teardown(&f, __func__);
}

void test_hypercall(void)
{
	misaligned_buffers();
	refusals_change_nothing();
	batches_report_what_they_did();
	uva_bad_mask_updates_then_faults();
	multicall_results();
	clear_and_copy();
}
