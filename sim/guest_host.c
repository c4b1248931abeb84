/* SPDX-License-Identifier: MIT */
/*
 * The guest kernel on the sim host.  Guest code runs on the vCPU threads;
 * each thread knows its vCPU.  Guest memory is reached through the software
 * MMU, hypercalls are calls into core, and a native guest's cr3 is a field
 * of its sim vCPU.
 *
 * The builder's initial tables (guest/os/boot.c relies on this):
 *   pfn 0 L4, pfn 1 L3, pfn 2 L2, pfns 3.. L1s mapping pfns [0, mapped) at
 *   DIRECT_BASE (slot 272), the tables read-only (pv) and the rest writable;
 *   pinned and loaded on every vCPU (pv), or loaded as cr3 (native, with
 *   the m2p mapped at slot 256 as for a pv guest, since the kernel reads it).
 */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "../core/frame.h"
#include "../core/hypercall.h"
#include "guest_host.h"

uint64_t guest_run_budget;

static _Thread_local struct sim_vcpu *cur;
static struct sim *cur_sim;

unsigned hostif_vcpu(void)
{
	return cur->v->id;
}

long hostif_hypercall(uint64_t nr, const uint64_t a[6])
{
	return sim_hypercall(cur->v, nr, a);
}

void hostif_guest_buffer(const void *p, size_t len)
{
	sim_guest_region(p, len);
}

int hostif_load(gva_t va, uint64_t *val)
{
	return sim_load(cur_sim, cur, gva_x(va), val) != SIM_OK;
}

int hostif_store(gva_t va, uint64_t val)
{
	return sim_store(cur_sim, cur, gva_x(va), val) != SIM_OK;
}

int hostif_zero_page(gva_t va)
{
	mfn_t m;
	if (sim_translate(cur, gva_x(va), SIM_WRITE, &m) != SIM_OK)
		return -1;
	memset(env_frame(m), 0, PAGE_SIZE);
	return 0;
}

int hostif_copy_page(gva_t dst, gva_t src)
{
	mfn_t d, s;
	if (sim_translate(cur, gva_x(src), SIM_READ, &s) != SIM_OK ||
	    sim_translate(cur, gva_x(dst), SIM_WRITE, &d) != SIM_OK)
		return -1;
	memcpy(env_frame(d), env_frame(s), PAGE_SIZE);
	return 0;
}

void hostif_native_load_cr3(mfn_t root)
{
	cur->native_root = root;
	env_flush_tlb(cur->v);
}

void hostif_native_invlpg(uint64_t va)
{
	env_invlpg(cur->v, va);
}

void hostif_native_flush(void)
{
	env_flush_tlb(cur->v);
}

/* The vCPUs are threads that cannot be woken: the waits spin. */
void hostif_kick(unsigned vcpu)
{
	(void)vcpu;
}

void hostif_wait_kick(void)
{
	sched_yield();
}

uint64_t hostif_now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

_Noreturn void hostif_panic(const char *why)
{
	fprintf(stderr, "pvmmu: guest on vCPU %u panicked: %s\n", cur ? cur->v->id : 0, why);
	exit(1);
}

static void put_entry(struct sim_domain *sd, uint64_t table_pfn, unsigned slot, uint64_t e)
{
	((_Atomic uint64_t *)env_frame(sd->p2m[table_pfn]))[slot] = e;
}

#define BOOT_MAPPED 1024u

/* Lay out the initial tables; return how many frames they take. */
static uint64_t build_tables(struct sim *s, struct sim_domain *sd, bool native)
{
	uint64_t nl1 = BOOT_MAPPED / PT_ENTRIES, ntables = 3 + nl1;
	put_entry(sd, 0, KERNEL_L4_SLOT, pte_make(sd->p2m[1], PTE_P | PTE_RW | PTE_A));
	put_entry(sd, 1, 0, pte_make(sd->p2m[2], PTE_P | PTE_RW | PTE_A));
	for (uint64_t i = 0; i < nl1; i++) {
		put_entry(sd, 2, (unsigned)i, pte_make(sd->p2m[3 + i], PTE_P | PTE_RW | PTE_A));
		for (unsigned j = 0; j < PT_ENTRIES; j++) {
			uint64_t pfn = i * PT_ENTRIES + j;
			bool ro = pfn < ntables && !native;
			put_entry(sd, 3 + i, j, pte_make(sd->p2m[pfn], ro ? KERNEL_RO : KERNEL_RW));
		}
	}
	if (native)
		put_entry(sd, 0, HV_L4_FIRST_SLOT, s->m->l4_template[0]);
	return ntables;
}

struct phase {
	struct sim_vcpu *sv;
	void (*fn)(struct phase *);
	const struct workload *w;
	unsigned ops;
	struct start_info *si;
	enum guest_mode mode;
};

static void *phase_thread(void *arg)
{
	struct phase *p = arg;
	cur = p->sv;
	p->fn(p);
	return NULL;
}

/* Run (fn) on the first (n) vCPUs at once and wait for all of them. */
static void on_vcpus(struct sim_domain *sd, unsigned n, struct phase *tmpl, void (*fn)(struct phase *))
{
	struct phase ph[MAX_VCPUS];
	for (unsigned k = 0; k < n; k++) {
		ph[k] = *tmpl;
		ph[k].sv = &sd->vcpus[k];
		ph[k].fn = fn;
		sim_vcpu_start(&sd->vcpus[k], phase_thread, &ph[k]);
	}
	for (unsigned k = 0; k < n; k++)
		sim_vcpu_join(&sd->vcpus[k]);
}

static void do_boot(struct phase *p)
{
	kernel_boot(p->si, p->mode == MODE_NATIVE ? &native_mmu_ops : &pv_mmu_ops, p->mode == MODE_PV);
}

static void do_setup(struct phase *p)
{
	p->w->setup(p->ops);
}

static void do_run(struct phase *p)
{
	p->w->run(p->sv->v->id, p->ops);
}

static void do_teardown(struct phase *p)
{
	workload_teardown(p->w);
}

static void count(struct sim_domain *sd, struct guest_counts *c)
{
	memset(c, 0, sizeof(*c));
	for (unsigned k = 0; k < sd->d->nr_vcpus; k++) {
		const struct vcpu_stats *st = &sd->d->vcpus[k].stats;
		c->hypercalls += mmu_stats[k].hypercalls;
		c->mc_entries += mmu_stats[k].mc_entries;
		c->validated += st->validated;
		c->pins += st->pins;
		c->unpins += st->unpins;
		c->flushes += st->flushes;
		c->emulated += st->emulated;
		c->flush_ipis += st->flush_ipis;
		c->faults += mmu_stats[k].faults;
	}
}

static void diff(struct guest_counts *a, const struct guest_counts *b)
{
	a->hypercalls -= b->hypercalls;
	a->mc_entries -= b->mc_entries;
	a->validated -= b->validated;
	a->pins -= b->pins;
	a->unpins -= b->unpins;
	a->flushes -= b->flushes;
	a->emulated -= b->emulated;
	a->flush_ipis -= b->flush_ipis;
	a->faults -= b->faults;
}

static bool boot(struct sim *s, struct sim_domain *sd, enum guest_mode mode, struct start_info *si,
		 uint64_t *p2m)
{
	uint64_t ntables = build_tables(s, sd, mode == MODE_NATIVE);
	for (uint64_t i = 0; i < sd->nr_frames; i++)
		p2m[i] = mfn_x(sd->p2m[i]);
	*si = (struct start_info){ sd->nr_frames, p2m, 0, ntables, ntables, BOOT_MAPPED, sd->d->nr_vcpus };
	for (unsigned k = 0; k < sd->d->nr_vcpus; k++) {
		struct sim_vcpu *sv = &sd->vcpus[k];
		if (mode == MODE_NATIVE) {
			sv->native = true;
			sv->native_root = sd->p2m[0];
			continue;
		}
		static struct mmuext_op op;
		sim_guest_region(&op, sizeof(op));
		op = (struct mmuext_op){ .cmd = k ? MMUEXT_NEW_BASEPTR : MMUEXT_PIN_L4_TABLE,
					 .arg1.mfn = mfn_x(sd->p2m[0]) };
		uint64_t a[6] = { (uintptr_t)&op, 1, 0, DOMID_SELF };
		if (sim_hypercall(sv->v, HYPERVISOR_mmuext_op, a))
			return false;
		if (k == 0) {
			op.cmd = MMUEXT_NEW_BASEPTR;
			if (sim_hypercall(sv->v, HYPERVISOR_mmuext_op, a))
				return false;
		}
	}
	return true;
}

int guest_run(const struct workload *w, enum guest_mode mode, uint64_t pages, unsigned ops,
	      struct guest_result *r)
{
	struct sim *s = sim_create(&(struct sim_options){ .frames = pages + pages / 8 + 4096, .seed = 1,
							  .l1tf = true, .prefault = true });
	struct sim_domain *sd = s ? sim_domain_create(s, pages, w->vcpus) : NULL;
	uint64_t *p2m = malloc(pages * sizeof(*p2m));
	struct start_info si;
	struct guest_counts before;

	memset(r, 0, sizeof(*r));
	if (s)
		s->m->preempt_budget = guest_run_budget;
	if (!sd || !boot(s, sd, mode, &si, p2m)) {
		fprintf(stderr, "pvmmu: cannot build a guest of %llu pages\n", (unsigned long long)pages);
		free(p2m);
		if (s)
			sim_destroy(s);
		return -1;
	}
	cur_sim = s;
	memset(mmu_stats, 0, sizeof(mmu_stats));
	struct phase tmpl = { .w = w, .ops = ops ? ops : w->default_ops, .si = &si, .mode = mode };
	on_vcpus(sd, 1, &tmpl, do_boot);
	uint64_t free_after_boot = palloc_nr_free();
	on_vcpus(sd, 1, &tmpl, do_setup);
	count(sd, &before);
	uint64_t t0 = hostif_now_ns();
	on_vcpus(sd, w->vcpus, &tmpl, do_run);
	uint64_t t1 = hostif_now_ns();
	count(sd, &r->counts);
	diff(&r->counts, &before);
	on_vcpus(sd, 1, &tmpl, do_teardown);
	r->ops = (uint64_t)tmpl.ops * w->vcpus;
	r->seconds = (double)(t1 - t0) / 1e9;
	r->leak_free = palloc_nr_free() == free_after_boot && proc_count() == 0;
	r->audit_ok = sim_audit(s, r->audit_msg, sizeof(r->audit_msg));
	sim_destroy(s);
	free(p2m);
	cur_sim = NULL;
	return 0;
}
