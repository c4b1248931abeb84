/* SPDX-License-Identifier: MIT */
/*
 * The sim host for a guest kernel (guest/): the guest's platform interface
 * (guest/hostif.h) over the sim, a domain builder that leaves initial tables
 * as guest/os/boot.c expects them, and a runner for the workloads.
 */
#ifndef SIM_GUEST_HOST_H
#define SIM_GUEST_HOST_H

#include "../guest/os/workloads.h"
#include "sim.h"

enum guest_mode { MODE_PV, MODE_NOBATCH, MODE_NATIVE };

/* Counts per run, summed over vCPUs: the guest's own and the hypervisor's. */
struct guest_counts {
	uint64_t hypercalls, mc_entries, validated, pins, unpins, flushes, emulated, flush_ipis, faults;
};

struct guest_result {
	uint64_t ops;
	double seconds;
	struct guest_counts counts;  /* during the measured loop */
	bool audit_ok;
	bool leak_free;              /* every frame back in the allocator at the end */
	bool no_hv_counts;           /* the hypervisor's counts (validated .. emulated) are not
				      * there: native, or Xen (which has no pvmmu_stats) */
	char audit_msg[256];
};

/* Work per hypercall slice for the machines guest_run builds (0: core's
 * default); tests lower it to make the guest's batches continue. */
extern uint64_t guest_run_budget;

/* Boot a fresh machine with one guest of (pages) pages in (mode), run
 * workload (w) for (ops) operations (0: its default), tear down, audit.
 * Returns 0, or -1 with a message on stderr if the machine cannot be built. */
int guest_run(const struct workload *w, enum guest_mode mode, uint64_t pages, unsigned ops,
	      struct guest_result *r);

#endif
