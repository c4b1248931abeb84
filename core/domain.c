/* SPDX-License-Identifier: MIT */
/*
 * Domains, vCPUs and the count modes (theory in machine.h and domain.h).
 *
 * The count-mode lock is a reader-writer lock with one reader flag per vCPU,
 * each on its own cache line, so entering shared mode touches no line that
 * another vCPU writes.  A reader sets its flag and then checks the domain's
 * exclusive word; a writer takes the word and then waits for every flag to
 * clear.  Both orders are sequentially consistent, so one side always sees
 * the other.  A vCPU in shared mode waits for nothing but another vCPU's
 * validation, which never waits for exclusive mode (only solo domains and
 * domain_destroy take it), so a writer's wait ends.
 */
#include "desc.h"
#include "domain.h"
#include "frame.h"
#include "m2p.h"
#include "preempt.h"
#include "pt.h"
#include "tlb.h"

void machine_init(struct machine *m, uint64_t nr_hv)
{
	for (uint64_t i = 0; i < nr_hv; i++)
		ASSERT(frame_assign(m, _mfn(i), OWNER_HV));
	atomic_store(&m->tlb_clock, 1);
	for (unsigned i = 0; i < MAX_DOMAINS; i++)
		m->domains[i].live = false;
	atomic_store(&m->live_domains, 0);
}

struct domain *domain_create(struct machine *m, unsigned nr_vcpus)
{
	if (nr_vcpus == 0 || nr_vcpus > MAX_VCPUS)
		return NULL;
	for (unsigned i = 0; i < MAX_DOMAINS; i++) {
		struct domain *d = &m->domains[i];
		if (d->live)
			continue;
		d->m = m;
		d->owner = OWNER_FIRST + i;
		d->domid = (domid_t)(i + 1);
		d->live = true;
		atomic_fetch_or(&m->live_domains, 1ull << i);
		d->crashed = false;
		d->crash_reason = NULL;
		d->nr_vcpus = nr_vcpus;
		atomic_store(&d->excl, 0);
		atomic_store(&d->nr_given_back, 0);
		d->nr_held = 0;
		for (unsigned k = 0; k < nr_vcpus; k++) {
			struct vcpu *v = &d->vcpus[k];
			v->d = d;
			v->id = k;
			v->kernel_root = INVALID_MFN;
			v->user_root = INVALID_MFN;
			v->info_frame = INVALID_MFN;
			v->ldt_base = 0;
			v->ldt_ents = 0;
			v->ldt_mapped = 0;
			for (unsigned p = 0; p < 16; p++)
				v->ldt_frames[p] = INVALID_MFN;
			v->excl = false;
			v->claims = 0;
			v->in_multicall = false;
			v->reason = NULL;
			atomic_store(&v->shared, 0);
			/* nothing cached yet: flushed as of now, which a drop
			 * at this same tick still compares equal to (tlb.h) */
			atomic_store(&v->flush_time, atomic_load(&m->tlb_clock));
			v->budget = PREEMPT_DEFAULT_BUDGET;
			v->demoting = 0;
		}
		return d;
	}
	return NULL;
}

bool domain_add_frame(struct domain *d, mfn_t mfn, pfn_t pfn)
{
	if (!frame_valid(d->m, mfn) || !frame_assign(d->m, mfn, d->owner))
		return false;
	m2p_set(d->m, mfn, pfn_x(pfn));
	return true;
}

struct domain *domain_by_id(struct machine *m, domid_t domid)
{
	if (domid == 0 || domid > MAX_DOMAINS)
		return NULL;
	struct domain *d = &m->domains[domid - 1];
	return d->live ? d : NULL;
}

void domain_crash(struct domain *d, const char *reason)
{
	if (!d->crashed)
		d->crash_reason = reason;
	d->crashed = true;
}

/* Drop a vCPU's root, or another frame it holds a reference and a type
 * reference on. */
static void drop_root(struct vcpu *ctx, mfn_t *root)
{
	if (mfn_eq(*root, INVALID_MFN))
		return;
	frame_put_type(ctx, *root, true);
	*root = INVALID_MFN;
}

long dom_hold_writable(struct vcpu *v, mfn_t mfn)
{
	struct domain *d = v->d;
	if (d->nr_held == DOM_HELD_MAX)
		return refuse(v, XEN_ENOSPC, "the host holds as many frames as it may");
	if (!frame_valid(d->m, mfn))
		return refuse(v, XEN_EINVAL, "frame is beyond machine memory");
	long rc = frame_get_type(v, mfn, FT_WRITABLE, true);
	if (!rc)
		d->held[d->nr_held++] = mfn;
	return rc;
}

/* Nothing of a domain survives into the next owner of its frames: scrub
 * (mfn), which nothing references (but for an allocation reference at
 * teardown), make its m2p entry invalid and free it. */
static void free_frame(struct machine *m, mfn_t mfn)
{
	_Atomic uint64_t *p = env_frame(mfn);
	for (unsigned i = 0; i < PT_ENTRIES; i++)
		atomic_store_explicit(&p[i], 0, memory_order_relaxed);
	m2p_set(m, mfn, M2P_INVALID);
	atomic_store_explicit(&m->linear[mfn_x(mfn)], 0, memory_order_relaxed);
	atomic_store_explicit(&m->ft[mfn_x(mfn)], 0, memory_order_release);
}

/* May (d) give frame word (x) back at all?  May it let the frame go now
 * (nothing but the allocation references it)? */
static bool givable(const struct domain *d, uint64_t x)
{
	return fw_owner(x) == d->owner && fw_count(x) && !(x & FW_GIVEN_BACK);
}

static bool takeable(const struct domain *d, uint64_t x)
{
	return givable(d, x) && fw_count(x) == 1 && fw_tc(x) == 0 &&
	       !(x & (FW_PINNED | FW_PARTIAL | FW_DEMOTING));
}

/* Drop (mfn)'s allocation reference if (ok) holds for its word: the word
 * left, or 0 (no word of an owned frame is). */
static uint64_t drop_allocation(struct vcpu *v, mfn_t mfn, bool (*ok)(const struct domain *, uint64_t))
{
	_Atomic uint64_t *w = &vcpu_machine(v)->ft[mfn_x(mfn)];
	uint64_t x = atomic_load_explicit(w, memory_order_acquire), n;
	do {
		if (!ok(v->d, x))
			return 0;
		n = (x | FW_GIVEN_BACK) - FW_COUNT_ONE;
	} while (!atomic_compare_exchange_weak_explicit(w, &x, n, memory_order_acq_rel, memory_order_acquire));
	return n;
}

/* Drop the reference domain_give_back held while it worked: true if that
 * was the frame's last (unreferenced for good: the caller's to free). */
static bool put_own_ref(struct vcpu *v, mfn_t mfn)
{
	_Atomic uint64_t *w = &vcpu_machine(v)->ft[mfn_x(mfn)];
	uint64_t x = atomic_load_explicit(w, memory_order_acquire), n;
	do {
		n = x - FW_COUNT_ONE;
	} while (!atomic_compare_exchange_weak_explicit(w, &x, n, memory_order_acq_rel, memory_order_acquire));
	return !fw_count(n) && !fw_tc(n);
}

long domain_give_back(struct vcpu *v, mfn_t mfn)
{
	struct machine *m = vcpu_machine(v);
	/* a reference of its own meanwhile, as Xen's get_page: nobody can free
	 * the frame under it, so its m2p entry is still this domain's to
	 * change */
	if (!frame_valid(m, mfn) || frame_get(v, mfn))
		return refuse(v, XEN_EINVAL, "a frame to give back is not the domain's");
	if (frame_word(m, mfn) & FW_PINNED)
		frame_unpin(v, mfn);    /* as Xen's guest_remove_page */
	if (!drop_allocation(v, mfn, givable)) {
		frame_put(v, mfn);      /* given back already: done again, as on Xen */
		return GAVE_BACK_AGAIN;
	}
	m2p_set(m, mfn, M2P_INVALID);
	/* counted before the reference goes: any put may free it from then on */
	atomic_fetch_add(&v->d->nr_given_back, 1);
	if (!put_own_ref(v, mfn))
		return GAVE_BACK_LATER;
	atomic_fetch_sub(&v->d->nr_given_back, 1);
	tlb_note_drop(m, mfn);
	return GAVE_BACK_NOW;
}

bool domain_check_take(const struct domain *d, mfn_t mfn)
{
	return frame_valid(d->m, mfn) && takeable(d, frame_word(d->m, mfn));
}

long domain_take(struct vcpu *v, mfn_t mfn)
{
	if (!frame_valid(vcpu_machine(v), mfn) || !drop_allocation(v, mfn, takeable))
		return refuse(v, XEN_EINVAL, "a frame to give back is not the domain's, or is in use");
	tlb_note_drop(vcpu_machine(v), mfn);
	return 0;
}

void domain_untake(struct vcpu *v, mfn_t mfn)
{
	_Atomic uint64_t *w = &vcpu_machine(v)->ft[mfn_x(mfn)];
	uint64_t x = atomic_load_explicit(w, memory_order_acquire);
	ASSERT((x & FW_GIVEN_BACK) && !fw_count(x) && !fw_tc(x));
	atomic_store_explicit(w, (x & ~FW_GIVEN_BACK) + FW_COUNT_ONE, memory_order_release);
}

void domain_free_taken(struct vcpu *v, const mfn_t *mfns, unsigned n)
{
	struct machine *m = vcpu_machine(v);
	if (!n)
		return;
	/* the drops were noted in order, the last is the latest */
	tlb_before_type_change(v, mfns[n - 1]);
	for (unsigned i = 0; i < n; i++) {
		uint64_t x = frame_word(m, mfns[i]);
		ASSERT(fw_owner(x) == v->d->owner && (x & FW_GIVEN_BACK) && !fw_count(x) && !fw_tc(x));
		free_frame(m, mfns[i]);
	}
}

void domain_free_given_back(struct vcpu *v, mfn_t mfn)
{
	tlb_note_drop(vcpu_machine(v), mfn);
	domain_free_taken(v, &mfn, 1);
	atomic_fetch_sub(&v->d->nr_given_back, 1);
}

void domain_destroy(struct domain *d)
{
	struct machine *m = d->m;
	struct vcpu *ctx = &d->vcpus[0];

	ASSERT(dom_excl_begin(ctx));
	ctx->budget = INT64_MAX;
	for (unsigned k = 0; k < d->nr_vcpus; k++) {
		drop_root(ctx, &d->vcpus[k].kernel_root);
		drop_root(ctx, &d->vcpus[k].user_root);
		desc_destroy_gdt(ctx, &d->vcpus[k]);
		desc_destroy_ldt(ctx, &d->vcpus[k]);
		drop_root(ctx, &d->vcpus[k].info_frame);
	}
	for (unsigned i = 0; i < d->nr_held; i++)
		drop_root(ctx, &d->held[i]);
	d->nr_held = 0;
	for (uint64_t i = 0; i < m->nr_frames; i++) {
		uint64_t x = frame_word(m, _mfn(i));
		if (fw_owner(x) != d->owner)
			continue;
		if (x & FW_PINNED) {
			atomic_store_explicit(&m->ft[i], x & ~FW_PINNED, memory_order_relaxed);
			frame_put_type(ctx, _mfn(i), true);
		} else if (x & FW_PARTIAL) {
			/* an interrupted validation: its entries give back what
			 * they took, through the queue, which holds the type
			 * reference; the partial state's general one goes now */
			atomic_store_explicit(&m->ft[i], ((x & ~FW_PARTIAL) | FW_DEMOTING) - FW_COUNT_ONE,
					      memory_order_relaxed);
			pt_demote_queue(ctx, _mfn(i), m->progress[i]);
		}
	}
	for (unsigned k = 0; k < d->nr_vcpus; k++) {
		d->vcpus[k].budget = INT64_MAX;
		ASSERT(pt_demote_run(&d->vcpus[k]));
	}
	/* Tables form no cycles (linear entries chain one level at most), so
	 * with roots and pins gone every table has been devalidated and only
	 * allocation references remain. */
	for (uint64_t i = 0; i < m->nr_frames; i++) {
		uint64_t x = frame_word(m, _mfn(i));
		if (fw_owner(x) != d->owner)
			continue;
		ASSERT(fw_count(x) == 1 && !fw_tc(x) && !(x & (FW_PINNED | FW_GIVEN_BACK)));
		free_frame(m, _mfn(i));
	}
	for (unsigned k = 0; k < d->nr_vcpus; k++)
		env_flush_tlb(&d->vcpus[k]);
	dom_excl_end(ctx);
	d->live = false;
	atomic_fetch_and(&m->live_domains, ~(1ull << (d - m->domains)));
}

void dom_shared_wait(struct vcpu *v)
{
	struct domain *d = v->d;
	for (;;) {
		atomic_store_explicit(&v->shared, 0, memory_order_release);
		while (atomic_load_explicit(&d->excl, memory_order_acquire))
			env_relax();
		atomic_store(&v->shared, 1);
		if (!atomic_load(&d->excl))
			return;
	}
}

/* Is a vCPU of (v)'s domain other than (v) in shared mode? */
static bool others_shared(const struct vcpu *v)
{
	const struct domain *d = v->d;
	for (unsigned k = 0; k < d->nr_vcpus; k++)
		if (k != v->id && atomic_load(&d->vcpus[k].shared))
			return true;
	return false;
}

bool dom_excl_begin(struct vcpu *v)
{
	struct domain *d = v->d;
	if (v->excl)
		return false;
	v->excl_from_shared = atomic_load(&v->shared);
	dom_shared_exit(v);
	for (;;) {
		uint32_t free = 0;
		if (atomic_compare_exchange_strong(&d->excl, &free, v->id + 1))
			break;
		env_relax();
	}
	while (others_shared(v))
		env_relax();
	v->excl = true;
	return true;
}

bool dom_excl_enter(struct vcpu *v)
{
	struct domain *d = v->d;
	if (v->excl || d->m->shared_validation)
		return false;
	if (d->nr_vcpus == 1)
		return dom_excl_begin(v);
	if (v->claims || others_shared(v))
		return false;   /* busy: not worth a try */
	v->excl_from_shared = atomic_load(&v->shared);
	dom_shared_exit(v);
	uint32_t free = 0;
	if (atomic_compare_exchange_strong(&d->excl, &free, v->id + 1)) {
		if (!others_shared(v)) {
			v->excl = true;
			return true;
		}
		atomic_store_explicit(&d->excl, 0, memory_order_release);
	}
	if (v->excl_from_shared)
		dom_shared_enter(v);    /* waits out whoever took it instead */
	return false;
}

void dom_excl_end(struct vcpu *v)
{
	v->excl = false;
	atomic_store_explicit(&v->d->excl, 0, memory_order_release);
	if (v->excl_from_shared)
		dom_shared_enter(v);
}
