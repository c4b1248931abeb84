/* SPDX-License-Identifier: MIT */
/*
 * Concurrency stress, vCPUs as threads: two domains of four vCPUs each
 * hammer shared frames (map writable and read-only, unmap, pin and unpin
 * them as tables, update_va_mapping with every flush, stores and loads
 * through the TLBs) for a bounded time, in phases.  Between phases every
 * thread stops and the audit runs; in one phase a domain is destroyed and
 * built again while the other keeps running.  At the end, destroying both
 * frees every frame.  The suite runs it under ThreadSanitizer too.
 */
#include <stdlib.h>
#include <time.h>
#include "../../core/frame.h"
#include "../../core/hypercall.h"
#include "check.h"

#define VCPUS 4
#define SHARED 12
#define PHASE_MS 120

struct worker {
	struct sim *s;
	struct sim_domain *sd;
	unsigned k;
	uint64_t seed;
	_Atomic bool *stop;
	uint64_t done;
	struct mmu_update req;
	struct mmuext_op op;
	uint64_t mask;
};

static uint64_t rnd(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

static long ext(struct worker *w, struct vcpu *v, unsigned cmd, mfn_t m)
{
	w->op = (struct mmuext_op){ .cmd = cmd, .arg1.mfn = mfn_x(m) };
	return sim_hypercall(v, HYPERVISOR_mmuext_op, (uint64_t[6]){ (uintptr_t)&w->op, 1, 0, DOMID_SELF });
}

/* Frames: L4 p0, L3 p1, L2 p2, L1 p3+k for vCPU k, a spare L2 p7 whose
 * entry 0 points at shared frame 8 (so pinning it validates that frame as
 * an L1), shared data p8.. */
static void one_op(struct worker *w, uint64_t x)
{
	struct vcpu *v = w->sd->vcpus[w->k].v;
	mfn_t *p = w->sd->p2m;
	mfn_t data = p[8 + x % SHARED];
	unsigned slot = (unsigned)(x >> 8) % 8;
	uint64_t va = ((uint64_t)w->k << 21) + slot * PAGE_SIZE;
	uint64_t flags = (x & 0x10000) ? PTE_P | PTE_RW | PTE_US : PTE_P | PTE_US;
	uint64_t val;

	switch ((x >> 20) % 7) {
	case 0:
	case 1:
		w->req = (struct mmu_update){ (mfn_x(p[3 + w->k]) << PAGE_SHIFT) + slot * 8,
					      (x & 0x20000) ? pte_make(data, flags) : 0 };
		sim_hypercall(v, HYPERVISOR_mmu_update, (uint64_t[6]){ (uintptr_t)&w->req, 1, 0, DOMID_SELF });
		break;
	case 2:
		if (!ext(w, v, MMUEXT_PIN_L1_TABLE, data))
			ext(w, v, MMUEXT_UNPIN_TABLE, data);
		break;
	case 3:
		if (!ext(w, v, MMUEXT_PIN_L2_TABLE, p[7]))
			ext(w, v, MMUEXT_UNPIN_TABLE, p[7]);
		break;
	case 4: {
		static const uint64_t scope[] = { UVMF_INVLPG, UVMF_TLB_FLUSH, UVMF_INVLPG | UVMF_ALL,
						  UVMF_TLB_FLUSH | UVMF_ALL, UVMF_INVLPG };
		uint64_t f = scope[(x >> 4) % 5];
		w->mask = x & 0xf;
		if ((x >> 4) % 5 == 4)
			f |= (uintptr_t)&w->mask;
		sim_hypercall(v, HYPERVISOR_update_va_mapping, (uint64_t[6]){ va, pte_make(data, flags), f });
		break;
	}
	default:
		if (sim_store(w->s, &w->sd->vcpus[w->k], va, x) != SIM_OK)
			sim_load(w->s, &w->sd->vcpus[w->k], va, &val);
	}
}

static void *work(void *arg)
{
	struct worker *w = arg;
	while (!atomic_load(w->stop)) {
		one_op(w, rnd(&w->seed));
		w->done++;
	}
	return NULL;
}

static void build(struct sim_domain *sd)
{
	mfn_t *p = sd->p2m;
	raw_write(p[0], 0, pte_make(p[1], PTE_P | PTE_RW | PTE_US));
	raw_write(p[1], 0, pte_make(p[2], PTE_P | PTE_RW | PTE_US));
	raw_write(p[7], 0, pte_make(p[8], PTE_P | PTE_RW | PTE_US));
	for (unsigned k = 0; k < VCPUS; k++)
		raw_write(p[2], k, pte_make(p[3 + k], PTE_P | PTE_RW | PTE_US));
	CHECK(hc_ext(sd->vcpus[0].v, MMUEXT_PIN_L4_TABLE, mfn_x(p[0])) == 0);
	for (unsigned k = 0; k < VCPUS; k++)
		CHECK(hc_ext(sd->vcpus[k].v, MMUEXT_NEW_BASEPTR, mfn_x(p[0])) == 0);
}

static void sleep_ms(long ms)
{
	struct timespec t = { ms / 1000, (ms % 1000) * 1000000 };
	nanosleep(&t, NULL);
}

static void start(struct worker *w, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		sim_vcpu_start(&w[i].sd->vcpus[w[i].k], work, &w[i]);
}

static void join(struct worker *w, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		sim_vcpu_join(&w[i].sd->vcpus[w[i].k]);
}

static uint64_t free_frames(struct sim *s)
{
	uint64_t n = 0;
	for (uint64_t i = 0; i < s->m->nr_frames; i++)
		n += fw_owner(frame_word(s->m, _mfn(i))) == OWNER_NOBODY;
	return n;
}

void test_concurrency(void)
{
	struct sim_domain *sd[2];
	struct sim *s = test_machine(8192, 64, VCPUS, &sd[0]);
	struct worker *w = calloc(2 * VCPUS, sizeof(*w));
	_Atomic bool stop_a, stop_b;
	uint64_t free0 = free_frames(s) + 64, total = 0;

	sd[1] = sim_domain_create(s, 64, VCPUS);
	sim_guest_region(w, 2 * VCPUS * sizeof(*w));
	for (unsigned i = 0; i < 2; i++)
		build(sd[i]);
	for (unsigned i = 0; i < 2 * VCPUS; i++)
		w[i] = (struct worker){ .s = s, .sd = sd[i / VCPUS], .k = i % VCPUS,
					.seed = 0x9e3779b97f4a7c15ull * (i + 1),
					.stop = i < VCPUS ? &stop_a : &stop_b };
	/* phases with every vCPU of both domains running, audited in between */
	for (unsigned phase = 0; phase < 3; phase++) {
		atomic_store(&stop_a, false);
		atomic_store(&stop_b, false);
		start(w, 2 * VCPUS);
		sleep_ms(PHASE_MS);
		atomic_store(&stop_a, true);
		atomic_store(&stop_b, true);
		join(w, 2 * VCPUS);
		check_audit(s, "quiescent point");
	}
	/* domain B destroyed and built again while A runs */
	atomic_store(&stop_a, false);
	start(w, VCPUS);
	sleep_ms(PHASE_MS / 2);
	sim_domain_destroy(s, sd[1]);
	sd[1] = sim_domain_create(s, 64, VCPUS);
	build(sd[1]);
	for (unsigned i = VCPUS; i < 2 * VCPUS; i++)
		w[i].sd = sd[1];
	sleep_ms(PHASE_MS / 2);
	atomic_store(&stop_a, true);
	join(w, VCPUS);
	check_audit(s, "after destroying B while A ran");
	for (unsigned i = 0; i < 2 * VCPUS; i++)
		total += w[i].done;
	CHECK(total > 1000);
	sim_domain_destroy(s, sd[0]);
	check_audit(s, __func__);
	sim_domain_destroy(s, sd[1]);
	CHECK(free_frames(s) == free0);
	check_audit(s, __func__);
	free(w);
	sim_destroy(s);
}
