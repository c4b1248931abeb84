/* SPDX-License-Identifier: MIT */
/*
 * The workloads: each a measured loop of one kind of operation, with an
 * unmeasured setup and teardown, run on the vCPUs it asks for.  After the
 * teardown every process has exited and every frame is back in the
 * allocator.
 */
#ifndef GUEST_WORKLOADS_H
#define GUEST_WORKLOADS_H

#include "kernel.h"

struct workload {
	const char *name;
	const char *op;             /* what one operation is */
	unsigned vcpus;
	unsigned default_ops;
	void (*setup)(unsigned ops);          /* vCPU 0 */
	void (*run)(unsigned vcpu, unsigned ops); /* every vCPU, measured */
	void (*teardown)(void);               /* vCPU 0 */
	bool steady;                /* any number of operations runs in the memory of a
				     * few: a stress run may run it with no end */
};

extern const struct workload workloads[];
extern const unsigned nr_workloads;

const struct workload *workload_find(const char *name);

/* On vCPU 0, every vCPU's run over: (w)'s teardown, then this vCPU on the
 * kernel's space and the tables every vCPU still holds read-only given
 * back (mmu_free_held), so every frame is back in the allocator. */
void workload_teardown(const struct workload *w);

/* Pages the fork workloads give their parent (tests change it). */
extern unsigned fork_parent_pages;

#endif
