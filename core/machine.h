/* SPDX-License-Identifier: MIT */
/*
 * The hypervisor's global state: machine memory, the frame table, the m2p,
 * the domains and their vCPUs.
 *
 * Ownership of frames: every machine frame has an owner in its frame word
 * (core/frame.h): nobody (free), the hypervisor, or one domain.  A domain's
 * pagetables may reference only frames it owns; the hypervisor's own tables
 * are reachable from a guest only through the reserved L4 slots 256..271,
 * whose contents are the machine's template and which no guest can change.
 *
 * Count modes (the concurrency design, see docs/ARCHITECTURE.md): a vCPU
 * changes the counts of its domain's frames either in shared mode, with one
 * compare-and-swap per change, concurrently with the domain's other vCPUs, or
 * in exclusive mode, with plain loads and stores while every other vCPU of
 * the domain is outside shared mode.  Validation and devalidation (type
 * count 0 <-> 1 of a pagetable) and type changes run in exclusive mode when
 * it is to be had at once (a domain of one vCPU; otherwise when no other
 * vCPU is in shared mode: core/domain.h, dom_excl_enter), at memory speed,
 * and otherwise in shared mode, side by side, as Xen's run.  A vCPU in
 * shared mode waits only for a frame another vCPU is validating, of a lower
 * level than any it is validating itself, and never for exclusive mode
 * while it validates; which makes the scheme deadlock-free.
 */
#ifndef CORE_MACHINE_H
#define CORE_MACHINE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <pvmmu/abi.h>
#include <pvmmu/pte.h>
#include <pvmmu/types.h>
#include "env.h"

#define MAX_DOMAINS 64
#define MAX_VCPUS   16
#define DOM_HELD_MAX 80

/* Owners as stored in a frame word. */
#define OWNER_NOBODY 0u
#define OWNER_HV     1u
#define OWNER_FIRST  2u

struct domain;
struct machine;

/* What the hypervisor did on behalf of one vCPU: written only by that
 * vCPU's hypercalls, read while it is quiescent. */
struct vcpu_stats {
	uint64_t hypercalls;        /* hypercall entries, multicall entries excluded */
	uint64_t validated;         /* entries whose references a validation took */
	uint64_t pins, unpins;
	uint64_t flushes;           /* vCPU TLBs flushed whole, any vCPU's */
	uint64_t emulated;          /* writable-pagetable stores emulated */
	uint64_t flush_ipis;        /* flushes the host sent to other physical CPUs (hv) */
};

struct vcpu {
	/* Fixed at creation. */
	struct domain *d;
	unsigned id;
	void *host;                 /* the host's per-vCPU state */

	/* Touched only by hypercalls running on this vCPU. */
	mfn_t kernel_root;          /* guest_table: a ref + an L4 type ref, or INVALID_MFN */
	mfn_t user_root;            /* guest_table_user: likewise */
	mfn_t gdt_frames[14];       /* the GDT: each a ref + a descriptor-page type ref (desc.h) */
	unsigned gdt_ents;          /* its entries; frames used: ceil(gdt_ents / 512) */
	uint64_t ldt_base;          /* the LDT: its guest address and entries (SET_LDT), */
	unsigned ldt_ents;
	mfn_t ldt_frames[16];       /* and the frames the host has mapped so far, as the
				     * CPU asked (desc.h): each a ref + a descriptor-page
				     * type ref, or INVALID_MFN */
	unsigned ldt_mapped;        /* how many of them are mapped (Xen's shadow_ldt_mapcnt):
				     * a root switch with none drops nothing at once */
	mfn_t info_frame;           /* the frame the host keeps its vcpu_info in: a ref + a
				     * writable type ref, or INVALID_MFN (the shared info page) */
	bool excl;                  /* holds its domain's exclusive count mode */
	bool excl_from_shared;      /* was in shared mode when it took exclusive */
	unsigned claims;            /* validations under way on this vCPU (frame.c) */
	bool in_multicall;
	bool mc_stop;               /* a host hypercall replaced the vCPU's frame: a
				     * multicall must not go on (Xen's mc_exit) */
	const char *reason;         /* why the last refusal happened */
	struct vcpu_stats stats;
	int64_t budget;             /* work left in this hypercall slice (core/preempt.h) */
	uint64_t demoting;          /* head of this vCPU's devalidation queue
				     * (core/pt_table.c): mfn + 1, 0 if empty */
	struct {
		bool pending;       /* the last hypercall stopped: issue nr with a again */
		uint64_t nr, a[6];  /* the hypercall to issue again */
	} cont;

	/* Read by other vCPUs: atomics, on a line of their own. */
	_Alignas(64) _Atomic uint32_t shared;   /* in shared count mode */
	_Atomic uint64_t flush_time;            /* tlb clock at this vCPU's last full flush */
};

struct domain {
	struct machine *m;
	void *host;                 /* the host's per-domain state */
	unsigned owner;             /* owner number in frame words (OWNER_FIRST + slot) */
	domid_t domid;
	bool live;
	bool crashed;
	const char *crash_reason;
	unsigned nr_vcpus;
	_Atomic uint32_t excl;      /* exclusive count mode is held */
	_Atomic uint64_t nr_given_back; /* frames given back, still referenced (domain.h) */
	mfn_t held[DOM_HELD_MAX];   /* frames the host writes by machine address for the
				     * domain's life (core/domain.h, dom_hold_writable):
				     * each a ref + a writable type ref */
	unsigned nr_held;
	struct vcpu vcpus[MAX_VCPUS];
};

/* A hypercall with Xen's 64-bit PV arguments (core/hypercall.h). */
typedef long (*hypercall_fn)(struct vcpu *v, const uint64_t a[6]);

struct machine {
	uint64_t nr_frames;
	const hypercall_fn *hypercalls; /* the host's table, HYPERVISOR_NR entries; NULL:
					 * core's own (core_hypercalls) */
	_Atomic uint64_t *ft;       /* frame words, one per frame (core/frame.h) */
	_Atomic int32_t *linear;    /* linear-pagetable count per frame (core/pt.c) */
	uint16_t *progress;         /* per frame: entries of a partial or demoting table that
				     * hold references (changed only by the vCPU whose
				     * validation or queue holds the table) */
	uint32_t *queue_next;       /* per frame: the devalidation queue's links, mfn + 1 */
	_Atomic uint64_t *drop_time; /* per frame: tlb clock at its last type count drop to
				      * zero (core/tlb.h) */
	uint64_t preempt_budget;    /* entries of work per hypercall slice; 0: the default */
	mfn_t m2p_start;            /* the m2p: contiguous hypervisor frames */
	uint64_t m2p_frames;
	uint64_t l4_template[HV_L4_NR_SLOTS]; /* what slots 256..271 hold */
	uint64_t l1tf_safe_maddr;   /* not-present entries must point at or above this; 0: no check */
	bool shared_validation;         /* every domain validates in shared mode, as one of
				     * several vCPUs does (tests, and to measure what
				     * exclusive mode buys) */
	_Atomic uint64_t tlb_clock; /* core/tlb.c */
	_Atomic uint64_t live_domains; /* bit i: domains[i] is live (scans skip the rest) */
	struct domain domains[MAX_DOMAINS];
};
_Static_assert(MAX_DOMAINS <= 64, "live_domains has a bit per domain");

static inline struct machine *vcpu_machine(const struct vcpu *v) { return v->d->m; }

/* Refuse a guest request: remember why, return the negative errno. */
static inline long refuse(struct vcpu *v, int err, const char *why)
{
	v->reason = why;
	return -err;
}

#endif
