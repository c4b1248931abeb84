/* SPDX-License-Identifier: MIT */
/*
 * Validation side by side: a vCPU validates while another of its domain is
 * in shared mode, and one that wants a frame another is validating waits
 * for the outcome.
 *
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
#include "../../core/domain.h"
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

/* A validation never waits for exclusive mode: with vCPU 1 parked in
 * shared mode (inside a hypercall of its own), vCPU 0 pins and unpins a
 * table in shared mode, side by side. */
static void validation_runs_beside_shared_mode(void)
{
	struct sim_domain *sd;
	struct sim *s = test_tree(32, &sd);
	struct vcpu *v0 = sd->vcpus[0].v, *v1 = sd->vcpus[1].v;
	mfn_t t = sd->p2m[9], data = sd->p2m[10];

	raw_write(t, 0, pte_make(data, PTE_P | PTE_RW | PTE_US));
	dom_shared_enter(v1);
	CHECK(hc_ext(v0, MMUEXT_PIN_L1_TABLE, mfn_x(t)) == 0);
	CHECK(fw_live_table(frame_word(s->m, t)) && fw_tc(frame_word(s->m, data)) == 1);
	CHECK(hc_ext(v0, MMUEXT_UNPIN_TABLE, mfn_x(t)) == 0);
	CHECK(fw_tc(frame_word(s->m, t)) == 0 && fw_tc(frame_word(s->m, data)) == 0);
	dom_shared_exit(v1);
	check_audit(s, __func__);
	sim_destroy(s);
}

struct pinner {
	struct vcpu *v;
	mfn_t table;
	long rc;
	_Atomic bool done;
};

static void *pin_l1(void *arg)
{
	struct pinner *p = arg;
	p->rc = hc_ext(p->v, MMUEXT_PIN_L1_TABLE, mfn_x(p->table));
	atomic_store(&p->done, true);
	return NULL;
}

/* vCPU 1 has claimed empty table (t) as an L1 (its type count taken, not
 * yet validated): vCPU 0's pin of it waits, and ends when vCPU 1's
 * validation does: with (fails), vCPU 1 gives the claim back and vCPU 0
 * validates the table itself. */
static void waits_for_outcome(bool fails)
{
	struct sim_domain *sd;
	struct sim *s = test_tree(32, &sd);
	struct vcpu *v1 = sd->vcpus[1].v;
	mfn_t t = sd->p2m[9];
	_Atomic uint64_t *w = &s->m->ft[mfn_x(t)];
	uint64_t before = atomic_load(w);
	struct pinner p = { .v = sd->vcpus[0].v, .table = t };

	atomic_store(w, (before & ~(FW_TYPE_MASK | FW_VALIDATED)) + ((uint64_t)FT_L1 << FW_TYPE_SHIFT) + 1 +
				FW_COUNT_ONE);
	sim_vcpu_start(&sd->vcpus[0], pin_l1, &p);
	sleep_ms(50);
	CHECK(!atomic_load(&p.done));
	if (fails) {
		atomic_store(w, before);
	} else {
		atomic_store(w, atomic_load(w) | FW_VALIDATED);
	}
	sim_vcpu_join(&sd->vcpus[0]);
	CHECK(p.rc == 0);
	CHECK(fw_live_table(atomic_load(w)) && fw_tc(atomic_load(w)) == (fails ? 1u : 2u));
	if (!fails) {
		dom_shared_enter(v1);
		frame_put_type(v1, t, true);
		dom_shared_exit(v1);
	}
	CHECK(hc_ext(sd->vcpus[0].v, MMUEXT_UNPIN_TABLE, mfn_x(t)) == 0);
	CHECK(atomic_load(w) == ((before & ~(FW_TYPE_MASK | FW_VALIDATED)) | ((uint64_t)FT_L1 << FW_TYPE_SHIFT)));
	check_audit(s, fails ? "waits_for_outcome (it fails)" : "waits_for_outcome (it succeeds)");
	sim_destroy(s);
}

void test_concurrency(void)
{
	validation_runs_beside_shared_mode();
	waits_for_outcome(false);
	waits_for_outcome(true);

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
		/* the middle phase validates in shared mode only, the others
		 * in exclusive mode whenever it is free */
		s->m->shared_validation = phase == 1;
		atomic_store(&stop_a, false);
		atomic_store(&stop_b, false);
		start(w, 2 * VCPUS);
		sleep_ms(PHASE_MS);
		atomic_store(&stop_a, true);
		atomic_store(&stop_b, true);
		join(w, 2 * VCPUS);
		check_audit(s, "quiescent point");
	}
	s->m->shared_validation = false;
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
