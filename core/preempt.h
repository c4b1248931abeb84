/* SPDX-License-Identifier: MIT */
/*
 * Bounding long work: hypercall continuations.
 *
 * Every hypercall slice gets a budget of work (entries validated or
 * devalidated, requests of a batch).  When it is spent, the work stops at a
 * point it can resume from (a partial table, a queued devalidation, the next
 * request of a batch), and the hypercall returns -XEN_ERESTART with v->cont
 * holding the hypercall to issue again.  The host issues it when it likes,
 * as Xen re-executes the guest's hypercall instruction; guests never see
 * -XEN_ERESTART.  Exclusive count mode is given up between slices, so the
 * domain's other vCPUs go on.
 */
#ifndef CORE_PREEMPT_H
#define CORE_PREEMPT_H

#include "machine.h"

#define PREEMPT_DEFAULT_BUDGET 65536

static inline void preempt_start(struct vcpu *v)
{
	uint64_t b = vcpu_machine(v)->preempt_budget;
	v->budget = (int64_t)(b ? b : PREEMPT_DEFAULT_BUDGET);
}

static inline bool preempt_due(const struct vcpu *v)
{
	return v->budget <= 0;
}

static inline void preempt_spend(struct vcpu *v, uint64_t n)
{
	v->budget -= (int64_t)n;
}

/* Stop here: issue hypercall (nr) with (a0..a3) again later. */
static inline long preempt_continue(struct vcpu *v, uint64_t nr, uint64_t a0, uint64_t a1,
				    uint64_t a2, uint64_t a3)
{
	v->cont.pending = true;
	v->cont.nr = nr;
	v->cont.a[0] = a0;
	v->cont.a[1] = a1;
	v->cont.a[2] = a2;
	v->cont.a[3] = a3;
	v->cont.a[4] = v->cont.a[5] = 0;
	return -XEN_ERESTART;
}

#endif
