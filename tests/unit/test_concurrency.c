/* SPDX-License-Identifier: MIT */
/*
 * vCPUs as threads: two domains of four vCPUs each hammer shared frames at
 * once (map writable and read-only, unmap, try to pin mapped frames as L1,
 * update_va_mapping with flushes, stores through the TLB), then the audit
 * must hold and destroying the domains must free every frame.
 */
#include <stdlib.h>
#include "../../core/frame.h"
#include "../../core/hypercall.h"
#include "check.h"

#define VCPUS 4
#define ROUNDS 20000
#define SHARED 12

struct worker {
	struct sim *s;
	struct sim_domain *sd;
	unsigned k;
	uint64_t seed;
	struct mmu_update req;
	struct mmuext_op op;
};

static uint64_t rnd(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/* Frames: L4 p0, L3 p1, L2 p2, L1 p3+k for vCPU k, shared data p8.. */
static void *work(void *arg)
{
	struct worker *w = arg;
	struct vcpu *v = w->sd->vcpus[w->k].v;
	mfn_t *p = w->sd->p2m;
	uint64_t va = (uint64_t)w->k << 21;

	for (unsigned r = 0; r < ROUNDS; r++) {
		uint64_t x = rnd(&w->seed);
		mfn_t data = p[8 + x % SHARED];
		unsigned slot = (unsigned)(x >> 8) % 8;
		uint64_t flags = (x & 0x10000) ? PTE_P | PTE_RW | PTE_US : PTE_P | PTE_US;
		switch ((x >> 20) % 5) {
		case 0:
		case 1:
			w->req = (struct mmu_update){ (mfn_x(p[3 + w->k]) << PAGE_SHIFT) + slot * 8,
						      (x & 0x20000) ? pte_make(data, flags) : 0 };
			hypercall(v, HYPERVISOR_mmu_update, (uint64_t[6]){ (uintptr_t)&w->req, 1, 0, DOMID_SELF });
			break;
		case 2:
			w->op = (struct mmuext_op){ .cmd = MMUEXT_PIN_L1_TABLE, .arg1.mfn = mfn_x(data) };
			if (!hypercall(v, HYPERVISOR_mmuext_op, (uint64_t[6]){ (uintptr_t)&w->op, 1, 0, DOMID_SELF })) {
				w->op.cmd = MMUEXT_UNPIN_TABLE;
				hypercall(v, HYPERVISOR_mmuext_op, (uint64_t[6]){ (uintptr_t)&w->op, 1, 0, DOMID_SELF });
			}
			break;
		case 3:
			hypercall(v, HYPERVISOR_update_va_mapping,
				  (uint64_t[6]){ va + slot * PAGE_SIZE, pte_make(data, flags),
						 (x & 0x40000) ? UVMF_INVLPG | UVMF_ALL : UVMF_TLB_FLUSH });
			break;
		default: {
			uint64_t val;
			if (sim_store(w->s, &w->sd->vcpus[w->k], va + slot * PAGE_SIZE, x) != SIM_OK)
				sim_load(w->s, &w->sd->vcpus[w->k], va + slot * PAGE_SIZE, &val);
		}
		}
	}
	return NULL;
}

static void build(struct sim_domain *sd)
{
	mfn_t *p = sd->p2m;
	raw_write(p[0], 0, pte_make(p[1], PTE_P | PTE_RW | PTE_US));
	raw_write(p[1], 0, pte_make(p[2], PTE_P | PTE_RW | PTE_US));
	for (unsigned k = 0; k < VCPUS; k++)
		raw_write(p[2], k, pte_make(p[3 + k], PTE_P | PTE_RW | PTE_US));
	CHECK(hc_ext(sd->vcpus[0].v, MMUEXT_PIN_L4_TABLE, mfn_x(p[0])) == 0);
	for (unsigned k = 0; k < VCPUS; k++)
		CHECK(hc_ext(sd->vcpus[k].v, MMUEXT_NEW_BASEPTR, mfn_x(p[0])) == 0);
}

void test_concurrency(void)
{
	struct sim_domain *sd[2];
	struct sim *s = test_machine(8192, 64, VCPUS, &sd[0]);
	struct worker *w = calloc(2 * VCPUS, sizeof(*w));
	uint64_t free_before = 0, free_after = 0;

	sd[1] = sim_domain_create(s, 64, VCPUS);
	sim_guest_region(w, 2 * VCPUS * sizeof(*w));
	for (unsigned i = 0; i < 2; i++)
		build(sd[i]);
	for (unsigned i = 0; i < 2 * VCPUS; i++) {
		w[i] = (struct worker){ .s = s, .sd = sd[i / VCPUS], .k = i % VCPUS,
					.seed = 0x9e3779b97f4a7c15ull * (i + 1) };
		sim_vcpu_start(&w[i].sd->vcpus[w[i].k], work, &w[i]);
	}
	for (unsigned i = 0; i < 2 * VCPUS; i++)
		sim_vcpu_join(&w[i].sd->vcpus[w[i].k]);
	check_audit(s, __func__);
	for (uint64_t i = 0; i < s->m->nr_frames; i++)
		free_before += fw_owner(frame_word(s->m, _mfn(i))) == OWNER_NOBODY;
	sim_domain_destroy(s, sd[0]);
	check_audit(s, __func__);
	sim_domain_destroy(s, sd[1]);
	for (uint64_t i = 0; i < s->m->nr_frames; i++)
		free_after += fw_owner(frame_word(s->m, _mfn(i))) == OWNER_NOBODY;
	CHECK(free_after == free_before + 128);
	check_audit(s, __func__);
	free(w);
	sim_destroy(s);
}
