/* SPDX-License-Identifier: MIT */
/*
 * The sim machine: memory, the hypervisor's frames and tables, domains,
 * and core's platform interface (core/env.h) over them.
 *
 * Hypervisor frames, from mfn 0:
 *   m2p L3, m2p L2, m2p L1s      read-only, user: slot 256 (MACH2PHYS_VIRT_START)
 *   hv L3, hv L2, hv L1          supervisor-only: slot 257 maps the hv frames
 *   the m2p itself               8 bytes per machine frame
 *   padding up to 16 frames at least
 */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "../core/audit.h"
#include "../core/domain.h"
#include "../core/frame.h"
#include "../core/hypercall.h"
#include "../core/ptwr.h"
#include "../core/m2p.h"
#include "sim.h"

static uint8_t *sim_mem;

/* Guest regions only grow: readers need no lock, only the published count. */
#define MAX_REGIONS 256
struct region {
	uintptr_t start, len;
};
static struct region regions[MAX_REGIONS];
static _Atomic unsigned nr_regions;
static pthread_mutex_t regions_lock = PTHREAD_MUTEX_INITIALIZER;

void sim_guest_region(const void *p, size_t len)
{
	pthread_mutex_lock(&regions_lock);
	unsigned n = atomic_load(&nr_regions);
	bool known = false;
	for (unsigned i = 0; i < n; i++)
		known = known || (regions[i].start == (uintptr_t)p && regions[i].len == len);
	if (!known && n < MAX_REGIONS) {
		regions[n] = (struct region){ (uintptr_t)p, len };
		atomic_store_explicit(&nr_regions, n + 1, memory_order_release);
	}
	pthread_mutex_unlock(&regions_lock);
}

static bool guest_ok(uint64_t p, size_t len)
{
	unsigned n = atomic_load_explicit(&nr_regions, memory_order_acquire);
	for (unsigned i = 0; i < n; i++)
		if (p >= regions[i].start && len <= regions[i].len &&
		    p - regions[i].start <= regions[i].len - len)
			return true;
	return false;
}

void *env_frame(mfn_t mfn)
{
	return sim_mem + mfn_x(mfn) * PAGE_SIZE;
}

int env_copy_from_guest(struct vcpu *v, void *dst, uint64_t gptr, size_t len)
{
	(void)v;
	if (!guest_ok(gptr, len))
		return -XEN_EFAULT;
	memcpy(dst, (const void *)(uintptr_t)gptr, len);
	return 0;
}

int env_copy_to_guest(struct vcpu *v, uint64_t gptr, const void *src, size_t len)
{
	(void)v;
	if (!guest_ok(gptr, len))
		return -XEN_EFAULT;
	memcpy((void *)(uintptr_t)gptr, src, len);
	return 0;
}

void env_flush_tlb(struct vcpu *v)
{
	struct sim_vcpu *sv = v->host;
	pthread_mutex_lock(&sv->lock);
	for (unsigned i = 0; i < SIM_TLB_SIZE; i++)
		sv->tlb[i].valid = false;
	pthread_mutex_unlock(&sv->lock);
}

void env_invlpg(struct vcpu *v, uint64_t va)
{
	struct sim_vcpu *sv = v->host;
	uint64_t vpn = va >> PAGE_SHIFT;
	pthread_mutex_lock(&sv->lock);
	if (sv->tlb[vpn % SIM_TLB_SIZE].vpn == vpn)
		sv->tlb[vpn % SIM_TLB_SIZE].valid = false;
	pthread_mutex_unlock(&sv->lock);
}

/* The simulator has no CPU to show an LDT to. */
void env_ldt_changed(struct vcpu *v)
{
	(void)v;
}

void env_tlb_for_each(struct vcpu *v, tlb_visit_fn fn, void *arg)
{
	struct sim_vcpu *sv = v->host;
	pthread_mutex_lock(&sv->lock);
	for (unsigned i = 0; i < SIM_TLB_SIZE; i++)
		if (sv->tlb[i].valid)
			fn(arg, sv->tlb[i].vpn << PAGE_SHIFT, sv->tlb[i].mfn, sv->tlb[i].rw);
	pthread_mutex_unlock(&sv->lock);
}

void env_relax(void)
{
	sched_yield();
}

_Noreturn void env_panic(const char *file, int line, const char *what)
{
	fprintf(stderr, "pvmmu: hypervisor invariant broken at %s:%d: %s\n", file, line, what);
	abort();
}

static void set_entry(mfn_t table, unsigned slot, mfn_t to, uint64_t flags)
{
	_Atomic uint64_t *t = env_frame(table);
	atomic_store(&t[slot], pte_make(to, flags));
}

/* Map (n) frames from (first) with (l1flags) through a fresh L3 -> L2 ->
 * L1s chain starting at hypervisor frame (*next); return the L3. */
static mfn_t build_map(uint64_t *next, mfn_t first, uint64_t n, uint64_t upper, uint64_t l1flags)
{
	mfn_t l3 = _mfn((*next)++), l2 = _mfn((*next)++);
	set_entry(l3, 0, l2, upper);
	for (uint64_t i = 0; i < n; i += PT_ENTRIES) {
		mfn_t l1 = _mfn((*next)++);
		set_entry(l2, (unsigned)(i / PT_ENTRIES), l1, upper);
		for (uint64_t j = i; j < n && j < i + PT_ENTRIES; j++)
			set_entry(l1, (unsigned)(j % PT_ENTRIES), _mfn(mfn_x(first) + j), l1flags);
	}
	return l3;
}

static uint64_t hv_frames_for(uint64_t frames)
{
	uint64_t m2p = m2p_frames_for(frames);
	uint64_t n = 2 + (m2p + PT_ENTRIES - 1) / PT_ENTRIES + 3 + m2p;
	return n < 16 ? 16 : n;
}

static void build_hv(struct sim *s)
{
	struct machine *m = s->m;
	uint64_t next = 0;
	uint64_t m2p = m2p_frames_for(m->nr_frames);
	uint64_t hv_l1_frames = s->nr_hv < PT_ENTRIES ? s->nr_hv : PT_ENTRIES;
	mfn_t m2p_first = _mfn(2 + (m2p + PT_ENTRIES - 1) / PT_ENTRIES + 3);

	m->m2p_start = m2p_first;
	m->m2p_frames = m2p;
	mfn_t m2p_l3 = build_map(&next, m2p_first, m2p, PTE_P | PTE_US, PTE_P | PTE_US | PTE_NX);
	mfn_t hv_l3 = build_map(&next, _mfn(0), hv_l1_frames, PTE_P | PTE_RW, PTE_P | PTE_RW | PTE_NX);
	memset(m->l4_template, 0, sizeof(m->l4_template));
	m->l4_template[0] = pte_make(m2p_l3, PTE_P | PTE_US | PTE_A);
	m->l4_template[1] = pte_make(hv_l3, PTE_P | PTE_RW | PTE_A);
	for (uint64_t i = 0; i < m->nr_frames; i++)
		m2p_set(m, _mfn(i), M2P_INVALID);
}

/* Zeroed memory for a per-frame table, on huge pages where the host has
 * them: the frame table is read in the guest's order, and with 4 KiB pages
 * every access would also miss the host's TLB. */
static void *host_table(size_t bytes)
{
	size_t huge = 2u << 20, len = (bytes + huge - 1) & ~(huge - 1);
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		perror("pvmmu: mmap");
		abort();
	}
	madvise(p, len, MADV_HUGEPAGE);
	return p;
}

static void host_table_free(void *p, size_t bytes)
{
	size_t huge = 2u << 20;
	munmap(p, (bytes + huge - 1) & ~(huge - 1));
}

struct sim *sim_create(const struct sim_options *o)
{
	uint64_t hv = hv_frames_for(o->frames);
	if (o->frames < hv + 16 || o->frames > (1ull << 24)) {
		fprintf(stderr, "pvmmu: machine frames must be between %lu and %llu\n",
			(unsigned long)(hv + 16), 1ull << 24);
		return NULL;
	}
	struct sim *s = calloc(1, sizeof(*s));
	void *mem = mmap(NULL, o->frames * PAGE_SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | (o->prefault ? MAP_POPULATE : 0),
			 -1, 0);
	if (!s || mem == MAP_FAILED) {
		fprintf(stderr, "pvmmu: cannot map %lu frames of machine memory\n",
			(unsigned long)o->frames);
		free(s);
		return NULL;
	}
	madvise(mem, o->frames * PAGE_SIZE, MADV_HUGEPAGE);
	s->m = calloc(1, sizeof(*s->m));
	s->m->nr_frames = o->frames;
	s->m->ft = host_table(o->frames * sizeof(*s->m->ft));
	s->m->linear = host_table(o->frames * sizeof(*s->m->linear));
	s->m->progress = host_table(o->frames * sizeof(*s->m->progress));
	s->m->queue_next = host_table(o->frames * sizeof(*s->m->queue_next));
	s->m->drop_time = host_table(o->frames * sizeof(*s->m->drop_time));
	s->audit_scratch = malloc(audit_scratch_size(s->m));
	s->mem = sim_mem = mem;
	s->nr_hv = hv;
	s->seed = o->seed;
	s->contiguous = o->contiguous;
	machine_init(s->m, hv);
	build_hv(s);
	if (o->l1tf) {
		uint64_t top = 1;
		while (top < o->frames * PAGE_SIZE)
			top <<= 1;
		s->m->l1tf_safe_maddr = top;
	}
	return s;
}

void sim_destroy(struct sim *s)
{
	for (unsigned i = 0; i < MAX_DOMAINS; i++)
		if (s->doms[i].d)
			sim_domain_destroy(s, &s->doms[i]);
	munmap(s->mem, s->m->nr_frames * PAGE_SIZE);
	host_table_free(s->m->ft, s->m->nr_frames * sizeof(*s->m->ft));
	host_table_free(s->m->linear, s->m->nr_frames * sizeof(*s->m->linear));
	host_table_free(s->m->progress, s->m->nr_frames * sizeof(*s->m->progress));
	host_table_free(s->m->queue_next, s->m->nr_frames * sizeof(*s->m->queue_next));
	host_table_free(s->m->drop_time, s->m->nr_frames * sizeof(*s->m->drop_time));
	free(s->m);
	free(s->audit_scratch);
	free(s);
	sim_mem = NULL;
}

static uint64_t next_random(uint64_t *state)
{
	/* splitmix64: deterministic for a given seed */
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

struct sim_domain *sim_domain_create(struct sim *s, uint64_t frames, unsigned vcpus)
{
	struct machine *m = s->m;
	uint64_t nfree = 0;
	mfn_t *pool = malloc(m->nr_frames * sizeof(*pool));

	for (uint64_t i = 0; i < m->nr_frames; i++)
		if (fw_owner(frame_word(m, _mfn(i))) == OWNER_NOBODY)
			pool[nfree++] = _mfn(i);
	struct domain *d = frames <= nfree ? domain_create(m, vcpus) : NULL;
	if (!d) {
		free(pool);
		return NULL;
	}
	struct sim_domain *sd = &s->doms[d->owner - OWNER_FIRST];
	memset(sd, 0, sizeof(*sd));
	sd->d = d;
	sd->nr_frames = frames;
	sd->p2m = malloc(frames * sizeof(*sd->p2m) + 1);
	for (uint64_t i = 0; i < frames; i++) {
		uint64_t j = s->contiguous ? i : i + next_random(&s->seed) % (nfree - i);
		mfn_t t = pool[i];
		pool[i] = pool[j];
		pool[j] = t;
		sd->p2m[i] = pool[i];
		ASSERT(domain_add_frame(d, pool[i], _pfn(i)));
	}
	free(pool);
	for (unsigned k = 0; k < vcpus; k++) {
		sd->vcpus[k].v = &d->vcpus[k];
		d->vcpus[k].host = &sd->vcpus[k];
		pthread_mutex_init(&sd->vcpus[k].lock, NULL);
	}
	return sd;
}

void sim_domain_destroy(struct sim *s, struct sim_domain *sd)
{
	(void)s;
	domain_destroy(sd->d);
	for (unsigned k = 0; k < sd->d->nr_vcpus; k++)
		pthread_mutex_destroy(&sd->vcpus[k].lock);
	free(sd->p2m);
	sd->p2m = NULL;
	sd->d = NULL;
}

mfn_t sim_free_frame(struct sim *s, uint64_t n)
{
	for (uint64_t i = 0; i < s->m->nr_frames; i++)
		if (fw_owner(frame_word(s->m, _mfn(i))) == OWNER_NOBODY && n-- == 0)
			return _mfn(i);
	return INVALID_MFN;
}

long sim_hypercall(struct vcpu *v, uint64_t nr, const uint64_t a[6])
{
	long rc = hypercall(v, nr, a);
	while (v->cont.pending)
		rc = hypercall(v, v->cont.nr, v->cont.a);
	return rc;
}

long sim_write_frame(struct vcpu *v, mfn_t mfn, unsigned slot, uint64_t value)
{
	long rc;
	do
		rc = ptwr_write_frame(v, mfn, slot, value);
	while (rc == -XEN_ERESTART);
	return rc;
}

bool sim_audit(struct sim *s, char *msg, size_t len)
{
	return audit_run(s->m, s->audit_scratch, msg, len);
}

void sim_vcpu_start(struct sim_vcpu *sv, void *(*fn)(void *), void *arg)
{
	if (pthread_create(&sv->thread, NULL, fn, arg)) {
		perror("pvmmu: pthread_create");
		abort();
	}
}

void sim_vcpu_join(struct sim_vcpu *sv)
{
	pthread_join(sv->thread, NULL);
}
