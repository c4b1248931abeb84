/* SPDX-License-Identifier: MIT */
/*
 * Domains and vCPUs: creation with N frames, destruction that devalidates
 * every table and reclaims every frame, crashing a hopeless domain, and the
 * two count modes of machine.h.
 */
#ifndef CORE_DOMAIN_H
#define CORE_DOMAIN_H

#include "machine.h"

/* Initialise machine (m), whose frame table (ft) and linear counts have
 * (m->nr_frames) zeroed entries, and give frames [0, nr_hv) to the
 * hypervisor.  The host then builds its own tables and the m2p in those
 * frames and fills m->l4_template. */
void machine_init(struct machine *m, uint64_t nr_hv);

/* Create a domain with (nr_vcpus) vCPUs (1..MAX_VCPUS) and no frames and no
 * address space yet.  Returns NULL if every domain slot is taken or
 * nr_vcpus is out of range. */
struct domain *domain_create(struct machine *m, unsigned nr_vcpus);

/* Give free frame (mfn) to (d) as its pseudo-physical frame (pfn), and
 * record it in the m2p.  Returns false if the frame is not free. */
bool domain_add_frame(struct domain *d, mfn_t mfn, pfn_t pfn);

/* Giving frames back (Xen's guest_remove_page and steal_page).  A frame
 * leaves the domain by losing its allocation reference (frame.h, given
 * back).  With no other reference left it is unreferenced for good (no
 * reference can be taken at a zero count), and whoever made it so frees it:
 * the vCPUs of the domain that may still hold a translation of it flush
 * (core/tlb.h), and it is scrubbed, its m2p entry made invalid, and freed.
 * The flush comes after the last reference went, so no translation made
 * before it survives into the frame's next owner, however the domain's
 * vCPUs race the giving back. */

/* decrease_reservation: give (mfn) back from (v)'s domain, dropping a pin
 * first, as Xen does; its m2p entry is invalid from now on.  Returns
 * GAVE_BACK_NOW if nothing references it now: it is the caller's to free
 * with domain_free_taken (one flush serves a batch); GAVE_BACK_LATER if
 * something still does: it is freed at its last reference, and counts in
 * domain_given_back_live until then; GAVE_BACK_AGAIN if it was given back
 * already and is still referenced (its pin goes, if it has one; nothing
 * else changes: Xen's answer is success); or -XEN_EINVAL with nothing
 * changed (not the domain's, or free). */
enum { GAVE_BACK_NOW = 1, GAVE_BACK_LATER, GAVE_BACK_AGAIN };
long domain_give_back(struct vcpu *v, mfn_t mfn);

/* XENMEM_exchange: take (mfn) from (v)'s domain if nothing but its
 * allocation references it: 0, the frame the caller's to free with
 * domain_free_taken or to give back to the domain, contents, m2p entry
 * and all, with domain_untake; or -XEN_EINVAL with nothing changed.
 * domain_check_take says (purely) whether it could now. */
long domain_take(struct vcpu *v, mfn_t mfn);
bool domain_check_take(const struct domain *d, mfn_t mfn);
void domain_untake(struct vcpu *v, mfn_t mfn);

/* Free (n) frames of (v)'s domain that domain_give_back or domain_take
 * handed over: flush as the TLB rule asks, then scrub and free each. */
void domain_free_taken(struct vcpu *v, const mfn_t *mfns, unsigned n);

/* Free (mfn), given back earlier, whose last reference has just gone
 * (core/frame.c's puts). */
void domain_free_given_back(struct vcpu *v, mfn_t mfn);

/* Frames given back while referenced and not yet freed: what Xen still
 * counts in the domain's tot_pages. */
static inline uint64_t domain_given_back_live(const struct domain *d)
{
	return atomic_load_explicit(&d->nr_given_back, memory_order_relaxed);
}

/* Destroy (d): drop every vCPU's roots and every pin, which devalidates
 * every table, then take back every frame, scrubbed, so the next owner sees
 * nothing of this one.  No vCPU of (d) may be running. */
void domain_destroy(struct domain *d);

/* The host will write frame (mfn) of (v)'s domain by its machine address
 * for as long as the domain lives (its shared info page, grant table
 * frames, console ring): hold a reference and a writable type reference on
 * it, as Xen's shared pages and a console backend's mapping hold theirs,
 * so the guest can never make it a pagetable or give it back.  0, or
 * core's error (a frame not the domain's, one in use as another type, or
 * DOM_HELD_MAX held already: -XEN_ENOSPC). */
long dom_hold_writable(struct vcpu *v, mfn_t mfn);

/* Mark (d) crashed with (reason): its hypercalls stop at once and the host
 * destroys it; other domains are not touched. */
void domain_crash(struct domain *d, const char *reason);

/* The domain with ABI id (domid), or NULL. */
struct domain *domain_by_id(struct machine *m, domid_t domid);

/* Count modes (core/machine.h).  dom_shared_enter/exit bracket every
 * hypercall.  dom_excl_begin switches (v) to exclusive mode, waiting until no
 * other vCPU of its domain is in shared mode; it returns false (and does
 * nothing) if (v) is already exclusive.  dom_excl_end undoes a begin (or an
 * enter) that returned true and puts (v) back in the mode it had before.
 * Only a solo domain's vCPU and domain_destroy wait for exclusive mode: in a
 * domain of several vCPUs one may wait in shared mode for another's
 * validation to end, which therefore never waits for exclusive mode. */
void dom_shared_wait(struct vcpu *v);
static inline void dom_shared_enter(struct vcpu *v)
{
	atomic_store(&v->shared, 1);
	if (atomic_load(&v->d->excl))
		dom_shared_wait(v);     /* another vCPU is exclusive: wait it out */
}
static inline void dom_shared_exit(struct vcpu *v)
{
	atomic_store_explicit(&v->shared, 0, memory_order_release);
}
bool dom_excl_begin(struct vcpu *v);
void dom_excl_end(struct vcpu *v);
/* No other vCPU of (v)'s domain can be in core now: (v) holds exclusive
 * mode, or is its domain's only vCPU. */
static inline bool dom_alone_in_core(const struct vcpu *v)
{
	return v->excl || v->d->nr_vcpus == 1;
}

/* Take exclusive mode to validate or devalidate in, if (v) may: true if it
 * did (end it with dom_excl_end).  A solo domain's vCPU (one vCPU: nothing
 * contends) waits for it; a vCPU of a domain of several takes it only if no
 * other vCPU of the domain is in shared mode and it has no validation of its
 * own under way (core/frame.c: a vCPU that waits for that validation must
 * not be kept waiting), and otherwise works in shared mode, side by side
 * with the others.  Exclusive mode is the faster one (whole tables at
 * memory speed, core/pt_table.c's bulk path), never needed for correctness. */
bool dom_excl_enter(struct vcpu *v);

#endif
