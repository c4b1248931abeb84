/* SPDX-License-Identifier: MIT */
/*
 * The hypercalls core/ serves, with Xen's 64-bit PV signatures.  Guest
 * pointers are guest virtual addresses (uint64_t), read and written only
 * through env_copy_from_guest / env_copy_to_guest, each request copied in
 * once and checked on the copy.
 *
 * Batches (mmu_update, mmuext_op) stop at the first failing request, report
 * how many completed through (done) when it is not 0, and return that
 * request's error; completed requests stay done.  multicall runs every entry
 * and stores each one's result in it.
 */
#ifndef CORE_HYPERCALL_H
#define CORE_HYPERCALL_H

#include "machine.h"

/* The hypercall entry: run hypercall (nr) with arguments (a) for vCPU (v)
 * of a live domain, in shared count mode, after any devalidation its domain
 * has queued, through the machine's table (m->hypercalls, or
 * core_hypercalls).  Unknown numbers: -XEN_ENOSYS.  A crashed or dead
 * domain: -XEN_ESRCH.  If v->cont.pending is set afterwards, the slice's
 * budget was spent (core/preempt.h; the value is then -XEN_ERESTART): issue
 * v->cont.nr with v->cont.a to continue, as many times as it takes.  Guests
 * never see a continuation; any other value is the guest's result. */
long hypercall(struct vcpu *v, uint64_t nr, const uint64_t a[6]);

/* Dispatch through the machine's table, without the entry's bookkeeping
 * (multicall uses it, so a multicall carries every hypercall the host
 * serves). */
long hypercall_dispatch(struct vcpu *v, uint64_t nr, const uint64_t a[6]);

/* core's hypercalls in the table signature, and core's own table of them;
 * a host that serves more builds its table from these. */
long hc_mmu_update(struct vcpu *v, const uint64_t a[6]);
long hc_mmuext_op(struct vcpu *v, const uint64_t a[6]);
long hc_update_va_mapping(struct vcpu *v, const uint64_t a[6]);
long hc_update_va_mapping_otherdomain(struct vcpu *v, const uint64_t a[6]);
long hc_multicall(struct vcpu *v, const uint64_t a[6]);
extern const hypercall_fn core_hypercalls[HYPERVISOR_NR];

long do_mmu_update(struct vcpu *v, uint64_t reqs, unsigned count, uint64_t done,
		   unsigned foreigndom);
long do_mmuext_op(struct vcpu *v, uint64_t ops, unsigned count, uint64_t done,
		  unsigned foreigndom);
long do_update_va_mapping(struct vcpu *v, uint64_t va, uint64_t val, uint64_t flags);
long do_update_va_mapping_otherdomain(struct vcpu *v, uint64_t va, uint64_t val,
				      uint64_t flags, unsigned domid);
long do_multicall(struct vcpu *v, uint64_t list, uint64_t nr);

/* Resolve a foreign-domain argument (Xen's get_pg_owner): DOMID_SELF is the
 * caller; the caller's own numeric id and unknown ids are -XEN_ESRCH; any
 * other domain, DOMID_IO and DOMID_XEN are -XEN_EPERM, as no domain here is
 * privileged. */
long hc_foreign(struct vcpu *v, unsigned domid);

/* Make (mfn) vCPU root (*root) (kernel or user) of (v)'s domain, or none for
 * INVALID_MFN: take an L4 type reference with a general one (validating the
 * table if nothing held it) before dropping the old root's.  0; -XEN_EINVAL
 * (nothing changed); or -XEN_ERESTART if the validation is to be continued
 * (call again: it resumes). */
long hc_set_root(struct vcpu *v, mfn_t *root, mfn_t mfn);

/* A batch hypercall's arguments: hypercall (nr) over (count) requests of
 * (size) bytes at guest address (reqs), the number done reported at (done)
 * unless it is 0.  (count) with MMU_UPDATE_PREEMPTED is a continuation: the
 * number done so far is read back from (done). */
struct batch {
	uint64_t nr, reqs;
	unsigned count;
	size_t size;
	uint64_t done;
	unsigned foreigndom;
};

/* Run the requests of (b) through (fn), stopping at the first error; (fn)
 * gets a copy of each request.  Between requests, when the budget is gone,
 * returns -XEN_ERESTART with the rest of the batch as the continuation. */
typedef long (*batch_fn)(struct vcpu *v, const void *req, void *ctx);
long hc_batch(struct vcpu *v, const struct batch *b, batch_fn fn, void *ctx);

/* The flush scope of an update_va_mapping or mmuext MULTI: a vCPU mask
 * for (scope) (0: this vCPU, UVMF_ALL: all, else a guest pointer to a
 * bitmap).  Returns 0 or -XEN_EFAULT. */
long hc_vcpu_mask(struct vcpu *v, uint64_t scope, uint64_t *mask);

#endif
