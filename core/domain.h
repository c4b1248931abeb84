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

/* Take back frame (mfn) of (v)'s domain, scrubbed, its m2p entry
 * invalid: decrease_reservation.  Only a frame whose one reference is its
 * allocation goes (no mapping, pin, root or type reference): 0, or
 * -XEN_EINVAL with nothing changed.  The caller has flushed the domain's
 * TLBs since the frame's last mapping went, so no translation outlives
 * it. */
long domain_remove_frame(struct vcpu *v, mfn_t mfn);
/* Could domain_remove_frame take (mfn) from (d) now?  Pure; the answer may
 * change as soon as it is given if another vCPU maps the frame. */
bool domain_check_remove(const struct domain *d, mfn_t mfn);

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

/* Take exclusive mode to validate or devalidate in, if (v) may: true if it
 * did (end it with dom_excl_end).  A solo domain's vCPU (one vCPU: nothing
 * contends) waits for it; a vCPU of a domain of several takes it only if no
 * other vCPU of the domain is in shared mode and it has no validation of its
 * own under way (core/frame.c: a vCPU that waits for that validation must
 * not be kept waiting), and otherwise works in shared mode, side by side
 * with the others.  Exclusive mode is the faster one (whole tables at
 * memory speed, core/pt.c's bulk path), never needed for correctness. */
bool dom_excl_enter(struct vcpu *v);

#endif
