/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness: the input is a program of hypercalls from two domains
 * with two vCPUs each, on a fresh machine per input: mmu_update (entries
 * built from own, foreign, hypervisor, free and out-of-range frames and any
 * flags), mmuext_op (every command), update_va_mapping, multicalls of those,
 * stores through the MMU (the writable-pagetable path), loads, frames given
 * back (decrease_reservation's core, mapped or not), and domain
 * destruction, with a work budget of a few entries per slice, so long work
 * is split, and some hypercalls abandoned after their first slice (partial
 * tables and queued devalidation then meet everything after them), and
 * validation in either count mode.  After
 * every step the audit must hold; a crashed domain is destroyed and built
 * again.  Any audit failure or crash is a finding.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../core/domain.h"
#include "../core/hypercall.h"
#include "../core/preempt.h"
#include "../core/ptwr.h"
#include "../sim/sim.h"

#define FRAMES 32
#define MC_MAX 8

struct input {
	const uint8_t *p;
	size_t n;
};

static uint8_t byte(struct input *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

static struct {
	struct mmu_update u[MC_MAX];
	struct mmuext_op x[MC_MAX];
	struct multicall_entry mc[MC_MAX];
	uint64_t mask;
	uint32_t done;
} buf;

static struct sim *s;
static struct sim_domain *dom[2];

/* A frame the program names: own, the other domain's, hypervisor, free,
 * beyond memory. */
static mfn_t frame(struct input *in, unsigned d)
{
	uint8_t b = byte(in);
	switch (b % 8) {
	case 5:
		return dom[!d] ? dom[!d]->p2m[(b >> 3) % FRAMES] : _mfn(0);
	case 6:
		return _mfn((b >> 3) % 16);
	case 7:
		return (b & 8) ? sim_free_frame(s, b >> 4) : _mfn(0x100000ull + b);
	default:
		return dom[d]->p2m[(b >> 3) % FRAMES];
	}
}

static uint64_t entry(struct input *in, unsigned d)
{
	mfn_t m = frame(in, d);
	uint8_t f = byte(in), g = byte(in);
	uint64_t flags = f | ((g & 1) ? PTE_G : 0) | ((g & 2) ? PTE_NX : 0) | ((g & 4) ? (1ull << 9) : 0);
	return (g & 0x80) ? (uint64_t)g << 56 | f : pte_make(m, flags);
}

static uint64_t vaddr(struct input *in)
{
	static const uint64_t bases[] = { 0x400000, 0x600000, 0x40000000, HV_VIRT_START,
					  1ull << 47, 0xffff960000000000ull, 0, 0x8000000000000000ull };
	uint8_t b = byte(in);
	return bases[b % 8] + ((uint64_t)(byte(in) % 16) << PAGE_SHIFT) + ((b & 8) ? 8 : 0);
}

/* Fill multicall entry (k) with one hypercall named by the program. */
static void one_call(struct input *in, unsigned d, unsigned k)
{
	struct multicall_entry *e = &buf.mc[k];
	uint8_t op = byte(in);
	*e = (struct multicall_entry){ 0 };
	switch (op % 4) {
	case 0: {
		mfn_t t = frame(in, d);
		buf.u[k] = (struct mmu_update){ (mfn_x(t) << PAGE_SHIFT) + (byte(in) % 512) * 8u + (op >> 5),
						entry(in, d) };
		e->op = HYPERVISOR_mmu_update;
		e->args[0] = (op & 16) ? 0x10 : (uintptr_t)&buf.u[k];
		e->args[1] = (op & 8) ? 0 : 1;
		e->args[2] = (uintptr_t)&buf.done;
		e->args[3] = (op & 4) ? 1u : DOMID_SELF;
		break;
	}
	case 1: {
		mfn_t t = frame(in, d);
		buf.x[k] = (struct mmuext_op){ .cmd = byte(in) % 24, .arg1.mfn = mfn_x(t) };
		buf.x[k].arg2.src_mfn = (op & 16) ? (uintptr_t)&buf.mask : mfn_x(frame(in, d));
		if (buf.x[k].cmd == MMUEXT_INVLPG_LOCAL || buf.x[k].cmd == MMUEXT_INVLPG_ALL)
			buf.x[k].arg1.linear_addr = vaddr(in);
		e->op = HYPERVISOR_mmuext_op;
		e->args[0] = (uintptr_t)&buf.x[k];
		e->args[1] = 1;
		e->args[3] = DOMID_SELF;
		break;
	}
	case 2:
		e->op = HYPERVISOR_update_va_mapping;
		e->args[0] = vaddr(in);
		e->args[1] = entry(in, d);
		e->args[2] = byte(in) % 8;
		if (e->args[2] & 4 && (op & 16))
			e->args[2] = UVMF_INVLPG | (uintptr_t)&buf.mask;
		break;
	default:
		e->op = byte(in);
		break;
	}
}

static void build(unsigned d)
{
	dom[d] = sim_domain_create(s, FRAMES, 2);
	mfn_t *p = dom[d]->p2m;
	_Atomic uint64_t *l4 = env_frame(p[0]), *l3 = env_frame(p[1]), *l2 = env_frame(p[2]),
			 *l1 = env_frame(p[3]);
	l4[0] = pte_make(p[1], PTE_P | PTE_RW | PTE_US);
	l3[0] = pte_make(p[2], PTE_P | PTE_RW | PTE_US);
	l2[2] = pte_make(p[3], PTE_P | PTE_RW | PTE_US);
	l1[0] = pte_make(p[8], PTE_P | PTE_RW | PTE_US);
	l1[1] = pte_make(p[3], PTE_P | PTE_US);
	buf.x[0] = (struct mmuext_op){ .cmd = MMUEXT_PIN_L4_TABLE, .arg1.mfn = mfn_x(p[0]) };
	uint64_t a[6] = { (uintptr_t)&buf.x[0], 1, 0, DOMID_SELF };
	if (sim_hypercall(dom[d]->vcpus[0].v, HYPERVISOR_mmuext_op, a))
		abort();
	buf.x[0].cmd = MMUEXT_NEW_BASEPTR;
	for (unsigned k = 0; k < 2; k++)
		if (sim_hypercall(dom[d]->vcpus[k].v, HYPERVISOR_mmuext_op, a))
			abort();
}

/* Issue a hypercall and its continuations, or (abandon) only its first
 * slice, leaving whatever partial state it made for the steps after. */
static void issue(struct vcpu *v, uint64_t nr, const uint64_t a[6], bool abandon)
{
	if (abandon)
		hypercall(v, nr, a);
	else
		sim_hypercall(v, nr, a);
}

/* decrease_reservation's core: a frame given back, freed now if nothing
 * references it, else at its last reference. */
static void give_back(struct vcpu *v, mfn_t f)
{
	preempt_start(v);
	dom_shared_enter(v);
	if (domain_give_back(v, f) == GAVE_BACK_NOW)
		domain_free_taken(v, &f, 1);
	dom_shared_exit(v);
}

static void step(struct input *in)
{
	uint8_t b = byte(in);
	unsigned d = b & 1, k = (b >> 1) & 1;
	struct sim_vcpu *sv = &dom[d]->vcpus[k];
	uint64_t v;

	buf.mask = byte(in);
	switch ((b >> 2) % 8) {
	case 0:
	case 1:
	case 2:
		one_call(in, d, 0);
		issue(sv->v, buf.mc[0].op, buf.mc[0].args, b & 0x40);
		break;
	case 3: {
		unsigned n = 1 + byte(in) % MC_MAX;
		for (unsigned i = 0; i < n; i++)
			one_call(in, d, i);
		issue(sv->v, HYPERVISOR_multicall, (uint64_t[6]){ (uintptr_t)buf.mc, n }, b & 0x40);
		break;
	}
	case 4:
		sim_store(s, sv, vaddr(in) & ~7ull, entry(in, d));
		break;
	case 5:
		sim_load(s, sv, vaddr(in) & ~7ull, &v);
		break;
	case 6: {
		mfn_t t = frame(in, d);
		sim_write_frame(sv->v, t, byte(in) % 512, entry(in, d));
		break;
	}
	default:
		if (b & 0x80) {
			sim_domain_destroy(s, dom[d]);
			build(d);
		} else if (b & 0x40) {
			give_back(sv->v, frame(in, d));
		}
		break;
	}
	for (unsigned i = 0; i < 2; i++)
		if (dom[i]->d->crashed) {
			sim_domain_destroy(s, dom[i]);
			build(i);
		}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	char msg[256];

	s = sim_create(&(struct sim_options){ .frames = 1024, .seed = size, .l1tf = true });
	sim_guest_region(&buf, sizeof(buf));
	/* small budgets: long work is split, and left split when abandoned;
	 * validation in exclusive mode (the bulk path) or in shared mode (a
	 * CAS per count change, as beside another vCPU) */
	uint8_t first = byte(&in);
	s->m->preempt_budget = 1 + first % 64;
	s->m->shared_validation = first & 64;
	build(0);
	build(1);
	for (unsigned i = 0; in.n && i < 256; i++) {
		step(&in);
		if (!sim_audit(s, msg, sizeof(msg))) {
			fprintf(stderr, "audit failed after step %u: %s\n", i, msg);
			abort();
		}
	}
	sim_destroy(s);
	return 0;
}
